// The scaling measurement, shared by unicluster (unicluster_scale.mjs) and the runtime's own node:cluster
// (node_cluster_scale.mjs): the entry file passes its cluster object to `scale()`, which runs as the primary or
// as a worker. The primary forks BENCH_WORKERS node:http workers on one port of 127.0.0.1 and measures:
//   listeningMs        from the first fork() to every worker's `listening`
//   primaryCpuMs       the primary's CPU time (user + sys, process.cpuUsage) over that start-up
//   primaryRssKiB      the primary's VmRSS once every worker listens (/proc/self/status)
//   workerRssKiB       the workers' mean VmRSS at the same moment (/proc/<pid>/status)
//   workerCpuMs        the workers' mean CPU time (user + sys) from their start to that moment (/proc/<pid>/stat)
//   broadcastMs        one message sent to every worker, answered by each: time until the last answer, for
//                      BENCH_ROUNDS rounds after one untimed round
// Each phase has its own time limit; a phase that fails or times out leaves its error in `errors` and the
// figures measured before it stand. The primary prints one "RESULT {json}" line and then stays up, its workers
// still serving (each answers with its cluster worker id), until the benchmark kills its process group.
// Env: BENCH_PORT, BENCH_WORKERS (2), BENCH_ROUNDS (5).

import http from "node:http";
import { readFileSync } from "node:fs";
import process from "node:process";

/** VmRSS of a process in KiB, from /proc/<pid>/status. */
function rssKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = status.match(/^VmRSS:\s+(\d+) kB/m);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}

/** CPU time (user + sys) of a process in ms, from /proc/<pid>/stat (clock ticks of 10 ms). */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Resolves with `promise`, or rejects after `ms` with an error naming `what`. */
function within(promise, ms, what) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** Forks `count` workers; resolves once each has emitted `listening`, rejects if one exits before. */
function forkAll(cluster, count) {
  return new Promise((resolve, reject) => {
    const listening = new Set();
    const workers = [];
    for (let i = 0; i < count; i++) {
      const worker = cluster.fork();
      workers.push(worker);
      worker.once("listening", () => {
        listening.add(worker.id);
        if (listening.size === count) resolve(workers);
      });
      worker.once("exit", (code, signal) => {
        if (!listening.has(worker.id)) {
          reject(new Error(`worker ${worker.id} exited (${signal ?? code}) before listening`));
        }
      });
      worker.on("error", (error) => reject(new Error(`worker ${worker.id}: ${error?.message ?? error}`)));
    }
  });
}

/** One broadcast round: sends { ping: round } to every worker, resolves with the ms until the last pong. */
function broadcast(workers, round) {
  return new Promise((resolve) => {
    let answers = 0;
    const t0 = performance.now();
    for (const worker of workers) {
      const onMessage = (message) => {
        if (message?.pong !== round) return;
        worker.off("message", onMessage);
        if (++answers === workers.length) resolve(performance.now() - t0);
      };
      worker.on("message", onMessage);
      worker.send({ ping: round });
    }
  });
}

async function primary(cluster) {
  const count = Number(process.env.BENCH_WORKERS ?? 2);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const result = { workers: count, errors: {} };
  let workers;
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    workers = await within(forkAll(cluster, count), 20_000 + 1_500 * count, "all workers listening");
    result.listeningMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    result.primaryCpuMs = (cpu.user + cpu.system) / 1000;
    result.primaryRssKiB = rssKiB(process.pid);
  } catch (error) {
    result.errors.listening = String(error?.message ?? error);
  }
  if (workers) {
    try {
      const pids = workers.map((w) => {
        if (!w.process?.pid) throw new Error("worker.process.pid is not set");
        return w.process.pid;
      });
      const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
      result.workerRssKiB = mean(pids.map(rssKiB));
      result.workerCpuMs = mean(pids.map(cpuMs));
    } catch (error) {
      result.errors.workers = String(error?.message ?? error);
    }
    try {
      result.broadcastMs = [];
      for (let round = 0; round <= rounds; round++) {
        const ms = await within(broadcast(workers, round), 10_000, `broadcast round ${round}`);
        if (round > 0) result.broadcastMs.push(ms);
      }
    } catch (error) {
      result.errors.broadcast = String(error?.message ?? error);
    }
  }
  console.log(`RESULT ${JSON.stringify(result)}`);
  // Stay up, workers serving, until the benchmark kills the process group.
  setInterval(() => {}, 60_000);
}

function worker(cluster) {
  const port = Number(process.env.BENCH_PORT ?? 8000);
  const id = String(cluster.worker.id);
  http.createServer((_req, res) => res.end(id)).listen(port, "127.0.0.1");
  process.on("message", (message) => {
    if (message && typeof message.ping === "number") process.send({ pong: message.ping });
  });
}

/** Runs the measurement as the primary, or serves as a worker, with `cluster` (unicluster or node:cluster). */
export function scale(cluster) {
  if (cluster.isPrimary) {
    primary(cluster).catch((error) => {
      console.error(error);
      process.exit(1);
    });
  } else worker(cluster);
}
