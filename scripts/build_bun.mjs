// The npm package's Bun build, made by scripts/build_npm.mjs from the package's own ES modules once they are
// bundled: the same modules in one CommonJS file with Bun's bytecode beside it, which the package's `bun` export
// condition names. A Bun worker then loads the library in about 5.5 ms instead of 9 (measured on Bun 1.4: the
// bytecode spares the parse and compile of the modules; ES module bytecode needs `bun build --compile`, CommonJS
// does not). Bun checks the bytecode against its own JavaScriptCore build and, when it does not match (another Bun
// version) or is damaged, silently parses the JavaScript instead: slower, never wrong.
//
// What it writes into the package's folder bun/, whose package.json makes it a folder of CommonJS (Bun reads a
// CommonJS file's `__esModule` mark only outside a folder of ES modules: with it, `import()` of an entry point that
// has no default export gives none, as the ES module does):
// - unicluster.cjs (and .jsc): every ES module of the package that a program may load (the entry points and
//   chunks/), each evaluated only when first asked for, as the ES modules are; `load("core.js")` gives one's
//   exports. One file for all of them keeps one copy of the library in a process, whichever entry points it
//   uses.
// - bytecode_library.cjs: unicluster.cjs's exports, or undefined when it is not there. It names the file by a path
//   made at run time, which a bundler leaves alone: Bun's bundler empties a file marked `// @bun @bytecode` when it
//   bundles it (an application built with `bun build`, `--compile` or not, got `__commonJS(function() {})`). A
//   bundle run where the file is not (a compiled executable elsewhere) falls back to the ES modules, which the
//   bundler takes in through the entry files' literal `require()` of them.
// - <entry>.cjs for each entry point: what `import "unicluster/<entry>"` and `require()` give on Bun.
// - <program>.mjs for each program module (cli_worker.js, cli.js): the program, taking the library from the
//   bytecode file instead of chunks/, so that a command-line worker and the application it imports share one copy,
//   and the command line's primary loads the library about 4 ms sooner (measured on Bun 1.4.5: `--version`, which
//   loads every module the command line imports, 22.8-26.5 ms against 26.2-36.3).
//
// And, outside bun/, what the package's `bin` names (binLauncher): a small program that imports bun/cli.mjs on Bun
// and cli.js elsewhere (`bunx unicluster` runs the bin with Bun when asked to, `bun <bin>` always).

import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bin, childEnv } from "./_runtimes.mjs";

/** The folder of the Bun build in the package. */
export const BUN_DIR = "bun";

/** The bytecode bundle's file name in BUN_DIR. */
const BUN_LIBRARY = "unicluster.cjs";

/** The file in BUN_DIR that gives the bytecode bundle's exports, or undefined where it is not (see the top). */
const BYTECODE_LIBRARY = "bytecode_library.cjs";

/** bytecode_library.cjs. */
const bytecodeLibrary =
  `// Written by scripts/build_bun.mjs: the bytecode bundle's exports, or undefined where it is not. A path made at
// run time: a bundler leaves it alone (Bun's empties a file marked \`// @bun @bytecode\` when it bundles it).
"use strict";
let library;
try {
  library = require(__dirname + "/${BUN_LIBRARY}");
} catch (error) {
  if (error === null || typeof error !== "object" || error.code !== "MODULE_NOT_FOUND") throw error;
}
module.exports = library;
`;

/** Where the Bun build puts a package file: mod.js -> bun/mod.cjs (an entry), cli_worker.js -> bun/cli_worker.mjs. */
export function bunFile(file, extension) {
  return `${BUN_DIR}/${file.replace(/\.js$/, extension)}`;
}

/** One `import { a, b as c } from "./chunks/x.js";` (or a bare `import "./chunks/x.js";`) of esbuild's output. */
const chunkImport = /^import\s+(?:\{([^}]*)\}\s+from\s+)?"\.\/(chunks\/[\w.-]+\.js)";$/gm;

/** A program's imports of chunks as reads from the bytecode bundle; throws on an import of another shape. */
function programFromBundle(file, text) {
  const rewritten = text.replace(chunkImport, (_statement, names, chunk) => {
    const load = `bunLibrary.load(${JSON.stringify(chunk)})`;
    if (names === undefined) return `${load};`;
    const bindings = names.split(",").map((n) => n.trim()).filter(Boolean).map((n) =>
      n.replace(/\s+as\s+/, ": ")
    );
    return `const { ${bindings.join(", ")} } = ${load};`;
  });
  if (/^import\s[^;]*["']\.\.?\//m.test(rewritten)) {
    throw new Error(`${file}: an import the Bun build cannot take from ${BUN_LIBRARY}`);
  }
  // A program is imported by the package's bin (its `#!` line stays there), so the library's line can come first.
  return `const bunLibrary = import.meta.require("./${BUN_LIBRARY}");\n${rewritten.replace(/^#!.*\n/, "")}`;
}

/** The folder, in the package, of the programs that `bin` names. */
export const BIN_DIR = "bin";

/**
 * The text of `bin/<name>.js`, the program a package `bin` names: it runs the Bun build of `program` (a file name in
 * the package's root, such as cli.js) on Bun, and `program` itself elsewhere. A bin is one file for every runtime,
 * and an ES module's imports load before its code runs, so the choice is made here, before either loads.
 */
export function binLauncher(program) {
  const bunProgram = bunFile(program, ".mjs");
  return `#!/usr/bin/env node
// Written by scripts/build_bun.mjs: ${program} on Bun takes the library from the Bun build (${bunProgram}).
await import(globalThis.Bun === undefined ? "../${program}" : "../${bunProgram}");
`;
}

/**
 * Writes the Bun build into dir, beside the ES modules it is made from.
 *
 * @param {string} dir the package folder, with its bundled ES modules
 * @param {{ entries: { file: string, main: (load: string) => string }[], programs: string[] }} parts
 *   the entry points (each `main` writes its CommonJS file's text around the expression that loads its module)
 *   and the program modules
 */
export function buildBun(dir, { entries, programs }) {
  const chunks = readdirSync(join(dir, "chunks")).filter((f) => f.endsWith(".js")).map((f) => `chunks/${f}`);
  const modules = [...entries.map((e) => e.file), ...chunks];
  const source = join(dir, ".bun-library.cjs");
  // A require() inside a function: Bun's bundler then wraps each module to be evaluated on its first load.
  writeFileSync(
    source,
    `"use strict";\nconst modules = {\n${
      modules.map((m) => `  ${JSON.stringify(m)}: () => require(${JSON.stringify(`./${m}`)}),`).join("\n")
    }\n};\nexports.load = (file) => modules[file]();\n`,
  );
  const out = join(dir, BUN_DIR);
  mkdirSync(out);
  const built = spawnSync(
    bin("bun"),
    [
      "build",
      source,
      "--target=bun",
      "--format=cjs",
      "--bytecode",
      `--outdir=${out}`,
      `--entry-naming=${BUN_LIBRARY}`,
    ],
    { encoding: "utf8", env: childEnv() },
  );
  rmSync(source);
  if (built.status !== 0) {
    throw new Error(`bun build failed (${built.error?.message ?? `exit ${built.status}`}):\n${built.stderr}`);
  }
  const written = readdirSync(out);
  if (!written.includes(`${BUN_LIBRARY}.jsc`)) {
    throw new Error(`bun build wrote no bytecode: ${written.join(", ")}`);
  }
  const files = {
    "package.json": `${JSON.stringify({ type: "commonjs" })}\n`,
    [BYTECODE_LIBRARY]: bytecodeLibrary,
  };
  for (const { file, main } of entries) {
    const esm = `{ load: () => require(${JSON.stringify(`../${file}`)}) }`;
    files[bunFile(file, ".cjs")] = main(
      `(require("./${BYTECODE_LIBRARY}") ?? ${esm}).load(${JSON.stringify(file)})`,
    );
  }
  for (const program of programs) {
    files[bunFile(program, ".mjs")] = programFromBundle(program, readFileSync(join(dir, program), "utf8"));
  }
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(out, name.replace(`${BUN_DIR}/`, "")), text);
  }
}
