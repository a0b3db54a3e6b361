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

import type { ServerResponse } from "node:http";
import type net from "node:net";
import type { ServerAddress, ServerBridge, ServerReply, ServerRequest } from "../../src/contract/mod.ts";
import { makePrivateEndpoint } from "../ipc/private_endpoint.ts";
import { dnsModule, httpModule, netModule } from "../shared/lazy_builtin.ts";
import { Drain } from "./drain.ts";
import { acceptHandedOver, refuseStranger } from "./handed_over.ts";
import { isIPAddress, type ListenOptions, parseListenArguments, serverRequest } from "./listen_args.ts";
import { refusal } from "./native.ts";

/** The error a server emits when the primary could not listen, as Node shapes it. */
function listenError(reply: ServerReply, request: ServerRequest): Error {
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
 * Patches `net.Server.prototype.listen` so that servers in this worker share ports through the primary
 * (`http.Server` and everything built on it inherit this where it is a `net.Server`: Node and Deno).
 */
export function installNetServerHooks(bridge: ServerBridge): void {
  hookServer(netModule().Server.prototype, bridge, "net");
}

/**
 * Patches `http.Server.prototype.listen` where `http.Server` is not a `net.Server` (Bun builds it on `Bun.serve`).
 * Only the Bun adapter calls it: loading `node:http` to look costs Deno 1.5 ms of start-up.
 */
export function installHttpServerHooks(bridge: ServerBridge): void {
  const httpServer = httpModule().Server;
  if (httpServer.prototype instanceof netModule().Server) return;
  hookServer(httpServer.prototype, bridge, "http");
}

/**
 * Patches the `listen` and `close` of a server class's `prototype`: `net` for `net.Server`'s; `http` for an HTTP
 * server built on the runtime's native server (Bun's `http.Server`), which asks as a native server, since handing
 * it connections works but moves every request off Bun's native HTTP path (measured: about half the keep-alive
 * throughput), so it binds the port itself with SO_REUSEPORT, as Bun's own node:cluster does.
 */
export function hookServer(prototype: object, bridge: ServerBridge, kind: "net" | "http"): void {
  hookListen(prototype, bridge, kind === "http");
  hookClose(prototype);
}

/**
 * What a shared server does as soon as `close()` is called, before its connections have ended: it takes no more
 * connections from the primary and tells the primary, which sends them to other workers (Node's child tells the
 * primary when the server's handle closes, not when the server's `close` event comes).
 */
const stopSharing = new WeakMap<object, () => void>();

function hookClose(prototype: object): void {
  const proto = prototype as { close: (...args: unknown[]) => unknown };
  const original = proto.close;
  proto.close = function (this: object, ...args: unknown[]) {
    stopSharing.get(this)?.();
    return original.apply(this, args);
  };
}

function hookListen(prototype: object, bridge: ServerBridge, prefersReusePort: boolean): void {
  const proto = prototype as { listen: (...args: unknown[]) => unknown };
  const original = proto.listen;
  proto.listen = function (this: net.Server, ...args: unknown[]) {
    const parsed = parseListenArguments(args);
    if (parsed.direct || parsed.options.exclusive === true) return original.apply(this, args);
    if (parsed.callback) this.once("listening", parsed.callback);
    const ask = (options: ListenOptions) => {
      const request = serverRequest(options, prefersReusePort);
      bridge.query(request).then(
        (reply) => listenShared(this, original, bridge, request, options, reply),
        (error: Error) => this.emit("error", error),
      );
    };
    const host = parsed.options.host;
    if (parsed.options.path !== undefined || host === undefined || isIPAddress(host)) {
      ask(parsed.options);
    } else {
      // As Node's net: a host name is looked up first, and the server listens on (and reports) the address.
      dnsModule().lookup(host, (error, address) => {
        if (error) this.emit("error", error);
        else ask({ ...parsed.options, host: address });
      });
    }
    return this;
  };
}

function listenShared(
  server: net.Server,
  original: (...args: unknown[]) => unknown,
  bridge: ServerBridge,
  request: ServerRequest,
  options: ListenOptions,
  reply: ServerReply,
): void {
  if (reply.errno !== undefined) {
    bridge.closed(request.key);
    server.emit("error", listenError(reply, request));
    return;
  }
  let sharing = true;
  // Takes no more connections from the primary and tells it so; once, whichever comes first of close() and
  // the close event.
  const stop = () => {
    if (!sharing) return;
    sharing = false;
    stopSharing.delete(server);
    bridge.onConnection(request.key, undefined);
    bridge.closed(request.key);
  };
  const untrack = bridge.track({
    close(done) {
      if (server.listening) return closeGracefully(server, stop, done);
      // Still binding (the worker is leaving): close it as soon as it listens, or it would keep the worker alive.
      server.once("listening", () => server.close());
      done();
    },
  });
  const onError = () => {
    untrack();
    bridge.closed(request.key);
  };
  server.once("error", onError);
  server.once("listening", () => {
    server.off("error", onError);
    stopSharing.set(server, stop);
    bridge.listening(request.key, reportedAddress(server, request, reply));
  });
  server.once("close", () => {
    untrack();
    stop();
  });
  if (reply.mode === "rr") {
    const shared = {
      address: reply.address ?? request.address ?? "::",
      family: reply.family ?? "IPv6",
      port: reply.port,
    };
    if (request.path !== undefined) {
      Object.defineProperty(server, "address", { value: () => options.path, configurable: true });
    } else {
      Object.defineProperty(server, "address", { value: () => ({ ...shared }), configurable: true });
    }
    bridge.onConnection(request.key, (connection) => acceptHandedOver(server, connection));
    const endpoint = makePrivateEndpoint("rr");
    server.once("close", endpoint.remove);
    server.prependListener("connection", refuseStranger);
    original.call(server, { path: endpoint.path });
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

/** How long an idle keep-alive connection of a closing HTTP server may stay open for its client's next request. */
const IDLE_GRACE_MS = 1000;

/**
 * Closes a server the worker is leaving with: it takes no more connections from the primary at once, and lets its
 * connections finish. An HTTP server first drains (see drain.ts): it answers every further request with
 * `Connection: close` until requests stop coming, so that keep-alive clients open their next request elsewhere.
 * Only then does it stop listening, because an HTTP server that no longer listens closes each keep-alive
 * connection as soon as its response is sent, racing the client's next request on it (which then fails), and a
 * listener of its own (reusePort) resets the connections queued on it as it closes. Node's http.Server then
 * closes the connections still idle after a grace period, not at once as its own `close()` does since Node 19.
 * Bun's http.Server cannot stop listening without closing its idle connections, which the drain has emptied.
 */
function closeGracefully(server: net.Server, stopSharing: () => void, done: () => void): void {
  stopSharing();
  if (!(server instanceof httpModule().Server)) return void server.close(() => done());
  const drain = new Drain();
  server.prependListener("request", (_req, res: ServerResponse) => {
    drain.request();
    if (!res.headersSent) res.setHeader("connection", "close");
  });
  void drain.start().then(() => {
    const web = server as net.Server & { closeIdleConnections?: () => void };
    if (!(server instanceof netModule().Server) || typeof web.closeIdleConnections !== "function") {
      return void server.close(() => done());
    }
    const idle = setTimeout(() => web.closeIdleConnections!(), IDLE_GRACE_MS);
    idle.unref?.();
    netModule().Server.prototype.close.call(server, () => {
      clearTimeout(idle);
      done();
    });
  });
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
