// The runtimes under test (Node, Bun, Deno): where their binaries are, how each runs a file, their versions, and
// the environment every process under test gets.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { bin, childEnv } from "../../scripts/_runtimes.mjs";

/**
 * The environment of every process under test: scripts/_runtimes.mjs's childEnv (no NODE_EXTRA_CA_CERTS, no
 * colours, node_modules/.bin first on PATH), and no NODE_OPTIONS either.
 */
export function benchEnv(extra = {}) {
  const env = childEnv(extra);
  delete env.NODE_OPTIONS;
  return env;
}

/** A tool from node_modules/.bin, else from PATH. */
export function binary(name) {
  const local = bin(name);
  if (existsSync(local)) return local;
  const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).stdout.trim();
  if (found) return found;
  throw new Error(`${name} not found: run npm ci first (it is a devDependency)`);
}

export const RUNTIMES = {
  node: { name: "Node", bin: () => binary("node"), run: (file) => [binary("node"), [file]] },
  bun: { name: "Bun", bin: () => binary("bun"), run: (file) => [binary("bun"), [file]] },
  deno: { name: "Deno", bin: () => binary("deno"), run: (file) => [binary("deno"), ["run", "-A", file]] },
};

export function version(runtime) {
  const r = spawnSync(RUNTIMES[runtime].bin(), ["--version"], { encoding: "utf8", env: benchEnv() });
  return (r.stdout || r.stderr).split("\n")[0].trim();
}
