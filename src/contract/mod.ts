/**
 * The contract between the runtime-free core and the runtime adapters. Adapters import this module (and
 * `src/errors.ts`) and nothing else of the core.
 *
 * @module
 */

export type * from "./adapter.ts";
export type * from "./channel.ts";
export type * from "./host.ts";
export type * from "./sharing.ts";
export type * from "./spawn.ts";
