// The command line's runtime-free parts, without a process: reading options (through node:util's parseArgs, as
// cli.ts does), the errors of a wrong command line, the help, and the lines events become.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseArgs } from "node:util";
import { type ArgToken, type CommandLine, readCommandLine } from "../src/cli/args.ts";
import { EventLog } from "../src/cli/events.ts";
import { CLI_OPTIONS, parseArgsOptions, usage } from "../src/cli/options.ts";
import { activatedSockets } from "../src/cli/socket_activation.ts";
import { parseDuration, parseSize } from "../supervisor.ts";

/** What cli.ts does with its arguments. */
function read(...args: string[]): CommandLine {
  const { tokens } = parseArgs({
    args,
    options: parseArgsOptions(),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  return readCommandLine(tokens as ArgToken[], { duration: parseDuration, size: parseSize });
}

/** Asserts that reading `args` throws an error with `code` whose one-line message matches `message`. */
function refused(args: string[], code: string, message: RegExp): void {
  assert.throws(() => read(...args), (error: Error & { code?: string }) => {
    assert.equal(error.code, code);
    assert.match(error.message, message);
    assert.doesNotMatch(error.message, /\n/, "one line");
    return true;
  });
}

describe("command line arguments", () => {
  test("every option is read and mapped; the module and the workers' arguments are apart", () => {
    const run = read(
      "-w",
      "3",
      "--runtime=deno",
      "--exec-path",
      "/opt/deno",
      "--policy",
      "reuseport",
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      "--ready",
      "message",
      "--ready-timeout",
      "500ms",
      "--shutdown-timeout",
      "10s",
      "--drain-delay",
      "2m",
      "--no-respawn",
      "--max-memory",
      "512M",
      "--heartbeat-timeout",
      "0",
      "--health-port",
      "9090",
      "--json",
      "app.ts",
      "--",
      "--flag",
      "value",
    );
    assert.deepEqual(run, {
      action: "run",
      module: "app.ts",
      args: ["--flag", "value"],
      workers: 3,
      runtime: "deno",
      execPath: "/opt/deno",
      policy: "reuseport",
      port: 0,
      host: "127.0.0.1",
      ready: "message",
      readyTimeout: 500,
      shutdownTimeout: 10_000,
      drainDelay: 120_000,
      respawn: false,
      maxMemory: 512 * 1024 * 1024,
      heartbeatTimeout: 0,
      healthPort: 9090,
      json: true,
    });
  });

  test("defaults: only what was given; options may follow the module; -w5 and --workers=auto", () => {
    assert.deepEqual(read("app.ts"), {
      action: "run",
      module: "app.ts",
      args: [],
      respawn: true,
      json: false,
    });
    assert.equal((read("app.ts", "-w5") as { workers?: number }).workers, 5);
    assert.equal((read("--workers=auto", "app.ts") as { workers?: string }).workers, "auto");
    assert.equal((read("-w", "1", "-w", "2", "app.ts") as { workers?: number }).workers, 2, "the last wins");
  });

  test("--help and --version win over everything else", () => {
    assert.deepEqual(read("--bogus", "-h"), { action: "help" });
    assert.deepEqual(read("app.ts", "--version"), { action: "version" });
    assert.deepEqual(read("-V"), { action: "version" });
  });

  test("bad values name the option and the value expected", () => {
    refused(
      ["--workers", "zero", "a"],
      "ERR_INVALID_ARG_VALUE",
      /'--workers' must be a whole number .* 'auto'/,
    );
    refused(["-w", "0", "a"], "ERR_INVALID_ARG_VALUE", /'--workers' must be a whole number of at least 1/);
    refused(
      ["--port", "70000", "a"],
      "ERR_INVALID_ARG_VALUE",
      /'--port' must be a port number from 0 to 65535/,
    );
    refused(
      ["--health-port", "-1", "a"],
      "ERR_PARSE_ARGS_INVALID_OPTION_VALUE",
      /'--health-port <n>' needs a value/,
    );
    refused(
      ["--runtime", "java", "a"],
      "ERR_INVALID_ARG_VALUE",
      /'--runtime' must be one of: 'node', 'deno', 'bun'/,
    );
    refused(["--policy", "random", "a"], "ERR_INVALID_ARG_VALUE", /'--policy' must be one of: 'rr', 'none'/);
    refused(
      ["--ready", "soon", "a"],
      "ERR_INVALID_ARG_VALUE",
      /'--ready' must be one of: 'listening', 'message'/,
    );
    refused(["--ready-timeout", "5x", "a"], "ERR_INVALID_ARG_VALUE", /'--ready-timeout' must be a duration/);
    refused(
      ["--max-memory", "lots", "a"],
      "ERR_INVALID_ARG_VALUE",
      /'--max-memory' must be a size such as 512M/,
    );
  });

  test("unknown options, missing values, values given to flags, no module or two", () => {
    refused(
      ["--bogus", "a"],
      "ERR_PARSE_ARGS_UNKNOWN_OPTION",
      /^Unknown option '--bogus'; see unicluster --help$/,
    );
    refused(["-x", "a"], "ERR_PARSE_ARGS_UNKNOWN_OPTION", /Unknown option '-x'/);
    refused(["a", "--workers"], "ERR_PARSE_ARGS_INVALID_OPTION_VALUE", /'--workers <n\|auto>' needs a value/);
    refused(["--port", "--json", "a"], "ERR_PARSE_ARGS_INVALID_OPTION_VALUE", /'--port <n>' needs a value/);
    refused(["--json=yes", "a"], "ERR_PARSE_ARGS_INVALID_OPTION_VALUE", /'--json' takes no value/);
    refused([], "ERR_MISSING_ARGS", /No module given: usage is unicluster \[options\] <module>/);
    refused(["--", "x"], "ERR_MISSING_ARGS", /No module given/);
    refused(["a.ts", "b.ts"], "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL", /Unexpected argument 'b.ts'.*after --/);
  });

  test("the help lists every option in lines of at most 110 characters", () => {
    const help = usage();
    for (const option of CLI_OPTIONS) assert.match(help, new RegExp(`--${option.name}\\b`));
    for (const line of help.split("\n")) assert.ok(line.length <= 110, `too long: ${line}`);
  });
});

describe("command line events", () => {
  test("plain lines: started, ready, a replacement, exits, reload, scale, shutdown", () => {
    const log = new EventLog("text");
    assert.equal(log.line("spawn", { slot: 1, id: 1, pid: 10 }), "worker 1 (pid 10) starting in slot 1");
    assert.equal(log.line("ready", { slot: 1, id: 1, pid: 10 }), "worker 1 (pid 10) ready in slot 1");
    assert.equal(
      log.line("ready", { slot: 1, id: 3, pid: 30 }),
      "worker 3 (pid 30) ready in slot 1, replacing worker 1 (pid 10)",
    );
    assert.equal(
      log.line("exit", { slot: 1, id: 1, pid: 10, code: 0, signal: null }),
      "worker 1 (pid 10) exited with code 0",
    );
    assert.equal(
      log.line("exit", { slot: 2, id: 2, code: null, signal: "SIGKILL" }),
      "worker 2 was killed by SIGKILL",
    );
    assert.equal(
      log.line("respawn", { slot: 2, delay: 100, reason: "crash" }),
      "slot 2: starting a new worker in 100 ms after a crash",
    );
    assert.equal(
      log.line("unhealthy", { slot: 1, id: 3, reason: "memory" }),
      "worker 3 is over the memory limit; replacing it",
    );
    assert.equal(
      log.line("reload", { phase: "started" }),
      "reloading: replacing every worker, a new one first",
    );
    assert.match(log.line("reload", { phase: "rolled-back", reason: "boom" })!, /rolled back.*: boom$/);
    assert.equal(log.line("scale", { from: 2, to: 3 }), "scaling from 2 to 3 workers");
    assert.equal(log.line("shutdown", { phase: "finished", clean: true }), "shutdown finished");
    assert.equal(
      log.line("listening", { address: "127.0.0.1", port: 8000, mode: "rr" }),
      "serving on 127.0.0.1:8000 (round-robin)",
    );
    assert.equal(log.line("listening", { address: "127.0.0.1", port: 8000, mode: "rr" }), undefined, "once");
  });

  test("JSON lines: one object per event, with its time, and what a new worker replaces", () => {
    const log = new EventLog("json", () => new Date(0));
    log.line("ready", { slot: 1, id: 1, pid: 10 });
    assert.deepEqual(JSON.parse(log.line("ready", { slot: 1, id: 2, pid: 20 })!), {
      time: "1970-01-01T00:00:00.000Z",
      event: "ready",
      slot: 1,
      id: 2,
      pid: 20,
      replaces: { id: 1, pid: 10 },
    });
    assert.deepEqual(JSON.parse(log.line("exit", { slot: 1, id: 1, code: 0, signal: null })!), {
      time: "1970-01-01T00:00:00.000Z",
      event: "exit",
      slot: 1,
      id: 1,
      code: 0,
      signal: null,
    });
  });
});

describe("socket activation", () => {
  test("the sockets are fds 3 on, LISTEN_FDS of them, only for the process LISTEN_PID names", () => {
    assert.deepEqual(activatedSockets({ LISTEN_PID: "42", LISTEN_FDS: "1" }, 42), [3]);
    assert.deepEqual(activatedSockets({ LISTEN_PID: "42", LISTEN_FDS: "3" }, 42), [3, 4, 5]);
    assert.deepEqual(activatedSockets({ LISTEN_PID: "41", LISTEN_FDS: "1" }, 42), [], "another process's");
    assert.deepEqual(activatedSockets({ LISTEN_FDS: "1" }, 42), [], "no LISTEN_PID");
    for (const count of ["0", "-1", "two", "1.5", undefined]) {
      assert.deepEqual(
        activatedSockets({ LISTEN_PID: "42", LISTEN_FDS: count }, 42),
        [],
        `LISTEN_FDS=${count}`,
      );
    }
  });
});
