/**
 * The worker's side of the supervisor's `ready: "message"`: a worker says it is ready (PM2's `wait_ready`) once it
 * has done what it needs before serving (warmed a cache, opened its database).
 *
 * @module
 */

import type { Cluster } from "../cluster.ts";
import { notWorker } from "../errors.ts";

/** The extension act of a worker's ready message. */
export const READY_ACT = "unicluster:ready";

/** Tells the supervisor this worker is ready; false when there is no channel. Only in a worker. */
export function sendReady(cluster: Cluster): boolean {
  if (cluster.worker === undefined) throw notWorker("ready()");
  return cluster.internal.send(cluster.worker, READY_ACT, {});
}
