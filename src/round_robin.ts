/**
 * Round-robin: the primary accepts each connection on a shared port and hands it to the next worker in turn.
 *
 * @module
 */

import type { SharedListener } from "../adapters/types.ts";
import type { Worker } from "./worker.ts";

/** Sends a connection to a worker; the callback gets an error when the worker could not take it. */
export type HandOver = (worker: Worker, socket: unknown, done: (error: Error | null) => void) => void;

/** One shared port in round-robin mode: its listener and the workers that serve it. */
export class RoundRobinHandle {
  /** The key of the port (`address:port:addressType:fd`). */
  readonly key: string;
  /** The listening socket, once open. */
  listener: SharedListener | undefined;
  #workers: Worker[] = [];
  #next = 0;
  #handOver: HandOver;
  #destroy: (socket: unknown) => void;

  /** Makes a handle for `key`; `destroy` drops a connection that no worker can take. */
  constructor(key: string, handOver: HandOver, destroy: (socket: unknown) => void) {
    this.key = key;
    this.#handOver = handOver;
    this.#destroy = destroy;
  }

  /** Adds a worker to the rotation. */
  add(worker: Worker): void {
    if (!this.#workers.includes(worker)) this.#workers.push(worker);
  }

  /** Removes a worker; returns true when no worker is left. */
  remove(worker: Worker): boolean {
    const at = this.#workers.indexOf(worker);
    if (at !== -1) {
      this.#workers.splice(at, 1);
      if (this.#next > at) this.#next--;
    }
    return this.#workers.length === 0;
  }

  /** Whether `worker` serves this port. */
  has(worker: Worker): boolean {
    return this.#workers.includes(worker);
  }

  /** Hands a new connection to the next worker; tries the others if that one cannot take it. */
  distribute(socket: unknown, tried = 0): void {
    const count = this.#workers.length;
    if (count === 0 || tried >= count) {
      this.#destroy(socket);
      return;
    }
    const worker = this.#workers[this.#next % count];
    this.#next = (this.#next + 1) % count;
    this.#handOver(worker, socket, (error) => {
      if (error) this.distribute(socket, tried + 1);
    });
  }
}
