// Part 1, HTTP throughput: wrk against each HTTP server of a runtime (lib/servers.mjs), with keep-alive and with a
// new connection per request, recording the CPU of the server's processes and who holds the sockets on the port.

import { sleep, stopGroup } from "../lib/groups.mjs";
import { cpuSplit, cpuStat, groupCpu, socketsOnPort } from "../lib/proc.mjs";
import { freshPort, httpConfigs, startServer } from "../lib/servers.mjs";
import { wrkRun } from "../lib/wrk.mjs";
import { errorText, outcome } from "../lib/results.mjs";

export async function benchHttp(runtime, results, { settings, checkDeadline, save }) {
  const wrk = (port, { duration, close }) =>
    wrkRun(port, { duration, close, threads: settings.threads, connections: settings.connections });
  const configs = httpConfigs(runtime);
  for (const mode of ["keepalive", "close"]) {
    for (let rep = 0; rep < settings.reps; rep++) {
      // Forward, then backward: the pairs compared stay adjacent and swap which runs first.
      const order = rep % 2 === 0 ? configs : [...configs].reverse();
      for (const config of order) {
        checkDeadline(`http ${runtime} ${config.id}`);
        const sample = { runtime, config: config.id, mode, rep };
        let server;
        try {
          const port = await freshPort();
          server = await startServer(config, port, "hello");
          sample.startMs = Math.round(server.startMs);
          sample.readyLine = server.readyLine;
          await wrk(port, { duration: settings.warmup, close: mode === "close" });
          const cpuBefore = cpuStat();
          const procBefore = groupCpu(server.pgid);
          const midway = sleep(settings.duration * 500).then(() => socketsOnPort(server.pgid, port));
          const result = await wrk(port, { duration: settings.duration, close: mode === "close" });
          const procAfter = groupCpu(server.pgid);
          const sockets = await midway;
          sample.listeners = sockets.listeners;
          if (mode === "keepalive") sample.connections = sockets.connections;
          const cpuAfter = cpuStat();
          Object.assign(sample, result);
          sample.stealPct = Number(
            ((cpuAfter.steal - cpuBefore.steal) / (cpuAfter.total - cpuBefore.total) * 100).toFixed(1),
          );
          sample.idlePct = Number(
            ((cpuAfter.idle - cpuBefore.idle) / (cpuAfter.total - cpuBefore.total) * 100).toFixed(1),
          );
          sample.cpu = cpuSplit(procBefore, procAfter, server.pgid, result.seconds);
          sample.processes = procAfter.size;
          if (server.child.exitInfo) {
            throw new Error(`server exited during the run: ${JSON.stringify(server.child.exitInfo)}`);
          }
        } catch (error) {
          sample.error = errorText(error);
        } finally {
          if (server) {
            sample.forcedKill = await stopGroup(server.pgid);
            const tail = server.output().trim().split("\n").filter((l) => !/READY|Listening on/.test(l))
              .slice(-5);
            if (tail.length > 0) sample.serverOutput = tail;
          }
        }
        results.http.push(sample);
        const shown = outcome(
          sample,
          () =>
            `${
              Math.round(sample.rps)
            } req/s  (p99 ${sample.p99ms} ms, steal ${sample.stealPct}%, primary ${sample.cpu.primary}% / workers ${sample.cpu.workers}% CPU${
              sample.errors?.read ? `, ${sample.errors.read} read errors` : ""
            }${sample.connections ? `, connections ${sample.connections.join("/")}` : ""})`,
        );
        console.log(`  http ${runtime} ${mode.padEnd(9)} #${rep + 1} ${config.id.padEnd(18)} ${shown}`);
        save(results);
      }
    }
  }
}
