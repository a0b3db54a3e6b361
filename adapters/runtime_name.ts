/**
 * Which runtime this process runs on, read from the globals each runtime defines.
 *
 * @module
 */

import type { RuntimeName } from "./types.ts";

/** The runtime this process runs on. */
export function detectRuntime(): RuntimeName {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  if (g.Bun !== undefined) return "bun";
  if (g.Deno !== undefined) return "deno";
  return "node";
}
