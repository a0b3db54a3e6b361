// Notes written while building and running the benchmark: measurements made by hand (profiles, counts, traces)
// that explain missed targets, and observations about the library. bench/report.mjs adds them to RESULTS.md.
// Keys of `explanations`: "<target>:<runtime>:<mode>" for HTTP targets, "ipc:<runtime>" for IPC.

const RR_FREE_WORKERS =
  "Same CPU per response, but higher tail latency (p99 column) and slightly lower throughput at the same " +
  "concurrency. The one difference found between the two (by reading both): how the primaries hand connections " +
  "out. Node's RoundRobinHandle " +
  "(lib/internal/cluster/round_robin_handle.js) gives a connection only to a worker that is free, i.e. has " +
  "acknowledged the previous one (its `free` list; at most one hand-over in flight per worker), so a worker that " +
  "is momentarily busy gets fewer; unicluster's src/round_robin.ts rotates strictly and sends without waiting for " +
  "an acknowledgement, so connections queue at a busy worker while the other may idle. The distribution table shows " +
  "it: unicluster's round-robin splits 1000 connections exactly 500/500, Node's not. What would close it: hand " +
  "connections to workers that have taken their previous one first (an acknowledgement per hand-over, as Node does).";

export const NOTES = {
  explanations: {
    "http-vs-nodecluster:node:close": RR_FREE_WORKERS,
    "http-vs-nodecluster:node:keepalive":
      "With keep-alive the difference is within a few percent and the per-repetition ratios touch 1.0x; the " +
      "hand-over discipline described for the new-connection case only acts on the 50 initial connections here.",
    "ipc:node":
      "Where unicluster does cost more on Node is the sender side of one-way traffic (one-way column): a CPU profile " +
      "of the primary sending 300,000 messages (node --cpu-prof, made while building this bench) showed about 970 ms " +
      "busy with unicluster against 625 ms with a bare `fork()`, and 181 ms against 72 ms of garbage collection. " +
      "Every `worker.send` goes through argument parsing, two wrapper closures and a completion callback handed to " +
      "`child.send` even when the caller gave none (adapters/node.ts `NodeChildLink.send`, src/primary.ts `#send`), " +
      "which also makes Node schedule a `process.nextTick` per message. Passing the caller's callback through " +
      "unchanged (none when none was given) would close most of it; a sequential round trip is dominated by the " +
      "two process wake-ups, which is why ping-pong stays close to 1.0x.",
    "ipc:bun":
      "The primary's link (adapters/bun.ts) queues a microtask per message to run the completion callback, even " +
      "when the caller gave none; with the core's message filters on both sides, that is all unicluster adds per " +
      "message on Bun, and it is small against the two process wake-ups of a round trip.",
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
    "the TypeScript sources cost about 100 ms to import (type stripping) against about 35 ms for the compiled " +
    "npm/ build (import table in section 3). Node's own cluster says `online` from its bootstrap, before the " +
    "user's module loads. Running workers on the compiled JavaScript (the npm package) closes most of the gap.",
    "Checked for Bun's `Connection: close` read errors: a counting Bun.serve answered 77,119 requests while wrk " +
    "reported 77,090 completed responses and 77,087 read errors in the same 3 s run, so the errors do not hide " +
    "lost responses.",
  ],
};
