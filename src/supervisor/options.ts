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
}

function count(value: unknown, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw invalidArgValue(name, value, `must be an integer of at least ${min}`);
  }
  return value;
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
  };
}
