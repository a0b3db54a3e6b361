/**
 * The `_getServer` of the runtime's own `node:cluster` once it reports a worker (see `builtin_cluster.ts`). The
 * runtime's servers read that module: Node's `net` and `dgram`, Bun's `dgram` and Deno's `net` ask
 * `cluster._getServer()` for the port whenever `isWorker` is true and the listen is not exclusive (measured on
 * Node 24, Bun 1.4 and Deno 2.9). In a unicluster worker the listens that still reach the runtime are those
 * unicluster's server hooks make themselves (the private endpoint of round-robin) or let through (`listen({ fd })`,
 * `bind({ fd })`); before the redirect the runtime saw a primary and bound them at once, so this stand-in does
 * the same: a server listens as the runtime's primary branch makes it (`_listen2`), a UDP socket gets a handle
 * of its own for its file descriptor.
 *
 * @module
 */

import { process } from "./host_process.ts";
import { dgramModule } from "./lazy_builtin.ts";

/** What the runtime passes to `cluster._getServer()`: Node's query, which Bun and Deno copied. */
interface ServerQuery {
  address?: string | null;
  port?: number | null;
  addressType?: number | string | null;
  fd?: number | null;
  flags?: number | null;
  backlog?: number;
}

type HandleCallback = (errno: number, handle?: unknown) => void;

/** Node's deprecated `dgram._createSocketHandle()`: a UDP handle bound, or opened on a descriptor, or an errno. */
type CreateSocketHandle = (
  address: string | null | undefined,
  port: number | null | undefined,
  addressType: number | string | null | undefined,
  fd: number | null | undefined,
  flags: number | null | undefined,
) => unknown;

/** A server as the runtime's `net` keeps it: `_listen2` binds and listens (what the primary branch calls). */
interface ListeningServer {
  _listen2(...args: unknown[]): void;
}

function isListeningServer(owner: unknown): owner is ListeningServer {
  return typeof (owner as Partial<ListeningServer> | null)?._listen2 === "function";
}

/** A handle for a UDP socket bound on its own, Node's or Bun's kind. */
function udpHandle(query: ServerQuery, callback: HandleCallback): void {
  const create =
    (dgramModule() as unknown as { _createSocketHandle?: CreateSocketHandle })._createSocketHandle;
  if (typeof create !== "function") {
    // Bun's dgram opens the socket on the descriptor of the handle it is given.
    callback(0, { fd: query.fd, close() {} });
    return;
  }
  // Node's own primary makes the handle this way; its deprecation notice concerns user code, not this call.
  const quiet = process.noDeprecation;
  process.noDeprecation = true;
  let handle: unknown;
  try {
    handle = create(query.address, query.port, query.addressType, query.fd, query.flags);
  } finally {
    process.noDeprecation = quiet;
  }
  if (typeof handle === "number") callback(handle);
  else callback(0, handle);
}

/**
 * `cluster._getServer(owner, query, callback)` for a worker whose servers unicluster shares: binds `owner` (a
 * `net.Server` or a `dgram.Socket`) in this process, as the runtime does in a primary.
 */
export function listenInProcess(owner: unknown, query: ServerQuery, callback: HandleCallback): void {
  if (isListeningServer(owner)) {
    owner._listen2(query.address, query.port, query.addressType, query.backlog, query.fd, query.flags);
    return;
  }
  udpHandle(query, callback);
}
