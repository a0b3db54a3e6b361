/**
 * The contract between the core and a runtime adapter, part 3: the worker's end of the channel to its primary.
 *
 * @module
 */

import type { Serialization } from "./spawn.ts";

/**
 * The `cmd` of every message of unicluster's own on a channel, the core's (`INTERNAL_CMD` in the protocol) and the
 * adapters' alike: `message` listeners of the user's never see one. A type, as the contract holds only types: an
 * adapter that writes the value is checked against it.
 */
export type InternalCmd = "UNICLUSTER";

/** What a worker learns about itself from its identity variable. */
export interface WorkerIdentity {
  /** The worker's id, unique within the primary. */
  id: number;
  /** The primary's scheduling policy, by name (`rr`, `none`, `reuseport`). */
  policy?: string;
  /** Message encoding on the channel. */
  serialization?: Serialization;
  /** How the worker reaches its primary: the runtime's own IPC (`process`) or an adapter socket (`socket`). */
  channel?: "process" | "socket";
  /** For `socket`: the socket path (abstract names start with a NUL character). */
  path?: string;
  /** For `socket`: the token the worker presents first. */
  token?: string;
  /** Send a heartbeat every this many milliseconds (0 or absent: none). */
  heartbeat?: number;
  /** For `process`: a handle waits for the primary's sync answer when messages went before it (Deno's route). */
  syncHandles?: boolean;
}

/** What a worker's heartbeat reports about it. */
export interface WorkerStats {
  /** Resident memory, in bytes. */
  rss: number;
  /** How late the heartbeat's own timer fired, in milliseconds: how busy the event loop has been. */
  eventLoopDelay: number;
}

/** Callbacks for the worker's end of the channel. */
export interface ParentEvents {
  /** A message (and maybe a handle) arrived from the primary. */
  message(message: unknown, handle: unknown): void;
  /** The channel to the primary closed. Called once. */
  disconnect(): void;
}

/** Hooks the core gives an adapter so that `process.send` and `process.on("message")` work in a worker. */
export interface ProcessMessagingHooks {
  /** Sends a user message to the primary, as `process.send` does. */
  send(message: unknown, handle: unknown, options: unknown, callback: unknown): boolean;
  /** Closes the channel, as `process.disconnect` does. */
  disconnect(): void;
  /** Whether the channel is open, for `process.connected`. */
  connected(): boolean;
  /** Whether a message is one of the core's own, which no `message` listener of the user's may see. */
  isInternal(message: unknown): boolean;
}

/** The worker's end of the channel to its primary. */
export interface ParentLink {
  /** Whether the channel is open. */
  readonly connected: boolean;
  /**
   * Sends a message to the primary; see `ChildLink.send`. Without a callback, a send error is emitted as `error`
   * on the worker's process, as Node's `process.send` does.
   */
  send(message: unknown, handle: unknown, callback: ((error: Error | null) => void) | undefined): boolean;
  /** Closes the channel. */
  disconnect(): void;
  /**
   * Hands a user message to the `message` listeners of the global `process`, on a channel whose runtime does not
   * (one that does hands them over itself and reports only internal messages).
   */
  deliver(message: unknown, handle: unknown): void;
}
