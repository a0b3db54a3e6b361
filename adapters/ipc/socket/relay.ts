/**
 * Socket handles for workers that cannot receive file descriptors (the Deno adapter's `Deno.Command` workers, which
 * get no extra fds, and Deno has no SCM_RIGHTS): instead of the socket, the worker gets a relay token, connects back
 * to the primary's channel acceptor with it, and the primary joins the two sockets, so the worker's socket carries
 * the connection's bytes both ways. The worker's socket reports the original peer's addresses.
 *
 * A relay that waits for the worker's answer (a round-robin connection, which a full worker may refuse) is joined
 * only once the worker took it (`take`); until then the original socket is untouched, so a refused connection goes
 * to another worker intact (`giveUp`). A worker that sends a relayed socket back hands back its ticket, and the
 * primary takes its original socket out of the relay (`unjoin`).
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import type net from "node:net";
import { netModule } from "../../shared/lazy_builtin.ts";
import { type ChannelAcceptor, newToken, type PendingPeer } from "./acceptor.ts";
import { encodeFrame } from "./framing.ts";

/** The worker id under which the acceptor waits for relay connections (real workers have ids from 1). */
const RELAY_ID = -1;

/** How long a taken relay waits for the worker to connect before the connection is dropped. */
const CONNECT_TIMEOUT_MS = 10_000;

/** What a worker needs to join a relay: the token, and the addresses its socket reports. */
export interface RelayTicket {
  /** The one-use token the worker presents. */
  token: string;
  /** The original socket's remote and local addresses. */
  remoteAddress?: string;
  remotePort?: number;
  remoteFamily?: string;
  localAddress?: string;
  localPort?: number;
}

/** The key under which a message carries a relay ticket (the socket channel's envelope for a handle). */
export const RELAY_KEY = "unicluster:relay";

/** The key under which a worker's message gives a relayed socket back (its ticket's token). */
export const RETURN_KEY = "unicluster:relay-return";

/** The relay token of each socket a worker joined: what it gives back when it sends the socket to the primary. */
const joined = new WeakMap<object, string>();

/** The token of a socket the worker got through a relay, if it is one. */
export function relayToken(socket: unknown): string | undefined {
  return typeof socket === "object" && socket !== null ? joined.get(socket) : undefined;
}

/** One socket on its way to a worker through the primary. */
export class SocketRelay {
  /** What the worker gets in place of the socket. */
  readonly ticket: RelayTicket;
  #original: net.Socket;
  #pending: PendingPeer;
  #peer: { socket: net.Socket; received: Buffer } | undefined;
  #taken = false;
  #over = false;
  #joined = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopPiping: (() => void) | undefined;

  /** Starts waiting for the worker's connection to `acceptor`. */
  constructor(original: net.Socket, acceptor: ChannelAcceptor) {
    this.#original = original;
    const token = newToken();
    this.ticket = {
      token,
      remoteAddress: original.remoteAddress,
      remotePort: original.remotePort,
      remoteFamily: original.remoteFamily,
      localAddress: original.localAddress,
      localPort: original.localPort,
    };
    this.#pending = acceptor.expect(RELAY_ID, token);
    this.#pending.connection.then((peer) => {
      if (peer === null) return;
      if (this.#over) return void peer.socket.destroy();
      this.#peer = peer;
      if (this.#taken) this.#join();
    });
  }

  /** The worker has the socket: join the two as soon as it connects. */
  take(): void {
    if (this.#taken || this.#over) return;
    this.#taken = true;
    if (this.#peer !== undefined) return this.#join();
    this.#timer = setTimeout(() => this.#drop(), CONNECT_TIMEOUT_MS);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** The worker refused it: stop waiting, and leave the original socket as it was. */
  giveUp(): void {
    if (this.#over || this.#taken) return;
    this.#over = true;
    this.#pending.cancel();
    this.#peer?.socket.destroy();
  }

  #join(): void {
    if (this.#over) return;
    this.#over = true;
    clearTimeout(this.#timer);
    this.#joined = true;
    const { socket: peer, received } = this.#peer!;
    const original = this.#original;
    // Each side ends the other when it ends (pipe), so that a half-closed connection stays half-closed; a side
    // that fails or closes without ending takes the other down with it.
    original.allowHalfOpen = true;
    peer.allowHalfOpen = true;
    const listeners: [net.Socket, string, () => void][] = [];
    for (const [socket, other] of [[original, peer], [peer, original]]) {
      let ended = false;
      listeners.push(
        [socket, "end", () => ended = true],
        [socket, "error", () => other.destroy()],
        [socket, "close", () => ended || other.destroy()],
      );
    }
    for (const [socket, event, listener] of listeners) socket.on(event, listener);
    if (received.length > 0) original.write(received);
    original.pipe(peer);
    peer.pipe(original);
    original.resume();
    peer.resume();
    this.#stopPiping = () => {
      for (const [socket, event, listener] of listeners) socket.off(event, listener);
      original.unpipe(peer);
      peer.unpipe(original);
      original.pause();
      peer.destroy();
    };
  }

  /**
   * The worker sent the socket back: the original leaves the relay, paused and open, and is the primary's again
   * (the worker's end closes, as a sender's copy does under Node).
   */
  unjoin(): net.Socket {
    if (this.#joined) this.#stopPiping?.();
    else this.giveUp();
    this.#over = true;
    return this.#original;
  }

  #drop(): void {
    this.#over = true;
    this.#pending.cancel();
    this.#original.destroy();
  }
}

/** In the worker: a socket joined to the relay `ticket` names, through the channel acceptor at `path`. */
export function joinRelay(path: string, ticket: RelayTicket): net.Socket {
  const socket = netModule().connect(path);
  // The hello goes out before anything the worker writes (writes before the connection are queued in order).
  socket.write(encodeFrame({ id: RELAY_ID, token: ticket.token }, "json"));
  const addresses: [string, unknown][] = [
    ["remoteAddress", ticket.remoteAddress],
    ["remotePort", ticket.remotePort],
    ["remoteFamily", ticket.remoteFamily],
    ["localAddress", ticket.localAddress],
    ["localPort", ticket.localPort],
  ];
  for (const [name, value] of addresses) Object.defineProperty(socket, name, { value, configurable: true });
  joined.set(socket, ticket.token);
  return socket;
}
