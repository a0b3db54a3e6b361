/**
 * What every adapter's link to a child process shares: the one place that decides the order in which a child's
 * end is reported, and the bookkeeping around it.
 *
 * The order is Node's: `disconnect` before `exit`, each exactly once. When the process ends while its channel is
 * still open, the exit is held until the channel closes (the kernel closes the child's end; messages it sent just
 * before it ended are read first), or, if something keeps the channel open, until {@link CHANNEL_GRACE_MS} has
 * passed and the link closes it. A child whose channel never opened (a failed start) reports `disconnect` right
 * before `exit`.
 *
 * @module
 */

import type { Readable, Writable } from "node:stream";
import type {
  ChildEvents,
  ChildLink,
  SpawnRequest,
  StdioEntry,
  WorkerIdentity,
} from "../../src/contract/mod.ts";
import { batchedMessages, deliverBatch, isLibraryMessage, type MessageBatch } from "../ipc/message_batch.ts";
import { streamModule } from "./lazy_builtin.ts";
import { withNodeCompileCache } from "./node_compile_cache.ts";

/** How long an exit waits for the channel to close before the link closes it. */
export const CHANNEL_GRACE_MS = 2000;

/** A worker's environment: the request's, with its identity (and Node's compile cache for a Node worker). */
export function workerEnvironment(request: SpawnRequest, identity: WorkerIdentity): Record<string, string> {
  return {
    ...withNodeCompileCache(request.runtime, request.env),
    [request.identityVariable]: JSON.stringify(identity),
  };
}

/** The stdio entries of a request: the user's, or all inherited (all piped when `silent`). */
export function stdioEntries(request: SpawnRequest): StdioEntry[] {
  if (request.stdio) return [...request.stdio];
  return request.silent ? ["pipe", "pipe", "pipe"] : ["inherit", "inherit", "inherit"];
}

/** A web `ReadableStream` as a Node `Readable` (Deno and Bun pipe child output as web streams); else null. */
export function nodeReadable(stream: unknown): Readable | null {
  return stream instanceof ReadableStream ? streamModule().Readable.fromWeb(stream as never) : null;
}

/** A web `WritableStream` as a Node `Writable`; else null. */
export function nodeWritable(stream: unknown): Writable | null {
  return stream instanceof WritableStream ? streamModule().Writable.fromWeb(stream as never) : null;
}

/** The primary's end of one child: subclasses start the process and call the `report*` methods. */
export abstract class ChildLinkBase implements ChildLink {
  /**
   * Json messages written together (../ipc/message_batch.ts), on a link that batches: made unstarted, started once
   * the worker has sent a message of the library's own (so it unpacks batches).
   */
  protected batch: MessageBatch | undefined;
  #workerRunsLibrary = false;
  #events: ChildEvents;
  #exit: { code: number | null; signal: string | null } | undefined;
  #exitReported = false;
  #disconnected = false;
  #grace: ReturnType<typeof setTimeout> | undefined;

  /** `events` hears about the child, in Node's order. */
  protected constructor(events: ChildEvents) {
    this.#events = events;
  }

  /** Whether `send` accepts a socket or server handle on this link. */
  abstract readonly canPassHandles: boolean;
  /** Whether `send` keeps the sender's copy of a socket open on request (`node:child_process` does). */
  readonly keepsHandles: boolean = false;
  /** Whether sockets reach the worker through a relay in the primary. */
  readonly relaysHandles: boolean = false;
  /** Process id, once spawned. */
  abstract readonly pid: number | undefined;
  /** Whether the channel is open. */
  abstract readonly connected: boolean;
  /** The child's standard input when piped, else null. */
  abstract readonly stdin: unknown;
  /** The child's standard output when piped, else null. */
  abstract readonly stdout: unknown;
  /** The child's standard error when piped, else null. */
  abstract readonly stderr: unknown;
  /** Sends a message (and maybe a handle); see `ChildLink.send`. */
  abstract send(
    message: unknown,
    handle: unknown,
    callback: ((error: Error | null) => void) | undefined,
    keepOpen?: boolean,
  ): boolean;
  /** Closes the channel. */
  abstract disconnect(): void;
  /** Sends a signal to the running process; false (or a throw) when it could not be signalled. */
  protected abstract signal(signal: string): boolean;

  /** The child's stdio by fd: the three standard streams, unless the runtime gives more. */
  get stdio(): readonly unknown[] {
    return [this.stdin, this.stdout, this.stderr];
  }

  /** Exit code, or null while running or when a signal ended the process. */
  get exitCode(): number | null {
    return this.#exit?.code ?? null;
  }

  /** The signal that ended the process, or null. */
  get signalCode(): string | null {
    return this.#exit?.signal ?? null;
  }

  /** Whether the process has ended. */
  protected get exited(): boolean {
    return this.#exit !== undefined;
  }

  /** Sends a signal; false once the process has ended or when it cannot be signalled. */
  kill(signal: string): boolean {
    if (this.#exit !== undefined) return false;
    // What was sent before the signal leaves before it, as under Node.
    this.batch?.flush();
    try {
      return this.signal(signal);
    } catch {
      return false;
    }
  }

  /** The process started. */
  protected reportSpawn(): void {
    this.#events.spawn();
  }

  /** A message arrived: one of the worker's, or a batch of them written together (../ipc/message_batch.ts). */
  protected reportMessage(message: unknown, handle: unknown): void {
    if (!this.#workerRunsLibrary && isLibraryMessage(message)) {
      this.#workerRunsLibrary = true;
      this.batch?.start();
    }
    const batch = batchedMessages(message);
    if (batch === undefined) this.#events.message(message, handle);
    else deliverBatch(batch, (one) => this.#events.message(one, undefined));
  }

  /** Something failed (a spawn error, a send error without a callback). */
  protected reportError(error: Error): void {
    this.#events.error(error);
  }

  /** The channel closed (called by subclasses as often as the runtime says so; reported once). */
  protected reportDisconnect(): void {
    if (this.#disconnected) return;
    this.#disconnected = true;
    this.#events.disconnect();
    if (this.#exit !== undefined) this.#reportExit();
  }

  /** The process ended, as Node reports it: `(code, null)` or `(null, signal)`. */
  protected reportExited(code: number | null, signal: string | null): void {
    if (this.#exit !== undefined) return;
    this.#exit = signal !== null ? { code: null, signal } : { code, signal: null };
    if (this.#disconnected) return this.#reportExit();
    if (!this.connected) return this.reportDisconnect();
    // Not unref'd: as an open channel does under Node, the wait keeps a primary with nothing else to do alive until
    // it has reported the exit (Deno's child_process can miss the end of a channel: denoland/deno#35961).
    this.#grace = setTimeout(() => {
      this.#grace = undefined;
      this.disconnect();
      this.reportDisconnect();
    }, CHANNEL_GRACE_MS);
  }

  #reportExit(): void {
    if (this.#exitReported) return;
    this.#exitReported = true;
    if (this.#grace !== undefined) clearTimeout(this.#grace);
    this.#events.exit(this.#exit!.code, this.#exit!.signal);
  }
}
