/**
 * How a worker's server names what it wants to listen on: `listen()`'s overloads sorted out as Node does, and the
 * one place that builds the request key the primary shares ports by (`address:port:addressType:fd`, as Node's
 * cluster keys them; the path for unix sockets).
 *
 * @module
 */

import { resolve } from "node:path";
import type { ServerRequest } from "../../src/contract/mod.ts";
import { netModule } from "../shared/lazy_builtin.ts";

type Callback = (...args: unknown[]) => void;

/** `listen()` options as the hooks read them. */
export interface ListenOptions {
  /** Port. */
  port?: number;
  /** Host. */
  host?: string;
  /** Unix socket path. */
  path?: string;
  /** Listen backlog. */
  backlog?: number;
  /** Do not share the port. */
  exclusive?: boolean;
  /** IPv6 only. */
  ipv6Only?: boolean;
  /** A file descriptor to listen on. */
  fd?: number;
  /** A handle to listen on. */
  handle?: unknown;
  /** Bind with SO_REUSEPORT. */
  reusePort?: boolean;
}

/** `listen()`'s arguments, sorted out. */
export interface ParsedListen {
  /** The options. */
  options: ListenOptions;
  /** The callback, if the last argument was one. */
  callback: Callback | undefined;
  /** The arguments named a handle: listen on it directly. */
  direct: boolean;
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
    return { options: { ...object } as ListenOptions, callback, direct: false };
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

/** Node's `net.isIPv4()`: four decimal numbers of 0 to 255, without leading zeros. */
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/**
 * `net.isIPv6(host)`, taking node:net only for a host with a colon (no other can be IPv6): the HTTP and native
 * servers of a Bun worker then never load it (../shared/lazy_builtin.ts).
 */
function isIPv6Address(host: string): boolean {
  return host.includes(":") && netModule().isIPv6(host);
}

/** `net.isIP(host) !== 0`, loading node:net as little as {@link isIPv6Address} does. */
export function isIPAddress(host: string): boolean {
  return IPV4.test(host) || isIPv6Address(host);
}

/** The request the primary keys, from listen options. */
export function serverRequest(options: ListenOptions, prefersReusePort: boolean): ServerRequest {
  const fd = typeof options.fd === "number" ? options.fd : -1;
  if (options.path !== undefined) {
    // Relative to this worker's working directory, as Node's child.js resolves it (abstract names stay as they are).
    const path = options.path.startsWith("\0") ? options.path : resolve(options.path);
    return {
      key: `${path}:-1:-1:${fd}`,
      address: null,
      port: -1,
      addressType: -1,
      fd,
      path,
      prefersReusePort,
    };
  }
  const address = options.host ?? null;
  const port = Number(options.port ?? 0);
  const addressType = fd >= 0 ? -1 : options.host !== undefined && isIPv6Address(options.host) ? 6 : 4;
  return {
    key: `${address}:${port}:${addressType}:${fd}`,
    address,
    port,
    addressType,
    fd,
    prefersReusePort,
    backlog: options.backlog,
    ipv6Only: options.ipv6Only,
  };
}
