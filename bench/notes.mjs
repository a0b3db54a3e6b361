// Notes written while building and running the benchmark: measurements made by hand (profiles, counts, traces)
// that explain missed targets, and observations about the library. bench/report.mjs adds them to RESULTS.md.
// Keys of `explanations`: "<target>:<runtime>:<mode>" for HTTP targets, "ipc:<runtime>" for IPC.

const RR_FREE_WORKERS =
  "Both primaries hand connections out the same way: a connection goes only to a worker that has answered for " +
  "its previous one (Node's RoundRobinHandle `free` list, lib/internal/cluster/round_robin_handle.js), and a " +
  "worker answers before it serves the connection. Until commit 31270fd unicluster also waited a turn of the " +
  "event loop for the worker whose turn it was, and answered after the server's connection listeners: 0.92x in " +
  "the run before that commit, 0.97x since. The primaries cost the same (CPU above); the workers about 5% more " +
  "per response (server CPU column). Not the hand-over message's path: carrying the library's internal messages " +
  "as Node's own (a `NODE_` command, which goes to `internalMessage` and skips every `message` listener) changed " +
  "nothing measurable on 2026-12-07 (wrk, new connection per request, 3 runs each: 0.97x before, 0.96x with it; " +
  "not kept). Not profiled further; the likely rest is how the worker serves a socket it did not accept: it " +
  "takes a net.Socket from the channel and emits `connection` itself, where Node's worker wraps the raw handle " +
  "in net.Server's own accept path.";

export const NOTES = {
  explanations: {
    "http-vs-nodecluster:node:close": RR_FREE_WORKERS,
    "http-vs-nodecluster:node:keepalive":
      "With keep-alive the difference is within a few percent and the per-repetition ratios touch 1.0x; the " +
      "hand-over discipline described for the new-connection case only acts on the 50 initial connections here.",
    "ipc:node":
      "Round trips are dominated by the two process wake-ups of each. One way, the sender's side counts: every " +
      "`worker.send` goes through Node's argument parsing and the library's envelope before `child.send` (a " +
      "completion callback only when the caller gave one); the one-way column's range of neighbouring runs is " +
      "wide on this machine, so repeat it before reading a gap.",
    "ipc:bun":
      "The primary's link (adapters/bun/child_link.ts) runs a completion callback in a microtask only when the " +
      "caller gave one. Since commit 9e3cbbc a worker's user message reaches its `process` listeners in the " +
      "channel's one dispatch (each listener skips internal messages itself), where before the library took every " +
      "message and emitted user ones a second time. Round trips against Bun.spawn's over four runs that day: " +
      "1.00x, 0.94x (this table), 1.06x and 0.98x, about even within the spread of neighbouring runs (before: " +
      "0.94x in the full run of 2026-12-07 morning, 0.97x on 2026-12-02).",
  },
  findings: [
    "Fixed while this bench was written (commit d73946c): connections handed over by round-robin (Node, and " +
    "Deno's `UNICLUSTER_ADAPTER=node` route) got no TCP_NODELAY. strace (`-e setsockopt,accept4` on the primary " +
    "and both workers, 4 requests on new connections) showed Node's cluster setting TCP_NODELAY on all 4 " +
    'connections and unicluster on none, because `server.emit("connection", socket)` skipped net.Server\'s accept ' +
    "path, where http.Server applies its default `noDelay: true`. A response written in two parts then waited for " +
    "the client's delayed ACK: 92 req/s at 44 ms median latency against about 30k req/s at 0.1 ms for Node's " +
    "cluster (section 5 measures this case in every run).",
    "Fixed while this bench was written (commit a4b587b): Bun's node:http under round-robin. Requests on sockets " +
    "the primary handed to a worker cost Bun's node:http about twice the CPU of requests on sockets it accepted " +
    "itself (keep-alive, primary idle, connections split 25/25: 25 µs against 12 µs per response), and with a new " +
    "connection per request the primary's accept and hand-over held unicluster to 0.27x of Bun's node:cluster " +
    "(0.52x with keep-alive). Bun's own node:cluster binds each worker with SO_REUSEPORT, which unicluster now does " +
    "for Bun's node:http too.",
    "Node, fork-to-online: a unicluster worker says `online` only after it has imported the library; on Node 24 " +
    "the TypeScript sources cost about 100 ms to import (type stripping) against about 25 ms for the compiled " +
    "npm/ build (import table in section 3, a fresh process without a cache). Node's own cluster says `online` " +
    "from its bootstrap, before the user's module loads. Since commit 06ad4ca a Node worker gets Node's compile " +
    "cache (NODE_COMPILE_CACHE, a directory of this user's), which keeps what the first worker stripped: fork to " +
    "listening from the sources 145 -> 63 ms, worker RSS 101 -> 64 MiB (sections 3 and 7).",
    'Start-up, what the library loads (2026-12-07). On Node 24, `import http from "node:http"` in an ES module ' +
    "builds a facade of node:http that reads its lazy properties, which loads Node's fetch implementation " +
    "(undici): about 18 ms, and `node:process` 4 ms. The library now takes both without an import (the global " +
    "`process`, `process.getBuiltinModule`): importing the npm build in a process that does not import node:http " +
    "itself 22 -> 7.5 ms. The node:http workers of this benchmark import it themselves, so sections 3 and 7 keep " +
    "that cost on both sides; the command line's workers (section 8) do not. On Deno, the first read of " +
    "`Deno.serve` builds Deno's HTTP server (2.5 ms) and the first `process.getBuiltinModule` call costs 1.5 ms: " +
    "a worker's `createCluster()` 6.0 -> 2.4 ms. On Bun, esbuild's `keepNames` (a defineProperty per function) " +
    "cost 0.7 ms per worker and is off. What is left, per worker: Bun, the library's own code (4.5 ms to evaluate " +
    "the bundle) and node:http, which the library must load to hook Bun's http.Server (8.5 ms; a Bun.serve worker " +
    "pays it too); Deno, one module per source file (72 modules: 7 ms, against 1.7 ms for the same code bundled) " +
    "and its node:net socket to the primary. A worker entry that loads only the worker's modules would need " +
    "top-level await in the entry, which `require()` of the package cannot load.",
    "Checked for Bun's `Connection: close` read errors: a counting Bun.serve answered 77,119 requests while wrk " +
    "reported 77,090 completed responses and 77,087 read errors in the same 3 s run, so the errors do not hide " +
    "lost responses.",
  ],
};
