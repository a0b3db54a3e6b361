/**
 * The primary's links to its live workers: how a message, a handle or a signal reaches one, and what happens
 * when it cannot.
 *
 * @module
 */

import type { ChildLink } from "../contract/spawn.ts";
import { channelClosed } from "../errors.ts";
import type { InternalMessage } from "../protocol.ts";
import type { Worker } from "../worker.ts";

/** Reports an error that has no listener, so that nothing fails silently and nothing crashes the primary. */
export type ErrorReporter = (error: Error, worker: Worker | undefined) => void;

/** Each live worker's link, from spawn until the worker has both disconnected and exited. */
export class WorkerLinks {
  #links = new Map<Worker, ChildLink>();
  #report: ErrorReporter;

  /** Errors nobody waits for go to `report`. */
  constructor(report: ErrorReporter) {
    this.#report = report;
  }

  /** Records a worker's link. */
  set(worker: Worker, link: ChildLink): void {
    this.#links.set(worker, link);
  }

  /** Forgets a worker that is gone. */
  delete(worker: Worker): void {
    this.#links.delete(worker);
  }

  /** Whether handles pass to this worker. */
  canPassHandles(worker: Worker): boolean {
    return this.#links.get(worker)?.canPassHandles ?? false;
  }

  /** Whether the worker's channel is open (and not yet reported closed). */
  isConnected(worker: Worker): boolean {
    return (this.#links.get(worker)?.connected ?? false) && !worker.channelClosed;
  }

  /** Sends a user message; a closed channel is reported to `callback`, or else as the worker's error. */
  send(
    worker: Worker,
    message: unknown,
    handle: unknown,
    callback: ((error: Error | null) => void) | undefined,
  ): boolean {
    const link = this.#links.get(worker);
    if (link === undefined || !worker.isConnected()) {
      const error = channelClosed();
      queueMicrotask(() => callback ? callback(error) : this.#report(error, worker));
      return false;
    }
    return link.send(message, handle, callback);
  }

  /** Sends an internal message; false (and `done` with the error) when the channel is closed. */
  sendInternal(
    worker: Worker,
    message: InternalMessage,
    handle?: unknown,
    done?: (error: Error | null) => void,
  ): boolean {
    const link = this.#links.get(worker);
    if (link === undefined || !worker.isConnected()) {
      done?.(channelClosed());
      return false;
    }
    // Without a `done`, a failure matters only while the worker is still there.
    return link.send(
      message,
      handle,
      done ?? ((error) => {
        if (error && worker.isConnected()) this.#report(error, worker);
      }),
    );
  }

  /** `worker.kill(signal)`: closes the channel first (as Node does), then signals the process. */
  kill(worker: Worker, signal: string): void {
    const link = this.#links.get(worker);
    if (link === undefined || worker.isDead()) return;
    if (worker.isConnected()) {
      worker.once("disconnect", () => link.kill(signal));
      link.disconnect();
      return;
    }
    link.kill(signal);
  }
}
