// A Deno worker never gets more permissions than its primary (a real Deno primary started with few permissions),
// and gets the primary's other runtime flags, as Node's workers get process.execArgv.
// deno-lint-ignore-file no-explicit-any -- reports are free-form JSON
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, test } from "node:test";
import { carriedFlags } from "../adapters/deno/primary_flags.ts";
import { fixture, runtime, runtimeBinary } from "./_helpers.ts";

async function runPrimary(
  flags: string[],
  name = "deno_permissions",
  env: Record<string, string> = {},
  subcommand = "run",
): Promise<Record<string, any>> {
  const deno = runtimeBinary("deno");
  const child = spawn(deno, [subcommand, ...flags, "--no-prompt", fixture(name)], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, UNICLUSTER_ADAPTER: "", ...env },
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk) => out += chunk);
  child.stderr.on("data", (chunk) => err += chunk);
  const timer = setTimeout(() => child.kill("SIGKILL"), 20000);
  const code = await new Promise((resolve) => child.on("exit", resolve));
  clearTimeout(timer);
  const line = out.split("\n").find((l) => l.startsWith("{"));
  assert.ok(line, `the primary printed no report (exit ${code}): ${err}`);
  return JSON.parse(line);
}

describe(`Deno permissions (from ${runtime})`, () => {
  test("the worker holds what its primary holds in full, and nothing more", async () => {
    const report = await runPrimary([
      "--allow-env",
      "--allow-run",
      "--allow-net",
      "--allow-read=/nonexistent",
    ]);
    assert.deepEqual(report.primary, ["net", "env", "run"]);
    assert.deepEqual(
      report.worker,
      ["net", "env", "run"],
      "a partial read grant is not passed on, nothing is added",
    );
  });

  test("without net access the channel cannot open: fork() throws a clear error and the primary carries on", async () => {
    const report = await runPrimary(["--allow-env", "--allow-run"]);
    assert.deepEqual(report.primary, ["env", "run"]);
    assert.equal(report.forkError, "ERR_ACCESS_DENIED");
    assert.match(report.message, /lacks --allow-net\./);
  });

  test("a primary that lacks several permissions hears of all of them in one error", async () => {
    const report = await runPrimary(["--allow-read"]);
    assert.equal(report.forkError, "ERR_ACCESS_DENIED");
    assert.match(report.message, /lacks --allow-run, --allow-env, --allow-net\./);
  });

  test("the primary's other runtime flags carry over to its workers (--unstable-kv, --v8-flags)", async () => {
    const report = await runPrimary(
      ["-A", "--unstable-kv", "--v8-flags=--max-old-space-size=200"],
      "deno_flags",
    );
    assert.equal(report.primary.kv, true);
    assert.equal(report.worker.kv, true, "Deno.openKv in the worker");
    assert.ok(
      report.worker.heapMiB < 400,
      `the worker's heap limit follows --v8-flags: ${report.worker.heapMiB} MiB`,
    );
    assert.equal(report.worker.net, "granted");
  });

  test("setupPrimary({ execArgv }) adds flags to what the worker needs, keeping its permissions", async () => {
    const report = await runPrimary(["-A"], "deno_flags", { EXEC_ARGV: "--unstable-kv" });
    assert.equal(report.primary.kv, false);
    assert.equal(report.worker.kv, true);
    assert.equal(report.worker.net, "granted", "the permissions stay");
  });

  test("a primary started with deno serve cannot fork: fork() says so and points at deno run and the CLI", async () => {
    const report = await runPrimary(["-A", "--port", "0"], "deno_serve_primary", {}, "serve");
    assert.equal(report.code, "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM");
    assert.match(report.message, /deno serve.*deno run.*command line/s);
  });

  test("which flags carry over: between run and the script, without permissions, watch, inspect or reload", () => {
    const line = [
      "deno",
      "run",
      "-A",
      "--unstable-kv",
      "--config",
      "deno.json",
      "--allow-net=x",
      "--watch",
      "--inspect=127.0.0.1:9229",
      "-r",
      "--no-prompt",
      "--lock=deno.lock",
      "main.ts",
      "--port",
      "8000",
      "",
    ];
    assert.deepEqual(carriedFlags(line, 2), ["--unstable-kv", "--config", "deno.json", "--lock=deno.lock"]);
    assert.deepEqual(
      carriedFlags(["deno", "test", "-A", "--junit-path=x", "tests/", ""], 0),
      [],
      "not deno run",
    );
    assert.deepEqual(carriedFlags(["deno", "run", "main.ts", ""], 0), []);
    assert.deepEqual(
      carriedFlags(["deno", "run", "-A", "main.ts", "run", ""], 1),
      [],
      "a script argument named like a subcommand",
    );
  });
});
