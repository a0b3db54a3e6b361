/**
 * The contract between the core and a runtime adapter, part 2: how the primary starts a worker process and hears
 * about it.
 *
 * @module
 */

import type { WorkerIdentity } from "./channel.ts";
import type { RuntimeName } from "./host.ts";

/** How messages are encoded on the IPC channel, as in Node's `child_process`. */
export type Serialization = "json" | "advanced";

/** One entry of a child's stdio configuration, as `child_process.spawn` accepts it. */
export type StdioEntry = "pipe" | "inherit" | "ignore" | "ipc" | number | null | undefined;

/** Everything an adapter needs to start one worker process. */
export interface SpawnRequest {
  /** The runtime the worker runs on. */
  runtime: RuntimeName;
  /** The executable to start (`node`, `deno`, `bun` or an absolute path). */
  execPath: string;
  /** Arguments for the runtime, before the script (for Deno, `run` and its permission flags). */
  execArgv: readonly string[];
  /** The script the worker runs. */
  exec: string;
  /** Arguments for the script. */
  args: readonly string[];
  /** Working directory; undefined means the primary's. */
  cwd: string | undefined;
  /** The complete environment of the worker. */
  env: Record<string, string>;
  /** Pipe the worker's stdio to the primary instead of inheriting it. */
  silent: boolean;
  /** Explicit stdio entries for fds 0-2 (and more); the IPC entry is added by the adapter. */
  stdio: readonly StdioEntry[] | undefined;
  /** Message encoding on the channel. */
  serialization: Serialization;
  /** User id for the worker process. */
  uid: number | undefined;
  /** Group id for the worker process. */
  gid: number | undefined;
  /** Hide the console window on Windows. */
  windowsHide: boolean;
  /** Name of the environment variable that carries the worker's identity. */
  identityVariable: string;
  /** The worker's identity; the adapter adds what the worker needs to reach its channel, then stores it as JSON. */
  identity: WorkerIdentity;
}

/**
 * What an adapter reports about one child process. The adapters' shared link base calls these in Node's order:
 * `disconnect` before `exit` (an exit waits, briefly, for the channel to close, so that messages the worker sent
 * before it ended are delivered first), each exactly once.
 */
export interface ChildEvents {
  /** The process started; `pid` is known. */
  spawn(): void;
  /** A message (and maybe a handle) arrived from the child. */
  message(message: unknown, handle: unknown): void;
  /** The IPC channel closed. */
  disconnect(): void;
  /** The process ended, reported as Node reports it: `(code, null)` or `(null, signal)`. */
  exit(code: number | null, signal: string | null): void;
  /** Something failed that is not a message or an exit (spawn failure, a send error without callback). */
  error(error: Error): void;
}

/** The primary's end of one worker process. */
export interface ChildLink {
  /** Process id, once spawned. */
  readonly pid: number | undefined;
  /** Exit code, or null while running or when a signal ended it. */
  readonly exitCode: number | null;
  /** Signal that ended the process, or null. */
  readonly signalCode: string | null;
  /** Whether the IPC channel is open. */
  readonly connected: boolean;
  /** Whether `send` accepts a socket or server handle on this link. */
  readonly canPassHandles: boolean;
  /** Whether `send` can keep the sender's copy of a socket open (`keepOpen`), as Node's can. */
  readonly keepsHandles: boolean;
  /**
   * Whether sockets reach the worker through a relay in the primary (the worker cannot receive file descriptors):
   * they work, at the cost of carrying every byte through the primary.
   */
  readonly relaysHandles: boolean;
  /** The child's standard input when piped (a Node `Writable`), else null. */
  readonly stdin: unknown;
  /** The child's standard output when piped (a Node `Readable`), else null. */
  readonly stdout: unknown;
  /** The child's standard error when piped (a Node `Readable`), else null. */
  readonly stderr: unknown;
  /** All of the child's stdio by fd, as Node's `subprocess.stdio` (extra `pipe` entries too; null where none). */
  readonly stdio: readonly unknown[];
  /**
   * Sends a message (and optionally a handle). Returns false when the message was queued behind others,
   * as Node's `subprocess.send` does. The callback, when given, runs once the message is handed to the channel,
   * with an error if it could not be sent; without one, a send error reaches {@link ChildEvents.error}. With
   * `keepOpen` (where {@link ChildLink.keepsHandles}), the primary's copy of a socket stays open.
   */
  send(
    message: unknown,
    handle: unknown,
    callback: ((error: Error | null) => void) | undefined,
    keepOpen?: boolean,
  ): boolean;
  /** Closes the IPC channel. */
  disconnect(): void;
  /** Sends a signal; returns false if the process could not be signalled (already dead). */
  kill(signal: string): boolean;
  /**
   * The primary is done with a socket it sent with `keepOpen`: the worker took it (`taken`), or refused it (the
   * socket stays the primary's, as it was). Without this method, the core closes the primary's copy of a socket
   * the worker took.
   */
  release?(handle: unknown, taken: boolean): void;
}
