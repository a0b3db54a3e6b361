/**
 * unicluster: Node's `node:cluster` API on Node, Deno and Bun.
 *
 * ```ts
 * import cluster from "@unicluster/cluster";
 * import http from "node:http";
 *
 * if (cluster.isPrimary) {
 *   for (let i = 0; i < 2; i++) cluster.fork();
 *   cluster.on("exit", (worker, code, signal) => console.log(`worker ${worker.process.pid} died`));
 * } else {
 *   http.createServer((_req, res) => res.end("hello world\n")).listen(8000);
 * }
 * ```
 *
 * The default export is the cluster of this process; `createCluster(adapter)` builds one on another adapter.
 *
 * @module
 */

import { defaultAdapter } from "./adapters/detect.ts";
import type { Adapter } from "./adapters/types.ts";
import { Cluster } from "./src/cluster.ts";

export { Cluster } from "./src/cluster.ts";
export { Worker, type WorkerProcess } from "./src/worker.ts";
export { ChildProcessView } from "./src/child_process_view.ts";
export type { ClusterSettings } from "./src/settings.ts";
export { SCHED_NONE, SCHED_REUSEPORT, SCHED_RR, type SchedulingPolicy } from "./src/scheduling.ts";
export {
  IllegalTransitionError,
  type LifeEvent,
  type Transition,
  type TransitionCause,
  TRANSITIONS,
  type WorkerState,
} from "./src/worker_state.ts";
export type { CodedError } from "./src/errors.ts";
export { createAdapter, detectRuntime } from "./adapters/detect.ts";
export { type FetchHandler, serve, type ServedHandle, type ServeOptions } from "./adapters/serve.ts";
export type * from "./adapters/types.ts";

function adapterOverride(): string | undefined {
  try {
    return (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env
      .UNICLUSTER_ADAPTER;
  } catch {
    // Deno without env permission: no override.
    return undefined;
  }
}

/** Builds a cluster on a given adapter (the default export uses the runtime's own). */
export function createCluster(adapter: Adapter): Cluster {
  return new Cluster(adapter);
}

/** The cluster of this process: a primary, or a worker when started by `cluster.fork()`. */
const cluster: Cluster = new Cluster(defaultAdapter(adapterOverride()));

export default cluster;
