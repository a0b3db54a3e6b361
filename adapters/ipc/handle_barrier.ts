/**
 * Deno's `child_process` loses a message that carries a handle when the child reads it together with a message
 * before it (the socket never arrives, and the channel stops delivering what follows; measured on Deno 2.9: a
 * plain message then a socket, sent in one tick, lose the socket 19 times in 30). The primary therefore sends a
 * handle only once the child has confirmed that it read everything sent before: when plain messages went out since
 * the last confirmation, it first sends a sync request, which the worker answers, and holds the handle (and what
 * comes after it, to keep the order) until the answer. A worker sends its handles the same way, since Deno reads
 * the primary's end of the channel alike. Round-robin, which sends only handles to a worker between
 * its answers, needs no sync after the first connection. Node and Deno keep messages whose `cmd` starts with
 * `NODE_` off the `message` event (they go to `internalMessage`), so users never see these.
 *
 * @module
 */

/** The primary's sync request: `{ cmd, n }`. */
export const SYNC = "NODE_UNICLUSTER_SYNC";
/** The worker's answer: `{ cmd, n }`. */
export const SYNCED = "NODE_UNICLUSTER_SYNCED";
/** A worker that does not answer (not started far enough yet) holds the messages no longer than this. */
const SYNC_TIMEOUT_MS = 1000;

/** Writes a message on the channel (and may throw, as the runtime's `send` does). */
export type Write = () => void;

/** The messages one end sends, with a sync before each handle that follows plain messages. */
export class HandleBarrier {
  #sendSync: (n: number) => void;
  #plainSinceSync = false;
  #held: { hasHandle: boolean; write: Write; failed: (error: Error) => void }[] = [];
  #syncing: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #n = 0;

  /** `sendSync(n)` sends the sync request number `n` to the other end. */
  constructor(sendSync: (n: number) => void) {
    this.#sendSync = sendSync;
  }

  /**
   * Writes now (a failure throws from here), or holds the message until the other end has confirmed what went
   * before a handle (a failure of the held write goes to `failed`).
   */
  send(hasHandle: boolean, write: Write, failed: (error: Error) => void): void {
    if (this.#held.length > 0 || (hasHandle && this.#plainSinceSync)) {
      this.#held.push({ hasHandle, write, failed });
      this.#sync();
      return;
    }
    write();
    if (!hasHandle) this.#plainSinceSync = true;
  }

  /** The worker's answer to sync request `n`. */
  synced(n: number): void {
    if (n !== this.#syncing) return;
    clearTimeout(this.#timer);
    this.#syncing = undefined;
    this.#plainSinceSync = false;
    this.#flush();
  }

  #sync(): void {
    if (this.#syncing !== undefined) return;
    const n = this.#syncing = ++this.#n;
    this.#sendSync(n);
    this.#timer = setTimeout(() => this.synced(n), SYNC_TIMEOUT_MS);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #flush(): void {
    while (this.#held.length > 0) {
      const next = this.#held[0];
      if (next.hasHandle && this.#plainSinceSync) return this.#sync();
      this.#held.shift();
      try {
        next.write();
      } catch (error) {
        next.failed(error as Error);
      }
      if (!next.hasHandle) this.#plainSinceSync = true;
    }
  }
}

/** One end of the runtime's channel: a `ChildProcess` in the primary, `process` in a worker. */
export interface ChannelEnd {
  on(event: string, listener: (message: { cmd?: unknown; n?: unknown }) => void): unknown;
}

/** Answers the other end's sync requests on `channel`; `send` writes on it (and skips a closed channel). */
export function answerSyncRequests(channel: ChannelEnd, send: (message: unknown) => unknown): void {
  channel.on("internalMessage", (message) => {
    if (message?.cmd === SYNC) send({ cmd: SYNCED, n: message.n });
  });
}

/** A barrier for what this end sends on `channel`: its syncs go out with `send`, the answers come back on it. */
export function handleBarrierOn(channel: ChannelEnd, send: (message: unknown) => unknown): HandleBarrier {
  const barrier = new HandleBarrier((n) => send({ cmd: SYNC, n }));
  channel.on("internalMessage", (message) => {
    if (message?.cmd === SYNCED) barrier.synced(Number(message.n));
  });
  return barrier;
}
