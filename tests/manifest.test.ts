// The npm and JSR manifests describe the same release: package.json (npm, "unicluster") and deno.json (JSR,
// "@unicluster/cluster") must carry the same version. Runs under deno test, bun test, Node 24 (from tests/) and
// Node 20 (compiled copy in .tmp/node20/tests/), so the repo root is found by walking up to deno.json.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./_helpers.ts";

interface Manifest {
  name?: unknown;
  version?: unknown;
  exports?: unknown;
}

const root = repoRoot();
const readManifest = (file: string): Manifest =>
  JSON.parse(readFileSync(join(root, file), "utf8")) as Manifest;
const npm = readManifest("package.json");
const jsr = readManifest("deno.json");

test("package.json and deno.json carry the same version", () => {
  assert.equal(typeof npm.version, "string");
  assert.match(npm.version as string, /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/);
  assert.equal(jsr.version, npm.version);
});

test('the npm name is "unicluster"', () => {
  assert.equal(npm.name, "unicluster");
});

test('the JSR name is "@unicluster/cluster"; it exports ./mod.ts, ./core.ts (no side effects), ./supervisor.ts, ./cli.ts, ./install.ts', () => {
  assert.equal(jsr.name, "@unicluster/cluster");
  assert.deepEqual(jsr.exports, {
    ".": "./mod.ts",
    "./core": "./core.ts",
    "./supervisor": "./supervisor.ts",
    "./cli": "./cli.ts",
    "./install": "./install.ts",
  });
});
