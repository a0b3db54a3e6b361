// The npm package as a user gets it: scripts/build_npm.mjs builds npm/, `npm pack` packs it, an empty project
// installs the tarball (with TypeScript 5, @types/node, prom-client and throng, see below), and then:
// - `import cluster from "unicluster"` works on Node 20 and 24, Bun and Deno;
// - `require("unicluster")` is the cluster itself (not a namespace) and forks a worker (the same CommonJS script,
//   which requires unicluster again and answers) on Node 20 and 24, Bun and Deno (`deno run -A x.cjs`), and it is
//   the object `import()` gives as its default export;
// - after `require("unicluster/install")`, `require("node:cluster")` is unicluster's cluster, in the primary and
//   in the worker it forks, on Node 20 and 24, Bun and Deno, and prom-client and throng run on it there;
// - on Bun the package's `bun` condition gives its Bun build (bun/: one CommonJS file with Bun's bytecode), an
//   application bundled by `bun build` (with `--compile` or not) runs and forks, and a worker of the command line
//   run by Bun holds one copy of the library with the application it serves (the application's
//   `import "unicluster"` sees itself as the worker);
// - the declarations compile in projects made by `tsc --init` (empty `types` list) with TypeScript 5 and 7, ESM
//   (tests/types/events.ts, whose wrong listeners must be refused on exactly the lines it marks) and CommonJS,
//   and with no tsconfig at all with TypeScript 7.
// Runs only under Node 24 (it needs npm, both Node versions, Bun and Deno); under Deno, Bun and Node 20 it is
// skipped. The install is --prefer-offline: the tarball is local, @types/node, prom-client and throng are the
// repo's own versions (in npm's cache after `npm ci`), and TypeScript 5 comes from the cache or, the first time,
// from the registry. TypeScript 5 is not a devDependency of the repo because its `tsc` bin would take
// node_modules/.bin/tsc from TypeScript 7.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn as spawnAsync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { freePort, httpGet, killGroup, repoRoot } from "./_helpers.ts";

const onNode24 = !("Deno" in globalThis) && !("Bun" in globalThis) &&
  Number(process.versions.node.split(".")[0]) === 24;

const TITLE =
  "npm package: build, pack, install; import and require on Node 20, Node 24, Bun and Deno; types";

/** The TypeScript 5 the declarations are checked with (TypeScript 7 is the repo's own). */
const TYPESCRIPT_5 = "5.9.3";

/** The environment of the child runs: NODE_EXTRA_CA_CERTS only slows every Node start down. */
function env(): Record<string, string | undefined> {
  const e: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1" };
  delete e.NODE_EXTRA_CA_CERTS;
  delete e.FORCE_COLOR;
  delete e.UNICLUSTER_ADAPTER;
  return e;
}

interface Ran {
  status: number | null;
  output: string;
  describe: string;
}

/** Runs a command (for at most timeoutMs) and returns its exit status and output. */
function spawn(cmd: string, args: string[], cwd: string, timeoutMs = 5 * 60_000): Ran {
  const r = spawnSync(cmd, args, { cwd, env: env(), encoding: "utf8", timeout: timeoutMs });
  return {
    status: r.status,
    output: `${r.stdout ?? ""}${r.stderr ?? ""}`,
    describe: `\`${[cmd, ...args].join(" ")}\` in ${cwd} (${
      r.error?.message ?? `exit ${r.status ?? r.signal}`
    })`,
  };
}

/** Runs a command and fails the test with its output when it does not exit 0. */
function run(cmd: string, args: string[], cwd: string, timeoutMs?: number): string {
  const r = spawn(cmd, args, cwd, timeoutMs);
  assert.equal(r.status, 0, `${r.describe} failed:\n${r.output}`);
  return r.output;
}

// The ESM user: the default export is the cluster, the named exports are there, and require() of the package
// from ESM gives the same cluster.
const ESM_SCRIPT = `import assert from "node:assert/strict";
import { createRequire } from "node:module";
import cluster, { createCluster, SCHED_RR, Worker } from "unicluster";
assert.equal(cluster.isPrimary, true, "cluster.isPrimary");
assert.equal(cluster.isWorker, false, "cluster.isWorker");
assert.equal(typeof cluster.fork, "function", "typeof cluster.fork");
assert.equal(typeof cluster.setupPrimary, "function", "typeof cluster.setupPrimary");
assert.equal(typeof cluster.on, "function", "cluster is an EventEmitter");
assert.equal(typeof createCluster, "function", "named export createCluster");
assert.equal(SCHED_RR, 2, "named export SCHED_RR");
assert.equal(cluster.Worker.prototype, Worker.prototype, "cluster.Worker builds the exported Worker class");
const core = await import("unicluster/core");
assert.equal(typeof core.createCluster, "function", "unicluster/core exports createCluster");
assert.equal(core.default, undefined, "unicluster/core has no default cluster");
const require = createRequire(import.meta.url);
assert.equal(require("unicluster"), cluster, "require() after import gives the same cluster");
console.log("import ok on " + process.argv[2]);
`;

// The CommonJS user: require() gives the cluster itself, which forks this script; the worker requires unicluster
// again, and answers.
const CJS_SCRIPT = `"use strict";
const assert = require("node:assert/strict");
const cluster = require("unicluster");
const runtime = process.argv[2];
if (cluster.isPrimary) {
  assert.equal(cluster.isWorker, false, "cluster.isWorker");
  assert.equal(typeof cluster.fork, "function", "typeof cluster.fork");
  assert.equal(typeof cluster.on, "function", "cluster is an EventEmitter");
  assert.equal(cluster.default, cluster, "require('unicluster').default is the cluster (for TypeScript interop)");
  assert.equal(typeof cluster.createCluster, "function", "named export createCluster");
  assert.equal(typeof cluster.serve, "function", "named export serve");
  assert.equal(cluster.SCHED_RR, 2, "SCHED_RR");
  const core = require("unicluster/core");
  assert.equal(typeof core.createCluster, "function", "require('unicluster/core') has createCluster");
  assert.equal(core.default, undefined, "unicluster/core has no default cluster");
  assert.equal(cluster.Worker.prototype, core.Worker.prototype, "cluster.Worker builds the Worker class");
  assert.notEqual(cluster.Worker, core.Worker, "cluster.Worker stays Node's constructor");
  const timer = setTimeout(() => {
    console.error("no answer from the worker in 60 s");
    process.exit(1);
  }, 60_000);
  (async () => {
    const esm = await import("unicluster");
    assert.equal(esm.default, cluster, "require() and import() give one cluster");
    const worker = cluster.fork({ RUNTIME_LABEL: runtime });
    let answer;
    worker.on("message", (message) => (answer = message));
    worker.on("exit", (code, signal) => {
      clearTimeout(timer);
      assert.deepEqual(answer, { id: worker.id, isWorker: true, same: true }, "the worker's answer");
      assert.equal(code, 0, "the worker's exit code (signal " + signal + ")");
      console.log("require ok on " + runtime);
    });
  })().catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  const again = require("unicluster");
  again.worker.send(
    { id: again.worker.id, isWorker: again.isWorker, same: again === cluster },
    () => process.exit(0),
  );
}
`;

// A program whose packages require("cluster"): after unicluster/install, the runtime's own cluster module is
// unicluster's cluster, which forks a worker where the same holds.
const INSTALL_SCRIPT = `"use strict";
require("unicluster/install");
const assert = require("node:assert/strict");
const builtin = require("node:cluster");
const cluster = require("unicluster");
const runtime = process.argv[2];
if (builtin.isPrimary) {
  assert.equal(cluster.isPrimary, true, "unicluster's cluster is the primary too");
  const worker = builtin.fork();
  assert.equal(cluster.workers[worker.id], worker, "require('cluster').fork() is unicluster's fork");
  let answer;
  builtin.on("message", (_worker, message) => (answer = message));
  builtin.on("exit", (_worker, code) => {
    assert.deepEqual(answer, { isWorker: true, same: true }, "the worker's answer");
    assert.equal(code, 0, "the worker's exit code");
    console.log("install ok on " + runtime);
  });
} else {
  builtin.worker.send({ isWorker: builtin.isWorker, same: builtin.worker === cluster.worker }, () => process.exit(0));
}
`;

// The packages that brought the install entry, from npm (the repo's own versions): throng runs the primary and
// 2 workers, and prom-client's AggregatorRegistry in the primary merges the workers' counters (1 + 2); a killed
// worker is replaced by throng, and SIGTERM ends them all with exit code 0.
const PACKAGES_SCRIPT = `"use strict";
require("unicluster/install");
const assert = require("node:assert/strict");
const cluster = require("node:cluster");
const prom = require("prom-client");
const throng = require("throng");
const runtime = process.argv[2];
const aggregator = new prom.AggregatorRegistry();
const ready = [];
throng({
  count: 2,
  signals: ["SIGTERM"],
  master() {
    cluster.on("message", async (worker, message) => {
      if (message !== "ready") return;
      ready.push(worker.id);
      if (ready.length === 2) {
        const metrics = await aggregator.clusterMetrics();
        assert.match(metrics, /^packages_counted_total 3$/m, metrics);
        cluster.workers[1].process.kill("SIGKILL");
      } else if (ready.length === 3) {
        assert.equal(worker.id, 3, "throng forked a third worker");
        process.kill(process.pid, "SIGTERM");
      }
    });
    process.on("exit", (code) => {
      if (code === 0 && ready.length === 3) console.log("packages ok on " + runtime);
    });
  },
  worker(id) {
    const counted = new prom.Counter({ name: "packages_counted_total", help: "Counted by each worker" });
    counted.inc(id);
    cluster.worker.send("ready");
    setInterval(() => {}, 60_000);
  },
});
`;

// On Bun: each entry point resolves to the Bun build, and they share one copy of the library.
const BUN_RESOLVE_SCRIPT = `import assert from "node:assert/strict";
import cluster from "unicluster";
import { Cluster } from "unicluster/core";
import { ready } from "unicluster/supervisor";
for (const entry of ["unicluster", "unicluster/core", "unicluster/supervisor", "unicluster/install"]) {
  assert.match(import.meta.resolve(entry), /\\/bun\\/[a-z]+\\.cjs$/, entry + " resolves to the Bun build");
}
assert.ok(cluster instanceof Cluster, "unicluster and unicluster/core share their classes");
assert.throws(() => ready(), /worker/, "unicluster/supervisor's ready() reads the same cluster (a primary here)");
console.log("resolve ok");
`;

// Built with Bun's bundler (`bun build`, then `--compile`): the bundle forks itself and its worker answers.
const BUN_BUNDLED_SCRIPT = `import cluster from "unicluster";
const how = process.argv[2];
if (cluster.isPrimary) {
  const worker = cluster.fork();
  const timer = setTimeout(() => {
    console.error("no answer from the worker in 30 s");
    process.exit(1);
  }, 30_000);
  worker.on("message", (message) => {
    clearTimeout(timer);
    if (message.isWorker !== true || message.id !== worker.id) {
      throw new Error("the worker said " + JSON.stringify(message));
    }
    worker.kill();
    console.log(how + " ok");
  });
} else {
  process.send({ isWorker: cluster.isWorker, id: cluster.worker.id });
}
`;

// Served by the command line on Bun: what the application's own import of unicluster sees, and the module the
// worker process runs.
const BUN_APP = `import { readFileSync } from "node:fs";
import cluster from "unicluster";
// The program Bun runs: the first argument that is not a runtime flag or its value (the primary's --preload).
const argv = readFileSync("/proc/self/cmdline", "utf8").split("\\0");
const worker = argv.find((arg, i) => i > 0 && !arg.startsWith("-") && argv[i - 1] !== "--preload");
export default { fetch: () => Response.json({ isWorker: cluster.isWorker, id: cluster.worker?.id, worker }) };
`;

// The CommonJS TypeScript user: the require condition's declarations (mod.d.cts).
const CJS_TYPES = `import cluster = require("unicluster");
import type { ClusterSettings, Worker } from "unicluster";

const primary: boolean = cluster.isPrimary;
const self: typeof cluster = cluster.default;
const create: () => unknown = cluster.createCluster;
const worker: Worker = cluster.fork();
const built: cluster.Worker = new cluster.Worker({ id: 1 });
const settings: ClusterSettings = cluster.settings;
const policy: 1 | 2 | 3 = cluster.SCHED_RR;
cluster.on("exit", (w: cluster.Worker, code: number | null, signal: string | null) => console.log(w.id, code, signal));
console.log(primary, self, create, worker, built, settings, policy);
`;

interface Diagnostic {
  file: string;
  line: number;
  text: string;
}

/** tsc's diagnostics (--pretty false): a `file(line,col): error TS...` line and its indented continuation. */
function diagnostics(output: string): Diagnostic[] {
  const found: Diagnostic[] = [];
  for (const line of output.split("\n")) {
    const head = /^(.+?)\((\d+),\d+\): error (TS\d+: .*)$/.exec(line);
    if (head) found.push({ file: head[1], line: Number(head[2]), text: head[3] });
    else if (found.length > 0 && /^\s/.test(line)) found[found.length - 1].text += `\n${line}`;
  }
  return found;
}

/** The type test's lines marked `@ts-expect-error -- expects: TEXT`: the line after each, and TEXT. */
function expectedErrors(source: string): Map<number, string> {
  const expected = new Map<number, string>();
  source.split("\n").forEach((line, index) => {
    const marked = /\/\/ @ts-expect-error -- expects: (.*)$/.exec(line);
    if (marked) expected.set(index + 2, marked[1].trim());
  });
  return expected;
}

/**
 * Type-checks the type tests in a project made by `tsc --init` (whose `types` list is empty: Node's types come only
 * through the package's `/// <reference types="node" />`): as they are (no error), then with the
 * `@ts-expect-error` directives disarmed (an error on each marked line, with its text, and nowhere else).
 */
function checkTypes(label: string, tsc: string[], dir: string, events: string): void {
  const [cmd, ...pre] = tsc;
  mkdirSync(dir);
  run(cmd, [...pre, "--init"], dir);
  const tsconfig = readFileSync(join(dir, "tsconfig.json"), "utf8");
  assert.match(tsconfig, /"types": \[\]/, `${label}: tsc --init gives an empty types list`);
  writeFileSync(join(dir, "events.ts"), events);
  writeFileSync(join(dir, "require.cts"), CJS_TYPES);

  // The package's own declarations are checked too (--skipLibCheck false), which only adds errors.
  const good = spawn(
    cmd,
    [...pre, "-p", dir, "--noEmit", "--pretty", "false", "--skipLibCheck", "false"],
    dir,
  );
  assert.equal(good.status, 0, `${label}: the type tests do not compile: ${good.describe}\n${good.output}`);

  const expected = expectedErrors(events);
  assert.ok(expected.size >= 5, `${label}: the type test marks its wrong listeners (${expected.size} found)`);
  writeFileSync(join(dir, "events.ts"), events.replaceAll("// @ts-expect-error", "// (disarmed)"));
  const bad = spawn(cmd, [...pre, "-p", dir, "--noEmit", "--pretty", "false"], dir);
  assert.notEqual(bad.status, 0, `${label}: wrong listeners compiled: ${bad.describe}\n${bad.output}`);
  const found = diagnostics(bad.output);
  assert.deepEqual(
    found.map((d) => `${d.file}:${d.line}`),
    [...expected.keys()].map((line) => `events.ts:${line}`),
    `${label}: an error on each marked line and nowhere else:\n${bad.output}`,
  );
  for (const d of found) {
    const text = expected.get(d.line)!;
    assert.ok(d.text.includes(text), `${label}: events.ts:${d.line} should say "${text}":\n${d.text}`);
  }
}

if (!onNode24) {
  const runtime = "Deno" in globalThis
    ? "Deno"
    : "Bun" in globalThis
    ? "Bun"
    : `Node ${process.versions.node}`;
  test.skip(`${TITLE} (runs only under Node 24; this is ${runtime})`, () => {});
} else {
  test(TITLE, { timeout: 10 * 60_000 }, async (t) => {
    const root = repoRoot();
    const helper = pathToFileURL(join(root, "scripts", "_runtimes.mjs")).href;
    const { findNode20, bin } = (await import(helper)) as {
      findNode20: () => { path: string; version: string };
      bin: (name: string) => string;
    };
    const node20 = findNode20();
    const node24 = process.execPath;
    const runtimes: [label: string, cmd: string, args: string[]][] = [
      ["Node 20", node20.path, []],
      ["Node 24", node24, []],
      ["Bun", bin("bun"), []],
      ["Deno", bin("deno"), ["run", "-A"]],
    ];

    run(node24, [join(root, "scripts", "build_npm.mjs")], root);
    const pkgDir = join(root, "npm");
    const built = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as Record<string, unknown>;
    assert.equal(built.name, "unicluster");

    const tmp = mkdtempSync(join(tmpdir(), "unicluster-npm-"));
    try {
      run("npm", ["pack", "--pack-destination", tmp], pkgDir);
      const tarballs = readdirSync(tmp).filter((f) => f.endsWith(".tgz"));
      assert.equal(tarballs.length, 1, `npm pack made ${tarballs.join(", ") || "no tarball"}`);
      const tarball = join(tmp, tarballs[0]);

      const project = join(tmp, "project");
      mkdirSync(project);
      writeFileSync(
        join(project, "package.json"),
        JSON.stringify(
          { name: "unicluster-smoke", version: "0.0.0", private: true, type: "module" },
          null,
          2,
        ),
      );
      const repoManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
        devDependencies: Record<string, string>;
      };
      const dev = repoManifest.devDependencies;
      run(
        "npm",
        [
          "install",
          "--prefer-offline",
          "--no-audit",
          "--no-fund",
          "--save-exact",
          tarball,
          `typescript@${TYPESCRIPT_5}`,
          `@types/node@${dev["@types/node"]}`,
          `prom-client@${dev["prom-client"]}`,
          `throng@${dev.throng}`,
        ],
        project,
      );

      const installed = join(project, "node_modules", "unicluster");
      const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as {
        version: string;
        types: string;
        exports: Record<string, Record<string, unknown>>;
      };
      assert.equal(manifest.version, built.version);
      assert.equal(manifest.types, "./mod.d.ts");
      assert.deepEqual(manifest.exports["."], {
        bun: { types: "./mod.d.ts", default: "./bun/mod.cjs" },
        import: { types: "./mod.d.ts", default: "./mod.js" },
        require: { types: "./mod.d.cts", default: "./mod.cjs" },
        default: { types: "./mod.d.ts", default: "./mod.js" },
      });
      const files = [
        "mod.js",
        "mod.d.ts",
        "mod.cjs",
        "mod.d.cts",
        "core.js",
        "core.d.ts",
        "install.js",
        "install.cjs",
        "bun/mod.cjs",
        "bun/core.cjs",
        "bun/unicluster.cjs",
        "bun/unicluster.cjs.jsc",
        "bun/cli_worker.mjs",
        "bun/cli.mjs",
        "bin/unicluster.js",
      ];
      for (const file of files) {
        assert.ok(existsSync(join(installed, file)), `the installed package has ${file}`);
      }

      await t.test("the package's JavaScript takes built-in modules without ES module imports", () => {
        const scripts = readdirSync(installed, { recursive: true, encoding: "utf8" })
          .filter((file) => file.endsWith(".js") || file.endsWith(".cjs"));
        assert.ok(scripts.includes("mod.js"), `the package's scripts: ${scripts.join(", ")}`);
        const importing = scripts.filter((file) =>
          /\bfrom\s*["']node:|\bimport\s*\(?\s*["']node:/.test(readFileSync(join(installed, file), "utf8"))
        );
        assert.deepEqual(importing, [], "each such import makes Node build a module facade at start-up");
        const chunks = readdirSync(join(installed, "chunks")).map((file) =>
          readFileSync(join(installed, "chunks", file), "utf8")
        );
        assert.ok(
          chunks.some((text) => /\w\("node:net"\)/.test(text)),
          "node:net is taken with a call",
        );
      });

      /** Writes `script` into the project as `file` and runs it on every runtime; each must print `<what> ok`. */
      const runEverywhere = (file: string, script: string, what: string, timeoutMs: number) => {
        writeFileSync(join(project, file), script);
        for (const [label, cmd, args] of runtimes) {
          const out = run(cmd, [...args, file, label], project, timeoutMs);
          assert.match(out, new RegExp(`${what} ok on ${label}`), `${label}: ${out}`);
        }
      };

      await t.test("import: the default export is the cluster (Node 20, Node 24, Bun, Deno)", () => {
        runEverywhere("check.mjs", ESM_SCRIPT, "import", 60_000);
      });

      await t.test("require: the cluster itself, which forks a worker (Node 20, Node 24, Bun, Deno)", () => {
        runEverywhere("fork.cjs", CJS_SCRIPT, "require", 90_000);
      });

      await t.test("install: require('cluster') is unicluster's cluster, in the primary and a worker", () => {
        runEverywhere("install.cjs", INSTALL_SCRIPT, "install", 90_000);
      });

      await t.test("install: prom-client and throng from npm drive unicluster (Node 20, Node 24, Bun, Deno)", () => {
        runEverywhere("packages.cjs", PACKAGES_SCRIPT, "packages", 90_000);
      });

      await t.test("the bin: the command line on every runtime (Node 20, Node 24, Bun, Deno)", () => {
        const binFile = join(project, "node_modules", ".bin", "unicluster");
        for (const [label, cmd, args] of runtimes) {
          const out = run(cmd, [...args, binFile, "--version"], project);
          assert.match(
            out,
            new RegExp(`^unicluster ${String(built.version).replaceAll(".", "\\.")}$`, "m"),
            label,
          );
        }
      });
      await t.test("Bun: the bytecode build; bun build and --compile; the bin and its worker: one copy", async () => {
        const library = readFileSync(join(installed, "bun", "unicluster.cjs"), "utf8");
        assert.match(
          library.slice(0, library.indexOf("\n")),
          /@bytecode/,
          "Bun reads the bytecode of a marked file",
        );
        writeFileSync(join(project, "resolve.mjs"), BUN_RESOLVE_SCRIPT);
        assert.match(run(bin("bun"), ["resolve.mjs"], project, 60_000), /resolve ok/);
        // Bun's bundler empties the bytecode file, so a bundle reaches it at run time where it is (as here, on the
        // machine that built it) and takes the ES modules it holds where it is not (the file moved away below).
        writeFileSync(join(project, "bundled.mjs"), BUN_BUNDLED_SCRIPT);
        run(bin("bun"), ["build", "--target=bun", "bundled.mjs", "--outdir", "bundled"], project, 60_000);
        run(bin("bun"), ["build", "--compile", "bundled.mjs", "--outfile", "compiled"], project, 60_000);
        const runBundles = () => {
          const bundled = run(bin("bun"), [join("bundled", "bundled.js"), "bundled"], project, 60_000);
          assert.match(bundled, /bundled ok/);
          assert.match(run(join(project, "compiled"), ["compiled"], project, 60_000), /compiled ok/);
        };
        runBundles();
        const bytecode = join(installed, "bun", "unicluster.cjs");
        renameSync(bytecode, `${bytecode}.away`);
        try {
          runBundles();
        } finally {
          renameSync(`${bytecode}.away`, bytecode);
        }
        writeFileSync(join(project, "bun_app.mjs"), BUN_APP);
        // The package's bin runs the Bun build of the command line on Bun: with the ES modules moved away (the
        // library's chunks), the command line, its worker and the application still run.
        const chunks = join(installed, "chunks");
        const binFile = join("node_modules", ".bin", "unicluster");
        const port = await freePort();
        renameSync(chunks, `${chunks}.away`);
        const cli = spawnAsync(bin("bun"), [
          binFile,
          "-w",
          "1",
          "--port",
          String(port),
          "bun_app.mjs",
        ], {
          cwd: project,
          env: env(),
          detached: true,
          stdio: ["ignore", "pipe", "pipe"],
        });
        let output = "";
        cli.stdout.on("data", (chunk) => output += chunk);
        cli.stderr.on("data", (chunk) => output += chunk);
        try {
          let answer: { status: number; body: string } | undefined;
          for (const deadline = Date.now() + 30_000; answer === undefined && Date.now() < deadline;) {
            answer = await httpGet(port, "/", false, 5_000).catch(() => undefined);
            if (answer === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
          }
          assert.ok(answer, `the command line never answered on port ${port}:\n${output}`);
          const { isWorker, id, worker } = JSON.parse(answer.body);
          assert.deepEqual(
            { isWorker, id },
            { isWorker: true, id: 1 },
            `the application's cluster: ${answer.body}`,
          );
          assert.match(
            worker,
            /\/bun\/cli_worker\.mjs$/,
            "the worker runs the Bun build of the worker module",
          );
        } finally {
          killGroup(cli.pid);
          renameSync(`${chunks}.away`, chunks);
        }
      });

      await t.test("types: events typed, wrong listeners refused; TypeScript 5 and 7, tsc --init", () => {
        const source = readFileSync(join(root, "tests", "types", "events.ts"), "utf8");
        const events = source.replaceAll('"../../mod.ts"', '"unicluster"');
        assert.notEqual(events, source, "the type test imports ../../mod.ts");
        const ts5 = join(project, "node_modules", "typescript", "bin", "tsc");
        assert.match(run(node24, [ts5, "--version"], project), new RegExp(`Version ${TYPESCRIPT_5}`));
        assert.match(run(bin("tsc"), ["--version"], project), /Version 7\./);
        checkTypes("TypeScript 5", [node24, ts5], join(project, "ts5"), events);
        checkTypes("TypeScript 7", [bin("tsc")], join(project, "ts7"), events);
        // No tsconfig at all: TypeScript 7's defaults (TypeScript 5's target ES5, which has no #private
        // fields, is not tried).
        const bare = join(project, "bare");
        mkdirSync(bare);
        writeFileSync(join(bare, "events.ts"), events);
        run(bin("tsc"), ["--noEmit", "--pretty", "false", "events.ts"], bare);
      });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
