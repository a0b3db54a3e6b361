/**
 * In a Deno worker, `Deno.serve` shares its port: it binds with `reusePort` (SO_REUSEPORT; the kernel spreads
 * connections, Linux only) on the port the primary gives, and the primary gets `listening` for it as for any
 * server. `reusePort` needs `--unstable-net`, which the adapter passes to Deno workers.
 *
 * With a fixed port (Deno's default is 8000), `Deno.serve` stays synchronous and returns Deno's own server; the
 * primary is asked afterwards, only to register the worker and report `listening`. With port 0 every worker must
 * bind the port the first one got, which only the primary knows, while `Deno.serve` must return at once: it then
 * returns a stand-in server whose `finished`, `shutdown()`, `ref()` and `unref()` forward to the real server once
 * it exists. Its `addr` is only valid from the `onListen` callback on (before, it says port 0).
 *
 * @module
 */

import type { ServerBridge, ServerReply, ServerRequest } from "../../src/contract/mod.ts";
import { unavailable, withCode } from "../../src/errors.ts";
import { Drain } from "../servers/drain.ts";
import { nativeServerRequest, refusal, registerNativeServer } from "../servers/native.ts";
import { denoGlobal, type DenoHttpServer } from "./globals.ts";

/** `Deno.serve`'s options, the part this hook reads. */
interface ServeOptions {
  port?: number | string;
  hostname?: string;
  path?: string;
  transport?: string;
  reusePort?: boolean;
  [key: string]: unknown;
}

type Serve = (...args: unknown[]) => DenoHttpServer;

/** Deno's default port for `Deno.serve`. */
const DEFAULT_PORT = 8000;

function parseServeArguments(args: unknown[]): { options: ServeOptions; handler: unknown } {
  if (typeof args[0] === "function") return { options: {}, handler: args[0] };
  const options = (args[0] ?? {}) as ServeOptions;
  return { options, handler: typeof args[1] === "function" ? args[1] : undefined };
}

function unstableNetMissing(): Error {
  return unavailable(
    "Deno.serve in a cluster worker shares its port with SO_REUSEPORT, which Deno allows only with " +
      "--unstable-net: start the worker with it (unicluster's default execArgv for Deno includes it)",
  );
}

/** The error a server gets when the primary says it cannot listen, shaped like Deno's own `AddrInUse`. */
function listenRefused(reply: ServerReply, request: ServerRequest): Error {
  const { errno, message } = refusal(reply, request);
  const AddrInUse = denoGlobal().errors.AddrInUse;
  return withCode(new AddrInUse(message), errno);
}

/** Registers a `Deno.serve` server with the primary. */
function registerDenoServer(
  bridge: ServerBridge,
  request: ServerRequest,
  server: DenoHttpServer,
  drain: Drain,
  asked: boolean,
): void {
  registerNativeServer(bridge, request, {
    port: () => server.addr.port ?? request.port,
    stop: () => server.shutdown(),
    finished: server.finished,
    drain,
  }, asked);
}

/** Patches `Deno.serve` in this worker (nothing happens on other runtimes). */
export function installDenoServeHook(bridge: ServerBridge): void {
  const deno = (globalThis as { Deno?: { serve?: Serve; listenDatagram?: unknown } }).Deno;
  const descriptor = deno === undefined ? undefined : Object.getOwnPropertyDescriptor(deno, "serve");
  if (deno === undefined || descriptor === undefined) return;
  // Deno builds its HTTP server when `Deno.serve` is first read (about 2.5 ms of a worker's start-up): read it when
  // the worker first serves. The getter still gives Deno's own after the assignment below.
  let own: Serve | undefined;
  const original: Serve = (...args) => {
    own ??= ((descriptor.get ? descriptor.get.call(deno) : descriptor.value) as Serve).bind(deno);
    return own(...args);
  };
  // Named by its key ("serve", as Deno's own): a bundler may rename a function's own name, never a key.
  deno.serve = {
    serve: function (...args: unknown[]): DenoHttpServer {
      const { options, handler } = parseServeArguments(args);
      // Unix sockets and other transports are not shared.
      if (options.path !== undefined || (options.transport !== undefined && options.transport !== "tcp")) {
        return original(...args);
      }
      if (deno.listenDatagram === undefined) throw unstableNetMissing();
      const port = options.port === undefined ? DEFAULT_PORT : Number(options.port);
      const request = nativeServerRequest(port, options.hostname);
      const drain = new Drain();
      const listen = (bound: number): DenoHttpServer => {
        const shared = { ...options, handler: drain.wrap(options.handler), port: bound, reusePort: true };
        return handler === undefined ? original(shared) : original(shared, drain.wrap(handler));
      };
      if (port !== 0) {
        const server = listen(port);
        registerDenoServer(bridge, request, server, drain, false);
        return server;
      }
      return deferredDenoServe(bridge, request, listen, drain);
    },
  }.serve;
}

/** The stand-in for a port-0 `Deno.serve`: binds once the primary has said which port. */
function deferredDenoServe(
  bridge: ServerBridge,
  request: ServerRequest,
  listen: (port: number) => DenoHttpServer,
  drain: Drain,
): DenoHttpServer {
  let real: DenoHttpServer | undefined;
  let stopped = false;
  let referenced = true;
  let settle!: { resolve: () => void; reject: (error: unknown) => void };
  const finished = new Promise<void>((resolve, reject) => settle = { resolve, reject });
  const untrack = bridge.track({
    close(done) {
      standIn.shutdown().then(() => done(), () => done());
    },
  });
  bridge.query(request).then((reply) => {
    untrack();
    if (stopped) {
      bridge.closed(request.key);
      return settle.resolve();
    }
    if (reply.errno !== undefined) {
      bridge.closed(request.key);
      return settle.reject(listenRefused(reply, request));
    }
    try {
      real = listen(reply.port);
    } catch (error) {
      bridge.closed(request.key);
      return settle.reject(error);
    }
    if (!referenced) real.unref();
    registerDenoServer(bridge, request, real, drain, true);
    real.finished.then(settle.resolve, settle.reject);
  });
  const standIn: DenoHttpServer & { [Symbol.asyncDispose](): Promise<void> } = {
    get finished() {
      return finished;
    },
    /** Valid once `onListen` ran; before, port 0. */
    get addr() {
      return real?.addr ?? { transport: "tcp", hostname: request.address ?? "0.0.0.0", port: 0 };
    },
    shutdown() {
      stopped = true;
      if (real !== undefined) return real.shutdown();
      settle.resolve();
      return Promise.resolve();
    },
    ref() {
      referenced = true;
      real?.ref();
    },
    unref() {
      referenced = false;
      real?.unref();
    },
    [Symbol.asyncDispose]() {
      return standIn.shutdown();
    },
  };
  return standIn;
}
