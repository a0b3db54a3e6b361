#!/usr/bin/env node
/**
 * unicluster's command line: runs a module in a supervised pool of workers that share their ports, on Node,
 * Deno and Bun.
 *
 * ```sh
 * node cli.ts -w 4 --port 8000 app.ts        # or: deno run -A cli.ts ..., bun cli.ts ..., npx unicluster ...
 * ```
 *
 * A module whose default export has a `fetch(request)` method (the convention of `deno serve` and Bun) is served
 * in every worker on `--port`; any other module is imported as it is and listens itself. Each worker runs
 * `cli_worker.ts`, which imports the module. On a terminal (and without `--json`) a table of the workers (id, pid,
 * runtime, state, uptime, restarts, memory, like `pm2 ls`) stays at the bottom and is redrawn as they change, with
 * the events, one plain-English line each, and the workers' own output printed above it. Elsewhere events go to
 * stdout one line each (`--json`: one JSON object each) and the workers' output passes through. SIGHUP reloads,
 * SIGTERM and SIGINT shut down gracefully, SIGTTIN and SIGTTOU scale. Under systemd it reports readiness on
 * `NOTIFY_SOCKET` and serves the socket that socket activation hands over. Exit codes: 0 after a clean shutdown, 1
 * after one that had to kill a worker, 2 for a wrong command line, 3 when no worker could start, 4 after a crash
 * loop.
 *
 * @module
 */

import { accessSync, constants, readFileSync, statSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { process } from "./adapters/shared/host_process.ts";
import cluster, {
  detectRuntime,
  SCHED_NONE,
  SCHED_REUSEPORT,
  SCHED_RR,
  type SchedulingPolicy,
} from "./mod.ts";
import { type ArgToken, type CliPolicy, readCommandLine, type RunCommand } from "./src/cli/args.ts";
import { type EventInfo, EventLog } from "./src/cli/events.ts";
import { LiveScreen } from "./src/cli/live_screen.ts";
import { parseArgsOptions, usage } from "./src/cli/options.ts";
import { activatedSockets, ACTIVATION_VARIABLES } from "./src/cli/socket_activation.ts";
import { renderTable } from "./src/cli/worker_table.ts";
import {
  notifySystemd,
  parseDuration,
  parseSize,
  supervise,
  type Supervisor,
  type SupervisorOptions,
} from "./supervisor.ts";

/** The exit code of a wrong command line. */
const USAGE_EXIT = 2;

/** What systemd sets for the service: socket activation's variables, and the notification socket's. */
const SYSTEMD_VARIABLES = [...ACTIVATION_VARIABLES, "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"];

/** The supervisor events the command line reports. */
const EVENTS = ["spawn", "ready", "exit", "respawn", "unhealthy", "crashloop", "reload", "scale", "shutdown"];

/** Writes `unicluster: message` on stderr and exits with `code`. */
function fail(message: string, code = USAGE_EXIT): never {
  process.stderr.write(`unicluster: ${message}\n`);
  process.exit(code);
}

/** Whether `path` is a file. */
function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Whether `path` is a file this process may execute. */
function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return false;
  }
  return isFile(path);
}

/** The version in the package.json (npm) or deno.json beside this file, or in the nearest folder above. */
function version(): string {
  let dir: string;
  try {
    dir = dirname(fileURLToPath(import.meta.url));
  } catch {
    return "unknown";
  }
  const manifests = [["package.json", "unicluster"], ["deno.json", "@unicluster/cluster"]];
  for (;;) {
    for (const [file, name] of manifests) {
      try {
        const manifest = JSON.parse(readFileSync(join(dir, file), "utf8"));
        if (manifest.name === name && typeof manifest.version === "string") return manifest.version;
      } catch {
        // no such manifest here
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return "unknown";
    dir = parent;
  }
}

/** Reads the command line, or exits with code 2 naming what is wrong. */
function commandLine(argv: string[]): RunCommand {
  let parsed;
  try {
    const { tokens } = parseArgs({
      args: argv,
      options: parseArgsOptions(),
      strict: false,
      allowPositionals: true,
      tokens: true,
    });
    parsed = readCommandLine(tokens as ArgToken[], { duration: parseDuration, size: parseSize });
  } catch (error) {
    return fail((error as Error).message);
  }
  if (parsed.action === "help") {
    process.stdout.write(`${usage()}\n`);
    process.exit(0);
  }
  if (parsed.action === "version") {
    process.stdout.write(`unicluster ${version()}\n`);
    process.exit(0);
  }
  return parsed;
}

/** The module's absolute path, checked; exits with code 2 when it is not there. */
function modulePath(module: string): string {
  const path = resolve(process.cwd(), module);
  let file = false;
  try {
    file = statSync(path).isFile();
  } catch {
    // missing
  }
  if (!file) {
    fail(`cannot find the module '${module}' (looked for ${path}): expected the path of a module file`);
  }
  return path;
}

/** The workers' runtime and executable, checked: a runtime that cannot be found ends here, with a hint. */
function workerRuntime(run: RunCommand): { runtime: "node" | "deno" | "bun"; execPath?: string } {
  const runtime = run.runtime ?? detectRuntime();
  if (run.execPath !== undefined) {
    const path = resolve(process.cwd(), run.execPath);
    if (!isExecutable(path)) {
      fail(
        `--exec-path '${run.execPath}' is not an executable file: expected the path of the ${runtime} binary`,
      );
    }
    return { runtime, execPath: path };
  }
  if (runtime === detectRuntime()) return { runtime };
  const found = (process.env.PATH ?? "").split(delimiter).filter((dir) => dir !== "")
    .map((dir) => join(dir, runtime)).find(isExecutable);
  if (found === undefined) {
    fail(
      `cannot find the ${runtime} runtime for the workers on PATH: install it, or point at it with ` +
        `--exec-path /path/to/${runtime} (the cluster setting execPath)`,
    );
  }
  return { runtime, execPath: found };
}

/**
 * The module the workers run: cli_worker beside this file. Run from a URL (`deno run -A jsr:@unicluster/cluster/cli`),
 * Deno workers load it from there too; Node and Bun cannot run a module from a URL, so they need a local copy. Bun
 * workers of the npm package run its Bun build (bun/cli_worker.mjs), which takes the library from the file that the
 * application's `import "unicluster"` gets on Bun: the worker then holds one copy of it, not two. This file is in
 * that build too (bun/cli.mjs, what the package's bin runs on Bun): its workers of other runtimes take the package's
 * cli_worker.js, a folder up.
 */
function workerEntry(runtime: string): string {
  const here = new URL(import.meta.url);
  if (here.pathname.endsWith(".mjs")) {
    return fileURLToPath(new URL(runtime === "bun" ? "./cli_worker.mjs" : "../cli_worker.js", here));
  }
  const extension = here.pathname.endsWith(".js") ? ".js" : ".ts";
  const entry = new URL(`./cli_worker${extension}`, here);
  if (entry.protocol === "file:") {
    const bunBuild = fileURLToPath(new URL("./bun/cli_worker.mjs", entry));
    return runtime === "bun" && extension === ".js" && isFile(bunBuild) ? bunBuild : fileURLToPath(entry);
  }
  if (runtime === "deno") return entry.href;
  return fail(
    `${runtime} workers cannot load the worker module from ${entry.href}: run the command line from a local ` +
      "copy (npm install unicluster, or a clone), or use --runtime deno",
    1,
  );
}

/** The supervisor's options for a run. */
function supervisorOptions(run: RunCommand, module: string, sockets: number[]): SupervisorOptions {
  const runtime = workerRuntime(run);
  const exec = workerEntry(runtime.runtime);
  const env: Record<string, string> = {
    UNICLUSTER_CLI_MODULE: module,
    UNICLUSTER_CLI_PORT: String(run.port ?? 8000),
    UNICLUSTER_CLI_HOST: run.host ?? "0.0.0.0",
    UNICLUSTER_CLI_READY: run.ready ?? "listening",
  };
  if (run.port !== undefined) env.PORT = String(run.port);
  if (run.host !== undefined) env.HOST = run.host;
  // Started by socket activation: the workers serve the first socket systemd handed over (the primary's fd; a
  // module that listens itself does it with `listen({ fd: 3 })`).
  if (sockets.length > 0) env.UNICLUSTER_CLI_FD = String(sockets[0]);
  return {
    workers: run.workers ?? "auto",
    settings: { exec, args: run.args, ...runtime },
    env,
    ready: run.ready,
    readyTimeout: run.readyTimeout,
    shutdownTimeout: run.shutdownTimeout,
    drainDelay: run.drainDelay,
    heartbeatTimeout: run.heartbeatTimeout,
    maxMemory: run.maxMemory,
    healthPort: run.healthPort,
    respawn: run.respawn,
  };
}

/**
 * The live table, when stdout is a terminal that moves its cursor (not `TERM=dumb`) and `--json` is not given. It
 * shows `supervisor()`'s workers, coloured unless `NO_COLOR` is set; it is erased when the process exits.
 */
function liveScreen(run: RunCommand, supervisor: () => Supervisor): LiveScreen | undefined {
  if (run.json || process.stdout.isTTY !== true || process.env.TERM === "dumb") return undefined;
  const color = (process.env.NO_COLOR ?? "") === "";
  const screen = new LiveScreen(
    process.stdout,
    ({ width, height }) => renderTable(supervisor().stats().workers, { width, height, color }),
  );
  process.on("exit", () => screen.close());
  return screen;
}

/** Starts the supervisor and reports what it does. */
function main(argv: string[]): void {
  const run = commandLine(argv);
  const module = modulePath(run.module);
  // systemd's variables (socket activation, notifications) are the primary's: the workers do not get them.
  const systemd = { ...process.env };
  for (const name of SYSTEMD_VARIABLES) delete process.env[name];
  const options = supervisorOptions(run, module, activatedSockets(systemd, process.pid));
  if (run.policy !== undefined) {
    const policies: Record<CliPolicy, SchedulingPolicy> = {
      rr: SCHED_RR,
      none: SCHED_NONE,
      reuseport: SCHED_REUSEPORT,
    };
    cluster.schedulingPolicy = policies[run.policy];
  }
  // The table is first drawn by `screen.start()`, once the supervisor exists.
  const screen = liveScreen(run, () => supervisor);
  // On a terminal, stderr's lines go above the table too when stderr is the terminal as well.
  const above = screen !== undefined && process.stderr.isTTY === true;
  const log = new EventLog(run.json ? "json" : "text");
  const print = (event: string, info: EventInfo, toStderr = false) => {
    const line = log.line(event, info);
    if (line === undefined) return;
    if (run.json) process.stdout.write(`${line}\n`);
    else if (screen !== undefined && (above || !toStderr)) screen.print([`unicluster: ${line}`]);
    else (toStderr ? process.stderr : process.stdout).write(`unicluster: ${line}\n`);
  };
  if (screen !== undefined) {
    const show = (line: string) => screen.print([line]);
    options.output = above ? { stdout: show, stderr: show } : { stdout: show };
  }
  const pids = new Map<number, number | undefined>();
  const supervisor = supervise(options);
  screen?.start();
  notifySystemd(supervisor, systemd);
  for (const event of EVENTS) {
    supervisor.on(event, (info: EventInfo) => {
      const id = info.id as number | undefined;
      if (event === "spawn" && id !== undefined) pids.set(id, cluster.workers?.[id]?.process.pid);
      const pid = id === undefined ? undefined : pids.get(id);
      if (event === "exit" && id !== undefined) pids.delete(id);
      // The table goes before the last line: the terminal is left with the lines alone.
      if (event === "shutdown" && info.phase === "finished") screen?.close();
      print(event, pid === undefined || "pid" in info ? info : { ...info, pid });
    });
  }
  supervisor.on("fatal", (error: Error & { exitCode?: number }) => {
    print("fatal", { reason: error.message, exitCode: error.exitCode }, true);
  });
  supervisor.on("error", (error: Error) => print("error", { reason: error.message }, true));
  cluster.on("error", (error: Error & { code?: string; syscall?: string }) => {
    const runtime = options.settings?.runtime ?? detectRuntime();
    const message = error.code === "ENOENT" && String(error.syscall ?? error.message).includes("spawn")
      ? `cannot start the ${runtime} runtime for the workers (${error.message}): point at it with ` +
        `--exec-path /path/to/${runtime} (the cluster setting execPath)`
      : error.message;
    print("error", { reason: message }, true);
  });
  cluster.on("listening", (_worker, address) => {
    print("listening", { address: address.address ?? "*", port: address.port, mode: address.mode });
  });
  supervisor.started.then(() => {
    const health = supervisor.healthPort === undefined ? undefined : `127.0.0.1:${supervisor.healthPort}`;
    print("started", { workers: supervisor.stats().desired, health });
  }, () => {});
}

main(process.argv.slice(2));
