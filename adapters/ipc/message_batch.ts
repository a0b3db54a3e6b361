/**
 * Write batching on the runtime's own channel (`child_process` in the primary, `process` in the worker). The
 * channel writes each message on its own: one system call a message, and one wake-up of the reader when it was
 * waiting. A process that sends many messages in one go spent most of its time there (Node's `child.send` ran at
 * about 0.4 million small messages a second here).
 *
 * The first message of a run of JavaScript is written at once, as before. Json messages sent after it in the same
 * run, without a handle or a callback, wait until the run ends (a microtask), or until they reach
 * {@link MAX_BATCH_CHARS}, and go as one internal message ({@link BatchMessage}); the other end hands them on
 * one by one, in order ({@link deliverBatch}). Each is encoded as it is sent: a message json cannot carry still
 * throws at the `send` call, and a change to the object afterwards does not change what is sent, as under Node.
 * Whatever must keep its place after them (a handle, a callback, a disconnect, a signal) flushes them first, and
 * so does the process's `exit`: a message sent right before `process.exit()` is written, as under Node. A primary
 * batches only once the worker has shown that it runs the library (its first message of the library's own): a
 * worker script that never loads it gets each message on its own, as before.
 *
 * @module
 */

import type { InternalCmd } from "../../src/contract/mod.ts";
import { process } from "../shared/host_process.ts";

/** The `cmd` of the library's own messages: the user's `message` listeners skip a batch. */
const INTERNAL_CMD: InternalCmd = "UNICLUSTER";
/** The act of a batch; the core has no act of that name: each end's channel unpacks a batch before the core. */
const BATCH_ACT = "batch";

/** A batch on the channel: its messages' json texts as one json array. */
export interface BatchMessage {
  /** The library's own `cmd`: `message` listeners of the user's skip it. */
  cmd: InternalCmd;
  /** `"batch"`. */
  act: typeof BATCH_ACT;
  /** A json array of the messages. */
  body: string;
}

/** A batch is written once its messages' json reaches this many characters, without waiting for the run's end. */
export const MAX_BATCH_CHARS = 64 * 1024;

/** Batches with messages waiting, flushed when the process exits. */
const waiting = new Set<MessageBatch>();
let flushOnExit = false;

/** What a {@link MessageBatch} writes with, and how it starts. */
export interface MessageBatchOptions {
  /** Writes a message on the channel; returns false when the channel is backed up. */
  write(message: unknown): boolean;
  /** Hears a write that threw after `send` had returned. */
  failed(error: Error): void;
  /**
   * Encode the run's first message once before it is written (Deno's channel crashes on a cyclic message instead
   * of throwing).
   */
  checkFirst?: boolean;
  /** Whether the other end is known to unpack batches; until {@link MessageBatch.start}, each message goes alone. */
  started?: boolean;
}

/** The messages one end of a channel sent that wait for the end of the run. */
export class MessageBatch {
  #write: (message: unknown) => boolean;
  #failed: (error: Error) => void;
  #checkFirst: boolean;
  #started: boolean;
  #texts: string[] = [];
  #chars = 0;
  #runOpen = false;
  #writable = true;
  #endRun = (): void => {
    this.#runOpen = false;
    this.flush();
  };

  /** A batch that writes with `options.write`. */
  constructor(options: MessageBatchOptions) {
    this.#write = options.write;
    this.#failed = options.failed;
    this.#checkFirst = options.checkFirst === true;
    this.#started = options.started !== false;
  }

  /** The other end unpacks batches: from now on, the messages of a run go together. */
  start(): void {
    this.#started = true;
  }

  /**
   * Sends a json message: at once as the run's first, else with the run's batch. Returns what the last write
   * said of the channel (false: it is backed up), and throws when the message cannot be encoded.
   */
  send(message: unknown): boolean {
    if (!this.#runOpen) {
      if (this.#checkFirst) JSON.stringify(message);
      this.#writable = this.#write(message);
      if (this.#started) {
        this.#runOpen = true;
        queueMicrotask(this.#endRun);
      }
      return this.#writable;
    }
    const text = JSON.stringify(message);
    // Only what json drops at the top level (undefined, a function): the runtime's channel decides what to do.
    if (text === undefined) {
      this.flush();
      return this.#writable = this.#write(message);
    }
    if (this.#texts.length === 0) this.#remember();
    this.#texts.push(text);
    this.#chars += text.length;
    if (this.#chars >= MAX_BATCH_CHARS) this.flush();
    return this.#writable;
  }

  /** Writes the waiting messages now. */
  flush(): void {
    if (this.#texts.length === 0) return;
    const batch: BatchMessage = { cmd: INTERNAL_CMD, act: BATCH_ACT, body: `[${this.#texts.join(",")}]` };
    this.#texts = [];
    this.#chars = 0;
    waiting.delete(this);
    try {
      this.#writable = this.#write(batch);
    } catch (error) {
      this.#failed(error as Error);
    }
  }

  #remember(): void {
    waiting.add(this);
    if (flushOnExit) return;
    flushOnExit = true;
    process.on("exit", () => {
      for (const batch of waiting) batch.flush();
    });
  }
}

/** Whether a message is one of the library's own (a worker that sends one runs the library). */
export function isLibraryMessage(message: unknown): boolean {
  return typeof message === "object" && message !== null &&
    (message as { cmd?: unknown }).cmd === INTERNAL_CMD;
}

/** Whether a message may go with a batch: it carries no handle and waits for no callback. */
export function batchable(handle: unknown, callback: unknown): boolean {
  return callback === undefined && (handle === undefined || handle === null);
}

/** The messages of a batch, or undefined when `message` is none. */
export function batchedMessages(message: unknown): unknown[] | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const batch = message as Partial<BatchMessage>;
  if (batch.act !== BATCH_ACT || batch.cmd !== INTERNAL_CMD || typeof batch.body !== "string") {
    return undefined;
  }
  return JSON.parse(batch.body);
}

/**
 * Hands each message of a batch to `receive`, in order. A listener that throws does not cost the messages after
 * its own: the error is thrown again once the batch is delivered, where an uncaught one would have been.
 */
export function deliverBatch(messages: readonly unknown[], receive: (message: unknown) => void): void {
  for (const message of messages) {
    try {
      receive(message);
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}
