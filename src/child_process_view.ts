/**
 * `worker.process` in the primary: a small child-process object over an adapter's link, with the fields and
 * events users reach for on Node's `ChildProcess`.
 *
 * @module
 */

import { EventEmitter } from "node:events";
import type { ChildLink } from "./contract/spawn.ts";
import type { WorkerProcess } from "./worker.ts";
import { toSignalName } from "./signals.ts";

/**
 * The primary's view of a worker process. Emits `spawn`, `message(message, handle)` (user messages only),
 * `disconnect`, `exit(code, signal)` and `error(err)`.
 */
export class ChildProcessView extends EventEmitter implements WorkerProcess {
  #link: ChildLink | undefined;
  #send: (message: unknown, handle?: unknown, options?: unknown, callback?: unknown) => boolean;

  /** Made by the cluster; `send` is the worker's own checked send. */
  constructor(send: (message: unknown, handle?: unknown, options?: unknown, callback?: unknown) => boolean) {
    super();
    this.#send = send;
  }

  /** Binds the view to the adapter's link once spawned. */
  attach(link: ChildLink): void {
    this.#link = link;
  }

  /** Process id. */
  get pid(): number | undefined {
    return this.#link?.pid;
  }

  /** Exit code, or null while running or when a signal ended the process. */
  get exitCode(): number | null {
    return this.#link?.exitCode ?? null;
  }

  /** The signal that ended the process, or null. */
  get signalCode(): string | null {
    return this.#link?.signalCode ?? null;
  }

  /** Whether the IPC channel is open. */
  get connected(): boolean {
    return this.#link?.connected ?? false;
  }

  /** The worker's stdin when `silent` is set, else null. */
  get stdin(): unknown {
    return this.#link?.stdin ?? null;
  }

  /** The worker's stdout when `silent` is set, else null. */
  get stdout(): unknown {
    return this.#link?.stdout ?? null;
  }

  /** The worker's stderr when `silent` is set, else null. */
  get stderr(): unknown {
    return this.#link?.stderr ?? null;
  }

  /** All of the worker's stdio by fd, as Node's `subprocess.stdio` (`stdio[4]` for an extra `pipe`). */
  get stdio(): readonly unknown[] {
    return this.#link?.stdio ?? [null, null, null];
  }

  /** Sends a signal to the process (default `SIGTERM`); false when it has already ended. */
  kill(signal: string | number = "SIGTERM"): boolean {
    const name = toSignalName(signal);
    return this.#link?.kill(name) ?? false;
  }

  /** Sends a message, as `worker.send`. */
  send(message: unknown, handle?: unknown, options?: unknown, callback?: unknown): boolean {
    return this.#send(message, handle, options, callback);
  }

  /** Closes the IPC channel. */
  disconnect(): void {
    this.#link?.disconnect();
  }
}
