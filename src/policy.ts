/**
 * Scheduling: the policies (`SCHED_RR`, `SCHED_NONE`, `SCHED_REUSEPORT`) and the one decision they feed, which
 * sharing mode a worker's listen request gets ({@link modeFor}). To change how connections are spread, start here;
 * each mode is then one class in `src/sharing/`.
 *
 * @module
 */

import type { ServerRequest, SharingMode } from "./contract/sharing.ts";

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

/** Whether `NODE_CLUSTER_SCHED_POLICY` names a policy. */
export function policyNamedIn(envValue: string | undefined): boolean {
  return envValue !== undefined && envValue in POLICY_NAMES;
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

/** The policy a name stands for, or `fallback` for a name that is not one. */
export function policyNamed(name: unknown, fallback: SchedulingPolicy): SchedulingPolicy {
  return typeof name === "string" && name in POLICY_NAMES ? POLICY_NAMES[name] : fallback;
}

/** How handles reach a worker: passed as file descriptors, relayed through the primary, or not at all. */
export type HandlePassing = "pass" | "relay" | "none";

/** What {@link modeFor} weighs besides the request. */
export interface ModeInputs {
  /** The cluster's scheduling policy. */
  policy: SchedulingPolicy;
  /** Whether the policy was chosen (`cluster.schedulingPolicy`, `NODE_CLUSTER_SCHED_POLICY`), not defaulted. */
  policyChosen: boolean;
  /** How handles reach the worker. */
  handles: HandlePassing;
  /** Whether the primary can share a listening handle without accepting on it (Node only). */
  canShareHandles: boolean;
  /** Whether node:net binds with SO_REUSEPORT on this runtime (Node from 22.12; Deno; Bun). */
  canReusePort: boolean;
}

/**
 * The sharing mode a listen request gets. UDP sockets get `dgram`; a file descriptor (the primary's) round-robin,
 * or `none` under SCHED_NONE where handles pass. Servers that prefer to bind themselves get
 * SO_REUSEPORT, except on a unix socket path, which SO_REUSEPORT cannot share. Other servers follow the policy
 * where handles pass to the worker. Where they are relayed through the primary (the Deno adapter), round-robin
 * costs a relay per connection, so it is used only when chosen, or for a unix socket path; SO_REUSEPORT
 * otherwise, and where handles cannot reach the worker at all. The `listening` address says which in its `mode`.
 */
export function modeFor(request: ServerRequest, inputs: ModeInputs): SharingMode {
  // UDP is connectionless: there are no connections to spread, only datagrams, which the primary hands over.
  if (request.transport !== undefined) return "dgram";
  const { handles } = inputs;
  // A file descriptor names the primary's socket, as in Node (an inherited one: systemd's socket activation): only
  // the primary can listen on it, and it shares what it accepts.
  if (request.fd >= 0) {
    return inputs.policy === SCHED_NONE && inputs.canShareHandles && handles === "pass" ? "none" : "rr";
  }
  if (request.prefersReusePort) {
    return request.path !== undefined && handles !== "none" ? "rr" : "reuseport";
  }
  if (handles === "none") return "reuseport";
  if (handles === "relay") {
    const roundRobin = request.path !== undefined || (inputs.policy === SCHED_RR && inputs.policyChosen);
    return roundRobin ? "rr" : "reuseport";
  }
  if (inputs.policy === SCHED_RR) return "rr";
  if (inputs.policy === SCHED_NONE) return inputs.canShareHandles ? "none" : "reuseport";
  // SCHED_REUSEPORT where node:net cannot bind with SO_REUSEPORT (Node before 22.12): round-robin instead.
  return inputs.canReusePort ? "reuseport" : "rr";
}
