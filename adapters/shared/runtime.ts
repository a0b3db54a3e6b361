/**
 * Which runtime this process runs on, read from the globals each runtime defines. A leaf module: `../detect.ts`
 * picks adapters with it, and the server code that differs by runtime reads it too.
 *
 * @module
 */

import type { RuntimeName } from "../../src/contract/mod.ts";

/** The runtime this process runs on. */
export function detectRuntime(): RuntimeName {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  if (g.Bun !== undefined) return "bun";
  if (g.Deno !== undefined) return "deno";
  return "node";
}
