/**
 * A Deno worker's channel, connected before its main module runs. Deno can only connect asynchronously, so a
 * worker that connected when it loaded this library would stay silent if its own code then kept the event loop
 * busy (`while (true);`): its primary would never hear `online`, where Node's worker says it from its bootstrap.
 * Once connected, Deno writes at once, whatever the event loop does. So the primary starts a Deno worker with a
 * small preload module (`deno run --preload`, Deno 2.4 and later) that connects to the primary's socket, presents
 * the worker's identity (its hello) and leaves the connection for the library to take.
 *
 * The preload reads the identity from the worker's environment, as the library does: the token never appears on
 * the command line, which other users can read.
 *
 * @module
 */

import type { DenoConn, DenoNamespace } from "./globals.ts";

/** Where the preload leaves the connection for the library. */
const EARLY_CHANNEL = Symbol.for("unicluster.earlyChannel");

/** What the preload leaves: the connection, its socket path and the worker id it said hello for. */
interface EarlyChannel {
  path: string;
  id: number;
  conn: DenoConn;
}

/**
 * The preload, as a module of its own: it connects to the path in the identity variable (a worker of the socket
 * channel only), writes the hello frame (a 4-byte big-endian length, then the JSON of `{ id, token }`, as the
 * channel frames it) and keeps the connection. On any failure it leaves nothing: the library then connects itself.
 */
function preloadSource(identityVariable: string): string {
  return `let conn;
try {
  const raw = Deno.env.get(${JSON.stringify(identityVariable)});
  const identity = raw === undefined ? undefined : JSON.parse(raw);
  if (identity?.channel === "socket" && typeof identity.path === "string") {
    conn = await Deno.connect({ transport: "unix", path: identity.path });
    const body = new TextEncoder().encode(JSON.stringify({ id: identity.id, token: identity.token }));
    const frame = new Uint8Array(4 + body.length);
    new DataView(frame.buffer).setUint32(0, body.length);
    frame.set(body, 4);
    for (let written = 0; written < frame.length;) written += await conn.write(frame.subarray(written));
    globalThis[Symbol.for("unicluster.earlyChannel")] = { path: identity.path, id: identity.id, conn };
  }
} catch {
  try { conn?.close(); } catch {}
}
`;
}

/** The first version of Deno with `deno run --preload`. */
const PRELOAD_SINCE = [2, 4];

/**
 * The runtime arguments that connect a Deno worker early: `--preload` with the module above, or none when the
 * worker runs another executable than this one (its version is unknown) or a Deno without `--preload`.
 */
export function earlyChannelArgs(deno: DenoNamespace, execPath: string, identityVariable: string): string[] {
  if (execPath !== deno.execPath()) return [];
  const [major, minor] = deno.version.deno.split(".").map(Number);
  if (major < PRELOAD_SINCE[0] || (major === PRELOAD_SINCE[0] && minor < PRELOAD_SINCE[1])) return [];
  return [`--preload=data:text/javascript,${encodeURIComponent(preloadSource(identityVariable))}`];
}

/** In a worker: the connection the preload made to `path` for worker `id`, once (later calls get undefined). */
export function takeEarlyChannel(path: string, id: number): DenoConn | undefined {
  const holder = globalThis as { [EARLY_CHANNEL]?: EarlyChannel };
  const early = holder[EARLY_CHANNEL];
  if (early === undefined || early.path !== path || early.id !== id) return undefined;
  delete holder[EARLY_CHANNEL];
  return early.conn;
}
