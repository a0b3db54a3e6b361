/**
 * A worker's spawn record: what it was started with (its id, `fork(env)`'s additions, the settings of that
 * moment), kept for as long as the worker lives, so that a layer that replaces a worker can start an equal one;
 * and the adapter request made from it.
 *
 * @module
 */

import type { SpawnRequest } from "../contract/spawn.ts";
import { policyName, type SchedulingPolicy } from "../policy.ts";
import { IDENTITY_VARIABLE } from "../protocol.ts";
import type { ResolvedSettings } from "../settings.ts";

/** What one worker was started with. */
export interface SpawnRecord {
  /** The worker's id. */
  readonly id: number;
  /** The variables `fork(env)` added to the primary's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** The settings at fork time. */
  readonly settings: Readonly<ResolvedSettings>;
}

/**
 * The adapter's request for a record. `hostEnv` is the primary's environment as it is now (Node's fork reads
 * `process.env` when it is called).
 */
export function spawnRequest(
  record: SpawnRecord,
  hostEnv: Record<string, string>,
  policy: SchedulingPolicy,
): SpawnRequest {
  const { settings } = record;
  return {
    runtime: settings.runtime,
    execPath: settings.execPath,
    execArgv: settings.execArgv,
    exec: settings.exec,
    args: settings.args,
    cwd: settings.cwd,
    env: { ...hostEnv, ...record.env },
    silent: settings.silent,
    stdio: settings.stdio,
    serialization: settings.serialization,
    uid: settings.uid,
    gid: settings.gid,
    windowsHide: settings.windowsHide ?? false,
    identityVariable: IDENTITY_VARIABLE,
    identity: {
      id: record.id,
      policy: policyName(policy),
      serialization: settings.serialization,
      ...(settings.heartbeatInterval ? { heartbeat: settings.heartbeatInterval } : {}),
    },
  };
}
