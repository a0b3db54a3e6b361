/**
 * Picks the adapter for the runtime this process runs on. Override it with the `UNICLUSTER_ADAPTER` environment
 * variable (`node` selects the `child_process` route on any runtime), or build a cluster on an adapter of your
 * own with `createCluster(adapter)`.
 *
 * @module
 */

import type { Adapter, RuntimeName } from "../src/contract/mod.ts";
import { BunAdapter } from "./bun/adapter.ts";
import { DenoAdapter } from "./deno/adapter.ts";
import { NodeAdapter } from "./node/adapter.ts";
import { detectRuntime } from "./shared/runtime.ts";

export { detectRuntime };

/** Makes the adapter for `name` (default: this runtime's); `node` on Deno or Bun is the `child_process` route. */
export function createAdapter(name: RuntimeName = detectRuntime()): Adapter {
  const own = detectRuntime();
  if (name === "node") {
    return own === "deno"
      ? new DenoAdapter("child_process")
      : own === "bun"
      ? new BunAdapter("child_process")
      : new NodeAdapter();
  }
  if (name !== own) {
    throw new TypeError(`The ${name} adapter cannot run on ${own}; use "${own}" or "node"`);
  }
  return name === "bun" ? new BunAdapter() : new DenoAdapter();
}

/** The adapter this process uses: `UNICLUSTER_ADAPTER` if set, else the runtime's own. */
export function defaultAdapter(env: string | undefined): Adapter {
  if (env === undefined || env === "") return createAdapter();
  if (env !== "node" && env !== "deno" && env !== "bun") {
    throw new TypeError(`UNICLUSTER_ADAPTER must be "node", "deno" or "bun"; got "${env}"`);
  }
  return createAdapter(env);
}
