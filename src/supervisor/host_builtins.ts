/**
 * The runtime's `process` and `node:http` as the supervisor uses them, taken without an ES module import: on Node
 * 24 importing a built-in module builds a facade of it that reads its lazy properties (about 4 ms for `process`,
 * 18 ms for `node:http`, which loads the fetch implementation), and the command line's workers load the
 * supervisor. The adapters do the same for themselves (adapters/shared/host_process.ts); the supervisor reaches
 * no adapter, so it has its own.
 *
 * @module
 */

/** The runtime's `process`. */
export const process: NodeJS.Process = globalThis.process;

/** `node:http`, loaded when first asked for (only a primary with a health server serves HTTP). */
export function httpModule(): typeof import("node:http") {
  return process.getBuiltinModule("node:http");
}
