#!/usr/bin/env node
// unicluster benchmark: HTTP throughput, IPC, fork latency and connection distribution on Node, Bun and Deno,
// against each runtime's own node:cluster, child_process IPC, hand-written SO_REUSEPORT servers and (Deno)
// `deno serve --parallel`. Writes bench/RESULTS.md and bench/results.svg; raw data goes to bench/out/.
//
//   node bench/run.mjs                    full run (about 18 minutes on a 2-core machine)
//   node bench/run.mjs --quick            smoke run: 1 repetition, 2 s wrk runs, small IPC counts (~3 minutes)
//   node bench/run.mjs --runtimes bun,deno --parts http,ipc
//   node bench/run.mjs --report bench/out/results.json    only rewrite RESULTS.md and results.svg
//
// Parts: http (throughput), ipc, fork (fork latency), dist (distribution), twowrites (a response in two writes).
// Only a full run (all parts, all runtimes, not --quick) writes bench/RESULTS.md and bench/results.svg; partial and
// quick runs write them into the output directory (bench/out/) instead.
//
// Options: --reps N (4), --duration S (5), --warmup S (2), --threads N (2), --connections N (50),
//          --forks N (10 per block, 2 blocks), --dist N (1000), --max-minutes M (40), --out DIR.
//
// Runs under Node 20 or later with no dependency. Runtimes come from node_modules/.bin (npm devDependencies):
// node (24), bun, deno. wrk is installed with apt-get if missing (root). All load goes to 127.0.0.1.
// Every server runs in its own process group and is killed (SIGTERM, then SIGKILL) after its measurement, and
// every group still alive is killed when this script ends, fails or is interrupted. NODE_EXTRA_CA_CERTS is removed
// from the environment of every process under test (it adds ~100 ms to each Node start on these machines).

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { writeReport } from "./report.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH, "..");
const BIN = join(ROOT, "node_modules", ".bin");

// ---------------------------------------------------------------------------------------------------------------
// Options

const { values: opt } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    reps: { type: "string" },
    duration: { type: "string" },
    warmup: { type: "string" },
    threads: { type: "string" },
    connections: { type: "string" },
    forks: { type: "string" },
    dist: { type: "string" },
    runtimes: { type: "string", default: "node,bun,deno" },
    parts: { type: "string", default: "http,ipc,fork,dist,twowrites" },
    "max-minutes": { type: "string", default: "40" },
    out: { type: "string", default: join(BENCH, "out") },
    report: { type: "string" },
    help: { type: "boolean", default: false },
  },
});

if (opt.help) {
  const text = readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n");
  console.log(
    text.slice(1, text.findIndex((line) => line.startsWith("import"))).join("\n").replace(/^\/\/ ?/gm, ""),
  );
  process.exit(0);
}

/** Writes RESULTS.md and results.svg, then formats RESULTS.md with deno fmt (the repo's fmt gate covers bench/). */
function report(data, dir = BENCH) {
  writeReport(data, dir);
  const deno = join(BIN, "deno");
  if (existsSync(deno)) spawnSync(deno, ["fmt", join(dir, "RESULTS.md")], { cwd: ROOT, stdio: "ignore" });
}

/** The library's state: commit, and how many files differ from it. */
function gitState() {
  const git = (args) => spawnSync("git", args, { cwd: ROOT, encoding: "utf8" }).stdout?.trim() ?? "";
  const commit = git(["rev-parse", "--short", "HEAD"]);
  const dirty =
    git(["status", "--porcelain", "--", "mod.ts", "src", "adapters"]).split("\n").filter(Boolean).length;
  return commit
    ? `commit ${commit}${dirty ? ` + ${dirty} changed files in mod.ts/src/adapters` : ""}`
    : "unknown";
}

if (opt.report) {
  const data = JSON.parse(readFileSync(opt.report, "utf8"));
  report(data);
  console.log(`wrote ${join(BENCH, "RESULTS.md")} and ${join(BENCH, "results.svg")} from ${opt.report}`);
  process.exit(0);
}

const quick = opt.quick;
const num = (value, fallback) => (value === undefined ? fallback : Number(value));
const settings = {
  reps: num(opt.reps, quick ? 1 : 4),
  duration: num(opt.duration, quick ? 2 : 5),
  warmup: num(opt.warmup, quick ? 1 : 2),
  threads: num(opt.threads, 2),
  connections: num(opt.connections, 50),
  forks: num(opt.forks, quick ? 4 : 10),
  dist: num(opt.dist, quick ? 200 : 1000),
  ipc: quick
    ? { roundTrips: 5_000, oneWay: 20_000, big: 5 }
    : { roundTrips: 20_000, oneWay: 100_000, big: 10 },
  ipcReps: quick ? 1 : 5,
  runtimes: opt.runtimes.split(",").filter(Boolean),
  parts: opt.parts.split(",").filter(Boolean),
};
const deadline = Date.now() + Number(opt["max-minutes"]) * 60_000;
const OUT = resolve(opt.out);
mkdirSync(OUT, { recursive: true });

// ---------------------------------------------------------------------------------------------------------------
// Process groups: every process started here leads its own group, and every group is killed at the end.

const groups = new Set();

function killGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // gone already
  }
}

function killAll() {
  for (const pgid of groups) killGroup(pgid, "SIGKILL");
  groups.clear();
}

process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    console.error(`\n${signal}: killing ${groups.size} process group(s) and stopping`);
    killAll();
    process.exit(130);
  });
}
process.on("uncaughtException", (error) => {
  console.error(error);
  killAll();
  process.exit(1);
});

/** Live (not zombie) processes of a process group, from /proc: [{ pid, comm, state, cpuTicks }]. */
function groupProcesses(pgid) {
  const found = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const rest = stat.slice(close + 2).split(" ");
    if (Number(rest[2]) !== pgid || rest[0] === "Z" || rest[0] === "X") continue;
    found.push({ pid: Number(name), comm, state: rest[0], cpuTicks: Number(rest[11]) + Number(rest[12]) });
  }
  return found;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Stops a process group: SIGTERM, then SIGKILL after 3 s. Returns true if SIGKILL was needed. */
async function stopGroup(pgid) {
  killGroup(pgid, "SIGTERM");
  let forced = false;
  for (let i = 0; i < 50; i++) {
    if (groupProcesses(pgid).length === 0) break;
    if (i === 30) {
      forced = true;
      killGroup(pgid, "SIGKILL");
    }
    await sleep(100);
  }
  if (groupProcesses(pgid).length > 0) throw new Error(`process group ${pgid} survived SIGKILL`);
  groups.delete(pgid);
  return forced;
}

/** The environment of every process under test. */
function benchEnv(extra = {}) {
  const env = { ...process.env, NO_COLOR: "1", ...extra };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.FORCE_COLOR;
  delete env.NODE_OPTIONS;
  env.PATH = `${BIN}:${env.PATH ?? ""}`;
  return env;
}

/**
 * Starts a command in its own process group. Resolves with { child, pgid, output() } once a line of its output
 * matches `ready`, rejects if it exits first or after `timeoutMs`.
 */
function startGroup(cmd, args, { env, ready, timeoutMs = 30_000 }) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const pgid = child.pid;
    if (pgid !== undefined) groups.add(pgid);
    let log = "";
    let done = false;
    const output = () => log;
    const onData = (chunk) => {
      log += chunk;
      if (log.length > 200_000) log = log.slice(-100_000);
      if (!done && ready && ready.test(log)) {
        done = true;
        clearTimeout(timer);
        resolvePromise({ child, pgid, output, readyLine: log.match(ready)[0] });
      }
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.stderr.setEncoding("utf8").on("data", onData);
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      reject(
        new Error(`${cmd} ${args.join(" ")}: not ready after ${timeoutMs} ms; output:\n${log.slice(-2000)}`),
      );
    }, timeoutMs);
    child.on("error", (error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(error);
    });
    child.on("exit", (code, signal) => {
      child.exitInfo = { code, signal };
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (!ready) resolvePromise({ child, pgid, output, code, signal });
      else {reject(
          new Error(`${cmd} ${args.join(" ")} exited (${signal ?? code}) before ready:\n${log.slice(-2000)}`),
        );}
    });
  });
}

/** Runs a command to completion in its own group (killed after `timeoutMs`); resolves with { code, signal, output }. */
function runGroup(cmd, args, { env, timeoutMs }) {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const pgid = child.pid;
    if (pgid !== undefined) groups.add(pgid);
    let log = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (c) => log += c);
    child.stderr.setEncoding("utf8").on("data", (c) => log += c);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(pgid, "SIGKILL");
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolvePromise({ code: -1, signal: null, output: String(error), timedOut });
    });
    child.on("close", async (code, signal) => {
      clearTimeout(timer);
      // Reap whatever the command left behind in its group (it should leave nothing).
      const left = groupProcesses(pgid);
      if (left.length > 0) await stopGroup(pgid).catch(() => {});
      groups.delete(pgid);
      resolvePromise({ code, signal, output: log, timedOut, leftBehind: left.map((p) => p.comm) });
    });
  });
}

function checkDeadline(what) {
  if (Date.now() > deadline) {
    throw new Error(`time limit (--max-minutes ${opt["max-minutes"]}) reached before ${what}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Runtimes and machine

function binary(name) {
  const local = join(BIN, name);
  if (existsSync(local)) return local;
  const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).stdout.trim();
  if (found) return found;
  throw new Error(`${name} not found: run npm ci first (it is a devDependency)`);
}

const RUNTIMES = {
  node: { name: "Node", bin: () => binary("node"), run: (file) => [binary("node"), [file]] },
  bun: { name: "Bun", bin: () => binary("bun"), run: (file) => [binary("bun"), [file]] },
  deno: { name: "Deno", bin: () => binary("deno"), run: (file) => [binary("deno"), ["run", "-A", file]] },
};

function version(runtime) {
  const r = spawnSync(RUNTIMES[runtime].bin(), ["--version"], { encoding: "utf8", env: benchEnv() });
  return (r.stdout || r.stderr).split("\n")[0].trim();
}

function machine() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const model = cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? os.cpus()[0]?.model ?? "unknown";
  return {
    nproc: Number(spawnSync("nproc", { encoding: "utf8" }).stdout.trim()) || os.cpus().length,
    cpuModel: model.trim(),
    kernel: os.release(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadavgAtStart: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
}

function ensureWrk() {
  const has = () => spawnSync("sh", ["-c", "command -v wrk"], { encoding: "utf8" }).stdout.trim();
  if (has()) return has();
  console.log("wrk not found: installing it with apt-get (Debian package)");
  const apt = (args) =>
    spawnSync("apt-get", args, {
      stdio: "inherit",
      timeout: 300_000,
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  if (apt(["update"]).status !== 0) throw new Error("apt-get update failed");
  if (apt(["install", "-y", "wrk"]).status !== 0) throw new Error("apt-get install -y wrk failed");
  if (!has()) throw new Error("wrk still missing after apt-get install");
  return has();
}

// ---------------------------------------------------------------------------------------------------------------
// Ports, CPU accounting, wrk

let nextPort = 20100;

function portFree(port) {
  return new Promise((r) => {
    const server = net.createServer();
    server.once("error", () => r(false));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => r(true)));
  });
}

async function freshPort() {
  for (let i = 0; i < 200; i++) {
    const port = nextPort++;
    if (nextPort > 29000) nextPort = 20100;
    if (await portFree(port)) return port;
  }
  throw new Error("no free port in 20100-29000");
}

function cpuStat() {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  return { total: f.reduce((a, b) => a + b, 0), idle: f[3] + f[4], steal: f[7] ?? 0 };
}

function groupCpu(pgid) {
  return new Map(groupProcesses(pgid).map((p) => [p.pid, p]));
}

/** CPU used by each process of the group between two snapshots, as % of one core over `seconds`. */
function cpuSplit(before, after, leader, seconds) {
  let primary = 0;
  let others = 0;
  for (const [pid, p] of after) {
    const ticks = p.cpuTicks - (before.get(pid)?.cpuTicks ?? 0);
    if (pid === leader) primary += ticks;
    else others += ticks;
  }
  const pct = (ticks) => Number((ticks / 100 / seconds * 100).toFixed(1));
  return { primary: pct(primary), workers: pct(others) };
}

/**
 * TCP sockets on `port` held by each process of the group, from /proc/net/tcp{,6} and each process's fds:
 * `connections`, the established connections per process (largest first: how keep-alive connections were spread
 * over the workers), and `listeners`, the listening sockets held by the primary (the group leader) and by the
 * workers (who accepts: the primary for round-robin, each worker for SO_REUSEPORT).
 */
function socketsOnPort(pgid, port) {
  const established = new Set();
  const listening = new Set();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || parseInt(f[1].split(":")[1], 16) !== port) continue;
      if (f[3] === "01") established.add(f[9]);
      else if (f[3] === "0A") listening.add(f[9]);
    }
  }
  const connections = [];
  const listeners = { primary: 0, workers: 0 };
  for (const { pid } of groupProcesses(pgid)) {
    let n = 0;
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          const m = readlinkSync(`/proc/${pid}/fd/${fd}`).match(/^socket:\[(\d+)\]$/);
          if (m && established.has(m[1])) n++;
          if (m && listening.has(m[1])) listeners[pid === pgid ? "primary" : "workers"]++;
        } catch {
          // fd closed meanwhile
        }
      }
    } catch {
      continue;
    }
    if (n > 0) connections.push(n);
  }
  return { connections: connections.sort((a, b) => b - a), listeners };
}

function toMs(value, unit) {
  return Number(value) * ({ us: 0.001, ms: 1, s: 1000, m: 60000 }[unit] ?? 1);
}

function wrk(port, { duration, close }) {
  return wrkRun(port, { duration, close, threads: settings.threads, connections: settings.connections });
}

async function wrkRun(port, { duration, close, threads, connections }) {
  const args = [
    "-t",
    String(threads),
    "-c",
    String(connections),
    "-d",
    `${duration}s`,
    "--latency",
  ];
  if (close) args.push("-H", "Connection: close");
  args.push(`http://127.0.0.1:${port}/`);
  const r = await runGroup("wrk", args, { env: benchEnv(), timeoutMs: (duration + 20) * 1000 });
  const out = r.output;
  const m = out.match(/(\d+) requests in ([\d.]+)(us|ms|s|m),/);
  if (r.code !== 0 || !m) throw new Error(`wrk failed (${r.signal ?? r.code}):\n${out.slice(-1500)}`);
  const requests = Number(m[1]);
  const seconds = toMs(m[2], m[3]) / 1000;
  const errors = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const non2xx = Number(out.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
  const lat = (p) => {
    const x = out.match(new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)`, "m"));
    return x ? Number(toMs(x[1], x[2]).toFixed(3)) : null;
  };
  return {
    rps: (requests - non2xx) / seconds,
    requests,
    seconds,
    non2xx,
    errors: errors ? { connect: +errors[1], read: +errors[2], write: +errors[3], timeout: +errors[4] } : null,
    p50ms: lat(50),
    p99ms: lat(99),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The configurations

/**
 * HTTP servers under test, per runtime, in the order they run (reversed every other repetition): each target's
 * pair of configurations sits side by side, so the two runs of a comparison are adjacent in time.
 * `kind` colours the chart.
 */
function httpConfigs(runtime) {
  const run = RUNTIMES[runtime].run;
  const ready = /READY \d+[^\n]*/;
  const reuseport = { NODE_CLUSTER_SCHED_POLICY: "reuseport" };
  const c = (id, kind, label, file, env) => ({ id, kind, label, file, env });
  const list = {
    node: [
      c(
        "uc-http-reuseport",
        "uc-http",
        "unicluster, node:http, SCHED_REUSEPORT",
        "unicluster_http.ts",
        reuseport,
      ),
      c("uc-http", "uc-http", "unicluster, node:http", "unicluster_http.ts"),
      c("nc-http", "nc-http", "node:cluster, node:http", "node_cluster_http.mjs"),
      c("single", "single", "single process, node:http", "single_native.ts"),
    ],
    bun: [
      c("reuseport", "reuseport", "hand-written Bun.spawn + Bun.serve reusePort", "reuseport_bun.ts"),
      c("uc-native", "uc-native", "unicluster, Bun.serve", "unicluster_native.ts"),
      c("nc-http", "nc-http", "Bun node:cluster, node:http", "node_cluster_http.mjs"),
      c("uc-http", "uc-http", "unicluster, node:http", "unicluster_http.ts"),
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
      c("nc-http", "nc-http", "Deno node:cluster, node:http", "node_cluster_http.mjs"),
      c("uc-http", "uc-http", "unicluster, node:http", "unicluster_http.ts"),
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

async function startServer(config, port, reply) {
  const [cmd, args] = config.command(port);
  const env = benchEnv({ BENCH_PORT: String(port), BENCH_WORKERS: "2", BENCH_REPLY: reply, ...config.env });
  const started = performance.now();
  const handle = await startGroup(cmd, args, { env, ready: config.ready, timeoutMs: 30_000 });
  handle.startMs = performance.now() - started;
  return handle;
}

// ---------------------------------------------------------------------------------------------------------------
// Part 1: HTTP throughput

async function benchHttp(runtime, results) {
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
          sample.error = String(error?.message ?? error).slice(0, 2000);
        } finally {
          if (server) {
            sample.forcedKill = await stopGroup(server.pgid);
            const tail = server.output().trim().split("\n").filter((l) => !/READY|Listening on/.test(l))
              .slice(-5);
            if (tail.length > 0) sample.serverOutput = tail;
          }
        }
        results.http.push(sample);
        const shown = sample.error
          ? `ERROR ${sample.error.split("\n")[0]}`
          : `${
            Math.round(sample.rps)
          } req/s  (p99 ${sample.p99ms} ms, steal ${sample.stealPct}%, primary ${sample.cpu.primary}% / workers ${sample.cpu.workers}% CPU${
            sample.errors?.read ? `, ${sample.errors.read} read errors` : ""
          }${sample.connections ? `, connections ${sample.connections.join("/")}` : ""})`;
        console.log(`  http ${runtime} ${mode.padEnd(9)} #${rep + 1} ${config.id.padEnd(18)} ${shown}`);
        save(results);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Part 2: IPC

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
  return [{ id: "uc", label: "unicluster worker.send (json)", file: "bench/ipc/unicluster_ipc.ts" }, own].map(
    (c) => ({
      ...c,
      command: run(c.file),
    }),
  );
}

async function runResult(cmd, args, env, timeoutMs) {
  const r = await runGroup(cmd, args, { env, timeoutMs });
  const line = r.output.match(/^RESULT (.*)$/m);
  if (!line) {
    throw new Error(
      `${args.join(" ")}: no RESULT (${r.timedOut ? "timed out" : r.signal ?? r.code}):\n${
        r.output.slice(-1500)
      }`,
    );
  }
  return { ...JSON.parse(line[1]), leftBehind: r.leftBehind };
}

async function benchIpc(runtime, results) {
  const configs = ipcConfigs(runtime);
  for (let rep = 0; rep < settings.ipcReps; rep++) {
    const order = rep % 2 === 0 ? configs : [...configs].reverse();
    for (const config of order) {
      checkDeadline(`ipc ${runtime} ${config.id}`);
      const sample = { runtime, config: config.id, label: config.label, rep };
      try {
        const env = benchEnv({ BENCH_IPC_OPTIONS: JSON.stringify(settings.ipc) });
        Object.assign(sample, await runResult(...config.command, env, 180_000));
      } catch (error) {
        sample.error = String(error?.message ?? error).slice(0, 2000);
      }
      results.ipc.push(sample);
      console.log(
        `  ipc ${runtime} #${rep + 1} ${config.id.padEnd(4)} ` +
          (sample.error
            ? `ERROR ${sample.error.split("\n")[0]}`
            : `${Math.round(sample.roundTripsPerSec)} round trips/s, ${
              Math.round(sample.oneWayPerSec)
            } msg/s one way, 1 MiB ${sample.bigMsMedian.toFixed(2)} ms`),
      );
      save(results);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Part 3: fork latency

function forkConfigs(runtime) {
  const run = RUNTIMES[runtime].run;
  const list = [
    { id: "uc-http", label: "unicluster, node:http worker", file: "bench/fork/unicluster_fork.ts" },
    { id: "nc-http", label: "node:cluster, node:http worker", file: "bench/fork/node_cluster_fork.mjs" },
  ];
  if (runtime !== "node") {
    list.push({
      id: "uc-native",
      label: `unicluster, ${runtime === "bun" ? "Bun.serve" : "Deno.serve"} worker`,
      file: "bench/fork/unicluster_fork.ts",
      env: { BENCH_SERVER: "native" },
    });
  }
  return list.map((c) => ({ ...c, command: run(c.file) }));
}

async function benchFork(runtime, results) {
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
        sample.error = String(error?.message ?? error).slice(0, 2000);
      }
      results.fork.push(sample);
      const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]?.toFixed(1);
      console.log(
        `  fork ${runtime} block ${block + 1} ${config.id.padEnd(9)} ` +
          (sample.error
            ? `ERROR ${sample.error.split("\n")[0]}`
            : `online ${med(sample.online)} ms, listening ${med(sample.listening)} ms`),
      );
      save(results);
    }
  }
  // What a worker pays to load unicluster itself (explains fork-to-online): import of mod.ts in a fresh process.
  const variants = [{ id: "mod.ts", spec: "../../mod.ts" }];
  if (existsSync(join(ROOT, "npm", "mod.js")) && runtime !== "deno") {
    variants.push({ id: "npm/mod.js", spec: "../../npm/mod.js" });
  }
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

// ---------------------------------------------------------------------------------------------------------------
// Part 4: distribution of new connections

function distConfigs(runtime) {
  const wanted = {
    node: ["uc-http", "uc-http-reuseport", "nc-http"],
    bun: ["uc-http", "uc-native", "reuseport", "nc-http"],
    deno: ["uc-http", "uc-native", "reuseport", "deno-serve", "nc-http"],
  }[runtime];
  const all = httpConfigs(runtime);
  return wanted.map((id) => all.find((c) => c.id === id));
}

function getOnce(port) {
  return new Promise((resolvePromise, reject) => {
    const req = http.get(
      { host: "127.0.0.1", port, path: "/", agent: false, headers: { connection: "close" }, timeout: 10_000 },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (c) => body += c).on("end", () => resolvePromise(body.trim()));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

async function benchDist(runtime, results) {
  for (const config of distConfigs(runtime)) {
    checkDeadline(`distribution ${runtime} ${config.id}`);
    const sample = { runtime, config: config.id, label: config.label, connections: settings.dist };
    let server;
    try {
      const port = await freshPort();
      server = await startServer(config, port, "id");
      sample.readyLine = server.readyLine;
      const counts = {};
      let errors = 0;
      let next = 0;
      const lane = async () => {
        while (next < settings.dist) {
          next++;
          try {
            const id = await getOnce(port);
            counts[id] = (counts[id] ?? 0) + 1;
          } catch {
            errors++;
          }
        }
      };
      await Promise.all(Array.from({ length: 4 }, lane));
      sample.counts = counts;
      sample.errors = errors;
      const answered = Object.values(counts).reduce((a, b) => a + b, 0);
      sample.busiestShare = answered ? Math.max(...Object.values(counts)) / answered : null;
    } catch (error) {
      sample.error = String(error?.message ?? error).slice(0, 2000);
    } finally {
      if (server) sample.forcedKill = await stopGroup(server.pgid);
    }
    results.dist.push(sample);
    console.log(
      `  dist ${runtime} ${config.id.padEnd(18)} ` +
        (sample.error
          ? `ERROR ${sample.error.split("\n")[0]}`
          : `${JSON.stringify(sample.counts)} busiest ${(sample.busiestShare * 100).toFixed(1)}%${
            sample.errors ? `, ${sample.errors} errors` : ""
          }`),
    );
    save(results);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Part 5: a response written in two parts (does the accepted connection have TCP_NODELAY?)

async function benchTwoWrites(runtime, results) {
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
        sample.error = String(error?.message ?? error).slice(0, 2000);
      } finally {
        if (server) sample.forcedKill = await stopGroup(server.pgid);
      }
      results.twoWrites.push(sample);
      console.log(
        `  two writes ${runtime} #${rep + 1} ${which.padEnd(10)} ` +
          (sample.error
            ? `ERROR ${sample.error.split("\n")[0]}`
            : `${Math.round(sample.rps)} req/s, median latency ${sample.p50ms} ms`),
      );
      save(results);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Main

let rawPath;
function save(results) {
  writeFileSync(rawPath, JSON.stringify(results, null, 1));
}

async function main() {
  const t0 = Date.now();
  const wrkPath = ensureWrk();
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  rawPath = join(OUT, `results-${stamp}.json`);
  const results = {
    started: new Date().toISOString(),
    settings,
    machine: machine(),
    versions: {
      wrk: spawnSync(wrkPath, ["--version"], { encoding: "utf8" }).stdout.split("\n")[0].trim(),
      driver: `Node ${process.version}`,
      unicluster: gitState(),
    },
    notes: {
      nodeExtraCaCerts: process.env.NODE_EXTRA_CA_CERTS !== undefined ? "set" : "not set",
    },
    http: [],
    ipc: [],
    fork: [],
    importCost: [],
    dist: [],
    twoWrites: [],
  };
  results.labels = {};
  results.kinds = {};
  for (const runtime of settings.runtimes) {
    if (!RUNTIMES[runtime]) throw new Error(`unknown runtime ${runtime}`);
    results.versions[runtime] = version(runtime);
    results.labels[runtime] = Object.fromEntries(httpConfigs(runtime).map((c) => [c.id, c.label]));
    results.kinds[runtime] = Object.fromEntries(httpConfigs(runtime).map((c) => [c.id, c.kind]));
  }
  console.log(`unicluster bench: ${JSON.stringify(settings)}`);
  console.log(`machine: ${JSON.stringify(results.machine)}; versions: ${JSON.stringify(results.versions)}`);
  console.log(`raw results: ${rawPath}`);
  const parts = {
    http: benchHttp,
    ipc: benchIpc,
    fork: benchFork,
    dist: benchDist,
    twowrites: benchTwoWrites,
  };
  for (const part of settings.parts) {
    if (!parts[part]) throw new Error(`unknown part ${part}`);
    for (const runtime of settings.runtimes) {
      console.log(`== ${part} on ${RUNTIMES[runtime].name}`);
      await parts[part](runtime, results);
    }
  }
  results.finished = new Date().toISOString();
  const after = gitState();
  if (after !== results.versions.unicluster) {
    results.versions.unicluster += ` at the start; ${after} at the end (the library changed during the run)`;
  }
  results.elapsedSeconds = Math.round((Date.now() - t0) / 1000);
  save(results);
  // Only a full run (every part, every runtime, not --quick) replaces bench/RESULTS.md and bench/results.svg.
  const full = !quick && ["node", "bun", "deno"].every((r) => settings.runtimes.includes(r)) &&
    ["http", "ipc", "fork", "dist", "twowrites"].every((p) => settings.parts.includes(p));
  writeFileSync(join(OUT, full ? "results.json" : "results-partial.json"), JSON.stringify(results, null, 1));
  const dir = full ? BENCH : OUT;
  report(results, dir);
  console.log(
    `done in ${(results.elapsedSeconds / 60).toFixed(1)} min: ${join(dir, "RESULTS.md")}, ${
      join(dir, "results.svg")
    }` +
      (full ? "" : " (a partial or --quick run writes to the output directory, not bench/)"),
  );
}

main().then(
  () => {
    killAll();
    process.exit(0);
  },
  (error) => {
    console.error(error?.stack ?? error);
    killAll();
    process.exit(1);
  },
);
