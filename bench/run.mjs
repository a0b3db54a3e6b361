#!/usr/bin/env node
// unicluster benchmark: HTTP throughput, IPC, fork latency, connection distribution, the cost of each added worker
// and the command line's start-up on Node, Bun and Deno, against each runtime's own node:cluster, child_process
// IPC, hand-written SO_REUSEPORT servers and (Deno) `deno serve --parallel`. Writes bench/RESULTS.md,
// bench/results.svg and bench/scaling.svg; raw data goes to bench/out/.
//
//   node bench/run.mjs                    full run (about 30 minutes on a 2-core machine)
//   node bench/run.mjs --quick            smoke run: 1 repetition, 2 s wrk runs, small IPC counts (~4 minutes)
//   node bench/run.mjs --runtimes bun,deno --parts http,ipc
//   node bench/run.mjs --quick --parts scaling            one part (each under a minute; full: ~6 and ~7)
//   node bench/run.mjs --report bench/out/results.json    only rewrite RESULTS.md and the charts
//
// Parts: http (throughput), ipc, fork (fork latency), dist (distribution), twowrites (a response in two writes),
// supervisor (requests/s with and without supervise(), rolling reload duration and failed requests), scaling
// (2, 8, 32 and 64 workers: time to listening, the primary's CPU and memory, memory per worker, a broadcast round
// trip, and at 8 workers how evenly new connections spread; with a control run of node:cluster whose workers load
// unicluster's code), startup (from starting cli.ts -w 2 to the first HTTP
// answer and to answers from both workers, against deno serve --parallel and a hand-written node:cluster). Fork,
// scaling and startup measure unicluster twice: from its sources and from the npm build (built into
// .tmp/bench-npm by bench/lib/npm_build.mjs); http uses the npm build on Node, ipc on Node and Bun.
// Only a full run (all parts, all runtimes, not --quick) writes bench/RESULTS.md and the charts in bench/; partial
// and quick runs write them into the output directory (bench/out/) instead. A run in which any measurement failed
// ends with a line naming them and exit code 1 (RESULTS.md lists them too).
//
// Options: --reps N (4), --duration S (5), --warmup S (2), --threads N (2), --connections N (50),
//          --forks N (10 per block, 2 blocks), --dist N (1000), --reloads N (3), --max-minutes M (60), --out DIR,
//          --scale-workers LIST (2,8,32,64; --quick: 2,8), --scale-reps N (4; --quick: 1), --startup-reps N (5; 3).
//
// Runs under Node 20 or later with no dependency. Runtimes come from node_modules/.bin (npm devDependencies):
// node (24), bun, deno. wrk is installed with apt-get if missing (root). All load goes to 127.0.0.1.
// Every server runs in its own process group and is killed (SIGTERM, then SIGKILL) after its measurement, and
// every group still alive is killed when this script ends, fails or is interrupted. NODE_EXTRA_CA_CERTS is removed
// from the environment of every process under test (it adds ~100 ms to each Node start on these machines).

import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { killAll, killAllOnExit } from "./lib/groups.mjs";
import { BENCH, gitState, newResults, report, writeJson } from "./lib/results.mjs";
import { RUNTIMES } from "./lib/runtimes.mjs";
import { ensureWrk } from "./lib/wrk.mjs";
import { benchDist } from "./parts/dist.mjs";
import { benchFork } from "./parts/fork.mjs";
import { benchHttp } from "./parts/http.mjs";
import { benchIpc } from "./parts/ipc.mjs";
import { benchScaling } from "./parts/scaling.mjs";
import { benchStartup } from "./parts/startup.mjs";
import { benchSupervisor } from "./parts/supervisor.mjs";
import { benchTwoWrites } from "./parts/twowrites.mjs";

// ---------------------------------------------------------------------------------------------------------------
// Options

/** Every part, in the order a run measures them; a full run has them all. */
const ALL_PARTS = ["http", "ipc", "fork", "dist", "twowrites", "supervisor", "scaling", "startup"];

const { values: opt } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    reps: { type: "string" },
    duration: { type: "string" },
    warmup: { type: "string" },
    threads: { type: "string" },
    connections: { type: "string" },
    forks: { type: "string" },
    reloads: { type: "string" },
    dist: { type: "string" },
    "scale-workers": { type: "string" },
    "scale-reps": { type: "string" },
    "startup-reps": { type: "string" },
    runtimes: { type: "string", default: "node,bun,deno" },
    parts: { type: "string", default: ALL_PARTS.join(",") },
    "max-minutes": { type: "string", default: "60" },
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

if (opt.report) {
  const data = JSON.parse(readFileSync(opt.report, "utf8"));
  report(data);
  console.log(`wrote ${join(BENCH, "RESULTS.md")} and the charts beside it from ${opt.report}`);
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
  reloads: num(opt.reloads, quick ? 2 : 3),
  dist: num(opt.dist, quick ? 200 : 1000),
  ipc: quick
    ? { roundTrips: 5_000, oneWay: 20_000, big: 5 }
    : { roundTrips: 20_000, oneWay: 100_000, big: 10 },
  // The one-way figure has two modes on this machine, about 1.5x apart, for every mechanism: 9 runs each.
  ipcReps: quick ? 1 : 9,
  scaling: {
    workers: (opt["scale-workers"] ?? (quick ? "2,8" : "2,8,32,64")).split(",").filter(Boolean).map(Number),
    // Four runs per point: with two, a runtime's cost per added worker moved by 2-4 ms from one run to the next.
    reps: num(opt["scale-reps"], quick ? 1 : 4),
    rounds: quick ? 5 : 15,
    connections: 2000,
  },
  startup: { reps: num(opt["startup-reps"], quick ? 3 : 5), limitMs: 30_000 },
  runtimes: opt.runtimes.split(",").filter(Boolean),
  parts: opt.parts.split(",").filter(Boolean),
};
if (!settings.scaling.workers.every((n) => Number.isInteger(n) && n > 0)) {
  throw new Error(`--scale-workers: expected worker counts such as 2,8,32,64, not ${opt["scale-workers"]}`);
}
const deadline = Date.now() + Number(opt["max-minutes"]) * 60_000;
const OUT = resolve(opt.out);
mkdirSync(OUT, { recursive: true });
killAllOnExit();

function checkDeadline(what) {
  if (Date.now() > deadline) {
    throw new Error(`time limit (--max-minutes ${opt["max-minutes"]}) reached before ${what}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Main

const PARTS = {
  http: benchHttp,
  ipc: benchIpc,
  fork: benchFork,
  dist: benchDist,
  twowrites: benchTwoWrites,
  supervisor: benchSupervisor,
  scaling: benchScaling,
  startup: benchStartup,
};

async function main() {
  const t0 = Date.now();
  const wrkPath = ensureWrk();
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  const rawPath = join(OUT, `results-${stamp}.json`);
  const results = newResults(settings, wrkPath);
  const save = (results) => writeJson(rawPath, results);
  console.log(`unicluster bench: ${JSON.stringify(settings)}`);
  console.log(`machine: ${JSON.stringify(results.machine)}; versions: ${JSON.stringify(results.versions)}`);
  console.log(`raw results: ${rawPath}`);
  for (const part of settings.parts) {
    if (!PARTS[part]) throw new Error(`unknown part ${part}`);
    for (const runtime of settings.runtimes) {
      console.log(`== ${part} on ${RUNTIMES[runtime].name}`);
      await PARTS[part](runtime, results, { settings, checkDeadline, save });
    }
  }
  results.finished = new Date().toISOString();
  const after = gitState();
  if (after !== results.versions.unicluster) {
    results.versions.unicluster += ` at the start; ${after} at the end (the library changed during the run)`;
  }
  results.elapsedSeconds = Math.round((Date.now() - t0) / 1000);
  save(results);
  // Only a full run (every part, every runtime, not --quick) replaces bench/RESULTS.md and the charts.
  const full = !quick && ["node", "bun", "deno"].every((r) => settings.runtimes.includes(r)) &&
    ALL_PARTS.every((p) => settings.parts.includes(p));
  writeJson(join(OUT, full ? "results.json" : "results-partial.json"), results);
  const dir = full ? BENCH : OUT;
  report(results, dir);
  console.log(
    `done in ${(results.elapsedSeconds / 60).toFixed(1)} min: ${join(dir, "RESULTS.md")} and its charts` +
      (full ? "" : " (a partial or --quick run writes to the output directory, not bench/)"),
  );
  const failed = failedRuns(results);
  if (failed.length > 0) {
    // The report lists them too, but a run that lost rows must not pass for a complete one.
    console.error(`${failed.length} run(s) failed: ${[...new Set(failed)].join(", ")}`);
    process.exitCode = 1;
  }
}

/** Where a run failed: "<part> <runtime> <configuration>" for every sample that holds an error. */
function failedRuns(results) {
  const failed = [];
  for (const [part, samples] of Object.entries(results)) {
    if (!Array.isArray(samples)) continue;
    for (const sample of samples) {
      if (typeof sample?.error === "string") {
        failed.push(`${part} ${sample.runtime} ${sample.config ?? sample.id ?? ""}`);
      }
    }
  }
  return failed;
}

main().then(
  () => {
    killAll();
    process.exit(process.exitCode ?? 0);
  },
  (error) => {
    console.error(error?.stack ?? error);
    killAll();
    process.exit(1);
  },
);
