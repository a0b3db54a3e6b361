/**
 * Host facts read from the global `process` (the Node and Bun adapters), and the one check of a worker script's
 * path that every adapter uses.
 *
 * @module
 */

import { resolve } from "node:path";
import type { HostInfo, RuntimeName } from "../../src/contract/mod.ts";
import { process } from "./host_process.ts";
import { fsModule, urlModule } from "./lazy_builtin.ts";

/** The environment as a plain object of strings. */
function environment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (typeof value === "string") env[key] = value;
  return env;
}

/**
 * Host facts for a runtime that keeps Node's `process.argv` layout (`[execPath, script, ...args]`), read as Node's
 * `setupPrimary()` reads them (the script is `process.argv[1]`; `fallbackMain` where there is none).
 */
export function processHost(runtime: RuntimeName, fallbackMain: string | undefined): HostInfo {
  return {
    runtime,
    execPath: process.execPath,
    mainModule: process.argv[1] ?? resolve(fallbackMain ?? "."),
    args: process.argv.slice(2),
    execArgv: [...process.execArgv],
    pid: process.pid,
    platform: process.platform,
    env: environment(),
  };
}

/** Whether a path names a file: true or false, or undefined when this process may not look (Deno). */
export type IsFile = (path: string) => boolean | undefined;

function statIsFile(path: string): boolean {
  try {
    return fsModule().statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Whether `specifier` names an existing script. `file:` URLs are checked as paths; other specifiers with a
 * scheme (`npm:`, `jsr:`, `https:`) and paths this process may not look at count as present (the worker will say).
 */
export function scriptExists(specifier: string, isFile: IsFile = statIsFile): boolean {
  let path = specifier;
  if (/^[a-z][a-z0-9+.-]+:/i.test(specifier) && !/^[a-z]:[\\/]/i.test(specifier)) {
    if (!specifier.startsWith("file:")) return true;
    path = urlModule().fileURLToPath(specifier);
  }
  return isFile(path) ?? true;
}

/** Reads and removes an environment variable. */
export function takeEnv(name: string): string | undefined {
  const value = process.env[name];
  delete process.env[name];
  return value;
}
