/**
 * unicluster without a default cluster: importing this module changes nothing in the process (no server hooks, no
 * `process.send`), so layers built on the cluster (a supervisor, a command line) and programs that want to choose
 * their adapter import it, and call {@link createCluster} when they are ready.
 *
 * ```ts
 * import { createCluster } from "@unicluster/cluster/core";
 *
 * const cluster = createCluster();
 * if (cluster.isPrimary) cluster.fork();
 * ```
 *
 * @module
 */

import { defaultAdapter } from "./adapters/detect.ts";
import { Cluster } from "./src/cluster.ts";
import type { Adapter } from "./src/contract/adapter.ts";

export { Cluster, type ClusterEvents } from "./src/cluster.ts";
export {
  type AnyListener,
  type ListeningAddress,
  type OtherEvent,
  type TypedListener,
  Worker,
  type WorkerControl,
  type WorkerEvents,
  type WorkerInit,
  type WorkerProcess,
} from "./src/worker.ts";
export { ChildProcessView } from "./src/child_process_view.ts";
export type { ClusterSettings } from "./src/settings.ts";
export type { InternalChannel, InternalHandler } from "./src/internal_channel.ts";
export { SCHED_NONE, SCHED_REUSEPORT, SCHED_RR, type SchedulingPolicy } from "./src/policy.ts";
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
export { type FetchHandler, serve, type ServedHandle, type ServeOptions } from "./adapters/servers/serve.ts";
export type * from "./src/contract/mod.ts";

/** The adapter `UNICLUSTER_ADAPTER` names, or the runtime's own. */
function adapterFromEnvironment(): Adapter {
  let name: string | undefined;
  try {
    name = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env
      .UNICLUSTER_ADAPTER;
  } catch {
    // Deno without env permission: no override.
  }
  return defaultAdapter(name);
}

/**
 * Builds a cluster: a primary, or, in a process started by `cluster.fork()`, that worker (which then connects to
 * its primary and makes its servers share their ports). The adapter defaults to the one `UNICLUSTER_ADAPTER`
 * names, else the runtime's own.
 */
export function createCluster(adapter: Adapter = adapterFromEnvironment()): Cluster {
  return new Cluster(adapter);
}
