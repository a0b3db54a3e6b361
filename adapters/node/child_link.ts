/**
 * The primary's link to a worker started with `node:child_process`'s `spawn` and an `ipc` stdio entry: Node's own
 * way, and the `child_process` route on Deno and Bun (never `fork`, which on Deno grants every permission).
 * The runtime's channel carries socket and server handles between processes of the same runtime.
 *
 * @module
 */

import type { ChildProcess, StdioOptions } from "node:child_process";
import type { ChildEvents, SpawnRequest, WorkerIdentity } from "../../src/contract/mod.ts";
import { ChildLinkBase, stdioEntries, workerEnvironment } from "../shared/child_link_base.ts";
import { process } from "../shared/host_process.ts";
import { childProcessModule } from "../shared/lazy_builtin.ts";
import { withServerTraps } from "../bun/server_traps.ts";
import { answerSyncRequests, type HandleBarrier, handleBarrierOn } from "../ipc/handle_barrier.ts";
import { batchable, MessageBatch } from "../ipc/message_batch.ts";

/** Options of a {@link ProcessChildLink}. */
export interface ProcessChildLinkOptions {
  /** Whether handles can pass: only between processes of the same runtime (measured on Node, Deno and Bun). */
  canPassHandles: boolean;
  /**
   * Serialize each json message once before sending: Deno's child_process crashes the whole process (a native
   * stack overflow) on a cyclic message instead of throwing.
   */
  checkJson?: boolean;
  /** Send a handle only once the worker has read what went before (Deno's `child_process`: see handle_barrier.ts). */
  handleBarrier?: boolean;
  /**
   * Close the channel soon after a write fails because the worker's end is gone. Deno's `child_process` misses
   * such an abrupt end of its channel (denoland/deno#35961): it never reports `disconnect`, nor the child's
   * `exit`, and the worker would never be reported dead.
   */
  closeOnBrokenPipe?: boolean;
}

/** How long a broken channel may still deliver what the worker sent before it closes (see `closeOnBrokenPipe`). */
const BROKEN_PIPE_GRACE_MS = 50;

/** Node's send option that keeps the primary's copy of a socket it sent (one object, not one per message). */
const KEEP_OPEN = Object.freeze({ keepOpen: true });

/** The primary's link to one worker started with `child_process.spawn`. */
export class ProcessChildLink extends ChildLinkBase {
  /** Whether this link passes handles. */
  readonly canPassHandles: boolean;
  /** Node's `keepOpen` keeps the primary's copy of a socket it sent (Node, Deno and Bun's `child_process`). */
  override readonly keepsHandles: boolean = true;
  #child: ChildProcess;
  #checkJson: boolean;
  #barrier: HandleBarrier | undefined;
  #closeOnBrokenPipe: boolean;
  #closing: ReturnType<typeof setTimeout> | undefined;

  /** Spawns the worker and reports its events. */
  constructor(request: SpawnRequest, events: ChildEvents, options: ProcessChildLinkOptions) {
    super(events);
    this.canPassHandles = options.canPassHandles;
    this.#checkJson = options.checkJson === true && request.serialization === "json";
    this.#closeOnBrokenPipe = options.closeOnBrokenPipe === true;
    const identity: WorkerIdentity = { ...request.identity, channel: "process" };
    if (options.handleBarrier === true) identity.syncHandles = true;
    const stdio = stdioEntries(request);
    if (!stdio.includes("ipc")) stdio.push("ipc");
    // https://nodejs.org/api/child_process.html#child_processspawncommand-args-options
    const child = childProcessModule().spawn(request.execPath, [
      ...withServerTraps(request.runtime, request.execArgv),
      request.exec,
      ...request.args,
    ], {
      cwd: request.cwd,
      env: workerEnvironment(request, identity),
      stdio: stdio as StdioOptions,
      serialization: request.serialization,
      uid: request.uid,
      gid: request.gid,
      windowsHide: request.windowsHide,
    });
    this.#child = child;
    if (request.serialization === "json") {
      const write = (message: unknown) => this.#child.send(message as never);
      const failed = (error: Error) => this.reportError(error);
      this.batch = new MessageBatch({ write, failed, checkFirst: this.#checkJson, started: false });
    }
    if (options.handleBarrier === true) {
      const sendInternal = (message: unknown) => {
        this.batch?.flush();
        return child.connected && child.send(message as never);
      };
      this.#barrier = handleBarrierOn(child, sendInternal);
      answerSyncRequests(child, sendInternal);
    }
    child.on("spawn", () => this.reportSpawn());
    child.on("message", (message, handle) => this.reportMessage(message, handle));
    child.on("disconnect", () => this.reportDisconnect());
    child.on("error", (error) => {
      this.#noticeWriteError(error);
      this.reportError(error);
    });
    child.on("exit", (code, signal) => this.reportExited(code, signal));
    // A child that could not start gets `error` and `close (-2, null)` from Node, but no `exit`.
    child.on("close", (code, signal) => this.reportExited(code, signal));
  }

  /** Process id. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Whether the IPC channel is open. */
  get connected(): boolean {
    return this.#child.connected;
  }

  /** The worker's stdin when piped. */
  get stdin(): unknown {
    return this.#child.stdin;
  }

  /** The worker's stdout when piped. */
  get stdout(): unknown {
    return this.#child.stdout;
  }

  /** The worker's stderr when piped. */
  get stderr(): unknown {
    return this.#child.stderr;
  }

  /** All of the worker's stdio by fd, extra pipes included (`stdio: [..., "ipc", "pipe"]`). */
  override get stdio(): readonly unknown[] {
    return this.#child.stdio;
  }

  /** Sends a message and maybe a handle; serialization errors throw synchronously. */
  send(
    message: unknown,
    handle: unknown,
    callback: ((error: Error | null) => void) | undefined,
    keepOpen = false,
  ): boolean {
    if (this.#checkJson && !this.#batches(handle, callback)) JSON.stringify(message);
    if (this.#barrier === undefined) return this.#write(message, handle, callback, keepOpen);
    this.#barrier.send(
      handle !== undefined && handle !== null,
      () => this.#write(message, handle, callback, keepOpen),
      (error) => callback ? callback(error) : this.#child.emit("error", error),
    );
    return true;
  }

  /** Writes on the channel. Without a callback Node reports a failed send as the child's `error` event. */
  #write(
    message: unknown,
    handle: unknown,
    callback: ((error: Error | null) => void) | undefined,
    keepOpen: boolean,
  ): boolean {
    if (this.#batches(handle, callback)) return this.batch!.send(message);
    this.batch?.flush();
    const options = keepOpen ? KEEP_OPEN : undefined;
    if (callback === undefined) return this.#child.send(message as never, handle as never, options);
    return this.#child.send(message as never, handle as never, options, (error) => {
      if (error) this.#noticeWriteError(error);
      callback(error ?? null);
    });
  }

  /** Whether a message goes through the batch (which encodes it itself). */
  #batches(handle: unknown, callback: unknown): boolean {
    return this.batch !== undefined && batchable(handle, callback);
  }

  /** With `closeOnBrokenPipe`: a write that found the worker's end closed closes the channel shortly after. */
  #noticeWriteError(error: Error): void {
    if (!this.#closeOnBrokenPipe || this.#closing !== undefined) return;
    const { code, syscall } = error as NodeJS.ErrnoException;
    if (syscall !== "write" || (code !== "EPIPE" && code !== "ECONNRESET")) return;
    this.#closing = setTimeout(() => {
      if (!this.#child.connected) return;
      this.#child.disconnect();
      this.reportDisconnect();
    }, BROKEN_PIPE_GRACE_MS);
  }

  /** Closes the IPC channel, once the messages waiting for the end of the run are written. */
  disconnect(): void {
    this.batch?.flush();
    if (this.#child.connected) this.#child.disconnect();
  }

  /**
   * Signals the process by its pid: Deno's `ChildProcess.kill()` sends only the first signal of a child's life,
   * and then reports that signal as how the child ended, whatever its real exit was.
   */
  protected signal(signal: string): boolean {
    if (this.#child.pid === undefined) return false;
    process.kill(this.#child.pid, signal as NodeJS.Signals);
    return true;
  }
}
