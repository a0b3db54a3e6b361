// Notes written while building and running the benchmark: measurements made by hand (profiles, counts, traces)
// that explain missed targets, and observations about the library. bench/report.mjs adds them to RESULTS.md.
// Keys of `explanations`: "<target>:<runtime>:<mode>" for HTTP targets, "ipc:<runtime>" for IPC.

const RR_FREE_WORKERS =
  "Both primaries hand connections out the same way: a connection goes only to a worker that has answered for " +
  "its previous one (Node's RoundRobinHandle `free` list, lib/internal/cluster/round_robin_handle.js), and a " +
  "worker answers before it serves the connection. Until commit 31270fd unicluster also waited a turn of the " +
  "event loop for the worker whose turn it was, and answered after the server's connection listeners. Since " +
  "commit 682f8c3 a worker serves a handed-over connection through net.Server's own accept path (the listening " +
  "handle's `onconnection`, as Node's worker does; it also fixed `pauseOnConnect`, which was ignored); the " +
  "ratio did not move (0.94x in the run of 880d8a7). Not the hand-over message's path either: carrying the " +
  "library's internal messages as Node's own (a `NODE_` command, which goes to `internalMessage` and skips every " +
  "`message` listener) changed nothing measurable (0.97x before, 0.96x with it; not kept). What is measured: the " +
  "servers spend more CPU per request, 100 against 89 µs in the run of 880d8a7 (server CPU column), about 2 µs " +
  "in the primary and 3-6 µs in the workers (/proc CPU times, 8 alternated wrk runs, 2026-12-07). strace shows " +
  "the same system calls per connection on both sides (recvmsg of the handle, the answer, TCP_NODELAY, read, " +
  "write, shutdown, close); a CPU profile of the workers has no function that differs by more than 1 µs per " +
  "request, the largest part being the time inside the response and answer writes (the kernel's loopback path), " +
  "and perf shows the extra kernel and JavaScript time spread over many symbols. Not closed.";

export const NOTES = {
  explanations: {
    "http-vs-nodecluster:node:close": RR_FREE_WORKERS,
    "http-vs-nodecluster:node:keepalive":
      "With keep-alive the difference is within a few percent and the per-repetition ratios touch 1.0x; the " +
      "hand-over discipline described for the new-connection case only acts on the 50 initial connections here.",
    "ipc:node":
      "Round trips are dominated by the two process wake-ups of each, and the spread of neighbouring runs is " +
      "larger than the gap (four full runs before 2026-12-07: 1.02x, 0.995x, 1.02x, 0.97x). One way: since " +
      "2026-12-07 the json messages one process sends in one run of JavaScript leave in one write (the first at " +
      "once, the rest when the run ends or every 64 KiB: adapters/ipc/message_batch.ts), where Node's channel " +
      "writes each `child.send` on its own. Before, the figure had two modes, decided by whether the worker waited " +
      "between reads (every write then woke it), and unicluster ran at 0.85x-0.93x of child_process.fork in each " +
      "(0.63x median in the run of 880d8a7); a CPU profile put about 0.1 µs per message in the library's send path.",
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
    "cost 0.7 ms per worker and is off. Later that day: the npm build takes every built-in with " +
    "`process.getBuiltinModule` (an ES module import of one makes Node build a facade of it: 1.4 ms for the " +
    "eight the library uses, against 0.4 ms), node:v8 only when the socket channel first serializes with it, and " +
    "node:module only once start-up is over. What is left, per worker: Node (npm build), the library's load " +
    "(1.7 ms for its 165 KB chunk, compile-cached) and a worker's `createCluster()` (1.5 ms of first-run costs, " +
    "no hot spot in a profile over 25 forks), where node:cluster's worker code is part of Node's own bootstrap " +
    "(measured again 2026-12-07 in 10 forks: import 1.6 ms, 3.6 ms with the compile cache off; createCluster() " +
    "1.2-1.3 ms either way, spread over some 40 functions run for the first time; V8's compile hint " +
    "`//# allFunctionsCalledOnLoad` at the top of the bundle's files changed neither). " +
    "Bun: node:net 1.5 ms and node:dgram 0.6 ms (loaded to hook them), the bundle 3.4 ms (parsing alone 1.7 ms; a " +
    "minified bundle is no faster) and `createCluster()` 1.6 ms; and node:http, which the library loads to hook " +
    "Bun's http.Server: 10 ms for a Bun.serve worker that does not import it (this benchmark's worker does, so it " +
    "does not show here). A port-0 listen must be shared before the user's code runs, and Bun's node:http hands " +
    "what Bun.serve returns to native functions, so the Bun.serve hook cannot stand in for it. Deno: one module " +
    "per source file (74), and a worker's first listen waits for its channel to the primary; since commit " +
    "fbee95c that channel connects natively (about 2 -> 0.8 ms), and since 03e49fe the primary checks a fixed " +
    "port with `Deno.listen` instead of a node:net server whose close takes Deno 1.2-2.4 ms (a node:http " +
    "worker's `listen()` to its callback 6.5 -> 4 ms). A worker entry that loads only the worker's modules would " +
    "need top-level await in the entry, which `require()` of the package (or of mod.ts, as Node's conformance " +
    "harness here does) cannot load.",
    "Start-up by how the library is installed (2026-12-07, evening). Deno loads the sources (what JSR gives) as " +
    "some seventy modules, each looked up, read and compiled on its own; the npm build (`deno add " +
    "npm:unicluster`) is one bundle: importing it 11-13 -> 6.6-7.4 ms; fork to listening 1.02x and 1.03x the " +
    "time of Deno's node:cluster in two full runs (the sources 1.16x and 1.11x), the cost per added worker 24.3 " +
    "and 24.9 ms against 24.2 and 23.6 (section 7); the README's install section says so. An esbuild " +
    "bundle of the sources that keeps ES module imports of the built-ins is about as fast, 0-1 ms ahead: what " +
    "JSR would need to carry to give JSR users the same (JSR accepts JavaScript with its declarations, " +
    "`@ts-self-types`), a change to how the package is published. Bun: the bundle's 170 KB take 4 ms to " +
    "load with the built-ins already loaded (Bun keeps a transpiled copy of files over 50 KB, which saves 5-6 " +
    "ms here, so what is left is JavaScriptCore parsing it); a bundle without the Deno adapter, 135 KB, loads " +
    "0.5 ms sooner. Together with node:net and node:dgram (2.2 ms) that is the difference to Bun's node:cluster, " +
    "whose worker code ships inside Bun. On Node a bundle without the other runtimes' adapters loads no faster " +
    "(compile-cached, 2.8 ms either way). Since commit a7337d0 (2026-12-07, night) the package carries a Bun " +
    "build under the `bun` export condition (scripts/build_bun.mjs): the bundled modules as one CommonJS file " +
    "with Bun's bytecode (`bun build --bytecode --format=cjs`; ES module bytecode needs `--compile`), each " +
    "module evaluated on first use. Timed inside a Bun worker (6 forks each): the library loads in 5.3-5.8 ms " +
    "where the ES module bundle took 8-9 ms; of the rest, node:net and node:dgram 2.1 ms, the bytecode 2.4 ms, " +
    "`createCluster()` 1.1 ms (0.4 of it the first `process.send`). Bytecode of another Bun build, or a damaged " +
    "`.jsc`, makes Bun parse the source instead (Bun's documentation; a damaged file tried: as slow as before, " +
    "no error; Bun 1.4.4 used 1.4.5's bytecode). A minified bundle loaded 0.2 ms sooner, within the spread, " +
    "and would rename classes.",
    "Deno's IPC, 1 MiB message and broadcast (2026-12-07). The Deno adapter's channel is a unix socket of its " +
    "own (`Deno.Command` gives a child no extra file descriptors). Since commit fbee95c a Deno worker's end of " +
    "it is a native `Deno.connect` socket (adapters/deno/unix_socket.ts) where it was node:net: one message to " +
    "each of 32 workers and their answers " +
    "2.2-2.4 -> 1.85-1.90 ms (Deno's node:cluster 1.66-1.74 ms in the same runs), the workers' CPU per message " +
    "140-152 -> 112 µs. The 1 MiB message is not bound by the socket: a native unix socket pair moves 1 MiB in " +
    "0.13 ms on Deno and a node:net end in 0.14 ms (measured 2026-12-07, 25 rounds each). It is bound by JSON in " +
    "JavaScript and by the heap: in the benchmark's state, after the 100,000 one-way messages it sends first, " +
    "the primary's `JSON.stringify` of the message takes 1.0-1.1 ms (0.13 ms in a fresh process: V8 gets slower " +
    "at it after many small ones), the worker's decode (`toString` and `JSON.parse`) 0.5-1.2 ms (since commit " +
    "eede768 a payload of 512 bytes or more is decoded with a TextDecoder: 1 MiB in 72 µs where Deno's " +
    "`Buffer#toString` takes 552 µs; the 1 MiB message 5-10% faster), and joining the " +
    "2-5 reads 0.05-0.4 ms. Deno's own channel serializes in Rust (serde_json in its node IPC ops), out of the " +
    "JavaScript heap; a library can reach only JavaScript's JSON, so what would close the gap is a native " +
    "serializer that Deno offers to programs, which it does not. Warm (300 rounds) the broadcast is near " +
    "Deno's; cold, as section 7 measures it (15 rounds " +
    "right after start-up), it is still 1.76x at 32 workers: the library's message path is JavaScript that " +
    "has not been compiled yet, where Deno's channel is native.",
    "Broadcast on Node (2026-12-07, night; section 7: 0.12 against 0.08 ms per added worker). One message to " +
    "each of 32 node:http workers and their answers, 400 rounds after 50 untimed ones, 5 alternated runs each " +
    "(npm build): 636 ms against node:cluster's 452 (medians), the primary's CPU 242 against 200 ms, the " +
    "workers' 895 against 641 ms, i.e. about 20 µs more per message in a worker. With one worker kept busy " +
    "(20,000 sequential round trips) the CPU per message is equal (worker 23-26 µs, primary 24-30 µs both), and " +
    'so are the bytes on the pipe (strace: one `{"pong":n}` write per answer, as node:cluster\'s). A worker that ' +
    "answers with the runtime's own `process.send` and hears through a listener added past the library's wrapper " +
    "still takes 804 ms, so most of it is not in the library's send or receive functions; a CPU profile of a " +
    "worker (one each) puts the extra time in Node's own pipe write and read callbacks (`writeUtf8String` " +
    "22 against 4 µs, `channel.onread` 15 against 1 µs per message), as if every wake-up of a worker that has " +
    "slept while 31 others ran costs more with the library loaded (its larger heap and code: 48 against 45 MiB " +
    "per worker). " +
    "Cold, the first 20 round trips of a new worker cost its CPU 65-74 µs each against 48-63 (the library's " +
    "functions are compiled on first use). Measured again later that night over 12,000 rounds (steady state): " +
    "10.0 against 8.1 s, the workers' CPU about 7 µs more per message; a worker makes the same system calls per " +
    "message as node:cluster's (strace over 2 s of one worker: 1.8 against 2.0 epoll waits, one recvmsg and one " +
    "write per message), and a system-wide perf profile of the steady state is flat on both sides (no symbol " +
    "differs by more than 0.5% of the samples). Not closed.",
    "Start-up on Bun, servers hooked as their modules load (2026-12-07, late night; commits ec01365, 0b12c0d). " +
    "Measured in a fresh Bun 1.4.5 process, the built-ins the library loaded for every worker: node:events " +
    "1.1-1.7 ms, node:stream 3.0-4.5, node:net 1.6-2.5 after it, node:dgram 0.7-1.0, node:http 4.1-6.1 " +
    "(Bun's node:cluster loads node:events too). Only node:events is now loaded at start: the others are " +
    "taken on first use, and a Bun worker hooks the servers of node:net, node:http and node:dgram when the " +
    "program loads them (the primary starts it with a preload whose accessors on EventEmitter.prototype hear " +
    "those modules assign `listen` and `bind`; adapters/bun/server_traps.ts). The preload costs 0.3-0.8 ms " +
    "of a Bun process's start (any preload does: a file or a data: URL alike, 20 starts each). A Bun.serve " +
    "worker loads none of the three; an http worker still loads node:net, which Bun's own http.Server loads as " +
    "it listens. Fork part alone, one sitting, npm build: a Bun.serve worker 13.6 against Bun's node:cluster " +
    "24.5 ms (0.55x) and 10.7 against 17.6 (0.61x), where the full run of a7337d0 had 1.28x; an http worker " +
    "1.23x-1.27x as before. Also: the command line's bin runs the Bun build of the command line on Bun " +
    "(bin/unicluster.js), its primary 3.5-4 ms sooner.",
    "What the cost per added worker is made of (2026-12-08). Section 7 now has a control: node:cluster whose " +
    "workers also import the npm build's `core` entry (all of the library's code, no cluster made) and do not " +
    "use it, and four runs per point (with two, a runtime's slope moved by 2-4 ms between runs). Two partial " +
    "runs on Bun: unicluster 17.9 and 17.3 ms per added worker, the control 17.9 and 16.7, Bun's node:cluster " +
    "15.8 and 14.5; one on Node: 32.7, control 34.7, node:cluster 32.6; on Deno: 27.4, control 27.3, node:cluster " +
    "25.8. So loading the library's code is what a worker costs beyond node:cluster; what the library then does " +
    "there costs about nothing per added worker. Inside a Bun worker (20 forks, `process.cpuUsage()`, CPU to " +
    "listening): 40.5-42.6 ms against 33.6-33.9. Of that: the preload 2.5 ms (mostly node:events, which " +
    "node:cluster's import loads too); the library's load and `createCluster()` 6-7.5 ms against node:cluster's " +
    "3.3 with node:events; the listen 2.1-2.4 ms more, because the worker asks the primary as its script ends " +
    "and Bun's work after a script's end (about 2 ms of CPU) comes before the answer is read, where a " +
    "node:cluster worker, which binds at once, does it after listening (2.8 against 0.6-0.85 ms of CPU in the " +
    "50 ms after). A worker-only Bun build (no primary role, no Deno or Node adapter: 224 KB of bytecode against " +
    "379 KB for the same modules whole) would load 0.5 ms sooner (1.5 against 2.0 ms, 30 starts): a quarter of " +
    "the gap at most, and it needs the primary's role out of the Cluster class's imports; not done. What would " +
    "close the gap is worker code that the runtime has loaded already, as its own node:cluster is. Deno: " +
    "hooking node:net and node:dgram as they load, as on Bun, could spare a Deno.serve worker at most what " +
    "leaving those hooks out altogether spares it, measured: fork to listening 38.9-44.3 ms without them, " +
    "41.0-44.0 with " +
    "(npm build, 15 alternated forks, 3 runs), about 1 ms; not done. Broadcast on Node (32 workers, 400 rounds " +
    "after 100, npm build): a unicluster primary whose workers do not load the library answers as fast as " +
    "node:cluster (0.65-0.69 against 0.66 ms a round); with the library in the workers 0.78-0.87 ms, and " +
    "0.71-0.72 when those workers answer through the runtime's own `process.on` and `process.send`, taken " +
    "before the library loaded: about half of the gap is the library's send and receive wrappers, half its " +
    "presence in the worker. Cold (the first 15 rounds): node:cluster 1.4-1.9 ms, unicluster with plain " +
    "workers 2.2-2.4, with library workers 3.2-4.1.",
    "Checked for Bun's `Connection: close` read errors: a counting Bun.serve answered 77,119 requests while wrk " +
    "reported 77,090 completed responses and 77,087 read errors in the same 3 s run, so the errors do not hide " +
    "lost responses.",
  ],
};
