// A Deno worker never gets more permissions than its primary (a real Deno primary started with few permissions).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, test } from "node:test";
import { fixture, runtime, runtimeBinary } from "./_helpers.ts";

async function runPrimary(flags: string[]): Promise<Record<string, unknown>> {
  const deno = runtimeBinary("deno");
  const child = spawn(deno, ["run", ...flags, "--no-prompt", fixture("deno_permissions")], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, UNICLUSTER_ADAPTER: "" },
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
  });
});
