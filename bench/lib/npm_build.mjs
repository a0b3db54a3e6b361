// The npm build of unicluster, as `npm install unicluster` and `bun add unicluster` give it: buildNpm() of
// scripts/build_npm.mjs (an esbuild bundle: mod.js and chunks/, cli.js and cli_worker.js for the command line;
// bun/, the Bun build with its bytecode),
// built into .tmp/bench-npm once per benchmark process, the first time a part asks for it.

import { readFileSync } from "node:fs";
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

/** The export conditions each runtime resolves a package's `exports` with, in the order it tries them. */
const CONDITIONS = {
  node: ["node", "import"],
  bun: ["bun", "node", "import"],
  deno: ["deno", "node", "import"],
};

/** The file a package's `exports` entry gives under a runtime's conditions (or `default`). */
function resolveExport(entry, runtime) {
  if (typeof entry === "string") return entry;
  for (const [condition, target] of Object.entries(entry)) {
    if (condition === "default" || CONDITIONS[runtime].includes(condition)) {
      return resolveExport(target, runtime);
    }
  }
  throw new Error(`the npm build exports nothing for ${runtime}`);
}

/**
 * The file `import "unicluster"` (or another of the package's exports, as `"./core"`) loads on a runtime from the
 * npm build, as a file URL (for BENCH_MODULE: the programs import it dynamically): mod.js, or on Bun its Bun build
 * (the package's `bun` condition).
 */
export function npmModuleUrl(runtime, entry = ".") {
  return pathToFileURL(join(npmBuild(), resolveExport(builtManifest().exports[entry], runtime))).href;
}

/** The npm build's package.json. */
function builtManifest() {
  return JSON.parse(readFileSync(join(npmBuild(), "package.json"), "utf8"));
}

/**
 * The path of the npm build's command line as a runtime's users start it: on Deno cli.js, the `./cli` export
 * (`deno run -A npm:unicluster/cli`); elsewhere the package's bin (`npx unicluster`, `bunx unicluster`), which runs
 * cli.js on Node and its Bun build on Bun.
 */
export function npmCliPath(runtime) {
  if (runtime === "deno") return join(npmBuild(), "cli.js");
  return join(npmBuild(), builtManifest().bin.unicluster);
}
