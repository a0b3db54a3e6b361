/**
 * The primary's registry of shared ports (Node's `handles` map in `primary.js`): it answers each worker's listen
 * request by finding or making the port's handle in the mode {@link modeFor} picks, and remembers which handle
 * each worker joined under the request's key, so that `close` and `bound` go straight to it.
 *
 * @module
 */

import type {
  DatagramInfo,
  DatagramSent,
  PortOpener,
  ServerReply,
  ServerRequest,
  SharingMode,
} from "../contract/sharing.ts";
import { type HandlePassing, modeFor, type SchedulingPolicy } from "../policy.ts";
import { DatagramHandle } from "./datagram_handle.ts";
import type { PortHandle } from "./port_handle.ts";
import { type HandOver, RoundRobinHandle } from "./round_robin_handle.ts";
import { ReusePortHandle } from "./reuse_port_handle.ts";
import { SharedHandle } from "./shared_handle.ts";

/** What the registry needs to know of, and do with, the workers. */
export interface SharingLinks<W> {
  /** How handles reach this worker. */
  handles(worker: W): HandlePassing;
  /** Whether the worker is still connected (a worker that left while its request waited is not added). */
  isConnected(worker: W): boolean;
  /** Sends a round-robin connection for `key` to a worker; `done` says whether it took it. */
  sendConnection(worker: W, key: string, socket: unknown, done: Parameters<HandOver<W>>[2]): void;
  /** Hands a datagram (base64) for `key` to a worker; false when it could not be sent. */
  sendDatagram(worker: W, key: string, data: string, rinfo: DatagramInfo): boolean;
}

/** The shared ports of one primary. */
export class SharedPorts<W> {
  #opener: () => PortOpener;
  #policy: () => { policy: SchedulingPolicy; chosen: boolean };
  #links: SharingLinks<W>;
  /** Handles by mode and key: workers of different abilities may share one key in different modes. */
  #handles = new Map<string, PortHandle<W>>();
  /** Per worker, the handle it joined under each request key. */
  #joined = new Map<W, Map<string, PortHandle<W>>>();

  /** `opener` opens the primary's sockets; `policy` (and whether it was chosen) is read at each request. */
  constructor(
    opener: () => PortOpener,
    policy: () => { policy: SchedulingPolicy; chosen: boolean },
    links: SharingLinks<W>,
  ) {
    this.#opener = opener;
    this.#policy = policy;
    this.#links = links;
  }

  /** Answers a worker's listen request. */
  async query(worker: W, request: ServerRequest): Promise<ServerReply> {
    const opener = this.#opener();
    const { policy, chosen } = this.#policy();
    const mode = modeFor(request, {
      policy,
      policyChosen: chosen,
      handles: this.#links.handles(worker),
      canShareHandles: opener.canShareHandles,
      canReusePort: opener.canReusePort,
    });
    const id = `${mode}:${request.key}`;
    let handle = this.#handles.get(id);
    if (handle === undefined) {
      handle = this.#make(mode, request, opener);
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

  /** The worker was sent its reply to the listen request `key` (see {@link PortHandle.replied}). */
  replied(worker: W, key: string): void {
    this.#joined.get(worker)?.get(key)?.replied?.(worker);
  }

  /** A worker reports the port its server bound (settles a port-0 reuse-port listen). */
  bound(worker: W, key: string, port: number): void {
    this.#joined.get(worker)?.get(key)?.bound(worker, port);
  }

  /** Sends a worker's datagram from the UDP socket it shares under `key`. */
  sendto(
    worker: W,
    key: string,
    datagram: { data: string; port: number; address: string },
    done: (sent: DatagramSent) => void,
  ): void {
    const handle = this.#joined.get(worker)?.get(key);
    if (!(handle instanceof DatagramHandle)) {
      done({ bytes: 0, errno: "ERR_SOCKET_DGRAM_NOT_RUNNING", error: "Not running" });
      return;
    }
    handle.send(datagram.data, datagram.port, datagram.address, done);
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

  /**
   * A worker was asked to disconnect: it leaves every port that has nothing to finish at once (as Node's primary
   * removes its handles when it sends the request), and stays on the others, getting nothing new, until it is
   * removed.
   */
  retire(worker: W): void {
    const joined = this.#joined.get(worker);
    if (joined === undefined) return;
    for (const [key, handle] of joined) {
      if (handle.retire !== undefined) {
        handle.retire(worker);
        continue;
      }
      joined.delete(key);
      this.#leave(worker, handle);
    }
    if (joined.size === 0) this.#joined.delete(worker);
  }

  /** Removes a worker from every shared port (it disconnected or died). */
  removeWorker(worker: W): void {
    const joined = this.#joined.get(worker);
    if (joined === undefined) return;
    this.#joined.delete(worker);
    for (const handle of joined.values()) this.#leave(worker, handle);
  }

  /** The handle of one mode (one class per mode, as Node's `RoundRobinHandle` and `SharedHandle`). */
  #make(mode: SharingMode, request: ServerRequest, opener: PortOpener): PortHandle<W> {
    const key = request.key;
    switch (mode) {
      case "rr":
        return new RoundRobinHandle<W>(
          request,
          opener,
          (to, s, done) => this.#links.sendConnection(to, key, s, done),
        );
      case "dgram":
        return new DatagramHandle<W>(
          request,
          opener,
          (to, data, rinfo) => this.#links.sendDatagram(to, key, data, rinfo),
        );
      case "none":
        return new SharedHandle<W>(request, opener);
      case "reuseport":
        return new ReusePortHandle<W>(request, opener, request.bound !== true);
    }
  }

  #leave(worker: W, handle: PortHandle<W>): void {
    if (!handle.remove(worker)) return;
    for (const [id, existing] of this.#handles) {
      if (existing === handle) this.#handles.delete(id);
    }
  }
}
