// Part 3, fork latency: time from fork() to the worker's `online` and `listening` (bench/fork/), unicluster
// against the runtime's own node:cluster, in two blocks run in opposite orders; then what importing unicluster
// costs a fresh process. unicluster runs twice: from its TypeScript sources (what `deno add` and a clone give) and
// from the npm build (what `npm install`, `bun add` and `deno add npm:unicluster` give), built here into
// .tmp/bench-npm (bench/lib/npm_build.mjs).

import { runResult } from "../lib/groups.mjs";
import { npmModuleUrl } from "../lib/npm_build.mjs";
import { benchEnv, RUNTIMES } from "../lib/runtimes.mjs";
import { freshPort } from "../lib/servers.mjs";
import { errorText, outcome } from "../lib/results.mjs";

function forkConfigs(runtime) {
  const run = RUNTIMES[runtime].run;
  const file = "bench/fork/cluster_fork.mjs";
  const native = runtime === "bun" ? "Bun.serve" : "Deno.serve";
  const npm = { BENCH_MODULE: npmModuleUrl(runtime) };
  const list = [
    { id: "uc-http", label: "unicluster (sources), node:http worker", file },
    { id: "nc-http", label: "node:cluster, node:http worker", file, env: { BENCH_MODULE: "node:cluster" } },
  ];
  list.push({ id: "uc-http-npm", label: "unicluster (npm build), node:http worker", file, env: npm });
  if (runtime !== "node") {
    list.push({
      id: "uc-native",
      label: `unicluster (sources), ${native} worker`,
      file,
      env: { BENCH_SERVER: "native" },
    });
    list.push({
      id: "uc-native-npm",
      label: `unicluster (npm build), ${native} worker`,
      file,
      env: { BENCH_SERVER: "native", ...npm },
    });
  }
  return list.map((c) => ({ ...c, command: run(c.file) }));
}

export async function benchFork(runtime, results, { settings, checkDeadline, save }) {
  const configs = forkConfigs(runtime);
  for (let block = 0; block < 2; block++) {
    const order = block === 0 ? configs : [...configs].reverse();
    for (const config of order) {
      checkDeadline(`fork ${runtime} ${config.id}`);
      const sample = { runtime, config: config.id, label: config.label, block };
      try {
        const port = await freshPort();
        const env = benchEnv({
          BENCH_PORT: String(port),
          BENCH_FORKS: String(settings.forks),
          ...config.env,
        });
        Object.assign(sample, await runResult(...config.command, env, 120_000));
      } catch (error) {
        sample.error = errorText(error);
      }
      results.fork.push(sample);
      const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]?.toFixed(1);
      console.log(
        `  fork ${runtime} block ${block + 1} ${config.id.padEnd(9)} ` +
          outcome(sample, () => `online ${med(sample.online)} ms, listening ${med(sample.listening)} ms`),
      );
      save(results);
    }
  }
  // What a worker pays to load unicluster itself (explains fork-to-online): import of mod.ts in a fresh process.
  const variants = [{ id: "mod.ts", spec: "../../mod.ts" }, {
    id: "npm build",
    spec: npmModuleUrl(runtime),
  }];
  for (const variant of variants) {
    const times = [];
    for (let i = 0; i < 5; i++) {
      try {
        const r = await runResult(
          ...RUNTIMES[runtime].run("bench/fork/import_cost.mjs"),
          benchEnv({ BENCH_IMPORT: variant.spec }),
          60_000,
        );
        times.push(r.ms);
      } catch (error) {
        console.log(`  import cost ${runtime} ${variant.id}: ${String(error).split("\n")[0]}`);
      }
    }
    results.importCost.push({ runtime, module: variant.id, ms: times });
    console.log(`  import ${runtime} ${variant.id}: ${times.map((t) => t.toFixed(0)).join(", ")} ms`);
  }
  save(results);
}
