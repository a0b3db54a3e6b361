/**
 * A Deno worker's end of the socket channel on `Deno.connect` instead of `node:net`, behaving as the part of
 * `net.Socket` the channel uses (`ChannelSocket`). Measured on Deno 2.9: the first `node:net` connect of a process
 * takes about 2 ms against 0.8 ms, which a worker's first `listen` waits for. A read may fill up to 1 MiB where
 * `node:net` reads 64 KiB at a time. A write starts at once, as Node's does (Deno makes the system call before
 * `write` returns, so a message sent just before `process.exit()` still leaves); writes made while one is under
 * way go out together after it.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";
import type { ChannelSocket } from "../ipc/socket/channel.ts";
import { type DenoConn, denoGlobal } from "./globals.ts";

type WriteCallback = (error?: Error | null) => void;

/** The first read's size, and the largest a read grows to while reads keep filling it. */
const FIRST_READ_BYTES = 64 * 1024;
const LARGEST_READ_BYTES = 1024 * 1024;

/** Bytes queued beyond which `write` returns false, as a `net.Socket` at its high-water mark. */
const HIGH_WATER_BYTES = 64 * 1024;

/** A `Deno.Conn` with the events and methods of a `net.Socket` that the socket channel uses. */
export class DenoUnixSocket extends EventEmitter implements ChannelSocket {
  #conn: DenoConn;
  #destroyed = false;
  #reading = false;
  #readSize = FIRST_READ_BYTES;
  #readBuffer: Uint8Array | undefined;
  #queue: Buffer[] = [];
  #callbacks: WriteCallback[] = [];
  /** The callbacks of the bytes being written now. */
  #writing: WriteCallback[] = [];
  #queuedBytes = 0;
  #corked = 0;
  /** Whether a write is under way. */
  #flushing = false;
  #ending: (() => void) | undefined;

  /** Wraps a connected `conn`. */
  constructor(conn: DenoConn) {
    super();
    this.#conn = conn;
  }

  /** Whether the socket has been destroyed. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** Starts reading (once); `data` events follow. */
  resume(): this {
    if (!this.#reading && !this.#destroyed) {
      this.#reading = true;
      void this.#readLoop();
    }
    return this;
  }

  /** Writes bytes now, or after the write under way (together with the others queued meanwhile). */
  write(bytes: Buffer, callback?: WriteCallback): boolean {
    if (this.#destroyed || this.#ending !== undefined) {
      const error = destroyedError();
      queueMicrotask(() => callback?.(error));
      return false;
    }
    this.#queue.push(bytes);
    this.#callbacks.push(callback ?? ignore);
    this.#queuedBytes += bytes.length;
    if (this.#corked === 0) this.#flush();
    return this.#queuedBytes < HIGH_WATER_BYTES;
  }

  /** Holds writes until {@link DenoUnixSocket.uncork}. */
  cork(): void {
    this.#corked++;
  }

  /** Sends the writes held since {@link DenoUnixSocket.cork}. */
  uncork(): void {
    if (this.#corked > 0 && --this.#corked === 0) this.#flush();
  }

  /** Writes what is queued, shuts down the writing side, then calls `callback`. */
  end(callback: () => void): this {
    if (this.#destroyed || this.#ending !== undefined) return this;
    this.#ending = callback;
    this.#corked = 0;
    this.#flush();
    return this;
  }

  /** Closes at once: queued writes fail, `close` follows. */
  destroy(error?: Error): this {
    if (this.#destroyed) return this;
    this.#destroyed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the runtime.
    }
    const callbacks = [...this.#writing, ...this.#callbacks];
    this.#writing = [];
    this.#queue = [];
    this.#callbacks = [];
    this.#queuedBytes = 0;
    queueMicrotask(() => {
      const dropped = destroyedError();
      for (const callback of callbacks) callback(dropped);
      if (error !== undefined) this.emit("error", error);
      this.emit("close");
    });
    return this;
  }

  /** Lets the socket keep the process alive. */
  ref(): this {
    this.#conn.ref();
    return this;
  }

  /** Stops the socket from keeping the process alive. */
  unref(): this {
    this.#conn.unref();
    return this;
  }

  /** Starts writing what is queued, unless a write is under way (it goes on with the queue when done). */
  #flush(): void {
    if (this.#flushing || this.#destroyed) return;
    this.#flushing = true;
    void this.#writeQueued();
  }

  /** Writes the queue until it is empty, then ends the writing side if asked. The first write starts at once. */
  async #writeQueued(): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.#destroyed) {
        const bytes = this.#queue.length === 1
          ? this.#queue[0]
          : Buffer.concat(this.#queue, this.#queuedBytes);
        this.#writing = this.#callbacks;
        this.#queue = [];
        this.#callbacks = [];
        this.#queuedBytes = 0;
        for (let written = 0; written < bytes.length;) {
          written += await this.#conn.write(bytes.subarray(written));
        }
        const callbacks = this.#writing;
        this.#writing = [];
        for (const callback of callbacks) callback(null);
      }
    } catch (error) {
      return this.#failed(error, "write");
    } finally {
      this.#flushing = false;
    }
    const ending = this.#ending;
    if (ending === undefined || this.#destroyed) return;
    try {
      await this.#conn.closeWrite();
    } catch {
      // The peer is gone already: the end is reached all the same.
    }
    ending();
  }

  async #readLoop(): Promise<void> {
    try {
      while (!this.#destroyed) {
        const buffer = this.#readBuffer ??= new Uint8Array(this.#readSize);
        const count = await this.#conn.read(buffer);
        if (count === null) {
          // The peer ended: as a net.Socket that does not allow half-open, finish writing, then close.
          if (this.#ending === undefined) this.end(() => this.destroy());
          return;
        }
        this.emit("data", this.#received(buffer, count));
      }
    } catch (error) {
      this.#failed(error, "read");
    }
  }

  /**
   * The bytes a read gave, copied out of the read buffer (which serves every read: no buffer is made, or zeroed,
   * per read). A read that filled the buffer makes the next one twice as large, up to 1 MiB.
   */
  #received(buffer: Uint8Array, count: number): Buffer {
    const bytes = Buffer.allocUnsafe(count);
    bytes.set(buffer.subarray(0, count));
    if (count === buffer.length && this.#readSize < LARGEST_READ_BYTES) {
      this.#readSize *= 2;
      this.#readBuffer = undefined;
    }
    return bytes;
  }

  #failed(error: unknown, syscall: string): void {
    if (this.#destroyed) return;
    const failure = error instanceof Error ? error : new Error(String(error));
    this.destroy(Object.assign(failure, { syscall: (failure as { syscall?: string }).syscall ?? syscall }));
  }
}

function ignore(): void {}

/** What a write gets that the socket will not make: the error a destroyed `net.Socket` gives. */
function destroyedError(): Error {
  return Object.assign(new Error("The socket has been closed"), { code: "ERR_STREAM_DESTROYED" });
}

/**
 * Connects to the unix socket `path` (an abstract name starts with NUL) with `Deno.connect`; `connected` gets the
 * socket, `failed` the error (with the system's `code`, as `ECONNREFUSED`).
 */
export function dialDenoUnixSocket(
  path: string,
  connected: (socket: ChannelSocket) => void,
  failed: (error: Error & { code?: string }) => void,
): void {
  denoGlobal().connect({ transport: "unix", path }).then(
    (conn) => connected(new DenoUnixSocket(conn)),
    (error: Error & { code?: string }) => failed(error),
  );
}
