// Process groups: every process started here leads its own group, and every group is killed at the end.
// Starting a process and returning at once, starting a server and waiting until it is ready, running a command to
// completion (and reading its RESULT line), stopping a group (SIGTERM, then SIGKILL), and killing every group still
// alive when the benchmark ends.

import { spawn } from "node:child_process";
import process from "node:process";
import { killGroup, repoRoot } from "../../scripts/_runtimes.mjs";
import { groupProcesses } from "./proc.mjs";

const groups = new Set();

export function killAll() {
  for (const pgid of groups) killGroup(pgid, "SIGKILL");
  groups.clear();
}

/** Kills every group still alive when this process exits, fails or is interrupted. */
export function killAllOnExit() {
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
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Stops a process group: SIGTERM, then SIGKILL after 3 s. Returns true if SIGKILL was needed. */
export async function stopGroup(pgid) {
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

/**
 * Starts a command in its own process group and returns at once with { child, pgid, output() } (its stdout and
 * stderr so far); `child.exitInfo` is set once it exits. Stop it with stopGroup(pgid).
 */
export function spawnGroup(cmd, args, { env }) {
  const child = spawn(cmd, args, { cwd: repoRoot, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const pgid = child.pid;
  if (pgid !== undefined) groups.add(pgid);
  let log = "";
  const onData = (chunk) => {
    log += chunk;
    if (log.length > 200_000) log = log.slice(-100_000);
  };
  child.stdout.setEncoding("utf8").on("data", onData);
  child.stderr.setEncoding("utf8").on("data", onData);
  child.on("error", (error) => child.exitInfo = { error: String(error) });
  child.on("exit", (code, signal) => child.exitInfo = { code, signal });
  return { child, pgid, output: () => log };
}

/**
 * Starts a command in its own process group. Resolves with { child, pgid, output() } once a line of its output
 * matches `ready`, rejects if it exits first or after `timeoutMs`.
 */
export function startGroup(cmd, args, { env, ready, timeoutMs = 30_000 }) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: repoRoot, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
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
export function runGroup(cmd, args, { env, timeoutMs }) {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { cwd: repoRoot, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
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

/** Runs a benchmark script to completion and returns the JSON of its `RESULT {json}` line (and what it left behind). */
export async function runResult(cmd, args, env, timeoutMs) {
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
