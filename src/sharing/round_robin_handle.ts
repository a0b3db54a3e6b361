/**
 * Round-robin (Node's `round_robin_handle.js`): the primary accepts each connection on the shared port and hands
 * it to the next worker in turn that is free. As in Node, a worker is free again once it has answered for its
 * previous connection, so a busy worker is not sent more: connections wait in the primary until a worker is free,
 * and none waits for a busy worker while another is free. The turn goes on in order among the free workers,
 * whoever answered first, and a worker answers as soon as it takes a connection, before serving it (as Node's
 * worker does): connections that come one at a time split evenly. A worker that refuses a connection (its server
 * has closed, or is at `maxConnections`) sends it back and it goes to another worker; a connection every worker
 * has refused is dropped.
 *
 * @module
 */

import type { PortOpener, ServerReply, ServerRequest, SharingMode } from "../contract/sharing.ts";
import { dropConnection } from "./connection.ts";
import { isFailure, type PortHandle, PrimaryPort } from "./port_handle.ts";

/**
 * How a hand-over ended: `taken` by the worker; `refused` by it (`returned` is the connection, when it came
 * back); or `failed`, not sent at all (the worker's channel closed; the connection is still the primary's).
 */
export type HandOverResult = "taken" | "refused" | "failed";

/** Sends a connection to a worker; `done` says how it ended. */
export type HandOver<W> = (
  worker: W,
  socket: unknown,
  done: (result: HandOverResult, returned?: unknown) => void,
) => void;

/** One shared port in round-robin mode. */
export class RoundRobinHandle<W> implements PortHandle<W> {
  /** Always `rr`. */
  readonly mode: SharingMode = "rr";
  #port: PrimaryPort;
  #all: W[] = [];
  #free = new Set<W>();
  /** Where the next turn starts in `#all`. */
  #next = 0;
  #waiting: unknown[] = [];
  /** The workers that refused each connection: it goes to another, and is dropped once all have refused it. */
  #refusedBy = new WeakMap<object, Set<W>>();
  #handOver: HandOver<W>;

  /** Opens the port for `request`; `handOver` sends each connection to a worker. */
  constructor(request: ServerRequest, opener: PortOpener, handOver: HandOver<W>) {
    this.#handOver = handOver;
    this.#port = new PrimaryPort("rr", request, opener, (socket) => this.distribute(socket));
  }

  /** Adds a worker once the port is open; it takes connections once it has its reply ({@link replied}). */
  async add(worker: W): Promise<ServerReply> {
    const outcome = await this.#port.opened;
    if (isFailure(outcome)) return outcome;
    if (!this.#all.includes(worker)) this.#all.push(worker);
    return { mode: "rr", port: outcome.port, address: outcome.address, family: outcome.family };
  }

  /** The worker has its reply: it is free, as in Node, which hands a worker connections after its reply. */
  replied(worker: W): void {
    if (!this.#all.includes(worker)) return;
    this.#free.add(worker);
    this.#dispatch();
  }

  /** Removes a worker; the port closes with the last one, dropping the connections still waiting. */
  remove(worker: W): boolean {
    const at = this.#all.indexOf(worker);
    if (at !== -1) {
      this.#all.splice(at, 1);
      if (this.#next > at) this.#next--;
    }
    this.#free.delete(worker);
    if (this.#all.length > 0) {
      this.#dispatch();
      return false;
    }
    for (const socket of this.#waiting.splice(0)) dropConnection(socket);
    this.#port.close();
    return true;
  }

  /** Nothing to do: the primary bound the port. */
  bound(): void {}

  /** A new connection: to the first free worker, or it waits for one. */
  distribute(socket: unknown): void {
    if (this.#all.length === 0) return dropConnection(socket);
    // The common case, no connection waiting and a worker free: straight to it (no worker has refused it yet).
    const worker = this.#waiting.length === 0 ? this.#nextFree(undefined) : undefined;
    if (worker !== undefined) {
      this.#free.delete(worker);
      return this.#send(worker, socket);
    }
    this.#waiting.push(socket);
    this.#dispatch();
  }

  /** Gives waiting connections, oldest first, to free workers that have not refused them. */
  #dispatch(): void {
    for (let i = 0; i < this.#waiting.length && this.#free.size > 0;) {
      const socket = this.#waiting[i];
      const refused = this.#refusedBy.get(socket as object);
      if (refused !== undefined && this.#all.every((w) => refused.has(w))) {
        this.#waiting.splice(i, 1);
        dropConnection(socket);
        continue;
      }
      const worker = this.#nextFree(refused);
      if (worker === undefined) {
        i++;
        continue;
      }
      this.#free.delete(worker);
      this.#waiting.splice(i, 1);
      this.#send(worker, socket);
    }
  }

  /** The next worker in turn that is free and has not refused the connection. */
  #nextFree(refused: Set<W> | undefined): W | undefined {
    const count = this.#all.length;
    for (let k = 0; k < count; k++) {
      const at = (this.#next + k) % count;
      const worker = this.#all[at];
      if (refused?.has(worker) || !this.#free.has(worker)) continue;
      this.#next = (at + 1) % count;
      return worker;
    }
    return undefined;
  }

  #send(worker: W, socket: unknown): void {
    this.#handOver(worker, socket, (result, returned) => {
      if (result === "failed") {
        // Not sent: the connection is still the primary's, and the worker is on its way out.
        this.#waiting.unshift(socket);
      } else {
        if (result === "refused" && returned !== undefined) this.#refused(worker, returned);
        if (this.#all.includes(worker)) this.#free.add(worker);
      }
      this.#dispatch();
    });
  }

  #refused(worker: W, socket: unknown): void {
    if (typeof socket !== "object" || socket === null) return;
    let refused = this.#refusedBy.get(socket);
    if (refused === undefined) this.#refusedBy.set(socket, refused = new Set());
    refused.add(worker);
    this.#waiting.unshift(socket);
  }
}
