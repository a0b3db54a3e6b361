// The HTTP servers under test on each runtime (used by the http and dist parts), a free port for each run, and
// starting a server in its own process group until it says it is ready.

import net from "node:net";
import { startGroup } from "./groups.mjs";
import { npmModuleUrl } from "./npm_build.mjs";
import { benchEnv, binary, RUNTIMES } from "./runtimes.mjs";

let nextPort = 20100;

function portFree(port) {
  return new Promise((r) => {
    const server = net.createServer();
    server.once("error", () => r(false));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => r(true)));
  });
}

export async function freshPort() {
  for (let i = 0; i < 200; i++) {
    const port = nextPort++;
    if (nextPort > 29000) nextPort = 20100;
    if (await portFree(port)) return port;
  }
  throw new Error("no free port in 20100-29000");
}

/**
 * HTTP servers under test, per runtime, in the order they run (reversed every other repetition): each target's
 * pair of configurations sits side by side, so the two runs of a comparison are adjacent in time.
 * `kind` colours the chart. On Node, unicluster runs from the npm build and every program is JavaScript (what an
 * `npm install` user runs; a TypeScript program would load Node's type stripper into each process); on Bun and
 * Deno, which run TypeScript natively, from its sources.
 */
export function httpConfigs(runtime) {
  const run = RUNTIMES[runtime].run;
  const ready = /READY \d+[^\n]*/;
  const npm = runtime === "node" ? { BENCH_MODULE: npmModuleUrl(runtime) } : {};
  const nodeCluster = { BENCH_MODULE: "node:cluster" };
  const reuseport = { NODE_CLUSTER_SCHED_POLICY: "reuseport" };
  const c = (id, kind, label, file, env) => ({ id, kind, label, file, env });
  const list = {
    node: [
      c(
        "uc-http-reuseport",
        "uc-http",
        "unicluster, node:http, SCHED_REUSEPORT",
        "cluster_http.mjs",
        { ...npm, ...reuseport },
      ),
      c("uc-http", "uc-http", "unicluster, node:http", "cluster_http.mjs", npm),
      c("nc-http", "nc-http", "node:cluster, node:http", "cluster_http.mjs", nodeCluster),
      c("single", "single", "single process, node:http", "single_http.mjs"),
    ],
    bun: [
      c("reuseport", "reuseport", "hand-written Bun.spawn + Bun.serve reusePort", "reuseport_bun.ts"),
      c("uc-native", "uc-native", "unicluster, Bun.serve", "unicluster_native.ts"),
      c("nc-http", "nc-http", "Bun node:cluster, node:http", "cluster_http.mjs", nodeCluster),
      c("uc-http", "uc-http", "unicluster, node:http", "cluster_http.mjs"),
      c("single", "single", "single process, Bun.serve", "single_native.ts"),
      c("single-http", "single-http", "single process, node:http", "single_http.mjs"),
    ],
    deno: [
      {
        ...c("deno-serve", "deno-serve", "deno serve --parallel (DENO_JOBS=2)"),
        command: (port) => [
          binary("deno"),
          [
            "serve",
            "--parallel",
            "-A",
            "--host",
            "127.0.0.1",
            "--port",
            String(port),
            "bench/servers/deno_serve_parallel.ts",
          ],
        ],
        env: { DENO_JOBS: "2" },
        ready: /Listening on [^\n]*/,
      },
      c("reuseport", "reuseport", "hand-written Deno.Command + Deno.serve reusePort", "reuseport_deno.ts"),
      c("uc-native", "uc-native", "unicluster, Deno.serve", "unicluster_native.ts"),
      c("nc-http", "nc-http", "Deno node:cluster, node:http", "cluster_http.mjs", nodeCluster),
      c("uc-http", "uc-http", "unicluster, node:http", "cluster_http.mjs"),
      c("single", "single", "single process, Deno.serve", "single_native.ts"),
      c("single-http", "single-http", "single process, node:http", "single_http.mjs"),
    ],
  }[runtime];
  return list.map((x) => ({
    ...x,
    ready: x.ready ?? ready,
    command: x.command ?? (() => run(`bench/servers/${x.file}`)),
  }));
}

/** Starts a configuration's server on `port`, its workers answering `reply`; resolves once it is ready. */
export async function startServer(config, port, reply) {
  const [cmd, args] = config.command(port);
  const env = benchEnv({ BENCH_PORT: String(port), BENCH_WORKERS: "2", BENCH_REPLY: reply, ...config.env });
  const started = performance.now();
  const handle = await startGroup(cmd, args, { env, ready: config.ready, timeoutMs: 30_000 });
  handle.startMs = performance.now() - started;
  return handle;
}
