/**
 * The connections a round-robin server in a worker takes from the primary. Node's cluster worker passes each to
 * the server's own accept path (its listening handle's `onconnection`), which applies the server's options:
 * `pauseOnConnect`, `noDelay` (without TCP_NODELAY a response written in two parts waits ~40 ms for the client's
 * delayed ACK), `keepAlive`, and the connection count that `maxConnections`, `getConnections()` and `close()`
 * rely on. Where the server listens on a handle of Node's kind and the connection is a raw handle, so does this;
 * elsewhere (a runtime that hands over sockets) it applies the same options itself.
 *
 * @module
 */

import type net from "node:net";
import { netModule } from "../shared/lazy_builtin.ts";

/** What the accept path reads from the server (http.Server sets `noDelay: true` by default). */
interface AcceptingServer {
  _handle?: { onconnection?: (status: number, connection: unknown) => void } | null;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  pauseOnConnect?: boolean;
  allowHalfOpen?: boolean;
  maxConnections?: number;
  _connections?: number;
}

/** Connections (sockets, or the raw handles they wrap) the primary handed over, on their way to the server. */
const handedOver = new WeakSet<object>();

/** Per server, connections taken whose `connection` event is still to come: they count against `maxConnections`. */
const arriving = new WeakMap<net.Server, number>();

/**
 * A `connection` listener, first on a round-robin server: closes a connection that came in on the server's own
 * endpoint. Its connections come from the primary only, and a Linux abstract socket has no file permissions, so
 * any local user could connect to it (for a server on a unix socket path the user keeps private, that would go
 * around the path's permissions).
 */
export function refuseStranger(socket: net.Socket): void {
  const handle = (socket as { _handle?: object | null })._handle;
  if (handedOver.delete(socket) || (handle != null && handedOver.delete(handle))) return;
  socket.destroy();
}

/**
 * Takes a connection the primary handed over, or refuses it (false) when the server is at `maxConnections`: the
 * primary then gives it to another worker, as Node's does. The server's `connection` listeners get it in a
 * microtask: the worker answers the primary first, as Node's worker does, and the primary hands a worker its next
 * connection only after that answer.
 */
export function acceptHandedOver(server: net.Server, connection: unknown): boolean {
  const options = server as unknown as AcceptingServer;
  const pending = arriving.get(server) ?? 0;
  if (
    options.maxConnections !== undefined && (options._connections ?? 0) + pending >= options.maxConnections
  ) {
    return false;
  }
  arriving.set(server, pending + 1);
  handedOver.add(connection as object);
  queueMicrotask(() => {
    arriving.set(server, (arriving.get(server) ?? 1) - 1);
    const listener = options._handle;
    if (!(connection instanceof netModule().Socket) && typeof listener?.onconnection === "function") {
      listener.onconnection(0, connection);
    } else {
      takeSocket(server, options, connection);
    }
  });
  return true;
}

/** The accept path for a connection the server's handle cannot take: the same options, applied here. */
function takeSocket(server: net.Server, options: AcceptingServer, connection: unknown): void {
  const { Socket } = netModule();
  const socket = connection instanceof Socket ? connection : new Socket({
    handle: connection,
    allowHalfOpen: options.allowHalfOpen === true,
    pauseOnCreate: options.pauseOnConnect === true,
    readable: true,
    writable: true,
  } as net.SocketConstructorOpts);
  // As the server's own accept would make it (http.Server keeps half-closed connections open).
  socket.allowHalfOpen = options.allowHalfOpen === true;
  // A socket Bun's channel handed over is already reading: pausing holds its data back from the server.
  if (options.pauseOnConnect === true && connection instanceof Socket) socket.pause();
  if (options.noDelay) socket.setNoDelay(true);
  if (options.keepAlive) socket.setKeepAlive(true, options.keepAliveInitialDelay ?? 0);
  if (typeof options._connections === "number") {
    options._connections++;
    (socket as { _server?: net.Server })._server = server;
  }
  (socket as { server?: net.Server }).server = server;
  handedOver.add(socket);
  server.emit("connection", socket);
}
