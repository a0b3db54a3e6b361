// The npm package as a user gets it: scripts/build_npm.mjs builds npm/, `npm pack` packs it, an empty project
// installs the tarball offline, and both Node 20 and Node 24 `import cluster from "unicluster"`.
// Runs only under Node 24 (it needs npm and both Node versions); under Deno, Bun and Node 20 it is skipped.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { repoRoot } from "./_helpers.ts";

const onNode24 = !("Deno" in globalThis) && !("Bun" in globalThis) &&
  Number(process.versions.node.split(".")[0]) === 24;

const TITLE = "npm package: build, pack, install offline, import on Node 20 and Node 24";

/** The environment of the child runs: NODE_EXTRA_CA_CERTS only slows every Node start down. */
function env(): Record<string, string | undefined> {
  const e: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1" };
  delete e.NODE_EXTRA_CA_CERTS;
  delete e.FORCE_COLOR;
  return e;
}

/** Runs a command and fails the test with its output when it does not exit 0. */
function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, env: env(), encoding: "utf8", timeout: 5 * 60_000 });
  const output = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  assert.equal(
    r.status,
    0,
    `\`${[cmd, ...args].join(" ")}\` in ${cwd} failed (${
      r.error?.message ?? `exit ${r.status ?? r.signal}`
    }):\n${output}`,
  );
  return output;
}

// What the user script checks after `npm install unicluster`.
const CHECK_SCRIPT = `import assert from "node:assert/strict";
import cluster from "unicluster";
assert.equal(cluster.isPrimary, true, "cluster.isPrimary");
assert.equal(cluster.isWorker, false, "cluster.isWorker");
assert.equal(typeof cluster.fork, "function", "typeof cluster.fork");
assert.equal(typeof cluster.setupPrimary, "function", "typeof cluster.setupPrimary");
assert.equal(typeof cluster.on, "function", "cluster is an EventEmitter");
const core = await import("unicluster/core");
assert.equal(typeof core.createCluster, "function", "unicluster/core exports createCluster");
assert.equal(core.default, undefined, "unicluster/core has no default cluster");
console.log("unicluster ok on " + process.version);
`;

if (!onNode24) {
  const runtime = "Deno" in globalThis
    ? "Deno"
    : "Bun" in globalThis
    ? "Bun"
    : `Node ${process.versions.node}`;
  test.skip(`${TITLE} (runs only under Node 24; this is ${runtime})`, () => {});
} else {
  test(TITLE, { timeout: 10 * 60_000 }, async () => {
    const root = repoRoot();
    const helper = pathToFileURL(join(root, "scripts", "_runtimes.mjs")).href;
    const { findNode20 } = (await import(helper)) as { findNode20: () => { path: string; version: string } };
    const node20 = findNode20();
    const node24 = process.execPath;

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
      run("npm", ["install", "--offline", "--no-audit", "--no-fund", tarball], project);

      const installed = join(project, "node_modules", "unicluster");
      assert.ok(existsSync(join(installed, "mod.d.ts")), "the installed package has mod.d.ts");
      assert.ok(existsSync(join(installed, "mod.js")), "the installed package has mod.js");
      const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as Record<
        string,
        unknown
      >;
      assert.equal(manifest.version, built.version);
      assert.equal(manifest.types, "./mod.d.ts");

      writeFileSync(join(project, "check.mjs"), CHECK_SCRIPT);
      for (const [label, node] of [["Node 20", node20.path], ["Node 24", node24]]) {
        const out = run(node, ["check.mjs"], project);
        assert.match(out, /unicluster ok on v(20|24)\./, `${label}: ${out}`);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
