/**
 * unicluster's supervisor: a pool of workers kept serving, the same on Node, Deno and Bun. It replaces workers
 * that crash (with backoff, until a crash loop), hang or outgrow their memory; reloads without downtime (SIGHUP);
 * shuts down gracefully (SIGTERM, SIGINT); scales (SIGTTIN, SIGTTOU); and reports on `/healthz`, `/readyz` and
 * `/metrics`.
 *
 * ```ts
 * import cluster from "@unicluster/cluster";
 * import { ready, supervise } from "@unicluster/cluster/supervisor";
 * import http from "node:http";
 *
 * if (cluster.isPrimary) {
 *   const supervisor = supervise({ workers: 4, healthPort: 9090 });
 *   supervisor.on("crashloop", ({ reason }) => console.error(reason));
 * } else {
 *   http.createServer((_req, res) => res.end("hello\n")).listen(8000);
 * }
 * ```
 *
 * @module
 */

import { availableParallelism } from "node:os";
import cluster from "./mod.ts";
import type { Cluster } from "./src/cluster.ts";
import { notPrimary } from "./src/errors.ts";
import { resolveOptions, type SupervisorOptions } from "./src/supervisor/options.ts";
import { Supervisor } from "./src/supervisor/supervisor.ts";
import { sendReady } from "./src/supervisor/worker_ready.ts";

export type {
  OutputLine,
  OutputSource,
  Readiness,
  SupervisorOptions,
  WorkerOutput,
} from "./src/supervisor/options.ts";
export type {
  ReloadResult,
  RestartReason,
  SupervisorStats,
  WorkerInfo,
  WorkerPhase,
} from "./src/supervisor/stats.ts";
export { Supervisor, SUPERVISOR_EXIT, SupervisorError } from "./src/supervisor/supervisor.ts";
export { renderMetrics } from "./src/supervisor/metrics.ts";
export { notifySystemd } from "./src/supervisor/systemd_notify.ts";
export { REUSEPORT_RESETS } from "./src/supervisor/reuse_port_resets.ts";
export { type Duration, parseDuration, parseSize, type Size } from "./src/supervisor/units.ts";

/**
 * Starts supervising workers of `on` (default: this process's cluster). Only in the primary. The first workers
 * start in a microtask, so that listeners added right after this call hear every event; the returned
 * supervisor's `started` settles once they are all ready.
 */
export function supervise(options: SupervisorOptions = {}, on: Cluster = cluster): Supervisor {
  if (!on.isPrimary) throw notPrimary("supervise()");
  const supervisor = new Supervisor(on, resolveOptions(options, availableParallelism()));
  queueMicrotask(() => supervisor.start().catch((error) => supervisor.emit("error", error)));
  return supervisor;
}

/** In a worker of a supervisor with `ready: "message"`: says this worker is ready to serve. */
export function ready(on: Cluster = cluster): boolean {
  return sendReady(on);
}
