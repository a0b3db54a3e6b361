/**
 * One worker as the supervisor follows it: its slot, its phase (starting, ready, retiring), when it must be ready
 * by, its last heartbeat, the tail of its stderr, and the two ways it ends when the supervisor says so: retired
 * gracefully (disconnect, then SIGKILL after a timeout) or terminated (SIGTERM, then SIGKILL).
 *
 * @module
 */

import type { Worker } from "../worker.ts";
import type { RestartReason, WorkerPhase } from "./stats.ts";
import { StderrTail } from "./stderr_tail.ts";

/** How long a terminated worker has between SIGTERM and SIGKILL. */
const TERMINATE_GRACE_MS = 2000;

/** A timer, whatever the runtime's timers return; unref'd where it can be. */
function timer(ms: number, run: () => void): ReturnType<typeof setTimeout> {
  const id = setTimeout(run, ms);
  (id as { unref?: () => void }).unref?.();
  return id;
}

/** One supervised worker. */
export class Member {
  /** The cluster's worker. */
  readonly worker: Worker;
  /** Its slot. */
  readonly slot: number;
  /** When it was forked (ms since the epoch). */
  readonly forkedAt: number = Date.now();
  /** The last lines it wrote to stderr. */
  readonly tail: StderrTail = new StderrTail();
  /** Settles when it is ready; rejects with the reason when it ends or times out first. */
  readonly ready: Promise<void>;
  /** Settles with its exit. */
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  /** Settles once its output has been passed on (see `followOutput`). */
  output: Promise<void> = Promise.resolve();
  /** Its phase. */
  phase: WorkerPhase = "starting";
  /** When it became ready. */
  readyAt: number | undefined;
  /** When its last heartbeat came. */
  lastBeat: number | undefined;
  /** Resident memory from its last heartbeat. */
  rss: number | undefined;
  /** Event-loop delay from its last heartbeat. */
  eventLoopDelay: number | undefined;
  /** Heartbeats in a row over the memory limit. */
  overMemory = 0;
  /** Why the supervisor ended it, when it did so without retiring it (a failed start, a hang). */
  endReason: RestartReason | undefined;
  #settle!: { resolve: () => void; reject: (error: Error) => void };
  #timers = new Set<ReturnType<typeof setTimeout>>();

  /** Follows `worker` in `slot`; it must be ready within `readyTimeout` ms. */
  constructor(worker: Worker, slot: number, readyTimeout: number) {
    this.worker = worker;
    this.slot = slot;
    this.ready = new Promise<void>((resolve, reject) => this.#settle = { resolve, reject });
    this.ready.catch(() => {});
    this.exited = new Promise((resolve) => worker.once("exit", (code, signal) => resolve({ code, signal })));
    this.after(readyTimeout, () => {
      if (this.phase !== "starting") return;
      this.endReason = "failed-start";
      this.#settle.reject(new Error(`worker ${worker.id} was not ready within ${readyTimeout} ms`));
      this.worker.process.kill("SIGKILL");
    });
    this.exited.then(({ code, signal }) => {
      this.dispose();
      this.#settle.reject(
        new Error(`worker ${worker.id} exited (${signal ?? `code ${code}`}) before it was ready`),
      );
    });
  }

  /** The worker is ready. */
  markReady(): void {
    if (this.phase !== "starting") return;
    this.phase = "ready";
    this.readyAt = Date.now();
    this.#settle.resolve();
  }

  /** Runs `run` after `ms` unless the member is disposed of first. */
  after(ms: number, run: () => void): void {
    const id = timer(ms, () => {
      this.#timers.delete(id);
      run();
    });
    this.#timers.add(id);
  }

  /** Ends it gracefully: it closes its servers, finishes its requests and exits; SIGKILL after `timeout` ms. */
  retire(timeout: number): Promise<{ code: number | null; signal: string | null }> {
    if (this.phase !== "retiring") {
      this.phase = "retiring";
      if (this.worker.isConnected()) this.worker.disconnect();
      else this.worker.process.kill("SIGTERM");
      this.after(timeout, () => this.worker.process.kill("SIGKILL"));
    }
    return this.exited;
  }

  /** Ends it now, for `reason`: SIGTERM, then SIGKILL if it is still there after a grace period. */
  terminate(reason: RestartReason): void {
    this.endReason ??= reason;
    this.worker.process.kill("SIGTERM");
    this.after(TERMINATE_GRACE_MS, () => this.worker.process.kill("SIGKILL"));
  }

  /** Stops its timers (it has exited). */
  dispose(): void {
    for (const id of this.#timers) clearTimeout(id);
    this.#timers.clear();
  }
}
