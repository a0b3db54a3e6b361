/**
 * The primary's registry of shared ports (Node's `handles` map in `primary.js`): it answers each worker's listen
 * request by finding or making the port's handle in the mode {@link modeFor} picks, and remembers which handle
 * each worker joined under the request's key, so that `close` and `bound` go straight to it.
 *
 * @module
 */

import type { PortOpener, ServerReply, ServerRequest } from "../contract/sharing.ts";
import { modeFor, type SchedulingPolicy } from "../policy.ts";
import type { PortHandle } from "./port_handle.ts";
import { RoundRobinHandle } from "./round_robin_handle.ts";
import { ReusePortHandle } from "./reuse_port_handle.ts";
import { SharedHandle } from "./shared_handle.ts";

/** What the registry needs to know of, and do with, the workers. */
export interface SharingLinks<W> {
  /** Whether handles can pass to this worker. */
  canPassHandles(worker: W): boolean;
  /** Whether the worker is still connected (a worker that left while its request waited is not added). */
  isConnected(worker: W): boolean;
  /** Sends a round-robin connection for `key` to a worker; `done` gets an error when it could not. */
  sendConnection(worker: W, key: string, socket: unknown, done: (error: Error | null) => void): void;
}

/** The shared ports of one primary. */
export class SharedPorts<W> {
  #opener: () => PortOpener;
  #policy: () => SchedulingPolicy;
  #links: SharingLinks<W>;
  /** Handles by mode and key: workers of different abilities may share one key in different modes. */
  #handles = new Map<string, PortHandle<W>>();
  /** Per worker, the handle it joined under each request key. */
  #joined = new Map<W, Map<string, PortHandle<W>>>();

  /** `opener` opens the primary's sockets; `policy` is read at each request. */
  constructor(opener: () => PortOpener, policy: () => SchedulingPolicy, links: SharingLinks<W>) {
    this.#opener = opener;
    this.#policy = policy;
    this.#links = links;
  }

  /** Answers a worker's listen request. */
  async query(worker: W, request: ServerRequest): Promise<ServerReply> {
    const opener = this.#opener();
    const mode = modeFor(request, {
      policy: this.#policy(),
      canPassHandles: this.#links.canPassHandles(worker),
      canShareHandles: opener.canShareHandles,
      canReusePort: opener.canReusePort,
    });
    const id = `${mode}:${request.key}`;
    let handle = this.#handles.get(id);
    if (handle === undefined) {
      handle = mode === "rr"
        ? new RoundRobinHandle<W>(
          request,
          opener,
          (to, socket, done) => this.#links.sendConnection(to, request.key, socket, done),
        )
        : mode === "none"
        ? new SharedHandle<W>(request, opener)
        : new ReusePortHandle<W>(request);
      this.#handles.set(id, handle);
    }
    const reply = await handle.add(worker);
    if (reply.errno !== undefined) {
      // The port could not be opened: forget the handle, so that a later listen tries again.
      if (this.#handles.get(id) === handle) this.#handles.delete(id);
      return reply;
    }
    if (!this.#links.isConnected(worker)) {
      this.#leave(worker, handle);
      return reply;
    }
    let joined = this.#joined.get(worker);
    if (joined === undefined) this.#joined.set(worker, joined = new Map());
    joined.set(request.key, handle);
    return reply;
  }

  /** A worker reports the port its server bound (settles a port-0 reuse-port listen). */
  bound(worker: W, key: string, port: number): void {
    this.#joined.get(worker)?.get(key)?.bound(worker, port);
  }

  /** A worker closed a server (or failed to bind it). */
  close(worker: W, key: string): void {
    const joined = this.#joined.get(worker);
    const handle = joined?.get(key);
    if (handle === undefined) return;
    joined!.delete(key);
    if (joined!.size === 0) this.#joined.delete(worker);
    this.#leave(worker, handle);
  }

  /** Removes a worker from every shared port (it disconnected or died). */
  removeWorker(worker: W): void {
    const joined = this.#joined.get(worker);
    if (joined === undefined) return;
    this.#joined.delete(worker);
    for (const handle of joined.values()) this.#leave(worker, handle);
  }

  #leave(worker: W, handle: PortHandle<W>): void {
    if (!handle.remove(worker)) return;
    for (const [id, existing] of this.#handles) {
      if (existing === handle) this.#handles.delete(id);
    }
  }
}
