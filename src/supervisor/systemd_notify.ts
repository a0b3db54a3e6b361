/**
 * Tells systemd how a supervised service is doing (sd_notify(3)) when `NOTIFY_SOCKET` is set: `READY=1` once the
 * first workers are ready, `RELOADING=1` and `READY=1` around a reload, `STOPPING=1` as the shutdown starts, and
 * `WATCHDOG=1` every half `WATCHDOG_USEC` while a worker is ready.
 *
 * Node, Bun and Deno cannot send on a unix datagram socket (`node:net` has only stream sockets, Deno's datagram
 * sockets need `--unstable-net`), so each notification runs systemd's own `systemd-notify`, which ships wherever
 * systemd does. Its messages come from its own pid, so the unit needs `NotifyAccess=all`; each names this process
 * as the service's main pid (`MAINPID=`).
 *
 * @module
 */

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { process } from "./host_builtins.ts";
import type { Supervisor } from "./supervisor.ts";

/** Runs `systemd-notify` with the lines, on `socket`. */
function runSystemdNotify(socket: string, lines: string[], failed: (error: Error) => void): void {
  const child = spawn("systemd-notify", [`--pid=${process.pid}`, ...lines], {
    stdio: "ignore",
    env: { ...process.env, NOTIFY_SOCKET: socket },
  });
  child.on(
    "error",
    (error) => failed(new Error(`cannot tell systemd (${lines.join(" ")}): ${error.message}`)),
  );
  child.on("exit", (code) => {
    if (code !== 0) failed(new Error(`systemd-notify ${lines.join(" ")} exited with code ${code}`));
  });
}

/**
 * CLOCK_MONOTONIC in microseconds, which systemd wants with `RELOADING=1`. Node's `process.hrtime` reads it; Bun's
 * and Deno's count from their own start, so there the boot clock (`/proc/uptime`, never behind the monotonic
 * one, so never older than the reload systemd asked for) stands in.
 */
function monotonicMicros(): string {
  if (!("Bun" in globalThis) && !("Deno" in globalThis)) return String(process.hrtime.bigint() / 1000n);
  try {
    return String(Math.round(Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]) * 1e6));
  } catch {
    return String(process.hrtime.bigint() / 1000n);
  }
}

/**
 * Sends the supervisor's state to systemd while `NOTIFY_SOCKET` is set in `env` (`WATCHDOG_USEC` and
 * `WATCHDOG_PID` are read there too); does nothing otherwise. Returns a
 * function that stops the watchdog. A notification that fails is reported as the supervisor's `error`, once.
 */
export function notifySystemd(
  supervisor: Supervisor,
  env: Record<string, string | undefined> = process.env,
): () => void {
  const socket = env.NOTIFY_SOCKET;
  if (!socket) return () => {};
  let reported = false;
  const notify = (...lines: string[]) =>
    runSystemdNotify(socket, lines, (error) => {
      if (reported) return;
      reported = true;
      supervisor.emit("error", error);
    });
  supervisor.started.then(() => notify("READY=1", "STATUS=all workers ready"), () => {});
  supervisor.on("reload", ({ phase }: { phase: string }) => {
    if (phase === "started") notify("RELOADING=1", `MONOTONIC_USEC=${monotonicMicros()}`);
    else notify("READY=1", `STATUS=${phase === "finished" ? "reloaded" : "reload rolled back"}`);
  });
  supervisor.on("shutdown", ({ phase }: { phase: string }) => {
    if (phase === "draining") notify("STOPPING=1");
  });
  const usec = Number(env.WATCHDOG_USEC);
  const forUs = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
  if (!forUs || !Number.isFinite(usec) || usec <= 0) return () => {};
  const timer = setInterval(() => {
    if (supervisor.stats().ready) notify("WATCHDOG=1");
  }, Math.max(1, Math.floor(usec / 2000)));
  supervisor.on("shutdown", ({ phase }: { phase: string }) => {
    if (phase === "finished") clearInterval(timer);
  });
  return () => clearInterval(timer);
}
