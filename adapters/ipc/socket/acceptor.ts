/**
 * The primary's end of the socket channel: one listening socket, opened lazily and shared by all workers of the
 * process, on a private endpoint (../private_endpoint.ts: a Linux abstract socket, or a socket file in a 0700
 * directory). Each worker presents a random one-use token in a hello `{id, token}` as its first frame; a peer
 * that does not is dropped and never becomes a worker's channel. The accepted socket is then handed to a
 * `SocketChannel` (./channel.ts).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type net from "node:net";
import { netModule } from "../../shared/lazy_builtin.ts";
import { makePrivateEndpoint } from "../private_endpoint.ts";
import { randomHex, sameBytes } from "../secret.ts";
import { encodeFrame, FrameReader } from "./framing.ts";

/** A worker's connection after its hello was accepted. */
export interface AcceptedPeer {
  /** The connected socket, paused; `SocketChannel.attach` resumes it. */
  socket: net.Socket;
  /** Bytes that arrived after the hello. */
  received: Buffer;
  /** The connection's place in the order the server accepted them (0 for the first). */
  number: number;
}

/** A worker the server waits for. */
export interface PendingPeer {
  /** Resolves with the worker's connection, or with null when cancelled or when the server closed first. */
  readonly connection: Promise<AcceptedPeer | null>;
  /** Stops waiting (the token becomes invalid); `connection` resolves with null if it had not resolved. */
  cancel(): void;
}

/** Options of a {@link ChannelAcceptor}. */
export interface ChannelAcceptorOptions {
  /** Called when a peer is dropped (no valid hello); for diagnostics and tests. */
  onReject?: (reason: string) => void;
  /** How long a new connection may take to send its hello, in ms (default 10 s). */
  helloTimeout?: number;
}

interface Expected {
  token: Buffer;
  resolve(peer: AcceptedPeer | null): void;
}

/**
 * `net.Server`'s own `listen`: the channel's endpoint is the library's, and a program that wraps `listen` (to watch
 * its own servers) should not see it. See {@link keepOwnListen}.
 */
let listen: net.Server["listen"] | undefined;

/**
 * Takes `net.Server`'s own `listen` now, if not yet. The Node and Deno adapters call it when they are made, as the
 * library loads (before the program that imports it runs), where `node:net` costs nothing more; on Bun it is taken
 * when the first acceptor is made (a Bun worker that never serves with `node:net` does not load it:
 * ../../shared/lazy_builtin.ts).
 */
export function keepOwnListen(): void {
  listen ??= netModule().Server.prototype.listen;
}

/** The largest hello accepted: an id and a 64-character token need far less. */
const HELLO_LIMIT = 4096;

/** The id under which the acceptor waits for its own probe (workers have ids from 1, relays -1). */
const PROBE_ID = -2;

/** Someone waiting until every connection accepted before `before` has had its hello decided. */
interface Settling {
  before: number;
  resolve(): void;
}

/** The primary's end: one listening socket that all workers connect to, each proving itself with its token. */
export class ChannelAcceptor {
  #options: ChannelAcceptorOptions;
  #server: net.Server | undefined;
  #path: string | undefined;
  #removeEndpoint: (() => void) | undefined;
  /** Waiting workers by id; several clusters in one process share the server, so an id may wait twice. */
  #expected = new Map<number, Expected[]>();
  /** How many connections the server has accepted; each gets the count before it as its number. */
  #acceptedCount = 0;
  /** The numbers of accepted connections whose hello has not been decided (matched or dropped) yet. */
  #undecided = new Set<number>();
  #settling: Settling[] = [];

  /** Makes a server; it listens on the first {@link ChannelAcceptor.open} (or `path`). */
  constructor(options: ChannelAcceptorOptions = {}) {
    this.#options = options;
    keepOwnListen();
  }

  /** The socket path workers connect to (abstract names start with NUL); opens the server if needed. */
  get path(): string {
    return this.open();
  }

  /** Whether the server is listening. */
  get listening(): boolean {
    return this.#server !== undefined;
  }

  /**
   * Starts listening, if not yet, and returns the path. The socket is bound before this returns (Node, Deno and Bun
   * all bind a unix socket synchronously), so a worker spawned right after can connect. Throws when the runtime
   * refuses (e.g. Deno without `--allow-net`). The server is unref'd: it never keeps the process alive.
   */
  open(): string {
    if (this.#server !== undefined) return this.#path!;
    const endpoint = makePrivateEndpoint("ipc");
    const server = netModule().createServer((socket) => this.#accept(socket));
    server.on("error", () => this.close());
    try {
      listen!.call(server, endpoint.path);
    } catch (error) {
      endpoint.remove();
      throw error;
    }
    server.unref();
    this.#server = server;
    this.#path = endpoint.path;
    this.#removeEndpoint = endpoint.remove;
    return endpoint.path;
  }

  /** Waits for worker `id` to connect with `token` (one use). Opens the server if needed. */
  expect(id: number, token: string): PendingPeer {
    this.open();
    let resolve!: (peer: AcceptedPeer | null) => void;
    const connection = new Promise<AcceptedPeer | null>((r) => resolve = r);
    const entry: Expected = { token: Buffer.from(token, "utf8"), resolve };
    const waiting = this.#expected.get(id);
    if (waiting === undefined) this.#expected.set(id, [entry]);
    else waiting.push(entry);
    return {
      connection,
      cancel: () => {
        this.#forget(id, entry);
        resolve(null);
      },
    };
  }

  /**
   * Resolves once every connection made to the endpoint before this call has been accepted and its hello decided.
   * A worker may connect, send, leave and end before this process has taken its connection from the endpoint's
   * queue: its exit must not be taken for a worker that never connected. The queue is first in, first out, so a
   * connection of the acceptor's own, made now, comes after all of those; once it is accepted, only their hellos
   * are left to read.
   */
  settled(): Promise<void> {
    if (this.#server === undefined) return Promise.resolve();
    const token = newToken();
    const probe = this.expect(PROBE_ID, token);
    const socket = netModule().connect(this.#path!);
    socket.on("error", () => probe.cancel());
    socket.end(encodeFrame({ id: PROBE_ID, token }, "json"));
    return probe.connection.then((peer) => {
      socket.destroy();
      peer?.socket.destroy();
      if (peer === null) return;
      return new Promise<void>((resolve) => {
        this.#settling.push({ before: peer.number, resolve });
        this.#wakeSettling();
      });
    });
  }

  /** Stops listening (removing the socket file where there is one); workers still waiting get null. */
  close(): void {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    this.#path = undefined;
    server.close();
    this.#removeEndpoint?.();
    this.#removeEndpoint = undefined;
    const waiting = [...this.#expected.values()].flat();
    this.#expected.clear();
    for (const entry of waiting) entry.resolve(null);
    this.#undecided.clear();
    this.#wakeSettling();
  }

  /** Resolves the waits of {@link ChannelAcceptor.settled} whose connections have all been decided. */
  #wakeSettling(): void {
    if (this.#settling.length === 0) return;
    const first = Math.min(...this.#undecided);
    const done = this.#settling.filter((wait) => wait.before <= first);
    this.#settling = this.#settling.filter((wait) => wait.before > first);
    for (const wait of done) wait.resolve();
  }

  #accept(socket: net.Socket): void {
    const number = this.#acceptedCount++;
    this.#undecided.add(number);
    const decided = () => {
      this.#undecided.delete(number);
      this.#wakeSettling();
    };
    const reader = new FrameReader(HELLO_LIMIT);
    const ignore = () => {};
    let settled = false;
    const drop = (reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off("data", onData);
      socket.destroy();
      this.#options.onReject?.(reason);
      decided();
    };
    const timer = setTimeout(() => drop("no hello in time"), this.#options.helloTimeout ?? 10_000);
    (timer as { unref?: () => void }).unref?.();
    const onData = (chunk: Buffer) => {
      let hello: unknown;
      let complete = false;
      try {
        const tooLarge = reader.push(chunk, (bytes, start, end) => {
          hello = JSON.parse(bytes.toString("utf8", start, end));
          complete = true;
          return false;
        });
        if (tooLarge !== undefined) return drop("the first frame is too large for a hello");
      } catch {
        return drop("the first frame is not a valid hello");
      }
      if (!complete) return;
      const entry = this.#check(hello);
      if (entry === undefined) return drop("the hello does not match a waiting worker");
      settled = true;
      clearTimeout(timer);
      // The no-op error listener stays: the socket must never be without one until the channel takes it over.
      socket.off("data", onData);
      socket.off("close", onClose);
      socket.pause();
      entry.resolve({ socket, received: reader.take(), number });
      decided();
    };
    const onClose = () => drop("closed before its hello");
    socket.on("error", ignore);
    socket.on("close", onClose);
    socket.on("data", onData);
  }

  /** The waiting worker a hello names, if its token matches (compared in constant time); consumes the token. */
  #check(hello: unknown): Expected | undefined {
    if (typeof hello !== "object" || hello === null) return undefined;
    const { id, token } = hello as { id?: unknown; token?: unknown };
    if (typeof id !== "number" || typeof token !== "string") return undefined;
    const given = Buffer.from(token, "utf8");
    const entry = this.#expected.get(id)?.find((entry) => sameBytes(given, entry.token));
    if (entry !== undefined) this.#forget(id, entry);
    return entry;
  }

  #forget(id: number, entry: Expected): void {
    const waiting = this.#expected.get(id);
    const index = waiting?.indexOf(entry) ?? -1;
    if (index < 0) return;
    waiting!.splice(index, 1);
    if (waiting!.length === 0) this.#expected.delete(id);
  }
}

let shared: ChannelAcceptor | undefined;

/**
 * The process's one acceptor (made on first use; it listens once a worker is expected). One per process, not
 * per cluster: every cluster of the process shares the endpoint, and tokens tell their workers apart.
 */
export function sharedChannelAcceptor(): ChannelAcceptor {
  return shared ??= new ChannelAcceptor();
}

/** A fresh worker token: 32 random bytes, hex. */
export function newToken(): string {
  return randomHex(32);
}
