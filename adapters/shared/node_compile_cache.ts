/**
 * Node's compile cache for Node workers. Node 22.1 and later keep what they compiled (and, for `.ts` files, what
 * they stripped of types) in the directory named by `NODE_COMPILE_CACHE`; a worker that loads this library from
 * its TypeScript sources spends most of its start-up stripping types (measured on Node 24: importing `mod.ts`
 * takes about 100 ms, and about 40 ms once cached, with 20-35 MiB less memory). So a Node worker gets a cache
 * directory of this user's, unless its environment names one already or sets `NODE_DISABLE_COMPILE_CACHE`.
 *
 * @module
 */

import { join } from "node:path";
import { type DenoNamespace, granted } from "../deno/globals.ts";
import { process } from "./host_process.ts";
import { fsModule, osModule } from "./lazy_builtin.ts";

/** Undefined until asked; then the directory, or null when there is none this user alone can write. */
let directory: string | null | undefined;

/**
 * Whether this process may look for and make the directory without a permission prompt: always on Node and Bun; a
 * Deno primary only with read, write, env and sys granted in full (its user id, the temporary folder's name).
 */
function mayUseDisk(): boolean {
  const deno = (globalThis as { Deno?: DenoNamespace }).Deno;
  return deno === undefined || ["read", "write", "env", "sys"].every((name) => granted(deno, { name }));
}

/**
 * A directory in the temporary folder that only this user can reach, made on first use: never one that another
 * user made (it could hold compiled code of theirs), nor a symbolic link. Null where there is none (Windows, a
 * Deno primary without the permissions, or a folder that is not this user's alone).
 */
function privateCacheDirectory(): string | null {
  if (!mayUseDisk()) return null;
  const uid = process.getuid?.();
  if (uid === undefined) return null;
  const fs = fsModule();
  const path = join(osModule().tmpdir(), `unicluster-node-compile-cache-${uid}`);
  try {
    fs.mkdirSync(path, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") return null;
  }
  try {
    const stat = fs.lstatSync(path);
    const alone = stat.isDirectory() && stat.uid === uid && (stat.mode & 0o077) === 0;
    return alone ? path : null;
  } catch {
    return null;
  }
}

/** The worker's environment, with `NODE_COMPILE_CACHE` added for a Node worker that has none of its own. */
export function withNodeCompileCache(runtime: string, env: Record<string, string>): Record<string, string> {
  if (runtime !== "node" || "NODE_COMPILE_CACHE" in env || "NODE_DISABLE_COMPILE_CACHE" in env) return env;
  directory ??= privateCacheDirectory();
  return directory === null ? env : { ...env, NODE_COMPILE_CACHE: directory };
}

/**
 * In a worker with a compile cache: writes what it compiled to its start-up to the cache once that start-up is
 * over (Node writes it at a normal exit only, and a worker often ends by a signal, which would leave the cache
 * empty for the next).
 */
export function saveNodeCompileCacheSoon(): void {
  if (process.env.NODE_COMPILE_CACHE === undefined) return;
  // node:module is taken in the callback too: loading it costs 0.2 ms, which the worker's start-up need not wait for.
  setImmediate(() => {
    const module = process.getBuiltinModule?.("node:module") as
      | { flushCompileCache?: () => void }
      | undefined;
    if (typeof module?.flushCompileCache === "function") module.flushCompileCache();
  });
}
