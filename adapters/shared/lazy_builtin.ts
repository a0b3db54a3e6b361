/**
 * Built-in modules that only some processes need, loaded on first use: every static import is paid by every
 * worker at start-up, before it can say `online`. Measured per module on Bun 1.4: `node:child_process` 7 ms (only
 * a primary spawns), `node:dns` 5 ms (only a listen on a host name resolves one).
 *
 * @module
 */

import process from "node:process";

/** The runtime's built-in module `id` (Node 20.16+, Bun, Deno: `process.getBuiltinModule`). */
function builtin<T>(id: string): T {
  return (process as unknown as { getBuiltinModule(id: string): T }).getBuiltinModule(id);
}

/** `node:child_process`. */
export function childProcessModule(): typeof import("node:child_process") {
  return builtin("node:child_process");
}

/** `node:dns`. */
export function dnsModule(): typeof import("node:dns") {
  return builtin("node:dns");
}
