// The test matrix (`npm test`): quality gates, then the same tests/*.test.ts files on Deno, Bun, Node 24 and
// Node 20, one runtime after another (the machines have 2 cores).
//
// Usage: node scripts/test_matrix.mjs [--only deno,deno-cp,bun,node24,node20] [--skip-gates]
//   --only LIST    run only these runtimes (comma-separated; also `--only=LIST`); the gates still run
//   --skip-gates   skip the quality gates (for developers iterating on tests; CI always runs them)
//
// Gates (each prints one PASS/FAIL line; a failure prints the tool's output and fails the run):
//   deno check mod.ts cli.ts cli_worker.ts [tests/] [examples/]     deno lint     deno fmt --check
//   deno publish --dry-run --allow-dirty       tsc --noEmit -p tsconfig.json
// Runtimes (output streamed with a [runtime] prefix, closing counts parsed):
//   deno    node_modules/.bin/deno test -A tests/
//   bun     node_modules/.bin/bun test tests/
//   node24  node_modules/.bin/node --test --test-concurrency=1 tests/*.test.ts      (native type stripping)
//   node20  <system Node 20> --test --test-concurrency=1 .tmp/node20/tests/*.test.js
//           (.tmp/node20 is compiled first by scripts/build_npm.mjs --out .tmp/node20 --with-tests)
// Node 20 is the node running npm ($npm_node_execpath), else a `node` on PATH outside node_modules/.bin, else
// /usr/bin/node; $NODE20 overrides. It must report v20.x (see scripts/_runtimes.mjs).
//
// Every run has a 15 minute limit ($TEST_MATRIX_TIMEOUT_S seconds overrides it); on timeout its whole process
// group is killed (SIGTERM, SIGKILL 5 s later). Processes a run leaves behind in its group are killed too.
// Children get the environment without NODE_EXTRA_CA_CERTS (slow Node start) and with NO_COLOR=1.
// The run fails if a gate fails, or a runtime fails a test, exits non-zero, times out or runs no test. The
// summary table is followed, as the very last line, by `N passed, N failed` summed over all runtimes; a failed
// gate and a runtime that failed without failing tests (crash, timeout, no tests, no closing counts) each
// count as one failed.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, isAbsolute, join, relative } from "node:path";
import process from "node:process";
import { bin, childEnv, findNode20, killGroup, repoRoot } from "./_runtimes.mjs";
import { compile } from "./build_npm.mjs";

const RUNTIMES = ["deno", "deno-cp", "bun", "node24", "node20"];
const RUN_TIMEOUT_MS = (Number(process.env.TEST_MATRIX_TIMEOUT_S) || 15 * 60) * 1000;
const GATE_TIMEOUT_MS = 10 * 60_000;
const KILL_GRACE_MS = 5_000;
const node20Dir = join(repoRoot, ".tmp", "node20");
const denoJunit = join(repoRoot, ".tmp", "deno-junit.xml");

function parseArgs(argv) {
  const opts = { only: [...RUNTIMES], skipGates: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    let list;
    if (arg === "--only") list = argv[++i];
    else if (arg.startsWith("--only=")) list = arg.slice("--only=".length);
    else if (arg === "--skip-gates") {
      opts.skipGates = true;
      continue;
    } else if (arg === "--help" || arg === "-h") {
      console.log(
        "usage: node scripts/test_matrix.mjs [--only deno,deno-cp,bun,node24,node20] [--skip-gates]",
      );
      process.exit(0);
    } else throw new Error(`unknown argument: ${arg}`);
    const names = (list ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    const unknown = names.filter((n) => !RUNTIMES.includes(n));
    if (names.length === 0 || unknown.length > 0) {
      throw new Error(`--only takes a comma-separated list of ${RUNTIMES.join(", ")}; got "${list ?? ""}"`);
    }
    opts.only = RUNTIMES.filter((n) => names.includes(n));
  }
  return opts;
}

// ---------------------------------------------------------------------------------------------------------------
// Running a child in its own process group

/** The process group currently running, killed if the matrix itself is interrupted. */
let current;

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs cmd in its own process group. With prefix, every output line is echoed as `[prefix] line` while it
 * arrives. Resolves to { code, signal, output, timedOut, leftovers, ms, error }.
 */
function run(cmd, args, { prefix, timeoutMs, cwd = repoRoot, env = childEnv() }) {
  const started = Date.now();
  return new Promise((resolveRun) => {
    let child;
    try {
      child = spawn(cmd, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    } catch (error) {
      resolveRun({ code: null, signal: null, output: "", timedOut: false, leftovers: false, ms: 0, error });
      return;
    }
    let output = "";
    const partial = { stdout: "", stderr: "" };
    const echo = (name, text, flush) => {
      if (!prefix) return;
      const lines = (partial[name] + text).split("\n");
      partial[name] = flush ? "" : lines.pop();
      for (const line of lines) if (!(flush && line === "")) process.stdout.write(`[${prefix}] ${line}\n`);
    };
    for (const name of ["stdout", "stderr"]) {
      child[name].setEncoding("utf8");
      child[name].on("data", (text) => {
        output += text;
        echo(name, text, false);
      });
    }
    current = child;
    let timedOut = false;
    let killTimer;
    const timer = setTimeout(() => {
      timedOut = true;
      if (prefix) {
        process.stdout.write(
          `[${prefix}] !!! timed out after ${timeoutMs / 1000} s: killing its process group\n`,
        );
      }
      killGroup(child.pid, "SIGTERM");
      killTimer = setTimeout(() => killGroup(child.pid, "SIGKILL"), KILL_GRACE_MS);
    }, timeoutMs);

    let exit;
    let finished = false;
    const finish = (error) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      current = undefined;
      echo("stdout", "", true);
      echo("stderr", "", true);
      resolveRun({
        code: exit?.code ?? null,
        signal: exit?.signal ?? null,
        output,
        timedOut,
        leftovers: exit?.leftovers ?? false,
        ms: Date.now() - started,
        error,
      });
    };
    child.on("error", (error) => {
      if (!exit) finish(error);
    });
    let closed = false;
    child.on("close", () => {
      closed = true;
      if (exit) finish();
    });
    child.on("exit", (code, signal) => {
      // Processes the run left behind (e.g. workers a test did not stop) would keep the pipes open: kill them.
      const leftovers = groupAlive(child.pid);
      if (leftovers) killGroup(child.pid, "SIGKILL");
      exit = { code, signal, leftovers };
      if (closed) return finish();
      // Give the pipes a moment to drain, then stop waiting for them.
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      }, KILL_GRACE_MS);
    });
  });
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (current?.pid) {
      killGroup(current.pid, "SIGTERM");
      setTimeout(() => current?.pid && killGroup(current.pid, "SIGKILL"), 1000).unref();
    }
    console.log(`\ntest_matrix: interrupted by ${signal}`);
    process.exit(130);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Closing lines of the runners

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

function lastMatch(text, regex) {
  let found;
  for (const m of text.matchAll(regex)) found = m;
  return found;
}

function num(text, regex) {
  const m = lastMatch(text, regex);
  return m ? Number(m[1]) : undefined;
}

/**
 * Deno counts a `describe` as one test and its tests as "steps"; the other runners count the tests inside. To
 * compare like with like, count the leaf test cases of Deno's JUnit report (a case with no case nested below it).
 */
function denoLeafCounts() {
  if (!existsSync(denoJunit)) return undefined;
  const xml = readFileSync(denoJunit, "utf8");
  const cases = [...xml.matchAll(/<testcase name="([^"]*)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)].map((
    m,
  ) => ({
    name: m[1],
    body: m[3] ?? "",
  }));
  const leaves = cases.filter((c) => !cases.some((other) => other.name.startsWith(`${c.name} &gt; `)));
  const failed = leaves.filter((c) => c.body.includes("<failure")).length;
  const skipped = leaves.filter((c) => c.body.includes("<skipped")).length;
  return {
    passed: leaves.length - failed - skipped,
    failed,
    skipped,
    note: "leaf tests, from the JUnit report",
  };
}

/** Returns { passed, failed, skipped, note } from a runner's output, or undefined without closing counts. */
function parseCounts(runtime, rawOutput) {
  const text = rawOutput.replace(ANSI, "").replace(/\r/g, "");
  if (runtime.startsWith("deno")) {
    // `ok | 2 passed (3 steps) | 0 failed | 1 ignored (80ms)` or `FAILED | 1 passed | 1 failed (5ms)`
    const line = lastMatch(text, /^(?:ok|FAILED) \| \d+ passed.*$/gm)?.[0];
    if (!line) return undefined;
    const leaves = denoLeafCounts();
    if (leaves) return leaves;
    const steps = num(line, /passed \((\d+) steps?\)/g);
    return {
      passed: num(line, /(\d+) passed/g) ?? 0,
      failed: num(line, /(\d+) failed/g) ?? 0,
      skipped: num(line, /(\d+) ignored/g) ?? 0,
      note: steps !== undefined ? `+${steps} steps passed` : "",
    };
  }
  if (runtime === "bun") {
    // ` 4 pass` / ` 1 skip` / ` 0 fail` / `Ran 5 tests across 2 files.`
    const passed = num(text, /^\s*(\d+) pass\s*$/gm);
    const failed = num(text, /^\s*(\d+) fail\s*$/gm);
    if (passed === undefined && failed === undefined) return undefined;
    return {
      passed: passed ?? 0,
      failed: failed ?? 0,
      skipped: (num(text, /^\s*(\d+) skip\s*$/gm) ?? 0) + (num(text, /^\s*(\d+) todo\s*$/gm) ?? 0),
      note: "",
    };
  }
  // Node: TAP `# pass 5` / `# fail 0`, or spec `ℹ pass 5` / `ℹ fail 0`.
  const counter = (name) => num(text, new RegExp(`^(?:# |ℹ )${name} (\\d+)\\s*$`, "gm"));
  const passed = counter("pass");
  const failed = counter("fail");
  if (passed === undefined && failed === undefined) return undefined;
  const cancelled = counter("cancelled") ?? 0;
  return {
    passed: passed ?? 0,
    failed: (failed ?? 0) + cancelled,
    skipped: (counter("skipped") ?? 0) + (counter("todo") ?? 0),
    note: cancelled ? `${cancelled} cancelled (counted as failed)` : "",
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Gates

function tsFilesIn(dir) {
  const full = join(repoRoot, dir);
  if (!existsSync(full)) return false;
  const walk = (d) =>
    readdirSync(d, { withFileTypes: true }).some((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : /\.(m|c)?tsx?$/.test(e.name)
    );
  return walk(full);
}

function gates() {
  const deno = bin("deno");
  const checkTargets = [
    "mod.ts",
    "cli.ts",
    "cli_worker.ts",
    ...["tests/", "examples/"].filter((d) => tsFilesIn(d)),
  ];
  return [
    { name: `deno check ${checkTargets.join(" ")}`, cmd: deno, args: ["check", ...checkTargets] },
    { name: "deno lint", cmd: deno, args: ["lint"] },
    { name: "deno fmt --check", cmd: deno, args: ["fmt", "--check"] },
    {
      name: "deno publish --dry-run --allow-dirty",
      cmd: deno,
      args: ["publish", "--dry-run", "--allow-dirty"],
    },
    { name: "tsc --noEmit -p tsconfig.json", cmd: bin("tsc"), args: ["--noEmit", "-p", "tsconfig.json"] },
  ];
}

async function runGates() {
  console.log("== quality gates");
  const results = [];
  for (const gate of gates()) {
    const r = await run(gate.cmd, gate.args, { timeoutMs: GATE_TIMEOUT_MS });
    const ok = !r.error && !r.timedOut && r.code === 0;
    const why = r.error
      ? ` (${r.error.message})`
      : r.timedOut
      ? " (timed out)"
      : ok
      ? ""
      : ` (exit ${r.code ?? r.signal})`;
    console.log(`${ok ? "PASS" : "FAIL"}  gate: ${gate.name}  ${seconds(r.ms)}${why}`);
    if (!ok) {
      const out = r.output.replace(ANSI, "").trimEnd();
      if (out) console.log(out.split("\n").map((l) => `    ${l}`).join("\n"));
    }
    results.push({ name: gate.name, ok });
  }
  return results;
}

// ---------------------------------------------------------------------------------------------------------------
// Runtimes

function testFiles(dir, ext) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith(`.test${ext}`)).sort().map((f) => join(dir, f));
}

/** Returns { cmd, args } for a runtime, or { problem } when it cannot run. */
function prepare(runtime) {
  const testsDir = join(repoRoot, "tests");
  const rel = (p) => relative(repoRoot, p);
  switch (runtime) {
    case "deno":
    case "deno-cp":
      // deno-cp: the same suite on Deno's child_process route (UNICLUSTER_ADAPTER=node), which passes handles.
      rmSync(denoJunit, { force: true });
      mkdirSync(dirname(denoJunit), { recursive: true });
      return {
        cmd: bin("deno"),
        args: ["test", "-A", `--junit-path=${rel(denoJunit)}`, "tests/"],
        env: runtime === "deno-cp" ? childEnv({ UNICLUSTER_ADAPTER: "node" }) : undefined,
      };
    case "bun":
      // Bun's own limit per test is 5 s; the supervisor's tests under load take up to about 4 s on two cores.
      return { cmd: bin("bun"), args: ["test", "--timeout", "60000", "tests/"] };
    case "node24": {
      const files = testFiles(testsDir, ".ts");
      if (files.length === 0) return { problem: "no tests/*.test.ts files" };
      return { cmd: bin("node"), args: ["--test", "--test-concurrency=1", ...files.map(rel)] };
    }
    case "node20": {
      let node20;
      try {
        node20 = findNode20();
      } catch (error) {
        return { problem: error.message };
      }
      console.log(`[node20] using ${node20.path} (${node20.version})`);
      console.log(
        `[node20] compiling into ${rel(node20Dir)} (scripts/build_npm.mjs --out ${
          rel(node20Dir)
        } --with-tests)`,
      );
      try {
        compile({
          outDir: node20Dir,
          withTests: true,
          log: (l) => console.log(l.replace(/^/gm, "[node20] ")),
        });
      } catch (error) {
        return { problem: `compiling for Node 20 failed: ${error.message}` };
      }
      const files = testFiles(join(node20Dir, "tests"), ".js");
      if (files.length === 0) {
        return { problem: `no ${rel(node20Dir)}/tests/*.test.js files after compiling` };
      }
      return { cmd: node20.path, args: ["--test", "--test-concurrency=1", ...files.map(rel)] };
    }
  }
  throw new Error(`unknown runtime ${runtime}`);
}

async function runRuntime(runtime) {
  console.log(`\n== ${runtime}`);
  const started = Date.now();
  const prep = prepare(runtime);
  if (prep.problem) {
    console.log(`[${runtime}] ${prep.problem.replace(/\n/g, `\n[${runtime}] `)}`);
    return {
      runtime,
      status: "ERROR",
      passed: 0,
      failed: 1,
      skipped: 0,
      ms: Date.now() - started,
      note: prep.problem.split("\n")[0],
    };
  }
  const shown = [prep.cmd, ...prep.args].map((a) =>
    isAbsolute(a) && !relative(repoRoot, a).startsWith("..") ? relative(repoRoot, a) : a
  );
  console.log(`[${runtime}] $ ${shown.join(" ")}`);
  const r = await run(prep.cmd, prep.args, {
    prefix: runtime,
    timeoutMs: RUN_TIMEOUT_MS,
    ...(prep.env ? { env: prep.env } : {}),
  });
  const ms = Date.now() - started;
  const notes = [];
  if (r.leftovers) notes.push("left processes behind (killed)");
  if (r.error) {
    return {
      runtime,
      status: "ERROR",
      passed: 0,
      failed: 1,
      skipped: 0,
      ms,
      note: `could not start: ${r.error.message}`,
    };
  }
  const counts = parseCounts(runtime, r.output);
  let { passed, failed, skipped } = counts ?? { passed: 0, failed: 0, skipped: 0 };
  if (counts?.note) notes.unshift(counts.note);
  let status = "ok";
  if (r.timedOut) {
    status = "TIMEOUT";
    notes.unshift(`killed after ${seconds(RUN_TIMEOUT_MS)}`);
  } else if (!counts) {
    status = "NO COUNTS";
    notes.unshift(`no closing counts found; exit ${r.code ?? r.signal}`);
  } else if (failed > 0) status = "FAILED";
  else if (r.code !== 0) {
    status = "FAILED";
    notes.unshift(`exit ${r.code ?? r.signal} with no failed test`);
  } else if (passed === 0) {
    status = "NO TESTS";
    notes.unshift("ran no test");
  }
  // A runtime that failed without a failed test still counts as one failure in the total.
  if (status !== "ok" && failed === 0) failed = 1;
  return { runtime, status, passed, failed, skipped, ms, note: notes.join("; ") };
}

// ---------------------------------------------------------------------------------------------------------------
// Report

function seconds(ms) {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function table(rows) {
  const header = ["runtime", "status", "passed", "failed", "skipped", "time", "note"];
  const cells = rows.map((r) =>
    [r.runtime, r.status, r.passed, r.failed, r.skipped, seconds(r.ms), r.note ?? ""].map(String)
  );
  const width = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) =>
    c.map((v, i) => (i >= 2 && i <= 5 ? v.padStart(width[i]) : v.padEnd(width[i]))).join("  ").trimEnd();
  return [line(header), line(width.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`test_matrix: ${error.message}`);
    process.exit(2);
  }
  const started = Date.now();
  const gateResults = opts.skipGates ? [] : await runGates();
  if (opts.skipGates) console.log("== quality gates skipped (--skip-gates)");

  const rows = [];
  for (const runtime of opts.only) rows.push(await runRuntime(runtime));

  console.log("\n== summary");
  for (const g of gateResults) console.log(`gate ${g.ok ? "PASS" : "FAIL"}  ${g.name}`);
  if (gateResults.length) console.log("");
  console.log(table(rows));
  const failedGates = gateResults.filter((g) => !g.ok).length;
  const passed = rows.reduce((n, r) => n + r.passed, 0);
  const failed = rows.reduce((n, r) => n + r.failed, 0) + failedGates;
  const bad = rows.filter((r) => r.status !== "ok").map((r) => r.runtime);
  const verdict = bad.length === 0 && failedGates === 0
    ? "all runtimes passed" + (opts.skipGates ? " (gates skipped)" : ", all gates passed")
    : [
      bad.length ? `failed runtimes: ${bad.join(", ")}` : "",
      failedGates ? `${failedGates} gate(s) failed` : "",
    ]
      .filter(Boolean).join("; ");
  console.log(`\n${verdict}; total time ${seconds(Date.now() - started)}`);
  process.exitCode = bad.length || failedGates ? 1 : 0;
  console.log(`${passed} passed, ${failed} failed`);
}

await main();
