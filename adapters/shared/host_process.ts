/**
 * The runtime's `process` object (Node, Bun, and Deno 2 all have one), read from the global instead of imported
 * from `node:process`: on Node 24, importing any built-in module from an ES module builds an ES module facade of
 * it, and the facade of `process` reads every property of the object, lazy ones included, which costs each worker
 * about 4 ms of start-up. The same object, none of that work.
 *
 * @module
 */

/** The runtime's `process`. */
export const process: NodeJS.Process = globalThis.process;
