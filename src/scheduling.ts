/**
 * Scheduling policies: how connections to a shared port reach the workers.
 *
 * @module
 */

/** The primary accepts every connection and leaves it to the operating system to spread (Node's value: 1). */
export const SCHED_NONE = 1;
/** The primary accepts connections and hands them to workers in turn (Node's value: 2; the default). */
export const SCHED_RR = 2;
/** Each worker binds its own socket with SO_REUSEPORT and the kernel spreads connections (Linux). */
export const SCHED_REUSEPORT = 3;

/** A scheduling policy value. */
export type SchedulingPolicy = typeof SCHED_NONE | typeof SCHED_RR | typeof SCHED_REUSEPORT;

/** The names `NODE_CLUSTER_SCHED_POLICY` accepts, as in Node, plus `reuseport`. */
export const POLICY_NAMES: Readonly<Record<string, SchedulingPolicy>> = {
  none: SCHED_NONE,
  rr: SCHED_RR,
  reuseport: SCHED_REUSEPORT,
};

/** Whether a value is one of the policy constants. */
export function isSchedulingPolicy(value: unknown): value is SchedulingPolicy {
  return value === SCHED_NONE || value === SCHED_RR || value === SCHED_REUSEPORT;
}

/** The policy named by `NODE_CLUSTER_SCHED_POLICY`, or the default (round-robin; none on Windows, as in Node). */
export function defaultPolicy(envValue: string | undefined, platform: string): SchedulingPolicy {
  if (envValue !== undefined && envValue in POLICY_NAMES) return POLICY_NAMES[envValue];
  return platform === "win32" ? SCHED_NONE : SCHED_RR;
}

/** The name of a policy, for identities and messages. */
export function policyName(policy: SchedulingPolicy): string {
  return policy === SCHED_NONE ? "none" : policy === SCHED_RR ? "rr" : "reuseport";
}
