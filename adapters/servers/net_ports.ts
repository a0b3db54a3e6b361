/**
 * The primary's listening sockets for shared ports, made with `node:net` (which Node, Deno and Bun all provide), and
 * its UDP sockets (./dgram_ports.ts).
 *
 * @module
 */

import type net from "node:net";
import { relative } from "node:path";
import type { OpenPort, PortOpener, ServerRequest } from "../../src/contract/mod.ts";
import { process } from "../shared/host_process.ts";
import { netModule } from "../shared/lazy_builtin.ts";
import { detectRuntime } from "../shared/runtime.ts";
import { listenOnDescriptor } from "./descriptor_listeners.ts";
import { openDatagram } from "./dgram_ports.ts";

interface NetInternals {
  _createServerHandle?: (
    address: string | null,
    port: number,
    addressType: number,
    fd: number,
    flags: number,
  ) => number | { close(): void; getsockname?(out: Record<string, unknown>): number };
}

/** The `listen()` options for a request. */
function listenOptions(request: ServerRequest): net.ListenOptions {
  if (request.fd >= 0) return { fd: request.fd } as net.ListenOptions;
  if (request.path !== undefined) return { path: shortestPath(request.path), backlog: request.backlog };
  return {
    port: request.port,
    host: request.address ?? undefined,
    backlog: request.backlog,
    ipv6Only: request.ipv6Only,
  };
}

/** The shorter of an absolute socket path and the same path relative to here: paths are limited to ~100 bytes. */
function shortestPath(path: string): string {
  if (path.startsWith("\0")) return path;
  const here = relative(process.cwd(), path);
  return here.length < path.length ? here : path;
}

/** Whether node:net can bind with SO_REUSEPORT here: Deno and Bun can; Node from 22.12 (and 23.1). */
function netCanReusePort(): boolean {
  if (detectRuntime() !== "node") return true;
  const [major, minor] = process.versions.node.split(".").map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/** Opens the primary's shared ports with `node:net`. */
export function netPortOpener(): PortOpener {
  const internals = netModule() as unknown as NetInternals;
  return {
    // Only Node's own net module can make a listening handle that does not accept (what SCHED_NONE shares).
    canShareHandles: detectRuntime() === "node" && typeof internals._createServerHandle === "function",
    canReusePort: netCanReusePort(),
    open(request, onConnection) {
      if (onConnection === undefined) {
        return new Promise((resolve) => resolve(openHandle(internals, request)));
      }
      return openAccepting(request, onConnection);
    },
    probe,
    openDatagram,
  };
}

/**
 * Binds the port alone (no SO_REUSEPORT) and lets it go: rejects with EADDRINUSE when something else holds it. Any
 * process of the same user could otherwise join the workers' SO_REUSEPORT group, so that two clusters (or a cluster
 * and another server) would silently split one port, where Node's primary gets EADDRINUSE.
 */
function probe(request: ServerRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = netModule().createServer();
    server.once("error", reject);
    server.listen({ ...listenOptions(request), exclusive: true }, () => server.close(() => resolve()));
  });
}

function openAccepting(
  request: ServerRequest,
  onConnection: (socket: unknown) => void,
): Promise<OpenPort> {
  if (request.fd >= 0) return listenOnDescriptor(request.fd, onConnection);
  const server = netModule().createServer({ pauseOnConnect: true }, onConnection);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(listenOptions(request), () => {
      server.off("error", reject);
      // Errors after listening (EMFILE on accept) must not crash the primary; the listener keeps going.
      server.on("error", () => {});
      const bound = server.address();
      const info = typeof bound === "object" && bound !== null ? bound : undefined;
      resolve({
        port: info?.port ?? -1,
        address: info?.address ?? String(bound),
        family: info?.family ?? "unix",
        handle: undefined,
        close: takeAccepts(server, onConnection) ?? (() => server.close()),
      });
    });
  });
}

/** Node's listening handle, as far as round-robin uses it. */
interface ListeningHandle {
  onconnection: (status: number, client?: unknown) => void;
  close(): void;
}

/**
 * On Node, takes the listening handle from its server, as Node's own round-robin does: each connection then comes
 * as the raw handle that the primary passes on, without a `net.Socket` made (and destroyed) per connection in the
 * primary; the worker makes the socket. Returns how to close the handle; undefined on Bun and Deno, whose servers
 * keep accepting (their `child_process` passes sockets, not raw handles).
 */
function takeAccepts(server: net.Server, onConnection: (socket: unknown) => void): (() => void) | undefined {
  if (detectRuntime() !== "node") return undefined;
  const owner = server as unknown as { _handle?: ListeningHandle | null };
  const handle = owner._handle;
  if (handle === undefined || handle === null || typeof handle.onconnection !== "function") return undefined;
  // A failed accept (EMFILE) has no connection; the listener goes on, as the server's own would.
  handle.onconnection = (status, client) => status === 0 && client !== undefined && onConnection(client);
  owner._handle = null;
  return () => handle.close();
}

function openHandle(internals: NetInternals, request: ServerRequest): OpenPort {
  const create = internals._createServerHandle!;
  // libuv's UV_TCP_IPV6ONLY, as Node's listen passes it for `ipv6Only: true`.
  const flags = request.ipv6Only ? 1 : 0;
  const handle = create(request.address, request.port, request.addressType, request.fd, flags);
  if (typeof handle === "number") {
    const code = handle === -98 ? "EADDRINUSE" : handle === -13 ? "EACCES" : `E${-handle}`;
    throw Object.assign(new Error(`listen ${code}`), { code });
  }
  const out: Record<string, unknown> = {};
  const failed = handle.getsockname?.(out) ?? 0;
  // libuv reports EADDRINUSE from bind() only at listen(), and a listen() after a failed bind binds a random port:
  // check that the socket holds the port asked for (as Node's checkBindError does in the worker).
  if (request.port > 0 && (failed !== 0 || out.port !== request.port)) {
    handle.close();
    throw Object.assign(new Error("listen EADDRINUSE"), { code: "EADDRINUSE" });
  }
  return {
    port: typeof out.port === "number" ? out.port : request.port,
    address: typeof out.address === "string" ? out.address : request.address ?? "",
    family: typeof out.family === "string" ? out.family : "IPv4",
    handle,
    close: () => handle.close(),
  };
}
