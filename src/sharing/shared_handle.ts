/**
 * Shared handle (Node's `shared_handle.js`, policy `SCHED_NONE`): the primary binds the port without accepting
 * and sends the listening handle to every worker, which accept on it themselves; the operating system decides
 * which worker gets a connection. Only Node's `net` can make such a handle.
 *
 * @module
 */

import type { PortOpener, ServerReply, ServerRequest, SharingMode } from "../contract/sharing.ts";
import { isFailure, type PortHandle, PrimaryPort } from "./port_handle.ts";

/** One shared port in `none` mode. */
export class SharedHandle<W> implements PortHandle<W> {
  /** Always `none`. */
  readonly mode: SharingMode = "none";
  #port: PrimaryPort;
  #workers = new Set<W>();

  /** Binds the port for `request`. */
  constructor(request: ServerRequest, opener: PortOpener) {
    this.#port = new PrimaryPort("none", request, opener);
  }

  /** Adds a worker once the port is bound; its reply carries the handle. */
  async add(worker: W): Promise<ServerReply> {
    const outcome = await this.#port.opened;
    if (isFailure(outcome)) return outcome;
    this.#workers.add(worker);
    return {
      mode: "none",
      port: outcome.port,
      address: outcome.address,
      family: outcome.family,
      handle: outcome.handle,
    };
  }

  /** Removes a worker; the handle closes with the last one. */
  remove(worker: W): boolean {
    this.#workers.delete(worker);
    if (this.#workers.size > 0) return false;
    this.#port.close();
    return true;
  }

  /** Nothing to do: the primary bound the port. */
  bound(): void {}
}
