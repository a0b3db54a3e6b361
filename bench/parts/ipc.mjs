// Part 2, IPC between a primary and one worker: unicluster's worker.send against the runtime's own IPC (the
// scripts in bench/ipc/ print one RESULT line), runs of the two alternated. On Node and Bun unicluster runs from
// the npm build (what `npm install` and `bun add` give), on Deno from its sources (what `deno add` gives).

import { runResult } from "../lib/groups.mjs";
import { npmModuleUrl } from "../lib/npm_build.mjs";
import { benchEnv, RUNTIMES } from "../lib/runtimes.mjs";
import { errorText, outcome } from "../lib/results.mjs";

function ipcConfigs(runtime) {
  const run = RUNTIMES[runtime].run;
  const own = {
    node: { id: "own", label: "child_process.fork (json)", file: "bench/ipc/child_process_ipc.mjs" },
    bun: { id: "own", label: "Bun.spawn ipc (json)", file: "bench/ipc/bun_spawn_ipc.ts" },
    deno: {
      id: "own",
      label: "Deno node:child_process.fork (json)",
      file: "bench/ipc/child_process_ipc.mjs",
    },
  }[runtime];
  const uc = runtime === "deno"
    ? { label: "unicluster worker.send (json, sources)", env: {} }
    : { label: "unicluster worker.send (json, npm build)", env: { BENCH_MODULE: npmModuleUrl(runtime) } };
  return [{ id: "uc", file: "bench/ipc/unicluster_ipc.mjs", ...uc }, { ...own, env: {} }].map((c) => ({
    ...c,
    command: run(c.file),
  }));
}

export async function benchIpc(runtime, results, { settings, checkDeadline, save }) {
  const configs = ipcConfigs(runtime);
  for (let rep = 0; rep < settings.ipcReps; rep++) {
    const order = rep % 2 === 0 ? configs : [...configs].reverse();
    for (const config of order) {
      checkDeadline(`ipc ${runtime} ${config.id}`);
      const sample = { runtime, config: config.id, label: config.label, rep };
      try {
        const env = benchEnv({ BENCH_IPC_OPTIONS: JSON.stringify(settings.ipc), ...config.env });
        Object.assign(sample, await runResult(...config.command, env, 180_000));
      } catch (error) {
        sample.error = errorText(error);
      }
      results.ipc.push(sample);
      console.log(
        `  ipc ${runtime} #${rep + 1} ${config.id.padEnd(4)} ` +
          outcome(
            sample,
            () =>
              `${Math.round(sample.roundTripsPerSec)} round trips/s, ${
                Math.round(sample.oneWayPerSec)
              } msg/s one way, 1 MiB ${sample.bigMsMedian.toFixed(2)} ms`,
          ),
      );
      save(results);
    }
  }
}
