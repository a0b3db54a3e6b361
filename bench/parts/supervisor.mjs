// Part 6, the supervisor's cost: wrk keep-alive against the same 2 workers run by the plain cluster API and by
// supervise() with heartbeats every second, alternated; then rolling reloads (SIGHUP) of the supervised workers,
// timed by the primary, first with no load and then while wrk sends requests, counting the requests that failed.

import process from "node:process";
import { sleep, stopGroup } from "../lib/groups.mjs";
import { RUNTIMES } from "../lib/runtimes.mjs";
import { freshPort, startServer } from "../lib/servers.mjs";
import { wrkRun } from "../lib/wrk.mjs";
import { errorText, outcome } from "../lib/results.mjs";

const READY = /READY \d+[^\n]*/;

/** The pairs compared on a runtime: a plain unicluster server and the same server under the supervisor. */
function supervisorConfigs(runtime) {
  const run = RUNTIMES[runtime].run;
  const servers = runtime === "node" ? ["http"] : ["http", "native"];
  return servers.flatMap((server) => {
    const name = server === "http" ? "node:http" : runtime === "bun" ? "Bun.serve" : "Deno.serve";
    const env = { BENCH_SERVER: server };
    return [
      {
        id: `plain-${server}`,
        server,
        label: `unicluster, ${name}`,
        env,
        ready: READY,
        // The sources, as supervised_http.ts loads them: the two sides of the comparison load the same files.
        command: () =>
          run(server === "http" ? "bench/servers/cluster_http.mjs" : "bench/servers/unicluster_native.ts"),
      },
      {
        id: `supervised-${server}`,
        server,
        label: `supervise(), ${name}, heartbeats every 1 s`,
        env,
        ready: READY,
        command: () => run("bench/servers/supervised_http.ts"),
      },
    ];
  });
}

/** Sends SIGHUP to the supervised primary and waits for its `RELOADED <ms>` line; resolves with the ms. */
async function reloadOnce(server, timeoutMs = 60_000) {
  const before = server.output().match(/^RELOAD(ED| FAILED).*$/gm)?.length ?? 0;
  process.kill(server.child.pid, "SIGHUP");
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const lines = server.output().match(/^RELOAD(ED| FAILED).*$/gm) ?? [];
    if (lines.length > before) {
      const line = lines[before];
      if (line.startsWith("RELOAD FAILED")) throw new Error(line);
      return Number(line.split(" ")[1]);
    }
    await sleep(20);
  }
  throw new Error(`no reload finished within ${timeoutMs} ms`);
}

async function throughput(runtime, results, { settings, checkDeadline, save }) {
  const configs = supervisorConfigs(runtime);
  for (let rep = 0; rep < settings.reps; rep++) {
    const order = rep % 2 === 0 ? configs : [...configs].reverse();
    for (const config of order) {
      checkDeadline(`supervisor ${runtime} ${config.id}`);
      const sample = { runtime, config: config.id, label: config.label, server: config.server, rep };
      let server;
      try {
        const port = await freshPort();
        server = await startServer(config, port, "hello");
        sample.readyLine = server.readyLine;
        const wrk = (duration) =>
          wrkRun(port, { duration, threads: settings.threads, connections: settings.connections });
        await wrk(settings.warmup);
        Object.assign(sample, await wrk(settings.duration));
      } catch (error) {
        sample.error = errorText(error);
      } finally {
        if (server) sample.forcedKill = await stopGroup(server.pgid);
      }
      results.supervisor.push(sample);
      console.log(
        `  supervisor ${runtime} #${rep + 1} ${config.id.padEnd(17)} ` +
          outcome(sample, () => `${Math.round(sample.rps)} req/s (p99 ${sample.p99ms} ms)`),
      );
      save(results);
    }
  }
}

async function reloads(runtime, results, { settings, checkDeadline, save }) {
  const count = settings.reloads;
  for (const config of supervisorConfigs(runtime).filter((c) => c.id.startsWith("supervised"))) {
    checkDeadline(`reload ${runtime} ${config.id}`);
    const sample = { runtime, config: config.id, label: config.label, server: config.server };
    let server;
    try {
      const port = await freshPort();
      server = await startServer(config, port, "hello");
      sample.idleMs = [];
      for (let i = 0; i < count; i++) sample.idleMs.push(await reloadOnce(server));
      // Under load: wrk runs long enough for the reloads, which start after a second of traffic.
      const duration = Math.max(settings.duration, 2 + count * 3);
      const load = wrkRun(port, { duration, threads: settings.threads, connections: settings.connections });
      await sleep(1000);
      sample.loadedMs = [];
      for (let i = 0; i < count; i++) sample.loadedMs.push(await reloadOnce(server));
      const result = await load;
      sample.rps = result.rps;
      sample.requests = result.requests;
      sample.non2xx = result.non2xx;
      sample.errors = result.errors;
      sample.failed = result.non2xx + Object.values(result.errors ?? {}).reduce((a, b) => a + b, 0);
    } catch (error) {
      sample.error = errorText(error);
    } finally {
      if (server) sample.forcedKill = await stopGroup(server.pgid);
    }
    results.supervisorReload.push(sample);
    console.log(
      `  reload ${runtime} ${config.id.padEnd(17)} ` +
        outcome(
          sample,
          () =>
            `idle ${sample.idleMs.join("/")} ms, under load ${sample.loadedMs.join("/")} ms, ` +
            `${sample.failed} of ${sample.requests} requests failed`,
        ),
    );
    save(results);
  }
}

export async function benchSupervisor(runtime, results, context) {
  results.supervisor ??= [];
  results.supervisorReload ??= [];
  await throughput(runtime, results, context);
  await reloads(runtime, results, context);
}
