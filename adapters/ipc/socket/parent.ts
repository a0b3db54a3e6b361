/**
 * The worker's end of the socket channel: it connects to the primary's `ChannelAcceptor` and presents its token.
 *
 * @module
 */

import type net from "node:net";
import type { ParentEvents, Serialization, WorkerIdentity } from "../../../src/contract/mod.ts";
import { invalidArgValue } from "../../../src/errors.ts";
import { netModule } from "../../shared/lazy_builtin.ts";
import { type ChannelSocket, SocketChannel } from "./channel.ts";
import { joinRelay, RELAY_KEY, type RelayTicket, relayToken, RETURN_KEY } from "./relay.ts";
import { encodeFrame } from "./framing.ts";

/** The worker's end, before `process` messaging is added (../connect_parent.ts adds it). */
export interface SocketParent {
  /** Whether the channel is open. */
  readonly connected: boolean;
  /** Sends a message; see `SocketChannel.send`. */
  send(message: unknown, handle: unknown, callback: ((error: Error | null) => void) | undefined): boolean;
  /** Closes the channel. */
  disconnect(): void;
  /** Lets the channel keep the process alive (the default). */
  ref(): void;
  /** Stops the channel from keeping the process alive. */
  unref(): void;
}

/**
 * Opens a connection to the unix socket `path`: `connected` gets the socket, `failed` the error (with the
 * system's `code`). Exactly one of them is called. `greeted` says the connection has already presented the
 * worker's hello (a Deno worker's early channel, see adapters/deno/early_channel.ts).
 */
export type DialSocket = (
  path: string,
  connected: (socket: ChannelSocket, greeted?: boolean) => void,
  failed: (error: Error & { code?: string }) => void,
) => void;

/** {@link DialSocket} with `node:net`, which every runtime has. */
export const dialNetSocket: DialSocket = (path, connected, failed) => {
  let socket: net.Socket;
  try {
    socket = netModule().connect(path);
  } catch (error) {
    return failed(error as Error);
  }
  const onError = (error: Error & { code?: string }) => {
    socket.destroy();
    failed(error);
  };
  socket.once("error", onError);
  socket.once("connect", () => {
    socket.off("error", onError);
    connected(socket);
  });
};

/** Connection errors worth another try: the server may be momentarily busy (full backlog). */
const RETRYABLE = new Set(["EAGAIN", "ECONNREFUSED", "ENOENT"]);
const RETRY_DELAYS = [10, 50, 100, 250, 500];

/**
 * Connects a worker to its primary's `ChannelAcceptor` at `identity.path` with `dial`, presenting `identity.id` and
 * `identity.token`. Messages sent before the connection is up are queued. While connected, the socket keeps the
 * process alive, like Node's IPC channel; after disconnecting it does not. `events.disconnect` runs exactly once,
 * when the channel closes (also when it could not connect at all).
 */
export function connectSocketParent(
  identity: WorkerIdentity,
  events: ParentEvents,
  dial: DialSocket = dialNetSocket,
): SocketParent {
  const { path, token } = identity;
  if (typeof path !== "string" || typeof token !== "string") {
    throw invalidArgValue(
      "identity",
      "(socket path or token missing)",
      "must name a socket path and a token",
    );
  }
  const serialization: Serialization = identity.serialization === "advanced" ? "advanced" : "json";
  const report = (error: Error) => console.error(`unicluster (worker): ${error.message}`);
  const channel = new SocketChannel(serialization, {
    message: (message) => {
      // A socket handed over through the primary's relay arrives as a ticket: join it, deliver it with the message.
      const ticket = (message as Record<string, RelayTicket> | null)?.[RELAY_KEY];
      if (ticket === undefined) return events.message(message, undefined);
      events.message((message as { message: unknown }).message, joinRelay(path, ticket));
    },
    error: report,
    close: () => events.disconnect(),
  });
  const hello = encodeFrame({ id: identity.id, token }, "json");
  let attempt = 0;
  const connect = () => {
    if (!channel.connected) return channel.destroy();
    dial(
      path,
      (socket, greeted) => channel.attach(socket, undefined, greeted ? undefined : hello),
      (error) => {
        if (error.code !== undefined && RETRYABLE.has(error.code) && attempt < RETRY_DELAYS.length) {
          setTimeout(connect, RETRY_DELAYS[attempt++]);
          return;
        }
        // ECONNREFUSED after the retries: the primary is gone, which is just a closed channel.
        if (error.code !== "ECONNREFUSED") report(error);
        channel.destroy();
      },
    );
  };
  connect();
  return {
    get connected() {
      return channel.connected;
    },
    send: (message, handle, callback) => {
      // A socket that came through the primary's relay goes back as its token: the primary holds the original.
      const token = relayToken(handle);
      if (token === undefined) return channel.send(message, handle, callback);
      return channel.send({ [RETURN_KEY]: token, message }, undefined, callback);
    },
    disconnect: () => channel.disconnect(),
    ref: () => channel.ref(),
    unref: () => channel.unref(),
  };
}
