// Part 5, a response written in two parts (does the accepted connection have TCP_NODELAY?): wrk against
// bench/servers/two_writes.ts clustered by unicluster and by the runtime's own node:cluster, alternated.

import { startGroup, stopGroup } from "../lib/groups.mjs";
import { benchEnv, RUNTIMES } from "../lib/runtimes.mjs";
import { freshPort } from "../lib/servers.mjs";
import { wrkRun } from "../lib/wrk.mjs";
import { errorText, outcome } from "../lib/results.mjs";

export async function benchTwoWrites(runtime, results, { checkDeadline, save }) {
  const [cmd, args] = RUNTIMES[runtime].run("bench/servers/two_writes.ts");
  for (let rep = 0; rep < 2; rep++) {
    const order = rep === 0 ? ["unicluster", "node"] : ["node", "unicluster"];
    for (const which of order) {
      checkDeadline(`two writes ${runtime} ${which}`);
      const sample = { runtime, cluster: which, rep };
      let server;
      try {
        const port = await freshPort();
        const env = benchEnv({ BENCH_PORT: String(port), BENCH_CLUSTER: which });
        server = await startGroup(cmd, args, { env, ready: /READY \d+[^\n]*/, timeoutMs: 30_000 });
        sample.readyLine = server.readyLine;
        const run = (duration) => wrkRun(port, { duration, threads: 1, connections: 4 });
        await run(1);
        Object.assign(sample, await run(3));
      } catch (error) {
        sample.error = errorText(error);
      } finally {
        if (server) sample.forcedKill = await stopGroup(server.pgid);
      }
      results.twoWrites.push(sample);
      console.log(
        `  two writes ${runtime} #${rep + 1} ${which.padEnd(10)} ` +
          outcome(sample, () => `${Math.round(sample.rps)} req/s, median latency ${sample.p50ms} ms`),
      );
      save(results);
    }
  }
}
