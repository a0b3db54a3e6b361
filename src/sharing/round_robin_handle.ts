/**
 * Round-robin (Node's `round_robin_handle.js`): the primary accepts each connection on the shared port and hands
 * it to the next worker in turn; a worker that cannot take it (its channel closed) passes it to the next one, and
 * a connection no worker can take is dropped.
 *
 * Unlike Node, a connection is handed over without waiting for the worker to acknowledge the previous one (Node
 * keeps a free list and an `accepted` reply): rotation is strict, which splits short connections exactly evenly.
 *
 * @module
 */

import type { PortOpener, ServerReply, ServerRequest, SharingMode } from "../contract/sharing.ts";
import { isFailure, type PortHandle, PrimaryPort } from "./port_handle.ts";

/** Sends a connection to a worker; `done` gets an error when the worker could not take it. */
export type HandOver<W> = (worker: W, socket: unknown, done: (error: Error | null) => void) => void;

/** One shared port in round-robin mode. */
export class RoundRobinHandle<W> implements PortHandle<W> {
  /** Always `rr`. */
  readonly mode: SharingMode = "rr";
  #port: PrimaryPort;
  #workers: W[] = [];
  #next = 0;
  #handOver: HandOver<W>;

  /** Opens the port for `request`; `handOver` sends each connection to a worker. */
  constructor(request: ServerRequest, opener: PortOpener, handOver: HandOver<W>) {
    this.#handOver = handOver;
    this.#port = new PrimaryPort("rr", request, opener, (socket) => this.distribute(socket));
  }

  /** Adds a worker to the rotation once the port is open. */
  async add(worker: W): Promise<ServerReply> {
    const outcome = await this.#port.opened;
    if (isFailure(outcome)) return outcome;
    if (!this.#workers.includes(worker)) this.#workers.push(worker);
    return { mode: "rr", port: outcome.port, address: outcome.address, family: outcome.family };
  }

  /** Removes a worker; the port closes with the last one. */
  remove(worker: W): boolean {
    const at = this.#workers.indexOf(worker);
    if (at !== -1) {
      this.#workers.splice(at, 1);
      if (this.#next > at) this.#next--;
    }
    if (this.#workers.length > 0) return false;
    this.#port.close();
    return true;
  }

  /** Nothing to do: the primary bound the port. */
  bound(): void {}

  /** Hands a new connection to the next worker; tries the others if that one cannot take it. */
  distribute(socket: unknown, tried = 0): void {
    const count = this.#workers.length;
    if (count === 0 || tried >= count) {
      (socket as { destroy?: () => void }).destroy?.();
      return;
    }
    const worker = this.#workers[this.#next % count];
    this.#next = (this.#next + 1) % count;
    this.#handOver(worker, socket, (error) => {
      if (error) this.distribute(socket, tried + 1);
    });
  }
}
