// The npm build of unicluster, as `npm install unicluster` and `bun add unicluster` give it: buildNpm() of
// scripts/build_npm.mjs (an esbuild bundle: mod.js and chunks/, cli.js and cli_worker.js for the command line),
// built into .tmp/bench-npm once per benchmark process, the first time a part asks for it.

import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { buildNpm } from "../../scripts/build_npm.mjs";
import { repoRoot } from "../../scripts/_runtimes.mjs";

let packageDir;

/** The folder of the npm package, built on the first call. */
export function npmBuild() {
  packageDir ??= buildNpm({ outDir: join(repoRoot, ".tmp", "bench-npm"), log: () => {} });
  return packageDir;
}

/** The npm build's mod.js as a file URL (for BENCH_MODULE: the programs import it dynamically). */
export function npmModuleUrl() {
  return pathToFileURL(join(npmBuild(), "mod.js")).href;
}

/** The path of the npm build's command line, cli.js (the package's bin). */
export function npmCliPath() {
  return join(npmBuild(), "cli.js");
}
