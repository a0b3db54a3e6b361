/**
 * The worker's end of a channel the runtime opened itself (Node's `child_process` IPC, or Bun's `ipc`): the global
 * `process` with `send`, `on("message")` and `disconnect`, used by every adapter when a worker was started that
 * way. Connecting and installing `process` messaging happen here together, in the order they need: the channel's
 * own listener goes on `process` first, unwrapped, and takes the internal messages; the runtime hands user messages
 * to the user's listeners itself, but for those that came in a batch of the primary's (./message_batch.ts), which
 * this listener unpacks and hands on.
 *
 * @module
 */

import type {
  ParentEvents,
  ParentLink,
  ProcessMessagingHooks,
  Serialization,
} from "../../src/contract/mod.ts";
import { answerSyncRequests, handleBarrierOn } from "./handle_barrier.ts";
import { batchable, batchedMessages, deliverBatch, MessageBatch } from "./message_batch.ts";
import { installProcessMessaging } from "./process_messaging.ts";

interface ChannelProcess {
  connected?: boolean;
  send?: (
    message: unknown,
    handle?: unknown,
    options?: unknown,
    callback?: (error: Error | null) => void,
  ) => boolean;
  disconnect?: () => void;
  emit(event: string, ...args: unknown[]): boolean;
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (...args: never[]) => void): unknown;
}

/** How a worker uses the runtime's channel. */
export interface ProcessChannelOptions {
  /**
   * Serialize each json message once first, so that a message json cannot carry throws a TypeError (Deno's
   * channel crashes on one).
   */
  checkJson?: boolean;
  /** A handle that follows other messages waits until the primary has read them (./handle_barrier.ts). */
  syncHandles?: boolean;
  /**
   * A disconnect waits until the messages sent before it are written, as they are at once under Node (Deno,
   * whose channel writes asynchronously).
   */
  flushBeforeDisconnect?: boolean;
  /** With `json`, the messages sent in one run of JavaScript go out together (./message_batch.ts). */
  serialization?: Serialization;
}

/** Connects to the primary through the runtime's own IPC channel on `proc`. */
export function connectProcessParent(
  proc: unknown,
  events: ParentEvents,
  hooks: ProcessMessagingHooks,
  options: ProcessChannelOptions = {},
): ParentLink {
  const { checkJson = false, syncHandles = false, flushBeforeDisconnect = false } = options;
  const channel = proc as ChannelProcess;
  const send = channel.send?.bind(channel);
  const disconnect = channel.disconnect?.bind(channel);
  if (send === undefined || disconnect === undefined) {
    throw new Error("This worker was started without an IPC channel (process.send is missing)");
  }
  // Read `connected` through the runtime's own getter (Bun): the messaging shim replaces the property below. Node
  // and Deno have none; they assign it, and say false as their channel closes, before its `disconnect` event
  // (`assigned`): disconnecting again in between would close the channel twice.
  const descriptor = Object.getOwnPropertyDescriptor(channel, "connected") ??
    Object.getOwnPropertyDescriptor(Object.getPrototypeOf(channel), "connected");
  const isConnected = descriptor?.get ? () => descriptor.get!.call(channel) as boolean : () => open;
  let assigned = channel.connected !== false;
  let open = true;
  let deliver = (_message: unknown, _handle: unknown): void => {};
  const receive = (message: unknown) => {
    if (hooks.isInternal(message)) events.message(message, undefined);
    else deliver(message, undefined);
  };
  channel.on("message", (message: unknown, handle: unknown) => {
    if (!hooks.isInternal(message)) return;
    const batch = batchedMessages(message);
    if (batch === undefined) events.message(message, handle);
    else deliverBatch(batch, receive);
  });
  answerSyncRequests(channel, send);
  let batch: MessageBatch | undefined;
  const barrier = syncHandles
    ? handleBarrierOn(channel, (message) => {
      batch?.flush();
      return channel.connected !== false && send(message);
    })
    : undefined;
  channel.once("disconnect", () => {
    open = false;
    events.disconnect();
  });
  deliver = installProcessMessaging(proc, hooks, (connected) => assigned = connected);
  let unwritten = 0;
  let disconnectWhenWritten = false;
  const disconnectNow = () => {
    disconnectWhenWritten = false;
    if (open && assigned && isConnected() !== false) disconnect();
  };
  const write = (message: unknown, handle: unknown, callback?: (error: Error | null) => void): boolean => {
    if (!flushBeforeDisconnect) {
      return callback === undefined
        ? send(message, handle)
        : send(message, handle, undefined, (error) => callback(error ?? null));
    }
    unwritten++;
    return send(message, handle, undefined, (error) => {
      unwritten--;
      if (callback !== undefined) callback(error ?? null);
      else if (error) channel.emit("error", error);
      if (unwritten === 0 && disconnectWhenWritten) disconnectNow();
    });
  };
  if (options.serialization === "json") {
    batch = new MessageBatch({
      write: (message) => write(message, undefined),
      failed: (error) => channel.emit("error", error),
    });
  }
  // In order: a message with a handle or a callback goes after the batch's.
  const post = (message: unknown, handle: unknown, callback?: (error: Error | null) => void): boolean => {
    if (batch === undefined) return write(message, handle, callback);
    if (batchable(handle, callback)) return batch.send(message);
    batch.flush();
    return write(message, handle, callback);
  };
  return {
    get connected() {
      return open && isConnected() !== false;
    },
    send(message, handle, callback) {
      if (checkJson) JSON.stringify(message);
      if (barrier === undefined) return post(message, handle, callback);
      barrier.send(
        handle !== undefined && handle !== null,
        () => post(message, handle, callback),
        (error) => callback ? callback(error) : channel.emit("error", error),
      );
      return true;
    },
    disconnect() {
      batch?.flush();
      if (unwritten > 0) disconnectWhenWritten = true;
      else disconnectNow();
    },
    // The runtime's channel has handed every user message to the listeners already, batches aside (above).
    deliver: () => {},
  };
}
