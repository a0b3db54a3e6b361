// Part 7, scaling: what each added worker costs, unicluster against the runtime's own node:cluster, for 2, 8, 32
// and 64 node:http workers on one port (on a 2-core machine: overhead, not throughput). Each run of
// bench/scaling/ measures start-up time (first fork() to every worker listening), the primary's CPU over start-up
// and its memory, the workers' mean memory, and a broadcast round trip; its RESULT line comes while the workers
// still serve. At 8 workers this driver then sends short connections (a new connection per request) and counts
// which worker answered each. unicluster runs twice, from its TypeScript sources (what JSR gives) and from the npm
// build (bench/lib/npm_build.mjs: what `npm install`, `bun add` and `deno add npm:unicluster` give); a control run
// of node:cluster whose workers load unicluster's code tells what that load costs (scalingConfigs).
// The implementations run back to back, in an order that changes every round (bench/lib/order.mjs).

import { countConnections } from "../lib/connections.mjs";
import { startGroup, stopGroup } from "../lib/groups.mjs";
import { npmModuleUrl } from "../lib/npm_build.mjs";
import { roundOrder } from "../lib/order.mjs";
import { benchEnv, RUNTIMES } from "../lib/runtimes.mjs";
import { freshPort } from "../lib/servers.mjs";
import { errorText, outcome } from "../lib/results.mjs";

/** The worker count at which connections are counted per worker. */
export const DIST_WORKERS = 8;

/**
 * The implementations compared on a runtime: unicluster from its sources, from the npm build, node:cluster, and a
 * control: node:cluster whose workers also load the npm build's code (its `core` entry: every module `import
 * "unicluster"` loads, without making the cluster), which tells what loading the library costs a worker from what
 * the library then does there.
 */
export function scalingConfigs(runtime) {
  const run = RUNTIMES[runtime].run;
  const file = "bench/scaling/unicluster_scale.mjs";
  const nodeCluster = `${runtime === "node" ? "" : `${RUNTIMES[runtime].name} `}node:cluster`;
  const nodeClusterFile = "bench/scaling/node_cluster_scale.mjs";
  return [
    { id: "uc", label: "unicluster (sources)", file },
    { id: "uc-npm", label: "unicluster (npm build)", file, env: { BENCH_MODULE: npmModuleUrl(runtime) } },
    { id: "nc", label: nodeCluster, file: nodeClusterFile },
    {
      id: "nc-load",
      label: `${nodeCluster}, workers loading unicluster (control)`,
      file: nodeClusterFile,
      env: { BENCH_LOAD_MODULE: npmModuleUrl(runtime, "./core") },
    },
  ].map((c) => ({ ...c, command: run(c.file) }));
}

/** One run: starts the program, waits for its RESULT line, counts connections at DIST_WORKERS, stops it. */
async function runOnce(config, workers, settings) {
  const port = await freshPort();
  const env = benchEnv({
    BENCH_PORT: String(port),
    BENCH_WORKERS: String(workers),
    BENCH_ROUNDS: String(settings.scaling.rounds),
    ...config.env,
  });
  // Beyond the program's own limits (listening: 20 s + 1.5 s per worker; 10 s per broadcast round).
  const limit = 40_000 + 1_600 * workers + 10_000 * (settings.scaling.rounds + 1);
  const sample = {};
  let server;
  try {
    server = await startGroup(...config.command, { env, ready: /^RESULT (.*)\n/m, timeoutMs: limit });
    Object.assign(sample, JSON.parse(server.readyLine.trim().slice("RESULT ".length)));
    if (workers === DIST_WORKERS && settings.scaling.connections > 0 && sample.listeningMs !== undefined) {
      try {
        sample.dist = await countConnections(port, settings.scaling.connections, { limitMs: 60_000 });
        if (sample.dist.busiestShare === null) {
          throw new Error(`none of ${sample.dist.sent} requests answered`);
        }
      } catch (error) {
        sample.errors.dist = errorText(error);
      }
    }
    if (Object.keys(sample.errors).length > 0) sample.outputTail = server.output().slice(-1500);
  } catch (error) {
    sample.error = errorText(error);
  } finally {
    if (server) sample.forcedKill = await stopGroup(server.pgid);
  }
  return sample;
}

const f1 = (x) => (x === undefined ? "-" : x.toFixed(1));
const mib = (kib) => (kib === undefined ? "-" : (kib / 1024).toFixed(1));
const med = (a) => (a?.length ? [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] : undefined);

function describe(s) {
  const errors = Object.entries(s.errors ?? {}).map(([k, v]) => `${k}: ${v.split("\n")[0]}`);
  return `listening ${f1(s.listeningMs)} ms, primary cpu ${f1(s.primaryCpuMs)} ms rss ${
    mib(s.primaryRssKiB)
  } ` +
    `MiB, worker rss ${mib(s.workerRssKiB)} MiB cpu ${f1(s.workerCpuMs)} ms, broadcast ${
      f1(med(s.broadcastMs))
    } ms` +
    (s.dist ? `, busiest ${(s.dist.busiestShare * 100).toFixed(1)}%` : "") +
    (errors.length ? `; ERRORS ${errors.join("; ")}` : "");
}

export async function benchScaling(runtime, results, { settings, checkDeadline, save }) {
  results.scaling ??= [];
  const configs = scalingConfigs(runtime);
  const counts = settings.scaling.workers;
  for (let rep = 0; rep < settings.scaling.reps; rep++) {
    for (const [i, workers] of counts.entries()) {
      const order = roundOrder(configs, rep + i);
      for (const config of order) {
        checkDeadline(`scaling ${runtime} ${config.id} ${workers} workers`);
        const sample = {
          runtime,
          config: config.id,
          label: config.label,
          rep,
          ...(await runOnce(config, workers, settings)),
          workers,
        };
        results.scaling.push(sample);
        console.log(
          `  scaling ${runtime} #${rep + 1} ${String(workers).padStart(2)} workers ${config.id.padEnd(6)} ` +
            outcome(sample, () => describe(sample)),
        );
        save(results);
      }
    }
  }
}
