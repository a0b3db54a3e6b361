/**
 * In a Bun worker, `Bun.serve` shares its port: it binds with `reusePort` (the kernel spreads connections; Linux)
 * and the primary gets `listening` for it as for any server. `Bun.serve({ fd })` cannot adopt a socket (Bun
 * ignores the fd), so SO_REUSEPORT is the only way to share a native Bun server.
 *
 * With a fixed port, `Bun.serve` stays synchronous and returns Bun's own server. With port 0 every worker must bind
 * the port the first one got, which only the primary knows; then `Bun.serve` returns a stand-in that forwards to
 * the real server once it listens (`server.port` is 0 until then; await `server.ready` to be sure).
 *
 * @module
 */

import type { ServerBridge, ServerRequest } from "../../src/contract/mod.ts";
import { Drain } from "../servers/drain.ts";
import { nativeServerRequest, registerNativeServer } from "../servers/native.ts";
import type { BunGlobal, BunServeOptions, BunServer } from "./globals.ts";

type Serve = (options: BunServeOptions) => BunServer;

function registerBunServer(
  bridge: ServerBridge,
  asked: ServerRequest,
  server: BunServer,
  drain: Drain,
  queried: boolean,
): void {
  registerNativeServer(
    bridge,
    asked,
    { port: () => server.port, stop: async () => await server.stop(), drain },
    queried,
  );
}

/** Patches `Bun.serve` in this worker. */
export function installBunServeHook(bridge: ServerBridge): void {
  const bun = (globalThis as { Bun?: BunGlobal }).Bun;
  if (bun === undefined) return;
  const original = bun.serve.bind(bun);
  bun.serve = (options: BunServeOptions): BunServer => {
    if (options === null || typeof options !== "object" || options.unix !== undefined) {
      return original(options);
    }
    // Bun's node:http calls Bun.serve itself (marked by onNodeHTTPRequest) and drops `reusePort` from its listen
    // options; the listen hook has already asked the primary, so only the socket option is added here (it matters
    // in mode `reuseport`; the private endpoint of mode `rr` is a unix socket, passed through above).
    if (options.onNodeHTTPRequest !== undefined) return original({ ...options, reusePort: true });
    const port = options.port === undefined ? undefined : Number(options.port);
    const drain = new Drain();
    const shared = { ...options, fetch: drain.wrap(options.fetch), reusePort: true };
    if (port !== 0) {
      const server = original(shared);
      registerBunServer(bridge, nativeServerRequest(server.port, options.hostname), server, drain, false);
      return server;
    }
    return deferredBunServe(bridge, original, shared, drain);
  };
}

function deferredBunServe(
  bridge: ServerBridge,
  original: Serve,
  options: BunServeOptions,
  drain: Drain,
): BunServer {
  const asked = nativeServerRequest(0, options.hostname);
  let real: BunServer | undefined;
  let stopped = false;
  const ready = bridge.query(asked).then((reply) => {
    if (stopped) return undefined;
    real = original({ ...options, port: reply.port });
    registerBunServer(bridge, asked, real, drain, true);
    return real;
  });
  const standIn = {
    get port(): number {
      return real?.port ?? 0;
    },
    get hostname(): string {
      return real?.hostname ?? options.hostname ?? "0.0.0.0";
    },
    ready,
    stop(closeActiveConnections?: boolean): unknown {
      stopped = true;
      return real?.stop(closeActiveConnections);
    },
  };
  return new Proxy(standIn as unknown as BunServer, {
    get(target, key, receiver) {
      if (key in target) return Reflect.get(target, key, receiver);
      const value = real ? Reflect.get(real, key) : undefined;
      return typeof value === "function" ? value.bind(real) : value;
    },
  });
}
