/**
 * Host facts read from the global `process`, shared by the Node and Bun adapters.
 *
 * @module
 */

import { statSync } from "node:fs";
import { resolve } from "node:path";
import type { HostInfo, RuntimeName } from "./types.ts";

/** The environment as a plain object of strings. */
export function environment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (typeof value === "string") env[key] = value;
  return env;
}

/** Host facts for a runtime that keeps Node's `process.argv` layout (`[execPath, script, ...args]`). */
export function processHost(runtime: RuntimeName, mainModule: string | undefined): HostInfo {
  return {
    runtime,
    execPath: process.execPath,
    mainModule: resolve(mainModule ?? process.argv[1] ?? "."),
    args: process.argv.slice(2),
    execArgv: [...process.execArgv],
    pid: process.pid,
    platform: process.platform,
    env: environment(),
  };
}

/** Whether `path` names an existing file; module specifiers with a scheme (`npm:`, `https:`) count as present. */
export function scriptExists(path: string): boolean {
  if (/^[a-z][a-z0-9+.-]+:/i.test(path) && !/^[a-z]:[\\/]/i.test(path)) {
    if (!path.startsWith("file:")) return true;
    path = new URL(path).pathname;
  }
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Reads and removes an environment variable. */
export function takeEnv(name: string): string | undefined {
  const value = process.env[name];
  delete process.env[name];
  return value;
}

/** The executable for another runtime: this process's own when it is the same, else the name found on PATH. */
export function executableFor(runtime: RuntimeName, own: RuntimeName): string {
  return runtime === own ? process.execPath : runtime;
}

/**
 * Runtime arguments that start a script on `runtime` from a primary that is not Deno: such a primary holds every
 * permission, so a Deno worker gets them all too (never more than its primary), plus the flag that reusePort needs.
 */
export function foreignExecArgv(runtime: RuntimeName): string[] {
  return runtime === "deno" ? ["run", "--allow-all", "--no-prompt", "--unstable-net"] : [];
}
