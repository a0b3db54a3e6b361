/**
 * The worker's side of port sharing (Node's `child.js` `_getServer`): the bridge through which the adapter's
 * server hooks ask the primary for a port, report `listening` and `close`, and receive round-robin connections;
 * and the list of open servers that `worker.disconnect()` closes first.
 *
 * @module
 */

import type { DatagramInfo, ServerBridge, ServerReply, TrackedServer } from "../contract/sharing.ts";
import type { PrimaryToWorker, WorkerToPrimary } from "../protocol.ts";

/** How the bridge talks to the primary. */
export interface PrimaryRequests {
  /** Whether the channel is open. */
  connected(): boolean;
  /** Sends a message and calls `onReply` with the primary's answer (never, when the channel closes first). */
  ask(
    message: WorkerToPrimary,
    onReply: (answer: Extract<PrimaryToWorker, { act: "ack" }>, handle: unknown) => void,
  ): void;
  /** Sends a message that needs no answer. */
  tell(message: WorkerToPrimary): void;
}

/**
 * A reply for a request the primary never answered. `mode` is required by the type and means nothing here: the
 * `errno` tells the server hook that it cannot listen.
 */
export function failedReply(errno: string, error: string): ServerReply {
  return { mode: "rr", port: -1, errno, error };
}

/** The worker's servers, as the primary shares their ports. */
export class WorkerServers {
  /** What the adapter's server hooks use. */
  readonly bridge: ServerBridge;
  #servers = new Set<TrackedServer>();
  #routes = new Map<string, (socket: unknown) => boolean>();
  #datagrams = new Map<string, (data: string, rinfo: DatagramInfo) => void>();
  /** Per base key, the next index and the keys in use (Node's child index: see {@link WorkerServers.indexed}). */
  #indexes = new Map<string, { next: number; live: Set<string> }>();
  #baseOf = new Map<string, string>();
  #leaving = false;

  /** Talks to the primary through `primary`. */
  constructor(primary: PrimaryRequests) {
    this.bridge = {
      query: (request) =>
        new Promise<ServerReply>((resolve) => {
          request.key = this.#indexed(request.key);
          if (!primary.connected()) return resolve(failedReply("ERR_IPC_CHANNEL_CLOSED", "Channel closed"));
          primary.ask({ act: "queryServer", request }, ({ reply }, handle) => {
            if (reply === undefined) resolve(failedReply("EPROTO", "The primary answered without a reply"));
            else resolve({ ...reply, handle });
          });
        }),
      listening: (key, address) => primary.tell({ act: "listening", key, address }),
      closed: (key) => {
        if (this.#release(key)) primary.tell({ act: "close", key });
      },
      track: (server) => {
        // A server whose port came after the worker began to leave closes at once (it would keep the worker alive).
        if (this.#leaving) {
          server.close(() => {});
          return () => {};
        }
        this.#servers.add(server);
        return () => this.#servers.delete(server);
      },
      onConnection: (key, accept) => {
        if (accept) this.#routes.set(key, accept);
        else this.#routes.delete(key);
      },
      onDatagram: (key, receive) => {
        if (receive) this.#datagrams.set(key, receive);
        else this.#datagrams.delete(key);
      },
      sendDatagram: (key, data, port, address) =>
        new Promise((resolve) => {
          if (!primary.connected()) {
            return resolve({ bytes: 0, errno: "ERR_IPC_CHANNEL_CLOSED", error: "Channel closed" });
          }
          primary.ask(
            { act: "sendto", key, data, port, address },
            ({ sent }) => resolve(sent ?? { bytes: 0 }),
          );
        }),
    };
  }

  /**
   * The key a listen is shared under: the base key and this listen's index among the worker's open listens of the
   * same base, as Node's `child.js` counts them. The second `listen(0)` of a worker thus gets a port of its own,
   * shared with the second `listen(0)` of the other workers.
   */
  #indexed(base: string): string {
    let entry = this.#indexes.get(base);
    if (entry === undefined) this.#indexes.set(base, entry = { next: 0, live: new Set() });
    const key = `${base}:${entry.next++}`;
    entry.live.add(key);
    this.#baseOf.set(key, base);
    return key;
  }

  /**
   * A listen closed: its index is free once every listen of that base has closed (as in Node). False when it had
   * already closed.
   */
  #release(key: string): boolean {
    const base = this.#baseOf.get(key);
    if (base === undefined) return false;
    this.#baseOf.delete(key);
    const entry = this.#indexes.get(base)!;
    entry.live.delete(key);
    if (entry.live.size === 0) this.#indexes.delete(base);
    return true;
  }

  /** A round-robin connection for `key`: `answer` says whether that server took it (not once closed, or full). */
  accept(key: string, socket: unknown, answer: (accepted: boolean) => void): void {
    const route = this.#routes.get(key);
    if (route !== undefined || !this.#baseOf.has(key)) return answer(route?.(socket) ?? false);
    // The listen is still waiting for its reply: it came in the same read as this connection, and the server
    // takes its route once the reply's promise has settled, after the messages of that read.
    setTimeout(() => answer(this.#routes.get(key)?.(socket) ?? false), 0);
  }

  /** A datagram the primary handed over for `key`; dropped when that socket has closed. */
  datagram(key: string, data: string, rinfo: DatagramInfo): void {
    const receive = this.#datagrams.get(key);
    if (receive !== undefined || !this.#baseOf.has(key)) return receive?.(data, rinfo);
    // As for a connection (see accept): the socket's bind may still be waiting for its reply's promise.
    setTimeout(() => this.#datagrams.get(key)?.(data, rinfo), 0);
  }

  /** Closes every server, and any that starts later; `done` runs once all have stopped accepting. */
  closeAll(done: () => void): void {
    this.#leaving = true;
    const servers = [...this.#servers];
    this.#servers.clear();
    let waiting = servers.length + 1;
    const step = () => {
      if (--waiting === 0) done();
    };
    for (const server of servers) server.close(step);
    step();
  }
}
