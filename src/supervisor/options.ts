/**
 * What a supervisor can be told (`supervise(options)`), and the defaults that fill in the rest.
 *
 * @module
 */

import { invalidArgType, invalidArgValue } from "../errors.ts";
import type { ClusterSettings } from "../settings.ts";
import { type Duration, parseDuration, parseSize, type Size } from "./units.ts";

/** How a worker shows it is ready: its first `listening`, or a call to `ready()` in the worker. */
export type Readiness = "listening" | "message";

/** The worker a line of output comes from. */
export interface OutputSource {
  /** The cluster's worker id. */
  id: number;
  /** Its slot in the pool. */
  slot: number;
  /** Its process id. */
  pid: number | undefined;
}

/** Receives one complete line of a worker's output, without its newline. */
export type OutputLine = (line: string, source: OutputSource) => void;

/**
 * The workers' output, line by line, for a caller that shows it itself (unicluster's command line keeps a table at
 * the bottom of a terminal and prints the lines above it). A line is passed on once it is complete; an unfinished
 * last one once the worker's stream has ended, or a second after the worker exited.
 */
export interface WorkerOutput {
  /** Each line of the workers' stdout; given, stdout is piped through this process instead of inherited. */
  stdout?: OutputLine;
  /** Each line of the workers' stderr, instead of this process's stderr (stderr is piped either way). */
  stderr?: OutputLine;
}

/** Options of a supervisor; every duration takes milliseconds or a string such as `"10s"`. */
export interface SupervisorOptions {
  /** How many workers: a number, or `"auto"` for the available parallelism. Default: `"auto"`. */
  workers?: number | "auto";
  /** The workers' settings, as `cluster.setupPrimary()` takes them (`exec`, `args`, `runtime`, ...). */
  settings?: ClusterSettings;
  /** Variables added to every worker's environment. */
  env?: Record<string, string>;
  /** When a worker counts as ready. Default: `"listening"`. */
  ready?: Readiness;
  /** How long a worker may take to be ready before it is killed as a failed start. Default: 30 s. */
  readyTimeout?: Duration;
  /** Replace a worker that exits unasked. Default: true. */
  respawn?: boolean;
  /** The first delay before a replacement. Default: 100 ms. */
  backoffInitial?: Duration;
  /** Each further delay is the last one times this. Default: 2. */
  backoffFactor?: number;
  /** The longest delay. Default: 15 s. */
  backoffMax?: Duration;
  /** Uptime after which a worker counts as healthy and the delay starts over. Default: 30 s. */
  backoffReset?: Duration;
  /** Failed starts and crashes within `crashLoopWindow` that stop respawning. Default: 5. */
  crashLoopLimit?: number;
  /** The window of the crash loop. Default: 60 s. */
  crashLoopWindow?: Duration;
  /** During a shutdown, how long to keep serving while `/readyz` says not ready. Default: 0. */
  drainDelay?: Duration;
  /** How long workers may take to finish their requests before they are killed. Default: 30 s. */
  shutdownTimeout?: Duration;
  /** How many slots a rolling reload replaces at once. Default: 1. */
  reloadConcurrency?: number;
  /** How often workers send a heartbeat. Default: 1 s. */
  heartbeatInterval?: Duration;
  /** A worker silent this long (a blocked event loop) is replaced; 0 turns it off. Default: 10 s. */
  heartbeatTimeout?: Duration;
  /** A worker over this resident memory in `memorySamples` heartbeats in a row is replaced. Default: none. */
  maxMemory?: Size;
  /** Heartbeats in a row over `maxMemory` before a worker is replaced. Default: 3. */
  memorySamples?: number;
  /** Replace each worker after this long (plus up to `lifetimeJitter` at random). Default: never. */
  maxLifetime?: Duration;
  /** The random extra for `maxLifetime`. Default: a tenth of it. */
  lifetimeJitter?: Duration;
  /** Shut down on SIGTERM and SIGINT, reload on SIGHUP, scale with SIGTTIN and SIGTTOU. Default: true. */
  signals?: boolean;
  /** Serve `/healthz`, `/readyz` and `/metrics` on this port (0: any free one). Default: no server. */
  healthPort?: number;
  /** The health server's host. Default: `127.0.0.1`. */
  healthHost?: string;
  /**
   * Where the workers' output goes. Default: stdout inherited (the workers write to this process's stdout
   * themselves) and stderr copied to this process's stderr. When `settings` sets `stdio` or `silent`, those decide
   * which streams are piped, and only piped ones reach these callbacks. A callback that throws has its error
   * emitted as the supervisor's `error`, and the lines after it still come.
   */
  output?: WorkerOutput;
}

/** The options with every default filled in, durations and sizes as numbers. */
export interface ResolvedOptions {
  workers: number;
  settings: ClusterSettings;
  env: Record<string, string>;
  ready: Readiness;
  readyTimeout: number;
  respawn: boolean;
  backoffInitial: number;
  backoffFactor: number;
  backoffMax: number;
  backoffReset: number;
  crashLoopLimit: number;
  crashLoopWindow: number;
  drainDelay: number;
  shutdownTimeout: number;
  reloadConcurrency: number;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  maxMemory: number | undefined;
  memorySamples: number;
  maxLifetime: number | undefined;
  lifetimeJitter: number;
  signals: boolean;
  healthPort: number | undefined;
  healthHost: string;
  output: WorkerOutput;
}

function count(value: unknown, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw invalidArgValue(name, value, `must be an integer of at least ${min}`);
  }
  return value;
}

function workerOutput(value: unknown): WorkerOutput {
  if (value === undefined) return {};
  if (value === null || typeof value !== "object") {
    throw invalidArgType("options.output", "of type object", value);
  }
  const output = value as Record<string, unknown>;
  for (const name of ["stdout", "stderr"]) {
    if (output[name] !== undefined && typeof output[name] !== "function") {
      throw invalidArgType(`options.output.${name}`, "of type function", output[name]);
    }
  }
  return { stdout: output.stdout as OutputLine | undefined, stderr: output.stderr as OutputLine | undefined };
}

/** Checks options and fills in the defaults; `parallelism` is what `"auto"` means here. */
export function resolveOptions(options: SupervisorOptions, parallelism: number): ResolvedOptions {
  if (options === null || typeof options !== "object") {
    throw invalidArgType("options", "of type object", options);
  }
  const duration = (name: keyof SupervisorOptions, fallback: number) =>
    options[name] === undefined ? fallback : parseDuration(options[name], `options.${name}`);
  const ready = options.ready ?? "listening";
  if (ready !== "listening" && ready !== "message") {
    throw invalidArgValue("options.ready", ready, "must be 'listening' or 'message'");
  }
  const maxLifetime = options.maxLifetime === undefined ? undefined : duration("maxLifetime", 0);
  return {
    workers: options.workers === undefined || options.workers === "auto"
      ? Math.max(1, parallelism)
      : count(options.workers, "options.workers", 1, 0),
    settings: { ...options.settings },
    env: { ...options.env },
    ready,
    readyTimeout: duration("readyTimeout", 30_000),
    respawn: options.respawn ?? true,
    backoffInitial: duration("backoffInitial", 100),
    backoffFactor: options.backoffFactor ?? 2,
    backoffMax: duration("backoffMax", 15_000),
    backoffReset: duration("backoffReset", 30_000),
    crashLoopLimit: count(options.crashLoopLimit, "options.crashLoopLimit", 5),
    crashLoopWindow: duration("crashLoopWindow", 60_000),
    drainDelay: duration("drainDelay", 0),
    shutdownTimeout: duration("shutdownTimeout", 30_000),
    reloadConcurrency: count(options.reloadConcurrency, "options.reloadConcurrency", 1),
    heartbeatInterval: duration("heartbeatInterval", 1000),
    heartbeatTimeout: duration("heartbeatTimeout", 10_000),
    maxMemory: options.maxMemory === undefined
      ? undefined
      : parseSize(options.maxMemory, "options.maxMemory"),
    memorySamples: count(options.memorySamples, "options.memorySamples", 3),
    maxLifetime,
    lifetimeJitter: options.lifetimeJitter === undefined
      ? (maxLifetime ?? 0) / 10
      : duration("lifetimeJitter", 0),
    signals: options.signals ?? true,
    healthPort: options.healthPort === undefined
      ? undefined
      : count(options.healthPort, "options.healthPort", 0, 0),
    healthHost: options.healthHost ?? "127.0.0.1",
    output: workerOutput(options.output),
  };
}
