/**
 * The command line, read and checked: from the tokens node:util's `parseArgs` gives (`cli.ts` calls it with
 * `tokens: true`) to a {@link CommandLine}, or an error naming the problem and the value expected. Durations and
 * sizes are read with the supervisor's own parsers, which the caller passes in ({@link UnitParsers}).
 *
 * @module
 */

import { type CodedError, invalidArgValue, withCode } from "../errors.ts";
import { type CliOption, findOption, optionLabel } from "./options.ts";

/** One token of node:util's `parseArgs({ tokens: true })`. */
export type ArgToken =
  | { kind: "option"; name: string; rawName: string; index: number; value?: string; inlineValue?: boolean }
  | { kind: "positional"; index: number; value: string }
  | { kind: "option-terminator"; index: number };

/** The supervisor's parsers of durations and sizes (`parseDuration`, `parseSize`). */
export interface UnitParsers {
  /** Milliseconds in a duration such as `10s`; throws naming `name` otherwise. */
  duration(value: string, name: string): number;
  /** Bytes in a size such as `512M`; throws naming `name` otherwise. */
  size(value: string, name: string): number;
}

/** A runtime the workers can run on. */
export type CliRuntime = "node" | "deno" | "bun";

/** A scheduling policy by name. */
export type CliPolicy = "rr" | "none" | "reuseport";

/** What `unicluster <module>` is asked to run; options not given are left out. */
export interface RunCommand {
  /** Run the module. */
  action: "run";
  /** The module, as given (relative to the working directory). */
  module: string;
  /** What came after `--`: the workers' arguments. */
  args: string[];
  /** A count of workers, or `auto`. */
  workers?: number | "auto";
  /** The workers' runtime. */
  runtime?: CliRuntime;
  /** The executable of the workers' runtime. */
  execPath?: string;
  /** How the workers share a port. */
  policy?: CliPolicy;
  /** The port a fetch-handler module is served on. */
  port?: number;
  /** The address a fetch-handler module is served on. */
  host?: string;
  /** When a worker counts as ready. */
  ready?: "listening" | "message";
  /** Milliseconds. */
  readyTimeout?: number;
  /** Milliseconds. */
  shutdownTimeout?: number;
  /** Milliseconds. */
  drainDelay?: number;
  /** Milliseconds. */
  heartbeatTimeout?: number;
  /** Bytes. */
  maxMemory?: number;
  /** The health server's port. */
  healthPort?: number;
  /** Replace workers that exit (false with `--no-respawn`). */
  respawn: boolean;
  /** Print events as JSON lines. */
  json: boolean;
}

/** What the command line asks for: help, the version, or a run. */
export type CommandLine = { action: "help" } | { action: "version" } | RunCommand;

/** `TypeError` with a `parseArgs`-style code: the command line itself is wrong. */
function usageError(message: string, code: string): TypeError & CodedError {
  return withCode(new TypeError(`${message}; see unicluster --help`), code);
}

function whole(value: string): number | undefined {
  return /^\d+$/.test(value) ? Number(value) : undefined;
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw invalidArgValue(name, value, `must be one of: ${allowed.map((a) => `'${a}'`).join(", ")}`);
}

function port(name: string, value: string): number {
  const n = whole(value);
  if (n === undefined || n > 65535) {
    throw invalidArgValue(name, value, "must be a port number from 0 to 65535");
  }
  return n;
}

/** Sets one option's value on `run`. */
function apply(run: RunCommand, option: CliOption, value: string, units: UnitParsers): void {
  const name = `--${option.name}`;
  switch (option.name) {
    case "workers": {
      const n = whole(value);
      if (value !== "auto" && (n === undefined || n < 1)) {
        throw invalidArgValue(name, value, "must be a whole number of at least 1, or 'auto'");
      }
      run.workers = value === "auto" ? "auto" : n;
      return;
    }
    case "runtime":
      run.runtime = oneOf(name, value, ["node", "deno", "bun"] as const);
      return;
    case "exec-path":
      if (value === "") throw invalidArgValue(name, value, "must be the path of an executable");
      run.execPath = value;
      return;
    case "policy":
      run.policy = oneOf(name, value, ["rr", "none", "reuseport"] as const);
      return;
    case "port":
      run.port = port(name, value);
      return;
    case "health-port":
      run.healthPort = port(name, value);
      return;
    case "host":
      if (value === "") throw invalidArgValue(name, value, "must be an address such as 127.0.0.1 or ::");
      run.host = value;
      return;
    case "ready":
      run.ready = oneOf(name, value, ["listening", "message"] as const);
      return;
    case "ready-timeout":
      run.readyTimeout = units.duration(value, name);
      return;
    case "shutdown-timeout":
      run.shutdownTimeout = units.duration(value, name);
      return;
    case "drain-delay":
      run.drainDelay = units.duration(value, name);
      return;
    case "heartbeat-timeout":
      run.heartbeatTimeout = units.duration(value, name);
      return;
    case "max-memory":
      run.maxMemory = units.size(value, name);
      return;
  }
}

/**
 * Reads the tokens of `unicluster [options] <module> [-- args for the workers]`. Throws a `TypeError` with a
 * Node-style code for a command line that is wrong: `ERR_PARSE_ARGS_UNKNOWN_OPTION`,
 * `ERR_PARSE_ARGS_INVALID_OPTION_VALUE` (a value missing, or given to a flag), `ERR_INVALID_ARG_VALUE` (a value
 * that is not allowed), `ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL` (a second module) or `ERR_MISSING_ARGS` (none).
 * `--help` and `--version` win over everything else. The last of a repeated option wins.
 */
export function readCommandLine(tokens: readonly ArgToken[], units: UnitParsers): CommandLine {
  const options = tokens.filter((t) => t.kind === "option");
  if (options.some((t) => findOption(t.name)?.name === "help")) return { action: "help" };
  if (options.some((t) => findOption(t.name)?.name === "version")) return { action: "version" };
  const run: RunCommand = { action: "run", module: "", args: [], respawn: true, json: false };
  let module: string | undefined;
  let afterTerminator = false;
  for (const token of tokens) {
    if (token.kind === "option-terminator") {
      afterTerminator = true;
    } else if (token.kind === "positional") {
      if (afterTerminator) run.args.push(token.value);
      else if (module === undefined) module = token.value;
      else {
        throw usageError(
          `Unexpected argument '${token.value}': unicluster runs one module, and arguments for the workers go ` +
            "after --",
          "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL",
        );
      }
    } else {
      const option = findOption(token.name);
      if (option === undefined) {
        throw usageError(`Unknown option '${token.rawName}'`, "ERR_PARSE_ARGS_UNKNOWN_OPTION");
      }
      if (option.value === undefined) {
        if (token.value !== undefined) {
          throw usageError(`Option '${token.rawName}' takes no value`, "ERR_PARSE_ARGS_INVALID_OPTION_VALUE");
        }
        if (option.name === "no-respawn") run.respawn = false;
        if (option.name === "json") run.json = true;
        continue;
      }
      // parseArgs without `strict` takes the next argument as the value even when it is an option.
      const value = token.value;
      if (value === undefined || (!token.inlineValue && value.startsWith("-") && value.length > 1)) {
        throw usageError(
          `Option '${optionLabel(option)}' needs a value`,
          "ERR_PARSE_ARGS_INVALID_OPTION_VALUE",
        );
      }
      apply(run, option, value, units);
    }
  }
  if (module === undefined || module === "") {
    throw withCode(
      new TypeError("No module given: usage is unicluster [options] <module> [-- args for the workers]"),
      "ERR_MISSING_ARGS",
    );
  }
  run.module = module;
  return run;
}
