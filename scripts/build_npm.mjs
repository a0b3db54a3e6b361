// Builds the npm package into npm/ (`npm run build:npm`).
//
// This script (with scripts/build_bun.mjs, which it calls) is the only place that knows how the npm package is
// made; cli.ts knows its Bun build (bun/cli.mjs beside bun/cli_worker.mjs, which it runs for Bun workers). It
// compiles the entry points that deno.json exports (mod.ts, core.ts, supervisor.ts, cli.ts), the command line's
// worker entry (cli_worker.ts), src/ and adapters/ with the pinned TypeScript compiler (node_modules/.bin/tsc:
// TypeScript 7, the native compiler, which has no JS API, so it is driven through a temporary tsconfig in .tmp/)
// and writes npm/package.json from package.json and deno.json, with a `bin` of its own: package.json's names the
// command line, cli.js, which the package runs through bin/unicluster.js (on Bun, the Bun build of cli.js).
// Switching to dnt (or any other bundler) later means changing only these files: their CLI and the two exported
// functions are what the rest of the repo (scripts/test_matrix.mjs, tests/npm_package.test.ts,
// bench/lib/npm_build.mjs) uses.
//
// The package is ESM. An entry point with a default export (mod.ts: the cluster) also gets a small CommonJS file
// (mod.cjs, with mod.d.cts) under the `require` condition: it require()s the ESM build (Node 20.19+/22.12+, Bun
// and Deno load ESM with require) and exports the default export itself, with the named exports on it, so that
// `require("unicluster")` is the cluster, the same object `import cluster from "unicluster"` gives. The other
// entry points have no default export: require() gives their namespace. Every declaration file that needs
// Node's types says so (`/// <reference types="node" />`), so that a project whose `types` list is empty (the
// default of TypeScript 7 and of `tsc --init`) still finds them; @types/node is an optional peer dependency.
// Bun gets a build of its own, first under each entry point's `bun` condition but the command line's: the same
// bundled modules as one CommonJS file with Bun's bytecode (scripts/build_bun.mjs, which needs the repo's Bun).
//
// Usage:
//   node scripts/build_npm.mjs                          npm package into npm/
//   node scripts/build_npm.mjs --out DIR                npm package into DIR
//   node scripts/build_npm.mjs --out DIR --with-tests   mod.ts, src/, adapters/, tests/ (with tests/fixtures/)
//                                                       and examples/ compiled into DIR, plus a
//                                                       {"type":"module"} package.json, so that Node 20 (which
//                                                       cannot strip types) runs DIR/tests/*.test.js
//
// Output keeps the source layout (DIR/mod.js, DIR/src/..., DIR/tests/fixtures/...), and relative imports ending
// in `.ts` become `.js` (rewriteRelativeImportExtensions), so tests that pick their fixture's extension from
// their own file name work unchanged in the compiled tree.

import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";
import { BIN_DIR, binLauncher, buildBun, BUN_DIR, bunFile } from "./build_bun.mjs";
import { bin, childEnv, repoRoot } from "./_runtimes.mjs";

/** The compiler settings of every build (npm package and compiled test tree alike). */
const compilerOptions = {
  target: "ES2022",
  module: "NodeNext",
  moduleResolution: "NodeNext",
  strict: true,
  allowImportingTsExtensions: true,
  rewriteRelativeImportExtensions: true,
  verbatimModuleSyntax: true,
  erasableSyntaxOnly: true,
  skipLibCheck: true,
  types: ["node"],
  newLine: "lf",
  sourceMap: false,
};

/** Source folders of the library (compiled into the npm package). */
const libraryDirs = ["src", "adapters"];

/**
 * Modules the package runs but does not export, compiled and shipped beside the entry points: the command line's
 * worker entry, which cli.ts hands to the cluster as the file its workers run.
 */
const programModules = ["cli_worker.ts"];

/** Extensions the compiler turns into .js; every other file under a compiled folder is copied as it is. */
const compiledExtensions = [".ts", ".mts", ".cts"];

function isInside(child, parent) {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** Empties outDir, refusing to delete a non-empty folder the build does not own. */
function prepareOutDir(outDir) {
  const owned = isInside(outDir, join(repoRoot, ".tmp")) || isInside(outDir, join(repoRoot, "npm"));
  if (outDir === repoRoot || isInside(repoRoot, outDir)) {
    throw new Error(`refusing to build into ${outDir}: it contains the repository`);
  }
  if (existsSync(outDir)) {
    if (!owned && readdirSync(outDir).length > 0) {
      throw new Error(
        `refusing to empty ${outDir}: only npm/ and folders under .tmp/ are cleaned; pass an empty dir`,
      );
    }
    rmSync(outDir, { recursive: true, force: true });
  }
  mkdirSync(outDir, { recursive: true });
}

function walk(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path));
    else out.push(path);
  }
  return out;
}

function copyAssets(srcDir, outDir) {
  if (!existsSync(srcDir)) return;
  for (const file of walk(srcDir)) {
    if (compiledExtensions.some((ext) => file.endsWith(ext))) continue;
    const target = join(outDir, relative(repoRoot, file));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
  }
}

/**
 * tsc rewrites `./x.ts` to `./x.js` in the emitted JS but keeps `./x.ts` in the emitted .d.ts. TypeScript 7
 * resolves that, older compilers and other tools may not, so the declarations get `.js` specifiers too.
 */
function rewriteDeclarationImports(outDir) {
  const specifier = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(\.{1,2}\/[^"'\n]*?)\.([mc]?)ts\2/g;
  for (const file of walk(outDir)) {
    if (!/\.d\.[mc]?ts$/.test(file)) continue;
    const text = readFileSync(file, "utf8");
    const rewritten = text.replace(
      specifier,
      (_m, head, quote, path, kind) => `${head}${quote}${path}.${kind}js${quote}`,
    );
    if (rewritten !== text) writeFileSync(file, rewritten);
  }
}

/**
 * Puts `/// <reference types="node" />` at the top of every declaration file that imports a `node:` module, and
 * of every entry point's, so that Node's types are found whatever the consumer's `types` setting.
 */
function referenceNodeTypes(outDir, entryDeclarations) {
  const reference = '/// <reference types="node" />\n';
  for (const file of walk(outDir)) {
    if (!/\.d\.[mc]?ts$/.test(file)) continue;
    const text = readFileSync(file, "utf8");
    if (text.startsWith(reference)) continue;
    if (!entryDeclarations.includes(file) && !/\bfrom\s*["']node:|\bimport\(\s*["']node:/.test(text)) {
      continue;
    }
    writeFileSync(file, reference + text);
  }
}

function hasTsFiles(dir) {
  return existsSync(dir) && walk(dir).some((f) => f.endsWith(".ts"));
}

/**
 * Compiles mod.ts, src/ and adapters/ (and, with withTests, tests/ and examples/) into outDir with the pinned
 * tsc, keeping the folder layout. The npm build stops on any type error (noEmitOnError); the test build still
 * emits, reports the diagnostics as warnings and leaves type errors to the `tsc --noEmit` gate.
 *
 * @param {{ outDir: string, withTests?: boolean, declaration?: boolean, log?: (line: string) => void }} options
 * @returns {{ outDir: string, diagnostics: string }}
 */
export function compile({ outDir, withTests = false, declaration = !withTests, log = console.log }) {
  outDir = resolve(outDir);
  const entries = entryPoints();
  for (const file of Object.values(entries)) {
    if (!existsSync(join(repoRoot, file))) {
      throw new Error(`nothing to compile: ${join(repoRoot, file)} is missing`);
    }
  }
  prepareOutDir(outDir);

  const dirs = [...libraryDirs, ...(withTests ? ["tests", "examples"] : [])];
  const tmpDir = join(repoRoot, ".tmp");
  mkdirSync(tmpDir, { recursive: true });
  const config = join(tmpDir, `tsconfig.build-${process.pid}-${Date.now()}.json`);
  const rel = (p) => relative(tmpDir, p).split("\\").join("/");
  const tsconfig = {
    compilerOptions: {
      ...compilerOptions,
      declaration,
      noEmitOnError: !withTests,
      rootDir: rel(repoRoot),
      outDir: rel(outDir),
    },
    include: [
      ...[...Object.values(entries), ...programModules].map((file) => rel(join(repoRoot, file))),
      ...dirs.filter((d) => hasTsFiles(join(repoRoot, d))).map((d) => `${rel(join(repoRoot, d))}/**/*.ts`),
    ],
  };
  writeFileSync(config, JSON.stringify(tsconfig, null, 2) + "\n");
  let result;
  try {
    result = spawnSync(bin("tsc"), ["-p", config, "--pretty", "false"], {
      cwd: repoRoot,
      encoding: "utf8",
      env: childEnv(),
      timeout: 10 * 60_000,
    });
  } finally {
    rmSync(config, { force: true });
  }
  if (result.error) throw new Error(`could not run ${bin("tsc")}: ${result.error.message}`);
  const diagnostics = (result.stdout + result.stderr).trim();
  if (result.status !== 0) {
    if (!withTests || !existsSync(join(outDir, "mod.js"))) {
      throw new Error(`tsc failed (exit ${result.status}) building ${outDir}:\n${diagnostics}`);
    }
    log(
      `warning: tsc reported type errors (the JS was emitted anyway; the tsc gate reports them):\n${diagnostics}`,
    );
  }
  if (declaration) rewriteDeclarationImports(outDir);
  for (const dir of dirs) copyAssets(join(repoRoot, dir), outDir);
  if (withTests) {
    writeFileSync(join(outDir, "package.json"), JSON.stringify({ type: "module" }, null, 2) + "\n");
  }
  return { outDir, diagnostics };
}

function readJson(path) {
  return JSON.parse(readFileSync(path, "utf8"));
}

/**
 * The package's entry points, from deno.json's `exports` (the one list of them): subpath -> source file, e.g.
 * `{ ".": "mod.ts", "./core": "core.ts" }`.
 */
export function entryPoints() {
  const { exports } = readJson(join(repoRoot, "deno.json"));
  const map = typeof exports === "string" ? { ".": exports } : exports;
  return Object.fromEntries(
    Object.entries(map).map(([subpath, file]) => [subpath, file.replace(/^\.\//, "")]),
  );
}

/** Whether an entry point's source has a default export (then it gets a CommonJS entry, see the top). */
function hasDefaultExport(file) {
  const text = readFileSync(join(repoRoot, file), "utf8");
  return /^\s*export\s+default\b/m.test(text) || /^\s*export\s*\{[^}]*\bas\s+default\b/m.test(text);
}

/**
 * The CommonJS entry of an entry point with a default export: `require()` gives the default export itself (for
 * mod.js, the cluster of this process: the same object the ESM import gives, since it comes from the same
 * module), with the named exports that it does not have already (its own `Worker`, `SCHED_*` stay) and a
 * `default` that points at it, for code compiled from TypeScript or Babel. With `load` (an expression), the module
 * comes from there: the Bun build's entries take it from its bytecode bundle (scripts/build_bun.mjs).
 */
function commonJsEntry(esmFile, load) {
  const loading = load === undefined
    ? `let esm;
try {
  esm = require("./${esmFile}");
} catch (error) {
  if (error && (error.code === "ERR_REQUIRE_ESM" || error.code === "ERR_REQUIRE_ASYNC_MODULE")) {
    throw new Error(
      "unicluster is an ES module: require() of it needs a runtime that loads ES modules with require() " +
        "(Node 20.19+, 22.12+, Bun, Deno); use import otherwise",
      { cause: error },
    );
  }
  throw error;
}`
    : `const esm = ${load};`;
  return `// The CommonJS entry of ./${esmFile}, written by scripts/build_npm.mjs: require() gives its default export itself,
// with the named exports on it.
"use strict";
${loading}
const main = esm.default;
for (const name of Object.keys(esm)) {
  if (name !== "default" && !(name in main)) main[name] = esm[name];
}
// Not enumerable: a property that leads back to the object itself would trip code that walks it.
if (!Object.prototype.hasOwnProperty.call(main, "default")) {
  Object.defineProperty(main, "default", { value: main, writable: true, configurable: true, enumerable: false });
}
module.exports = main;
`;
}

/**
 * The CommonJS file of an entry point without a default export, whose module comes from `load`: its exports, on
 * an object marked `__esModule` whose `default` is undefined, as an ES module has none. Bun's `import` then gives
 * no default export either (it reads the mark on an object the file made itself, not on the bundle's namespace).
 */
function namespaceEntry(esmFile, load) {
  return `// The CommonJS entry of ./${esmFile}, written by scripts/build_npm.mjs: its exports.
"use strict";
const esm = ${load};
const entry = {};
Object.defineProperty(entry, "__esModule", { value: true });
for (const name of Object.keys(esm)) entry[name] = esm[name];
Object.defineProperty(entry, "default", { value: undefined });
module.exports = entry;
`;
}

/**
 * What an emitted declaration file exports that names a type (interfaces, type aliases, classes, enums), following
 * its re-exports: name -> whether the type is generic. Reads tsc's own output, whose statements each start a line.
 */
function exportedTypes(file, seen = new Set()) {
  const types = new Map();
  if (seen.has(file) || !existsSync(file)) return types;
  seen.add(file);
  const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const local = new Map();
  const declaration =
    /^(export\s+)?(?:declare\s+)?(?:abstract\s+)?(class|interface|type|enum)\s+([\w$]+)\s*(<)?/gm;
  for (const [, exported, , name, generic] of text.matchAll(declaration)) {
    local.set(name, generic !== undefined || local.get(name) === true);
    if (exported) types.set(name, local.get(name));
  }
  const target = (specifier) => join(dirname(file), specifier.replace(/\.js$/, ".d.ts"));
  for (const [, specifier] of text.matchAll(/^export\s+(?:type\s+)?\*\s+from\s+["']([^"']+)["']/gm)) {
    for (const [name, generic] of exportedTypes(target(specifier), seen)) types.set(name, generic);
  }
  const named = /^export\s+(?:type\s+)?\{([^}]*)\}(?:\s*from\s+["']([^"']+)["'])?/gm;
  for (const [, list, specifier] of text.matchAll(named)) {
    const source = specifier === undefined ? local : exportedTypes(target(specifier), new Set(seen));
    for (const item of list.split(",").map((part) => part.trim().replace(/^type\s+/, "")).filter(Boolean)) {
      const [name, alias = name] = item.split(/\s+as\s+/);
      if (source.has(name) && alias !== "default") types.set(alias, source.get(name));
    }
  }
  return types;
}

/**
 * The declarations of commonJsEntry(): the default export's type, with the named exports it does not have, and a
 * namespace of the same name holding the module's types, so that `import type { Worker } from "unicluster"` and
 * `cluster.Worker` as a type work in CommonJS TypeScript too. Generic types are left out (none is exported today).
 */
function commonJsDeclarations(esmFile, declarationFile, log) {
  const aliases = [];
  for (const [name, generic] of [...exportedTypes(declarationFile)].sort(([a], [b]) => a < b ? -1 : 1)) {
    if (generic) log(`warning: ${name} is generic; the CommonJS declarations leave it out`);
    else aliases.push(`  export type ${name} = esm.${name};`);
  }
  return `/// <reference types="node" />
// The declarations of ./${esmFile.replace(/\.js$/, ".cjs")}, written by scripts/build_npm.mjs.
import type * as esm from "./${esmFile}" with { "resolution-mode": "import" };
/** The default export of ./${esmFile}, with its named exports on it, and \`default\`: itself. */
type Main =
  & typeof esm.default
  & Omit<typeof esm, "default" | keyof typeof esm.default>
  & { readonly default: Main };
declare const main: Main;
/** The types of ./${esmFile}. */
declare namespace main {
${aliases.join("\n")}
}
export = main;
`;
}

/** Where the bundles' shared code goes, beside the entry points. */
const chunkDir = "chunks";

/** The names of the functions and classes that JavaScript text declares (`function f`, `class C`, `C = class`). */
function declaredNames(text) {
  const names = new Set();
  for (
    const match of text.matchAll(
      /\b(?:function\*?|class)\s+([A-Za-z_$][\w$]*)|\b([A-Za-z_$][\w$]*)\s*=\s*class\b/g,
    )
  ) {
    names.add(match[1] ?? match[2]);
  }
  return names;
}

/**
 * Throws when the bundle gives a function or class a name that no compiled module gave it: esbuild renames a
 * name that two modules share (`Worker` -> `Worker2`), and without its `keepNames` (which costs Bun about 1 ms of
 * every worker's start-up, one defineProperty per function) that rename would show in `.name`.
 */
function assertNamesKept(compiledFiles, bundledFiles) {
  const known = new Set();
  for (const file of compiledFiles) {
    for (const name of declaredNames(readFileSync(file, "utf8"))) known.add(name);
  }
  const renamed = [];
  for (const file of bundledFiles) {
    for (const name of declaredNames(readFileSync(file, "utf8"))) if (!known.has(name)) renamed.push(name);
  }
  if (renamed.length > 0) {
    throw new Error(`the bundle renamed ${renamed.join(", ")}: give each a name no other module declares`);
  }
}

/** One `import ... from "node:x";` statement of compiled JavaScript (tsc keeps each as written). */
const builtinImport = /^import\s+([^;"']+?)\s+from\s+"(node:[\w/]+)";$/gm;

/** `a, b as c` of a named import as destructuring: `a, b: c`. */
function destructured(names) {
  return names.split(",").map((name) => name.trim()).filter(Boolean).map((name) =>
    name.replace(/\s+as\s+/, ": ")
  )
    .join(", ");
}

/**
 * Rewrites the compiled modules' imports of Node's built-in modules into `process.getBuiltinModule()` calls. An
 * ES module `import` of a built-in makes Node build a module facade of it (reading every export): on Node 24 the
 * eight the library uses cost about 1.4 ms of each worker's start-up, the calls about 0.4 ms (measured). Bundling
 * inlines the calls, so the package imports no built-in as an ES module. The sources keep their imports: Deno
 * (JSR) loads those without a facade, and its first getBuiltinModule call costs it more than they do.
 */
function builtinImportsAsCalls(files) {
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const rewritten = text.replace(builtinImport, (statement, clause, specifier) => {
      const module = `globalThis.process.getBuiltinModule(${JSON.stringify(specifier)})`;
      const named = /^(?:([\w$]+)\s*,\s*)?\{([^}]*)\}$/.exec(clause);
      const namespace = /^\*\s+as\s+([\w$]+)$/.exec(clause);
      if (named) {
        const [, defaultName, names] = named;
        return defaultName
          ? `const ${defaultName} = ${module};\nconst { ${destructured(names)} } = ${defaultName};`
          : `const { ${destructured(names)} } = ${module};`;
      }
      if (namespace) return `const ${namespace[1]} = ${module};`;
      if (/^[\w$]+$/.test(clause)) return `const ${clause} = ${module};`;
      throw new Error(`${file}: cannot rewrite ${statement}`);
    });
    if (rewritten !== text) writeFileSync(file, rewritten);
  }
}

/**
 * Bundles the compiled entry points and program modules in dir (with esbuild, ESM, code shared between entry
 * points split into chunks/) and removes the per-file JS of the library folders, keeping their declarations. A
 * worker then loads three or four files instead of some eighty: measured on Node 24, importing the package took
 * 52 ms per-file and 19 ms bundled. Each module of the library still exists once, so every entry point sees the
 * same cluster and classes.
 */
function bundle(dir) {
  const files = [...Object.values(entryPoints()), ...programModules].map((f) => f.replace(/\.ts$/, ".js"));
  const compiled = [...files.map((file) => join(dir, file))];
  for (const folder of libraryDirs) {
    compiled.push(...walk(join(dir, folder)).filter((f) => f.endsWith(".js")));
  }
  builtinImportsAsCalls(compiled);
  const staging = join(dir, ".bundle");
  buildSync({
    entryPoints: files.map((file) => join(dir, file)),
    outdir: staging,
    outbase: dir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    packages: "external",
    target: "es2022",
    chunkNames: `${chunkDir}/[name]-[hash]`,
    logLevel: "error",
  });
  assertNamesKept(compiled, walk(staging).filter((file) => file.endsWith(".js")));
  for (const folder of libraryDirs) {
    for (const file of walk(join(dir, folder))) if (file.endsWith(".js")) rmSync(file);
  }
  for (const file of walk(staging)) {
    const target = join(dir, relative(staging, file));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
  }
  rmSync(staging, { recursive: true, force: true });
}

/** The npm package.json, from the root package.json and deno.json; throws when their versions differ. */
export function npmManifest() {
  const pkg = readJson(join(repoRoot, "package.json"));
  const deno = readJson(join(repoRoot, "deno.json"));
  if (pkg.version !== deno.version) {
    throw new Error(`version mismatch: package.json has ${pkg.version}, deno.json has ${deno.version}`);
  }
  const manifest = {
    name: "unicluster",
    version: pkg.version,
    description: pkg.description,
    license: pkg.license ?? deno.license,
    type: "module",
    main: "./mod.js",
    types: "./mod.d.ts",
    exports: {},
    engines: { node: ">=20.16" }, // process.getBuiltinModule
    // The declarations extend node:events' EventEmitter: TypeScript users need Node's types, JavaScript users
    // nothing.
    peerDependencies: { "@types/node": ">=20" },
    peerDependenciesMeta: { "@types/node": { optional: true } },
    files: [],
  };
  const bins = new Set(binPrograms(pkg).map(({ program }) => program));
  for (const [subpath, file] of Object.entries(entryPoints())) {
    const base = `./${file.replace(/\.ts$/, "")}`;
    const esm = { types: `${base}.d.ts`, default: `${base}.js` };
    manifest.files.push(`${base.slice(2)}.js`, `${base.slice(2)}.d.ts`);
    // Bun takes the first condition it knows: the Bun build (scripts/build_bun.mjs), for every entry point but
    // the command line's, a program.
    const js = `${base.slice(2)}.js`;
    const bun = bins.has(js) ? {} : { bun: { types: esm.types, default: `./${bunFile(js, ".cjs")}` } };
    if (hasDefaultExport(file)) {
      manifest.exports[subpath] = {
        ...bun,
        import: esm,
        require: { types: `${base}.d.cts`, default: `${base}.cjs` },
        default: esm,
      };
      manifest.files.push(`${base.slice(2)}.cjs`, `${base.slice(2)}.d.cts`);
    } else {
      manifest.exports[subpath] = { ...bun, ...esm };
    }
  }
  manifest.files.push(
    ...programModules.map((file) => file.replace(/\.ts$/, ".js")),
    `${BUN_DIR}/`,
    `${BIN_DIR}/`,
  );
  manifest.files.push(`${chunkDir}/`, ...libraryDirs.map((d) => `${d}/`), "README.md", "LICENSE");
  for (const key of ["keywords", "author"]) if (pkg[key] !== undefined) manifest[key] = pkg[key];
  const programs = binPrograms(pkg);
  if (programs.length > 0) {
    manifest.bin = Object.fromEntries(programs.map(({ name }) => [name, `./${BIN_DIR}/${name}.js`]));
  }
  return manifest;
}

/**
 * What package.json's `bin` names: the compiled modules of the command line (`./cli.js`), each run through a
 * launcher that the build writes into bin/ (`binLauncher`: the Bun build on Bun), which the package's `bin` names.
 */
function binPrograms(pkg = readJson(join(repoRoot, "package.json"))) {
  return Object.entries(pkg.bin ?? {}).map(([name, file]) => ({ name, program: file.replace(/^\.\//, "") }));
}

/**
 * Builds the npm package into outDir (default npm/): compiled JS and .d.ts, package.json, README.md, LICENSE.
 *
 * @param {{ outDir?: string, log?: (line: string) => void }} [options]
 * @returns {string} the package folder
 */
export function buildNpm({ outDir = join(repoRoot, "npm"), log = console.log } = {}) {
  const manifest = npmManifest(); // fails early on a version mismatch
  const { outDir: dir } = compile({ outDir, withTests: false, declaration: true, log });
  bundle(dir);
  const bunEntries = Object.values(manifest.exports).filter((conditions) => conditions.bun).map(
    (conditions) => {
      const file = (conditions.import ?? conditions).default.slice(2);
      const main = conditions.require
        ? (load) => commonJsEntry(file, load)
        : (load) => namespaceEntry(file, load);
      return { file, main };
    },
  );
  const commandLines = binPrograms();
  buildBun(dir, {
    entries: bunEntries,
    programs: [
      ...programModules.map((file) => file.replace(/\.ts$/, ".js")),
      ...commandLines.map(({ program }) => program),
    ],
  });
  for (const { name, program } of commandLines) {
    mkdirSync(join(dir, BIN_DIR), { recursive: true });
    writeFileSync(join(dir, BIN_DIR, `${name}.js`), binLauncher(program));
  }
  for (const conditions of Object.values(manifest.exports)) {
    const cjs = conditions.require;
    if (cjs === undefined) continue;
    const esmFile = conditions.import.default.slice(2);
    writeFileSync(join(dir, cjs.default), commonJsEntry(esmFile));
    const declarations = commonJsDeclarations(esmFile, join(dir, conditions.import.types), log);
    writeFileSync(join(dir, cjs.types), declarations);
  }
  referenceNodeTypes(
    dir,
    Object.values(manifest.exports).map((c) => join(dir, (c.types ?? c.import.types).slice(2))),
  );
  const libraryFolders = [chunkDir, BUN_DIR, BIN_DIR, ...libraryDirs].filter((d) => existsSync(join(dir, d)));
  manifest.files = manifest.files.filter((f) => !f.endsWith("/") || libraryFolders.includes(f.slice(0, -1)));
  for (const file of ["README.md", "LICENSE"]) {
    const src = join(repoRoot, file);
    if (existsSync(src)) copyFileSync(src, join(dir, file));
    else log(`warning: ${file} is missing; the package is built without it`);
  }
  manifest.files = manifest.files.filter((f) => f.endsWith("/") || existsSync(join(dir, f)));
  for (const file of Object.values(manifest.bin ?? {})) {
    const path = join(dir, file);
    if (!existsSync(path)) throw new Error(`package.json bin names ${file}, which the build did not produce`);
    if (!readFileSync(path, "utf8").startsWith("#!/usr/bin/env node\n")) {
      throw new Error(`${file} is a bin but does not start with #!/usr/bin/env node`);
    }
    chmodSync(path, 0o755);
  }
  writeFileSync(join(dir, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
  if (!existsSync(join(dir, "mod.d.ts"))) throw new Error(`build produced no ${join(dir, "mod.d.ts")}`);
  return dir;
}

function main(argv) {
  let outDir;
  let withTests = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--out") {
      outDir = argv[++i];
      if (!outDir) throw new Error("--out needs a directory");
    } else if (arg.startsWith("--out=")) outDir = arg.slice("--out=".length);
    else if (arg === "--with-tests") withTests = true;
    else if (arg === "--help" || arg === "-h") {
      console.log("usage: node scripts/build_npm.mjs [--out DIR] [--with-tests]");
      return;
    } else throw new Error(`unknown argument: ${arg}`);
  }
  if (withTests) {
    if (!outDir) throw new Error("--with-tests needs --out DIR (e.g. --out .tmp/node20)");
    const { outDir: dir } = compile({ outDir: resolve(outDir), withTests: true });
    console.log(`compiled library and tests into ${relative(process.cwd(), dir) || "."}`);
  } else {
    const started = Date.now();
    const dir = buildNpm({ outDir: outDir ? resolve(outDir) : undefined });
    const { name, version } = readJson(join(dir, "package.json"));
    console.log(
      `built ${name}@${version} into ${relative(process.cwd(), dir) || "."} in ${Date.now() - started} ms`,
    );
  }
}

const invokedPath = process.argv[1] ? resolve(process.argv[1]) : "";
if (
  invokedPath && existsSync(invokedPath) &&
  realpathSync(invokedPath) === realpathSync(fileURLToPath(import.meta.url))
) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(`build_npm: ${error instanceof Error ? error.message : error}`);
    process.exitCode = 1;
  }
}
