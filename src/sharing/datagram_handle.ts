/**
 * UDP (`dgram`): the primary binds the socket, as Node's cluster shares a UDP handle, and the workers that bound it
 * take turns receiving its datagrams; what a worker sends goes out through the same socket, so replies come from
 * the shared port. There are no connections to spread, so no policy applies; a datagram for a worker that has
 * just closed its socket goes to the next one.
 *
 * @module
 */

import type {
  DatagramInfo,
  DatagramSent,
  OpenDatagramPort,
  PortOpener,
  ServerReply,
  ServerRequest,
  SharingMode,
} from "../contract/sharing.ts";
import type { PortHandle } from "./port_handle.ts";

/** Hands a datagram (base64) to a worker; false when it could not be sent. */
export type DatagramDelivery<W> = (worker: W, data: string, rinfo: DatagramInfo) => boolean;

/** One shared UDP socket. */
export class DatagramHandle<W> implements PortHandle<W> {
  /** Always `dgram`. */
  readonly mode: SharingMode = "dgram";
  #opened: Promise<OpenDatagramPort | ServerReply>;
  #socket: OpenDatagramPort | undefined;
  #workers: W[] = [];
  /** The workers that have their reply: only they get datagrams (see {@link PortHandle.replied}). */
  #replied = new Set<W>();
  #next = 0;
  #closed = false;
  #deliver: DatagramDelivery<W>;

  /** Binds the socket for `request`; `deliver` hands each datagram to a worker. */
  constructor(request: ServerRequest, opener: PortOpener, deliver: DatagramDelivery<W>) {
    this.#deliver = deliver;
    this.#opened = opener.openDatagram(request, (data, rinfo) => this.#receive(data, rinfo)).then(
      (socket) => {
        this.#socket = socket;
        if (this.#closed) socket.close();
        return socket;
      },
      (error: { code?: string; message?: string }): ServerReply => ({
        mode: "dgram",
        port: request.port,
        errno: error?.code ?? "EADDRINUSE",
        error: error?.message ?? String(error),
      }),
    );
  }

  /** Adds a worker once the socket is bound. */
  async add(worker: W): Promise<ServerReply> {
    const outcome = await this.#opened;
    if ("errno" in outcome && outcome.errno !== undefined) return outcome as ServerReply;
    const socket = outcome as OpenDatagramPort;
    if (!this.#workers.includes(worker)) this.#workers.push(worker);
    return { mode: "dgram", port: socket.port, address: socket.address, family: socket.family };
  }

  /** The worker has its reply: it takes its turn from now on. */
  replied(worker: W): void {
    if (this.#workers.includes(worker)) this.#replied.add(worker);
  }

  /** The worker was asked to go: no more datagrams for it, but what it sent before it heard goes out. */
  retire(worker: W): void {
    this.#replied.delete(worker);
  }

  /** Removes a worker; the socket closes with the last one. */
  remove(worker: W): boolean {
    this.#replied.delete(worker);
    const at = this.#workers.indexOf(worker);
    if (at !== -1) {
      this.#workers.splice(at, 1);
      if (this.#next > at) this.#next--;
    }
    if (this.#workers.length > 0) return false;
    this.#closed = true;
    this.#socket?.close();
    return true;
  }

  /** Nothing to do: the primary bound the socket. */
  bound(): void {}

  /** Sends a worker's datagram from the shared socket. */
  send(data: string, port: number, address: string, done: (result: DatagramSent) => void): void {
    if (this.#socket === undefined || this.#closed) {
      done({ bytes: 0, errno: "ERR_SOCKET_DGRAM_NOT_RUNNING", error: "Not running" });
      return;
    }
    this.#socket.send(data, port, address, done);
  }

  #receive(data: string, rinfo: DatagramInfo): void {
    for (let tried = 0; tried < this.#workers.length; tried++) {
      const worker = this.#workers[this.#next % this.#workers.length];
      this.#next = (this.#next + 1) % this.#workers.length;
      if (this.#replied.has(worker) && this.#deliver(worker, data, rinfo)) return;
    }
  }
}
