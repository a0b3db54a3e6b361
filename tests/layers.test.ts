// The layering, enforced: the core (src/, but for the supervisor) imports only its own files and node:events, and
// reaches a runtime only through the contract (src/contract/); adapters import of the core only the contract and
// the errors module; the supervisor (src/supervisor/), a policy layer, uses the core and node: builtins, never
// an adapter.
// Reads the sources, so it runs the same on every runtime (and is skipped in the compiled copy, which has none).
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, test } from "node:test";
import { repoRoot } from "./_helpers.ts";

const root = repoRoot();
const compiled = !existsSync(join(root, "src", "cluster.ts"));

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(path));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** The modules a file imports or re-exports (static and dynamic), relative ones resolved from the repo root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/g)]
    .concat([...text.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g)])
    .map((match) => match[1]);
  return specifiers.map((spec) =>
    spec.startsWith(".") ? relative(root, resolve(root, dirname(file), spec)) : spec
  );
}

describe("layers", { skip: compiled ? "the compiled copy has no sources" : false }, () => {
  test("the core (src/ but the supervisor) imports only its own files and node:events", () => {
    const wrong: string[] = [];
    for (const file of sources("src").filter((f) => !f.startsWith("src/supervisor/"))) {
      for (const target of importsOf(file)) {
        if (target.startsWith("src/supervisor/")) wrong.push(`${file} -> ${target}`);
        if (target !== "node:events" && !target.startsWith("src/")) wrong.push(`${file} -> ${target}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  test("adapters/ import of the core only src/contract/ and src/errors.ts", () => {
    const wrong: string[] = [];
    for (const file of sources("adapters")) {
      for (const target of importsOf(file)) {
        const allowed = target.startsWith("node:") || target.startsWith("adapters/") ||
          target.startsWith("src/contract/") || target === "src/errors.ts";
        if (!allowed) wrong.push(`${file} -> ${target}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  test("the supervisor reaches no adapter: it uses the core and node: builtins", () => {
    const wrong: string[] = [];
    for (const file of [...sources("src/supervisor"), "supervisor.ts"]) {
      for (const target of importsOf(file)) {
        const allowed = target.startsWith("node:") || target.startsWith("src/") || target === "mod.ts";
        if (!allowed) wrong.push(`${file} -> ${target}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  test("no library module imports node:http or node:process as a value (their facades cost Node ~20 ms)", () => {
    const wrong: string[] = [];
    const entries = ["mod.ts", "core.ts", "supervisor.ts", "cli.ts", "cli_worker.ts"];
    for (const file of [...sources("src"), ...sources("adapters"), ...entries]) {
      const text = readFileSync(join(root, file), "utf8");
      for (const match of text.matchAll(/(?:^|\n)import (?!type\b)[^;]*?\bfrom "(node:(?:http|process))"/g)) {
        wrong.push(`${file} -> ${match[1]}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  test("src/errors.ts is a leaf and the contract holds only types", () => {
    assert.deepEqual(importsOf("src/errors.ts"), []);
    for (const file of sources("src/contract")) {
      const text = readFileSync(join(root, file), "utf8");
      assert.doesNotMatch(text, /^export (?:function|class|const|let)\b/m, `${file} declares only types`);
    }
  });

  test("every source file has one job and stays under 300 lines", () => {
    const long = [...sources("src"), ...sources("adapters"), "mod.ts", "core.ts", "supervisor.ts"]
      .map((file) => [file, readFileSync(join(root, file), "utf8").split("\n").length] as const)
      .filter(([, lines]) => lines > 300);
    assert.deepEqual(long, []);
  });
});
