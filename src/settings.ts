/**
 * Cluster settings: what `cluster.setupPrimary()` accepts ({@link validateSettings}) and the defaults that fill
 * in what it was not given ({@link resolveSettings}).
 *
 * @module
 */

import type { HostInfo, RuntimeName, WorkerCommand } from "./contract/host.ts";
import type { Serialization, StdioEntry } from "./contract/spawn.ts";
import { invalidArgType, invalidArgValue } from "./errors.ts";

/** The settings `cluster.setupPrimary()` accepts and `cluster.settings` shows. */
export interface ClusterSettings {
  /** Script the workers run. Default: the primary's main module. */
  exec?: string;
  /** Arguments for the script. Default: the primary's arguments. */
  args?: string[];
  /** Runtime arguments. Default: what the worker runtime needs to run the script (for Deno: the primary's permissions). */
  execArgv?: string[];
  /** Working directory of the workers. Default: the primary's. */
  cwd?: string;
  /** Pipe the workers' output to the primary (`worker.process.stdout`) instead of sharing it. Default: false. */
  silent?: boolean;
  /** Stdio configuration of the workers (the IPC channel is added). */
  stdio?: StdioEntry[];
  /** User id of the workers. */
  uid?: number;
  /** Group id of the workers. */
  gid?: number;
  /** Message encoding: `json` (default) or `advanced` (structured clone; only between equal runtimes). */
  serialization?: Serialization;
  /** Hide worker consoles on Windows. */
  windowsHide?: boolean;
  /** Inspector port of the workers (a number, or a function returning one). */
  inspectPort?: number | (() => number);
  /** The runtime the workers run on. Default: the primary's own. */
  runtime?: RuntimeName;
  /** The executable that starts a worker. Default: the primary's own for the same runtime, else found on PATH. */
  execPath?: string;
}

const RUNTIMES: readonly RuntimeName[] = ["node", "deno", "bun"];
const SERIALIZATIONS: readonly Serialization[] = ["json", "advanced"];

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

function isStdioEntry(value: unknown): boolean {
  return value === null || value === undefined || typeof value === "number" ||
    value === "pipe" || value === "inherit" || value === "ignore" || value === "ipc";
}

function isId(value: unknown): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

const CHECKS: Record<keyof ClusterSettings, [(value: unknown) => boolean, string]> = {
  exec: [(v) => typeof v === "string" && v.length > 0, "of type string"],
  args: [isStringArray, "an instance of Array of strings"],
  execArgv: [isStringArray, "an instance of Array of strings"],
  cwd: [(v) => typeof v === "string", "of type string"],
  silent: [(v) => typeof v === "boolean", "of type boolean"],
  stdio: [
    (v) => Array.isArray(v) && v.every(isStdioEntry),
    "an Array of 'pipe', 'inherit', 'ignore', 'ipc' or fds",
  ],
  uid: [isId, "a non-negative integer"],
  gid: [isId, "a non-negative integer"],
  serialization: [(v) => typeof v === "string", "of type string"],
  windowsHide: [(v) => typeof v === "boolean", "of type boolean"],
  inspectPort: [(v) => typeof v === "function" || isId(v), "of type number or function"],
  runtime: [(v) => typeof v === "string", "of type string"],
  execPath: [(v) => typeof v === "string" && v.length > 0, "of type string"],
};

/**
 * Checks settings given to `setupPrimary`. Throws a `TypeError` naming the setting: `ERR_INVALID_ARG_TYPE` for a
 * wrong type, `ERR_INVALID_ARG_VALUE` for a value out of range. Keys unicluster does not know are ignored, as Node does.
 */
export function validateSettings(settings: unknown): ClusterSettings {
  if (settings === undefined) return {};
  if (typeof settings !== "object" || settings === null || Array.isArray(settings)) {
    throw invalidArgType("settings", "of type object", settings);
  }
  const given = settings as Record<string, unknown>;
  for (const key of Object.keys(CHECKS) as (keyof ClusterSettings)[]) {
    const value = given[key];
    if (value === undefined) continue;
    const [ok, expected] = CHECKS[key];
    if (!ok(value)) throw invalidArgType(`settings.${key}`, expected, value);
  }
  if (given.serialization !== undefined && !SERIALIZATIONS.includes(given.serialization as Serialization)) {
    throw invalidArgValue(
      "settings.serialization",
      given.serialization,
      "must be one of: 'json', 'advanced'",
    );
  }
  if (given.runtime !== undefined && !RUNTIMES.includes(given.runtime as RuntimeName)) {
    throw invalidArgValue("settings.runtime", given.runtime, "must be one of: 'node', 'deno', 'bun'");
  }
  const known: ClusterSettings = {};
  for (const key of Object.keys(CHECKS) as (keyof ClusterSettings)[]) {
    if (given[key] !== undefined) (known as Record<string, unknown>)[key] = given[key];
  }
  return known;
}

/** Checks the `env` argument of `cluster.fork(env)`. */
export function validateForkEnv(env: unknown): Record<string, string> {
  if (env === undefined || env === null) return {};
  if (typeof env !== "object" || Array.isArray(env)) throw invalidArgType("env", "of type object", env);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env as Record<string, unknown>)) {
    if (value === undefined) continue;
    out[key] = String(value);
  }
  return out;
}

/** Settings with every default filled in: what the next `fork()` uses. */
export type ResolvedSettings =
  & ClusterSettings
  & Required<
    Pick<ClusterSettings, "exec" | "args" | "execArgv" | "silent" | "serialization" | "runtime" | "execPath">
  >;

/**
 * Fills in the defaults for what `given` (the merged `setupPrimary` calls) leaves out: the primary's own script
 * and arguments, and the command that starts a worker on the chosen runtime.
 */
export function resolveSettings(
  given: ClusterSettings,
  host: HostInfo,
  command: (runtime: RuntimeName) => WorkerCommand,
): ResolvedSettings {
  const runtime = given.runtime ?? host.runtime;
  const defaults = given.execArgv === undefined || given.execPath === undefined
    ? command(runtime)
    : undefined;
  return {
    ...given,
    exec: given.exec ?? host.mainModule,
    args: given.args ?? [...host.args],
    execArgv: given.execArgv ?? defaults!.execArgv,
    silent: given.silent ?? false,
    serialization: given.serialization ?? "json",
    runtime,
    execPath: given.execPath ?? defaults!.execPath,
  };
}
