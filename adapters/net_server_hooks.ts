/**
 * In a worker, `net.Server.prototype.listen` goes through the primary, as under Node's cluster: the worker asks for
 * the port (keyed `address:port:addressType:fd`), then, by the mode the primary answers:
 * - `rr`: the server listens on a private endpoint only this machine's processes reach (an abstract unix socket on
 *   Linux) so that it behaves as listening, reports the shared address, and takes the connections the primary
 *   hands over;
 * - `none`: the server listens on the handle the primary shares and accepts itself;
 * - `reuseport`: the server binds the port itself with SO_REUSEPORT.
 * `http.Server` and everything built on it (express, fastify, ...) inherit this, since they extend `net.Server`.
 * `listen(handle)` and `exclusive: true` bypass the primary, as in Node.
 *
 * @module
 */

import http from "node:http";
import net from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { refusal } from "./native_server.ts";
import type { ServerAddress, ServerBridge, ServerReply, ServerRequest } from "./types.ts";

type Callback = (...args: unknown[]) => void;

/** `listen()` options as this module reads them. */
interface ListenArguments {
  port?: number;
  host?: string;
  path?: string;
  backlog?: number;
  exclusive?: boolean;
  ipv6Only?: boolean;
  fd?: number;
  handle?: unknown;
  reusePort?: boolean;
}

interface ParsedListen {
  options: ListenArguments;
  callback: Callback | undefined;
  /** The arguments named a handle: listen on it directly. */
  direct: boolean;
}

let privateDir: string | undefined;
let privateCount = 0;

/** A path for a private listening endpoint: an abstract socket on Linux, a file in a 0700 directory elsewhere. */
export function privateEndpoint(): string {
  privateCount++;
  const name = `unicluster-rr-${process.pid}-${privateCount}-${Math.random().toString(36).slice(2)}`;
  if (process.platform === "linux") return `\0${name}`;
  privateDir ??= mkdtempSync(join(tmpdir(), "unicluster-"));
  return join(privateDir, name);
}

/** Sorts out `listen()`'s overloads as Node does. */
export function parseListenArguments(args: unknown[]): ParsedListen {
  const last = args[args.length - 1];
  const callback = typeof last === "function" ? last as Callback : undefined;
  const rest = callback ? args.slice(0, -1) : args;
  const first = rest[0];
  if (first !== null && typeof first === "object") {
    const object = first as Record<string, unknown>;
    const isOptions = "port" in object || "path" in object || "host" in object || "fd" in object ||
      "backlog" in object || "exclusive" in object || "reusePort" in object ||
      Object.keys(object).length === 0;
    if (!isOptions || "_handle" in object) return { options: { handle: first }, callback, direct: true };
    return { options: { ...object } as ParsedListen["options"], callback, direct: false };
  }
  if (typeof first === "string" && !/^\d+$/.test(first)) {
    return { options: { path: first, backlog: rest[1] as number | undefined }, callback, direct: false };
  }
  return {
    options: {
      port: first === undefined || first === null ? 0 : Number(first),
      host: typeof rest[1] === "string" ? rest[1] : undefined,
      backlog: typeof rest[1] === "number" ? rest[1] : typeof rest[2] === "number" ? rest[2] : undefined,
    },
    callback,
    direct: false,
  };
}

function addressTypeOf(host: string | undefined): number {
  return host !== undefined && net.isIPv6(host) ? 6 : 4;
}

/** The request the primary keys, from listen options. */
export function serverRequest(options: ParsedListen["options"], server: "net" | "native"): ServerRequest {
  const fd = typeof options.fd === "number" ? options.fd : -1;
  if (options.path !== undefined) {
    return {
      key: `${options.path}:-1:-1:${fd}`,
      address: null,
      port: -1,
      addressType: -1,
      fd,
      path: options.path,
      server,
    };
  }
  const address = options.host ?? null;
  const port = Number(options.port ?? 0);
  const addressType = fd >= 0 ? -1 : addressTypeOf(options.host);
  return {
    key: `${address}:${port}:${addressType}:${fd}`,
    address,
    port,
    addressType,
    fd,
    server,
    backlog: options.backlog,
    ipv6Only: options.ipv6Only,
  };
}

/** The error a server emits when the primary could not listen, as Node shapes it. */
export function listenError(reply: ServerReply, request: ServerRequest): Error {
  const { errno, message } = refusal(reply, request);
  return Object.assign(new Error(message), {
    code: errno,
    errno,
    syscall: "listen",
    address: request.address ?? undefined,
    port: request.port,
  });
}

/**
 * Patches `net.Server.prototype.listen` so that servers in this worker share ports through the primary. Where
 * `http.Server` is not a `net.Server` (Bun builds it on `Bun.serve`), its `listen` is patched too and asks as a
 * native server: handing it connections works but moves every request off Bun's native HTTP path (measured: about
 * half the keep-alive throughput), so it binds the port itself with SO_REUSEPORT, as Bun's own node:cluster does.
 */
export function installNetServerHooks(bridge: ServerBridge): void {
  hookListen(net.Server.prototype, bridge, "net");
  if (!(http.Server.prototype instanceof net.Server)) hookListen(http.Server.prototype, bridge, "native");
}

function hookListen(prototype: object, bridge: ServerBridge, kind: "net" | "native"): void {
  const proto = prototype as { listen: (...args: unknown[]) => unknown };
  const original = proto.listen;
  proto.listen = function (this: net.Server, ...args: unknown[]) {
    const parsed = parseListenArguments(args);
    if (parsed.direct || parsed.options.exclusive === true) return original.apply(this, args);
    if (parsed.callback) this.once("listening", parsed.callback);
    const request = serverRequest(parsed.options, kind);
    bridge.query(request).then(
      (reply) => listenShared(this, original, bridge, request, parsed.options, reply),
      (error: Error) => this.emit("error", error),
    );
    return this;
  };
}

function listenShared(
  server: net.Server,
  original: (...args: unknown[]) => unknown,
  bridge: ServerBridge,
  request: ServerRequest,
  options: ParsedListen["options"],
  reply: ServerReply,
): void {
  if (reply.errno !== undefined) {
    bridge.closed(request.key);
    server.emit("error", listenError(reply, request));
    return;
  }
  const untrack = bridge.track({ close: (done) => server.listening ? server.close(() => done()) : done() });
  const onError = () => {
    untrack();
    bridge.closed(request.key);
  };
  server.once("error", onError);
  server.once("listening", () => {
    server.off("error", onError);
    bridge.listening(request.key, reportedAddress(server, request, reply));
  });
  server.once("close", () => {
    untrack();
    bridge.onConnection(request.key, undefined);
    bridge.closed(request.key);
  });
  if (reply.mode === "rr") {
    const shared = {
      address: reply.address ?? request.address ?? "::",
      family: reply.family ?? "IPv6",
      port: reply.port,
    };
    if (request.path !== undefined) {
      Object.defineProperty(server, "address", { value: () => request.path, configurable: true });
    } else {
      Object.defineProperty(server, "address", { value: () => ({ ...shared }), configurable: true });
    }
    bridge.onConnection(request.key, (socket) => acceptHandedOver(server, socket as net.Socket));
    original.call(server, { path: privateEndpoint() });
  } else if (reply.mode === "none") {
    original.call(server, reply.handle, options.backlog);
  } else {
    const bind = request.path !== undefined ? { path: request.path } : {
      port: reply.port,
      host: options.host,
      backlog: options.backlog,
      ipv6Only: options.ipv6Only,
      reusePort: true,
    };
    original.call(server, bind);
  }
}

/** What net.Server's accept path reads from the server (http.Server sets `noDelay: true` by default). */
interface AcceptOptions {
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  maxConnections?: number;
  _connections?: number;
}

/**
 * Takes a connection the primary handed over as net.Server's own accept path would: the server's `noDelay` and
 * `keepAlive` socket options (without TCP_NODELAY, a response written in two parts waits ~40 ms for the client's
 * delayed ACK), `maxConnections`, and the connection count that `getConnections()` and `close()` rely on (the
 * runtime's socket decrements it when it closes).
 */
function acceptHandedOver(server: net.Server, socket: net.Socket): void {
  const options = server as unknown as AcceptOptions;
  if (options.maxConnections !== undefined && (options._connections ?? 0) >= options.maxConnections) {
    socket.destroy();
    return;
  }
  if (options.noDelay) socket.setNoDelay(true);
  if (options.keepAlive) socket.setKeepAlive(true, options.keepAliveInitialDelay ?? 0);
  // As Node's cluster worker does on accept: the socket counts against the server, which then waits for it on close.
  if (typeof options._connections === "number") {
    options._connections++;
    (socket as { _server?: net.Server })._server = server;
  }
  (socket as { server?: net.Server }).server = server;
  server.emit("connection", socket);
}

function reportedAddress(server: net.Server, request: ServerRequest, reply: ServerReply): ServerAddress {
  const bound = server.address();
  const port = typeof bound === "object" && bound !== null ? bound.port : request.port;
  return {
    address: request.address,
    port: request.path !== undefined ? -1 : port,
    addressType: request.addressType,
    fd: request.fd,
    ...(request.path !== undefined ? { path: request.path } : {}),
    mode: reply.mode,
  };
}
