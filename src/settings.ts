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
  /**
   * unicluster's own: workers send a heartbeat (`unicluster:heartbeat` on `cluster.internal`, with their resident
   * memory and event-loop delay) every this many milliseconds. Default: none. The supervisor sets it.
   */
  heartbeatInterval?: number;
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
  heartbeatInterval: [isId, "a non-negative integer"],
};

/**
 * Checks settings given to `setupPrimary`. Throws a `TypeError` naming the setting: `ERR_INVALID_ARG_TYPE` for a
 * wrong type, `ERR_INVALID_ARG_VALUE` for a value out of range. Like Node, accepts `null` and `undefined` (no
 * change) and keeps keys it does not know.
 */
export function validateSettings(settings: unknown): ClusterSettings {
  if (settings === undefined || settings === null) return {};
  if (typeof settings !== "object" || Array.isArray(settings)) {
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
  return { ...given } as ClusterSettings;
}

/**
 * The variables `cluster.fork(env)` adds to the primary's environment, as Node reads them (`{...env}`: an object's
 * own keys, a string's characters, nothing for other values), as strings; undefined values are left out.
 */
export function forkEnv(env: unknown): Record<string, string> {
  if (env === undefined || env === null) return {};
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env as object)) if (value !== undefined) out[key] = String(value);
  return out;
}

/** What `setupPrimary()` fills in, as Node does: the primary's script, its arguments and its runtime flags. */
export function nodeDefaults(host: HostInfo): ClusterSettings {
  return { args: [...host.args], exec: host.mainModule, execArgv: [...host.execArgv], silent: false };
}

/** Settings with every default filled in: what one `fork()` uses. */
export type ResolvedSettings =
  & ClusterSettings
  & Required<
    Pick<ClusterSettings, "exec" | "args" | "execArgv" | "silent" | "serialization" | "runtime" | "execPath">
  >;

/**
 * What a fork uses: `settings`, with the runtime (the primary's by default) and its command filled in. The
 * worker's runtime arguments are the command's (for Deno: `run` and the permissions) and then `settings.execArgv`:
 * a worker of another runtime gets those only when they were given (`explicitExecArgv`), never the primary's own.
 */
export function resolveSettings(
  settings: ClusterSettings,
  host: HostInfo,
  command: (runtime: RuntimeName) => WorkerCommand,
  explicitExecArgv: boolean,
): ResolvedSettings {
  const runtime = settings.runtime ?? host.runtime;
  const base = command(runtime);
  const own = runtime === host.runtime || explicitExecArgv ? settings.execArgv ?? [] : [];
  return {
    ...settings,
    exec: settings.exec ?? host.mainModule,
    args: settings.args ?? [...host.args],
    execArgv: [...base.execArgv, ...own],
    silent: settings.silent ?? false,
    serialization: settings.serialization ?? "json",
    runtime,
    execPath: settings.execPath ?? base.execPath,
  };
}
