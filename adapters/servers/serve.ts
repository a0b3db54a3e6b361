/**
 * `serve(handler, options)`: one fetch-style server on every runtime, using the runtime's fastest server:
 * `Deno.serve` on Deno, `Bun.serve` on Bun, `node:http` on Node. In a cluster worker it shares its port like any
 * other server.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { badPort, invalidArgType, invalidArgValue } from "../../src/errors.ts";
import { httpModule, streamModule } from "../shared/lazy_builtin.ts";
import { detectRuntime } from "../shared/runtime.ts";

/** A fetch-style request handler. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/** Options for {@link serve}. */
export interface ServeOptions {
  /** Port to listen on; 0 picks one (shared by all workers of a cluster). Default: 8000. */
  port?: number;
  /** Host name to listen on. Default: `0.0.0.0`. */
  hostname?: string;
  /**
   * A listening socket's file descriptor to serve instead of `port` and `hostname` (one systemd's socket
   * activation handed over: 3). In a cluster worker it is the primary's, as with `listen({ fd })` in Node. The
   * native servers cannot adopt a socket: `node:http` serves it on every runtime.
   */
  fd?: number;
}

/** A running server from {@link serve}. */
export interface ServedHandle {
  /** Resolves with the address once the server listens. */
  readonly ready: Promise<{ hostname: string; port: number }>;
  /** Which server runs: `deno`, `bun` or `node`. */
  readonly server: "deno" | "bun" | "node";
  /** Stops listening; resolves once stopped. */
  close(): Promise<void>;
}

/** Starts a fetch-style server on this runtime's native server. */
export function serve(handler: FetchHandler, options: ServeOptions = {}): ServedHandle {
  if (typeof handler !== "function") throw invalidArgType("handler", "of type function", handler);
  const port = options.port ?? 8000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw badPort("options.port", port);
  const hostname = options.hostname ?? "0.0.0.0";
  if (typeof hostname !== "string") throw invalidArgType("options.hostname", "of type string", hostname);
  const fd = options.fd;
  if (fd !== undefined && typeof fd !== "number") throw invalidArgType("options.fd", "of type number", fd);
  if (fd !== undefined && (!Number.isInteger(fd) || fd < 0)) {
    throw invalidArgValue("options.fd", fd, "must be a non-negative integer");
  }
  if (fd !== undefined) return serveNode(handler, { fd });
  const runtime = detectRuntime();
  const g = globalThis as unknown as { Deno: DenoServe; Bun: BunServe };
  if (runtime === "deno") return serveDeno(g.Deno, handler, port, hostname);
  if (runtime === "bun") return serveBun(g.Bun, handler, port, hostname);
  return serveNode(handler, { port, host: hostname });
}

// --- Deno ---

interface DenoServe {
  serve(
    options: { port: number; hostname: string; onListen(addr: { hostname: string; port: number }): void },
    handler: FetchHandler,
  ): { shutdown(): Promise<void> };
}

function serveDeno(deno: DenoServe, handler: FetchHandler, port: number, hostname: string): ServedHandle {
  let listened!: (address: { hostname: string; port: number }) => void;
  const ready = new Promise<{ hostname: string; port: number }>((resolve) => listened = resolve);
  const server = deno.serve({ port, hostname, onListen: (addr) => listened(addr) }, handler);
  return { ready, server: "deno", close: () => server.shutdown() };
}

// --- Bun ---

interface BunServer {
  readonly port: number;
  readonly hostname: string;
  readonly ready?: Promise<unknown>;
  stop(closeActiveConnections?: boolean): unknown;
}

interface BunServe {
  serve(options: { port: number; hostname: string; fetch: FetchHandler }): BunServer;
}

function serveBun(bun: BunServe, handler: FetchHandler, port: number, hostname: string): ServedHandle {
  const server = bun.serve({ port, hostname, fetch: handler });
  // In a cluster worker, a port-0 Bun.serve answers with a stand-in that has `ready` (see bun_serve_hook.ts).
  const ready = Promise.resolve(server.ready).then(() => ({ hostname: server.hostname, port: server.port }));
  return { ready, server: "bun", close: async () => void await server.stop() };
}

// --- Node ---

function serveNode(
  handler: FetchHandler,
  where: { port: number; host: string } | { fd: number },
): ServedHandle {
  const server = httpModule().createServer((req, res) => {
    respond(handler, req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`Internal Server Error: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  const ready = new Promise<{ hostname: string; port: number }>((resolve, reject) => {
    server.once("error", reject);
    server.listen(where, () => {
      const address = server.address();
      const bound = typeof address === "object" && address !== null ? address : undefined;
      resolve({ hostname: "host" in where ? where.host : bound?.address ?? "", port: bound?.port ?? -1 });
    });
  });
  return {
    ready,
    server: "node",
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function respond(
  handler: FetchHandler,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) { for (const item of value) headers.append(name, item); }
    else if (value !== undefined) headers.set(name, value);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const request = new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, {
    method: req.method,
    headers,
    body: hasBody ? streamModule().Readable.toWeb(req) as ReadableStream : undefined,
    ...(hasBody ? { duplex: "half" } : {}),
  } as RequestInit);
  const response = await handler(request);
  const outgoing: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    const previous = outgoing[name];
    outgoing[name] = previous === undefined ? value : [...[previous].flat(), value];
  });
  res.writeHead(response.status, response.statusText, outgoing);
  if (response.body === null) {
    res.end();
    return;
  }
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
  res.end();
}
