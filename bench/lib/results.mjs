// A run's results: the raw JSON (the machine, the versions, the library's state, then every sample), and
// RESULTS.md and its charts (results.svg, scaling.svg) written from it.

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import process from "node:process";
import { bin, repoRoot } from "../../scripts/_runtimes.mjs";
import { writeReport } from "../report.mjs";
import { httpConfigs } from "./servers.mjs";
import { RUNTIMES, version } from "./runtimes.mjs";

/** The bench/ folder: where a full run writes RESULTS.md and its charts. */
export const BENCH = join(repoRoot, "bench");

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

/** The library's state: commit, and how many files differ from it. */
export function gitState() {
  const git = (args) => spawnSync("git", args, { cwd: repoRoot, encoding: "utf8" }).stdout?.trim() ?? "";
  const commit = git(["rev-parse", "--short", "HEAD"]);
  const dirty =
    git(["status", "--porcelain", "--", "mod.ts", "src", "adapters"]).split("\n").filter(Boolean).length;
  return commit
    ? `commit ${commit}${dirty ? ` + ${dirty} changed files in mod.ts/src/adapters` : ""}`
    : "unknown";
}

/** The results of a run before its first measurement; throws on an unknown runtime. */
export function newResults(settings, wrkPath) {
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
    supervisor: [],
    supervisorReload: [],
    scaling: [],
    startup: [],
  };
  results.labels = {};
  results.kinds = {};
  for (const runtime of settings.runtimes) {
    if (!RUNTIMES[runtime]) throw new Error(`unknown runtime ${runtime}`);
    results.versions[runtime] = version(runtime);
    results.labels[runtime] = Object.fromEntries(httpConfigs(runtime).map((c) => [c.id, c.label]));
    results.kinds[runtime] = Object.fromEntries(httpConfigs(runtime).map((c) => [c.id, c.kind]));
  }
  return results;
}

export function writeJson(path, results) {
  writeFileSync(path, JSON.stringify(results, null, 1));
}

/** Writes RESULTS.md and its charts, then formats RESULTS.md with deno fmt (the repo's fmt gate covers bench/). */
export function report(data, dir = BENCH) {
  writeReport(data, dir);
  const deno = bin("deno");
  if (existsSync(deno)) spawnSync(deno, ["fmt", join(dir, "RESULTS.md")], { cwd: repoRoot, stdio: "ignore" });
}

/** A failed measurement's error, as its sample records it. */
export function errorText(error) {
  return String(error?.message ?? error).slice(0, 2000);
}

/** What the console shows for a sample: ERROR and its error's first line, else `describe()`. */
export function outcome(sample, describe) {
  return sample.error ? `ERROR ${sample.error.split("\n")[0]}` : describe();
}
