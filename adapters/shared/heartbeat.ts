/**
 * A worker's heartbeat: every `interval` milliseconds, its resident memory and how late the timer fired (the
 * event-loop delay). The timer is unref'd, so it never keeps a worker alive, and a blocked event loop stops it.
 *
 * @module
 */

import { setInterval } from "node:timers";
import type { WorkerStats } from "../../src/contract/mod.ts";
import { process } from "./host_process.ts";

/** Starts the heartbeat of this process. */
export function startHeartbeat(interval: number, beat: (stats: WorkerStats) => void): void {
  let due = Date.now() + interval;
  const timer = setInterval(() => {
    const now = Date.now();
    const eventLoopDelay = Math.max(0, now - due);
    due = now + interval;
    beat({ rss: process.memoryUsage().rss, eventLoopDelay });
  }, interval);
  timer.unref();
}
