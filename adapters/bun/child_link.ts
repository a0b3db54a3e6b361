/**
 * The Bun primary's link to a worker started with `Bun.spawn` and its `ipc` option: Bun's own channel, which also
 * passes socket handles between Bun processes.
 *
 * @module
 */

import type { ChildEvents, SpawnRequest, WorkerIdentity } from "../../src/contract/mod.ts";
import { batchable, MessageBatch } from "../ipc/message_batch.ts";
import { ChildLinkBase, nodeReadable, stdioEntries, workerEnvironment } from "../shared/child_link_base.ts";
import { netModule } from "../shared/lazy_builtin.ts";
import { bun, type BunSubprocess } from "./globals.ts";
import { withServerTraps } from "./server_traps.ts";

/** The primary's link to one worker started with `Bun.spawn`. */
export class BunChildLink extends ChildLinkBase {
  /** Handles pass between Bun processes. */
  readonly canPassHandles: boolean;
  #child: BunSubprocess;
  #open = true;
  #stdout: unknown;
  #stderr: unknown;

  /** Spawns the worker and reports its events. */
  constructor(request: SpawnRequest, events: ChildEvents) {
    super(events);
    this.canPassHandles = request.runtime === "bun";
    const identity: WorkerIdentity = { ...request.identity, channel: "process" };
    // https://bun.sh/docs/api/spawn#inter-process-communication-ipc
    this.#child = bun().spawn({
      cmd: [
        request.execPath,
        ...withServerTraps(request.runtime, request.execArgv),
        request.exec,
        ...request.args,
      ],
      cwd: request.cwd,
      env: workerEnvironment(request, identity),
      // Bun's IPC needs no stdio slot: an `ipc` entry keeps its place (so later fds keep theirs) but stays unused.
      stdio: stdioEntries(request).map((entry) => entry === "ipc" ? "ignore" : entry ?? "inherit"),
      serialization: request.serialization,
      ipc: (message, _subprocess, handle) => this.reportMessage(message, handle),
      onDisconnect: () => {
        this.#open = false;
        this.reportDisconnect();
      },
      // Bun's `exited` says 143 for SIGTERM; onExit gives the signal by name, as Node reports it.
      onExit: (_subprocess, exitCode, signalCode) =>
        this.reportExited(exitCode, typeof signalCode === "string" ? signalCode : null),
      uid: request.uid,
      gid: request.gid,
      windowsHide: request.windowsHide,
    });
    if (request.serialization === "json") {
      this.batch = new MessageBatch({
        write: (message) => this.#write(message, undefined, undefined),
        failed: (error) => this.reportError(error),
        started: false,
      });
    }
    queueMicrotask(() => this.reportSpawn());
  }

  /** Process id. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Whether the IPC channel is open. */
  get connected(): boolean {
    return this.#open && !this.exited;
  }

  /** The worker's stdin when piped (Bun's `FileSink`). */
  get stdin(): unknown {
    return this.#child.stdin ?? null;
  }

  /** The worker's stdout when piped, as a Node stream (as on Node's `ChildProcess`). */
  get stdout(): unknown {
    return this.#stdout ??= nodeReadable(this.#child.stdout);
  }

  /** The worker's stderr when piped, as a Node stream. */
  get stderr(): unknown {
    return this.#stderr ??= nodeReadable(this.#child.stderr);
  }

  /** All of the worker's stdio by fd; Bun gives an extra `pipe` as its file descriptor number. */
  override get stdio(): readonly unknown[] {
    return [this.stdin, this.stdout, this.stderr, ...(this.#child.stdio ?? []).slice(3)];
  }

  /** Sends a message and maybe a handle; serialization errors throw synchronously. */
  send(message: unknown, handle: unknown, callback: ((error: Error | null) => void) | undefined): boolean {
    if (this.batch === undefined) return this.#write(message, handle, callback);
    if (batchable(handle, callback)) return this.batch.send(message);
    this.batch.flush();
    return this.#write(message, handle, callback);
  }

  #write(message: unknown, handle: unknown, callback: ((error: Error | null) => void) | undefined): boolean {
    let sent: boolean;
    try {
      sent = handle === undefined ? this.#child.send(message) : this.#child.send(message, handle);
    } catch (error) {
      // Bun throws when its end of the channel has closed before it told us (a worker disconnecting as the
      // primary sends): reported as Node reports that write, EPIPE. A message it cannot serialize still throws.
      if (!/IPC channel/.test((error as Error).message)) throw error;
      const epipe = Object.assign(new Error("write EPIPE", { cause: error }), {
        code: "EPIPE",
        errno: -32,
        syscall: "write",
      });
      queueMicrotask(() => callback ? callback(epipe) : this.reportError(epipe));
      return false;
    }
    // Node closes the sender's copy of a socket it sent (its `keepOpen` is off by default); Bun keeps it, which would
    // hold every handed-over connection open in the primary.
    if (handle instanceof netModule().Socket) handle.destroy();
    if (callback !== undefined) queueMicrotask(() => callback(null));
    return sent;
  }

  /** Closes the IPC channel, once the messages waiting for the end of the run are written. */
  disconnect(): void {
    this.batch?.flush();
    if (this.connected) this.#child.disconnect();
  }

  /** Signals the process. */
  protected signal(signal: string): boolean {
    this.#child.kill(signal);
    return true;
  }
}
