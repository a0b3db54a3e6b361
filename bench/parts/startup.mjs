// Part 8, start-up of the command line: the time from starting `cli.ts -w 2` (node, bun, deno run -A) serving
// bench/startup/fetch_id.mjs to the first successful HTTP response on its port, and to responses from both workers
// (each answers with an id of its own), against the runtime's own way of starting 2 workers: `deno serve
// --parallel` (DENO_JOBS=2) on Deno, and a hand-written node:cluster primary with 2 node:http workers
// (bench/servers/cluster_http.mjs with node:cluster) on every runtime. The npm build's command line is measured
// too (`node <package>/bin/unicluster.js`, `bun <package>/bin/unicluster.js`, `deno run -A <package>/cli.js`:
// what `npx unicluster`, `bunx unicluster` and `deno run -A npm:unicluster/cli` run; see bench/lib/npm_build.mjs;
// before 2026-12-07 the Node and Bun rows ran cli.js, which the bin now runs on Node). The port is polled
// every few milliseconds with a new connection per request; the process group is killed after each sample and
// gone before the next one starts.

import { getOnce } from "../lib/connections.mjs";
import { sleep, spawnGroup, stopGroup } from "../lib/groups.mjs";
import { npmCliPath } from "../lib/npm_build.mjs";
import { roundOrder } from "../lib/order.mjs";
import { benchEnv, binary, RUNTIMES } from "../lib/runtimes.mjs";
import { freshPort } from "../lib/servers.mjs";
import { errorText, outcome } from "../lib/results.mjs";

const MODULE = "bench/startup/fetch_id.mjs";
/** Pause between two polls of the port (ms). */
const POLL_MS = 5;

/** The commands compared on a runtime: unicluster's command line first (sources, npm build), then the others. */
export function startupConfigs(runtime) {
  const rt = RUNTIMES[runtime];
  const cliArgs = (port) => ["-w", "2", "--port", String(port), "--host", "127.0.0.1", MODULE];
  const list = [{
    id: "cli",
    label: `${runtime === "deno" ? "deno run -A" : runtime} cli.ts -w 2`,
    command: (port) => [rt.bin(), [...(runtime === "deno" ? ["run", "-A"] : []), "cli.ts", ...cliArgs(port)]],
  }];
  list.push({
    id: "cli-npm",
    label: runtime === "deno"
      ? "deno run -A cli.js -w 2 (npm build)"
      : `${runtime} bin/unicluster.js -w 2 (npm build)`,
    command: (
      port,
    ) => [rt.bin(), [...(runtime === "deno" ? ["run", "-A"] : []), npmCliPath(runtime), ...cliArgs(port)]],
  });
  if (runtime === "deno") {
    list.push({
      id: "deno-serve",
      label: "deno serve --parallel (DENO_JOBS=2)",
      env: { DENO_JOBS: "2" },
      command: (port) => [
        binary("deno"),
        ["serve", "--parallel", "-A", "--host", "127.0.0.1", "--port", String(port), MODULE],
      ],
    });
  }
  list.push({
    id: "nc",
    label: `hand-written ${runtime === "node" ? "" : `${rt.name} `}node:cluster, 2 node:http workers`,
    env: { BENCH_WORKERS: "2", BENCH_REPLY: "id", BENCH_MODULE: "node:cluster" },
    command: () => rt.run("bench/servers/cluster_http.mjs"),
  });
  return list;
}

/**
 * One sample: starts the command and polls its port until two different workers have answered, for at most
 * `limitMs`; `firstMs` is the first answer and `bothMs` the first answer from a second worker, both from the
 * moment the command was started. The process group is stopped before this resolves.
 */
async function sample(config, limitMs) {
  const port = await freshPort();
  const [cmd, args] = config.command(port);
  const env = benchEnv({ BENCH_PORT: String(port), ...config.env });
  const result = {};
  const t0 = performance.now();
  const proc = spawnGroup(cmd, args, { env });
  try {
    const ids = new Set();
    let polls = 0;
    while (performance.now() - t0 < limitMs) {
      const exit = proc.child.exitInfo;
      if (exit) {
        throw new Error(
          `exited (${exit.error ?? exit.signal ?? exit.code}) before two workers answered:\n` +
            proc.output().slice(-1500),
        );
      }
      polls++;
      try {
        const answer = await getOnce(port, 2000);
        if (answer.status !== 200) throw new Error(`status ${answer.status}`);
        const id = answer.body;
        const ms = performance.now() - t0;
        result.firstMs ??= ms;
        ids.add(id);
        if (ids.size >= 2) {
          result.bothMs = ms;
          break;
        }
      } catch {
        // not listening yet
      }
      await sleep(POLL_MS);
    }
    result.polls = polls;
    if (result.firstMs === undefined) throw new Error(`no answer within ${limitMs} ms`);
    if (result.bothMs === undefined) result.bothError = `one worker only answered within ${limitMs} ms`;
  } catch (error) {
    result.error = errorText(error);
  } finally {
    result.forcedKill = await stopGroup(proc.pgid);
  }
  return result;
}

export async function benchStartup(runtime, results, { settings, checkDeadline, save }) {
  results.startup ??= [];
  const configs = startupConfigs(runtime);
  const { reps, limitMs } = settings.startup;
  // One untimed start of each command first: Deno's and Bun's caches of transpiled modules are then warm.
  for (const config of configs) {
    checkDeadline(`startup ${runtime} ${config.id} warm-up`);
    const s = await sample(config, limitMs);
    console.log(`  startup ${runtime} warm-up ${config.id.padEnd(10)} ${outcome(s, () => "ok")}`);
  }
  for (let rep = 0; rep < reps; rep++) {
    const order = roundOrder(configs, rep);
    for (const config of order) {
      checkDeadline(`startup ${runtime} ${config.id}`);
      const s = {
        runtime,
        config: config.id,
        label: config.label,
        module: MODULE,
        rep,
        ...(await sample(config, limitMs)),
      };
      results.startup.push(s);
      const f = (x) => (x === undefined ? "-" : x.toFixed(0));
      console.log(
        `  startup ${runtime} #${rep + 1} ${config.id.padEnd(10)} ` +
          outcome(
            s,
            () => `first answer ${f(s.firstMs)} ms, both workers ${f(s.bothMs)} ms (${s.polls} polls)`,
          ),
      );
      save(results);
    }
  }
}
