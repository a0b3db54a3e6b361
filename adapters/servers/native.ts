/**
 * What the native-server hooks (`Deno.serve`, `Bun.serve`) share: the request they make of the primary, how they
 * register a listening server with it, and the words of a refused listen (also used for node:net servers).
 *
 * @module
 */

import type { ServerBridge, ServerReply, ServerRequest } from "../../src/contract/mod.ts";
import type { Drain } from "./drain.ts";
import { serverRequest } from "./listen_args.ts";

/** The request of a native server: keyed as Node keys a TCP server; it prefers to bind with SO_REUSEPORT. */
export function nativeServerRequest(port: number, hostname: string | undefined): ServerRequest {
  return serverRequest({ port, host: hostname }, true);
}

/** The error code and message of a refused listen, worded as Node words them. */
export function refusal(reply: ServerReply, request: ServerRequest): { errno: string; message: string } {
  const errno = reply.errno ?? "EADDRINUSE";
  const where = request.path ?? `${request.address ?? "::"}:${request.port}`;
  const reason = errno === "EADDRINUSE" ? "address already in use" : reply.error ?? "listen failed";
  return { errno, message: `listen ${errno}: ${reason} ${where}` };
}

/** A native server that listens, as the registration needs it. */
export interface NativeServer {
  /** The port it is bound to. */
  port(): number;
  /** Stops it. */
  stop(): Promise<unknown>;
  /** Settles when it has stopped, where the runtime says so. */
  finished?: Promise<unknown>;
  /** Its handler's drain: the worker's disconnect drains it before it stops. */
  drain?: Drain;
}

/**
 * Registers a native server that listens: tells the primary (asking it first unless `asked`, so that it counts the
 * worker in), lets `worker.disconnect()` drain and stop it, and tells the primary when it has closed.
 */
export function registerNativeServer(
  bridge: ServerBridge,
  request: ServerRequest,
  server: NativeServer,
  asked: boolean,
): void {
  let open = true;
  const closed = () => {
    if (!open) return;
    open = false;
    untrack();
    bridge.closed(request.key);
  };
  const untrack = bridge.track({
    close(done) {
      (server.drain?.start() ?? Promise.resolve()).then(() => server.stop()).then(closed, closed).then(done);
    },
  });
  const report = () => {
    bridge.listening(request.key, {
      address: request.address,
      port: server.port(),
      addressType: request.addressType,
      fd: -1,
      mode: "reuseport",
    });
  };
  if (asked) report();
  else {bridge.query(Object.assign(request, { bound: true })).then((reply) =>
      reply.errno === undefined && report()
    );}
  server.finished?.then(closed, closed);
}
