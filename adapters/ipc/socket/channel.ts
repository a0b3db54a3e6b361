/**
 * One framed connection of the socket channel: what the Deno adapter uses instead of Node's IPC channel, which
 * `Deno.Command` cannot open (it gives a child no extra file descriptors).
 *
 * The primary's `ChannelAcceptor` (./acceptor.ts) accepts each worker once its token checks out; the
 * worker's end connects with `connectSocketParent` (./parent.ts); both ends then exchange frames
 * (./framing.ts) through a {@link SocketChannel}. Only `node:` built-ins are used, so both ends run on Node,
 * Deno and Bun alike: a Node or Bun worker of a Deno primary connects the same way.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import type { Serialization } from "../../../src/contract/mod.ts";
import { channelClosed, handlesUnsupported } from "../../../src/errors.ts";
import { decodePayload, encodeFrame, FrameReader } from "./framing.ts";

/** Socket errors that just mean the other end went away: they close the channel without being reported. */
export const PEER_GONE = new Set([
  "EPIPE",
  "ECONNRESET",
  "ECONNABORTED",
  "ERR_STREAM_DESTROYED",
  "ERR_STREAM_WRITE_AFTER_END",
]);

// --- one connection ---

/**
 * What a channel needs of its connected socket: the part of `net.Socket` it uses, so that a `node:net` socket is
 * one, and so is the Deno adapter's native unix socket.
 */
export interface ChannelSocket {
  /** Whether the socket has been destroyed. */
  readonly destroyed: boolean;
  /** Bytes read. */
  on(event: "data", listener: (chunk: Buffer) => void): unknown;
  /** A socket error (with the system's `code`); `close` follows. */
  on(event: "error", listener: (error: Error & { code?: string }) => void): unknown;
  /** The socket closed; emitted once. */
  on(event: "close", listener: () => void): unknown;
  /** Queues bytes; `callback` gets an error if they could not be written. False when the caller should wait. */
  write(bytes: Buffer, callback?: (error?: Error | null) => void): boolean;
  /** Holds writes until {@link ChannelSocket.uncork}, to send them together. */
  cork(): void;
  /** Sends the writes held since {@link ChannelSocket.cork}. */
  uncork(): void;
  /** Flushes the writes, ends the writing side, then calls `callback`. */
  end(callback: () => void): unknown;
  /** Closes at once. */
  destroy(): unknown;
  /** Lets the socket keep the process alive. */
  ref(): unknown;
  /** Stops the socket from keeping the process alive. */
  unref(): unknown;
  /** Starts (or goes on) reading. */
  resume(): unknown;
}

/** What a {@link SocketChannel} reports. */
export interface ChannelEvents {
  /** A message arrived. */
  message(message: unknown): void;
  /** A protocol error (bad or oversized frame) or a socket error; the channel closes right after. */
  error(error: Error): void;
  /** The channel closed. Called once. */
  close(): void;
}

type Callback = (error: Error | null) => void;
type ChannelState = "pending" | "open" | "closing" | "closed";

/**
 * One framed connection. It can be made before its socket exists (`pending`): messages sent then are queued and
 * written, in order, once {@link SocketChannel.attach} hands it the socket.
 */
export class SocketChannel {
  #serialization: Serialization;
  #events: ChannelEvents;
  #state: ChannelState = "pending";
  #socket: ChannelSocket | undefined;
  #reader = new FrameReader();
  #queued: Buffer[] = [];
  #queuedCallbacks: (Callback | undefined)[] = [];
  #failure: Error | undefined;
  #referenced = true;
  /** Where a send without a callback reports its failure (made once, not per message). */
  #reportFailure: Callback = (error) => {
    if (error) this.#events.error(error);
  };

  /** Makes a channel that encodes with `serialization` and reports to `events`. */
  constructor(serialization: Serialization, events: ChannelEvents) {
    this.#serialization = serialization;
    this.#events = events;
  }

  /** Whether messages can be sent: true while pending or open, false once disconnecting or closed. */
  get connected(): boolean {
    return this.#state === "pending" || this.#state === "open";
  }

  /** Whether the channel has its socket (it was attached and has not closed yet). */
  get attached(): boolean {
    return this.#socket !== undefined && this.#state !== "closed";
  }

  /**
   * Gives the channel its connected socket. `received` holds bytes that arrived with the hello (the start of the
   * next frames); `preamble` is written before the queued messages (the worker's hello).
   */
  attach(socket: ChannelSocket, received?: Buffer, preamble?: Buffer): void {
    if (this.#state === "closed" || this.#socket !== undefined) {
      socket.destroy();
      return;
    }
    this.#socket = socket;
    if (!this.#referenced) socket.unref();
    socket.on("data", (chunk: Buffer) => this.#receive(chunk));
    socket.on("error", (error: Error & { code?: string }) => {
      if (error.code === undefined || !PEER_GONE.has(error.code)) this.#events.error(error);
    });
    socket.on("close", () => this.#closed());
    if (socket.destroyed) queueMicrotask(() => this.#closed());
    const queued = this.#queued;
    const callbacks = this.#queuedCallbacks;
    this.#queued = [];
    this.#queuedCallbacks = [];
    if (preamble !== undefined || queued.length > 0) {
      socket.cork();
      if (preamble !== undefined) socket.write(preamble);
      for (let i = 0; i < queued.length; i++) {
        socket.write(queued[i], doneWith(callbacks[i] ?? this.#reportFailure));
      }
      socket.uncork();
    }
    if (this.#state === "closing") this.#end();
    else this.#state = "open";
    if (received !== undefined && received.length > 0) this.#receive(received);
    socket.resume();
  }

  /**
   * Sends one message. Returns false when the socket had to buffer it (backpressure), as Node's `send` does. The
   * callback gets null once the frame is handed to the socket, or an error if the channel closed first; without a
   * callback, that error goes to the `error` event. Throws a
   * `TypeError` for a message the serialization cannot encode (nothing is sent), and an
   * `ERR_FEATURE_UNAVAILABLE_ON_PLATFORM` error for any handle.
   */
  send(message: unknown, handle: unknown, callback: Callback | undefined): boolean {
    if (handle !== undefined && handle !== null) throw handlesUnsupported();
    if (!this.connected) {
      const error = channelClosed();
      queueMicrotask(() => (callback ?? this.#reportFailure)(error));
      return false;
    }
    const frame = encodeFrame(message, this.#serialization);
    const socket = this.#socket;
    if (socket === undefined) {
      this.#queued.push(frame);
      this.#queuedCallbacks.push(callback);
      return true;
    }
    return socket.write(frame, doneWith(callback ?? this.#reportFailure));
  }

  /** Lets the channel keep the process alive (the default), as Node's `process.channel.ref()`. */
  ref(): void {
    this.#referenced = true;
    this.#socket?.ref();
  }

  /** Stops the channel from keeping the process alive, as Node's `process.channel.unref()`. */
  unref(): void {
    this.#referenced = false;
    this.#socket?.unref();
  }

  /**
   * Closes the channel: what was already sent is flushed, then the socket closes. No message is delivered after
   * this call. The `close` event follows once the socket has closed.
   */
  disconnect(): void {
    if (!this.connected) return;
    this.#state = "closing";
    if (this.#socket !== undefined) this.#end();
  }

  /**
   * Closes at once, dropping unsent messages (their callbacks get `ERR_IPC_CHANNEL_CLOSED`). The `close` event
   * follows asynchronously.
   */
  destroy(): void {
    if (this.#state === "closed") return;
    this.#state = "closing";
    if (this.#socket !== undefined) this.#socket.destroy();
    else queueMicrotask(() => this.#closed());
  }

  #end(): void {
    const socket = this.#socket!;
    // Flush, send FIN, then close without waiting for the other end's FIN (as Node's disconnect closes at once).
    socket.end(() => socket.destroy());
  }

  #receive(chunk: Buffer): void {
    if (this.#state !== "open") return;
    // Protocol errors close the channel.
    const failure = this.#reader.push(chunk, this.#deliver) ?? this.#failure;
    if (failure !== undefined) {
      this.#failure = undefined;
      this.#state = "closing";
      this.#socket?.destroy();
      this.#events.error(failure);
    }
  }

  /** Decodes and delivers one payload; returns whether to go on with the next. */
  #deliver = (bytes: Buffer, start: number, end: number): boolean => {
    let message: unknown;
    try {
      message = decodePayload(bytes, start, end, this.#serialization);
    } catch (error) {
      this.#failure = error as Error;
      return false;
    }
    try {
      this.#events.message(message);
    } catch (error) {
      // A message listener's exception is the process's, as under Node's IPC, not the channel's: it is thrown again
      // outside the socket's `data` event (Deno's node:net would close the socket over it), and the messages after
      // it still come.
      queueMicrotask(() => {
        throw error;
      });
    }
    return this.#state === "open";
  };

  #closed(): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    const callbacks = this.#queuedCallbacks;
    this.#queued = [];
    this.#queuedCallbacks = [];
    if (callbacks.length > 0) {
      const error = channelClosed();
      for (const callback of callbacks) (callback ?? this.#reportFailure)(error);
    }
    this.#events.close();
  }
}

/** The operating system's errors of a write whose other end went away. */
const WRITE_TO_GONE_PEER = new Set(["EPIPE", "ECONNRESET", "ECONNABORTED"]);

/**
 * Wraps a send callback: null on success. A write the operating system refused because the other end went away
 * fails as Node's channel reports it (`write EPIPE`, syscall `write`); one the stream refused because it had
 * closed is "Channel closed".
 */
function doneWith(callback: Callback): (error?: Error | null) => void {
  return (error) => {
    if (!error) return callback(null);
    const failed = error as Error & { code?: string; syscall?: string };
    if (failed.code !== undefined && WRITE_TO_GONE_PEER.has(failed.code)) {
      return callback(Object.assign(failed, { syscall: failed.syscall ?? "write" }));
    }
    callback(
      failed.code === undefined || PEER_GONE.has(failed.code)
        ? Object.assign(channelClosed(), { cause: error })
        : error,
    );
  };
}
