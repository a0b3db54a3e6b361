/**
 * The cluster object: `node:cluster`'s API, on top of a runtime adapter.
 *
 * @module
 */

import { EventEmitter } from "node:events";
import type { Adapter } from "./contract/adapter.ts";
import type { WorkerIdentity } from "./contract/channel.ts";
import { invalidArgValue, notPrimary } from "./errors.ts";
import type { InternalChannel } from "./internal_channel.ts";
import {
  defaultPolicy,
  isSchedulingPolicy,
  policyNamed,
  policyNamedIn,
  SCHED_NONE,
  SCHED_REUSEPORT,
  SCHED_RR,
  type SchedulingPolicy,
} from "./policy.ts";
import { IDENTITY_VARIABLE } from "./protocol.ts";
import { PrimaryRole } from "./roles/primary.ts";
import { WorkerRole } from "./roles/worker.ts";
import type { ClusterSettings } from "./settings.ts";
import {
  type AnyListener,
  type ListeningAddress,
  NodeWorker,
  type OtherEvent,
  type TypedListener,
  type Worker,
  type WorkerConstructor,
} from "./worker.ts";

/** The cluster's events and the arguments their listeners get (see {@link Cluster}). */
export interface ClusterEvents {
  /** A worker was forked (its process spawned). */
  fork: [worker: Worker];
  /** A worker is running (it told the primary). */
  online: [worker: Worker];
  /** A server in a worker is listening. */
  listening: [worker: Worker, address: ListeningAddress];
  /** A worker sent a message; `handle` is the `net.Socket` or `net.Server` sent with it, or undefined. */
  // deno-lint-ignore no-explicit-any -- messages are the user's own values, as in Node's types
  message: [worker: Worker, message: any, handle: any];
  /** A worker's channel closed. */
  disconnect: [worker: Worker];
  /** A worker process ended: `(worker, code, null)`, or `(worker, null, signal)` when a signal ended it. */
  exit: [worker: Worker, code: number | null, signal: string | null];
  /** `setupPrimary()` was called (also by `fork()`), with the settings passed to it. */
  setup: [settings: ClusterSettings];
  /** A worker process ended: the first version's name for `exit`. */
  death: [worker: Worker];
  /**
   * Something failed that no worker's `error` listener took (sending, spawning); `worker` is the one concerned, if
   * any. Without a listener the error is printed instead.
   */
  error: [error: Error, worker: Worker | undefined];
}

// EventEmitter's methods typed for the cluster's events (merged into the class: types only). Each takes first any
// other event with an untyped listener, then a cluster event with its typed listener: tried last, that signature
// is the one a wrong listener of a cluster event is reported against.
export interface Cluster {
  on<E extends string | symbol>(event: OtherEvent<E, ClusterEvents>, listener: AnyListener): this;
  /** Adds a listener of a cluster event. */
  on<E extends keyof ClusterEvents>(event: E, listener: TypedListener<ClusterEvents, E>): this;
  once<E extends string | symbol>(event: OtherEvent<E, ClusterEvents>, listener: AnyListener): this;
  /** Adds a one-time listener of a cluster event. */
  once<E extends keyof ClusterEvents>(event: E, listener: TypedListener<ClusterEvents, E>): this;
  addListener<E extends string | symbol>(event: OtherEvent<E, ClusterEvents>, listener: AnyListener): this;
  /** Adds a listener of a cluster event (alias of `on`). */
  addListener<E extends keyof ClusterEvents>(event: E, listener: TypedListener<ClusterEvents, E>): this;
  prependListener<E extends string | symbol>(
    event: OtherEvent<E, ClusterEvents>,
    listener: AnyListener,
  ): this;
  /** Adds a listener of a cluster event before the others. */
  prependListener<E extends keyof ClusterEvents>(event: E, listener: TypedListener<ClusterEvents, E>): this;
  prependOnceListener<E extends string | symbol>(
    event: OtherEvent<E, ClusterEvents>,
    listener: AnyListener,
  ): this;
  /** Adds a one-time listener of a cluster event before the others. */
  prependOnceListener<E extends keyof ClusterEvents>(
    event: E,
    listener: TypedListener<ClusterEvents, E>,
  ): this;
  off<E extends string | symbol>(event: OtherEvent<E, ClusterEvents>, listener: AnyListener): this;
  /** Removes a listener of a cluster event. */
  off<E extends keyof ClusterEvents>(event: E, listener: TypedListener<ClusterEvents, E>): this;
  removeListener<E extends string | symbol>(event: OtherEvent<E, ClusterEvents>, listener: AnyListener): this;
  /** Removes a listener of a cluster event (alias of `off`). */
  removeListener<E extends keyof ClusterEvents>(event: E, listener: TypedListener<ClusterEvents, E>): this;
  /** Emits a cluster event with its arguments. */
  emit<E extends keyof ClusterEvents>(event: E, ...args: ClusterEvents[E]): boolean;
  /** Emits any event (untyped for every name: the core re-emits a worker's events without naming them). */
  // deno-lint-ignore no-explicit-any -- as EventEmitter's own emit
  emit(event: string | symbol, ...args: any[]): boolean;
}

/**
 * The cluster: in the primary it forks workers and reports on them; in a worker it is the worker's view of
 * itself (`cluster.worker`).
 *
 * Events (primary; typed by {@link ClusterEvents}): `fork(worker)`, `online(worker)`,
 * `listening(worker, address)`, `message(worker, message, handle)`, `disconnect(worker)`,
 * `exit(worker, code, signal)`, `setup(settings)`, `death(worker)`, the first version's name for `exit`, and
 * `error(error, worker)`.
 */
export class Cluster extends EventEmitter {
  /** True in the primary process. */
  readonly isPrimary: boolean;
  /** True in a worker process. */
  readonly isWorker: boolean;
  /** Policy constant: the operating system spreads connections among workers that accept themselves. */
  readonly SCHED_NONE: typeof SCHED_NONE = SCHED_NONE;
  /** Policy constant: the primary hands connections to workers in turn (the default). */
  readonly SCHED_RR: typeof SCHED_RR = SCHED_RR;
  /** Policy constant: each worker binds with SO_REUSEPORT and the kernel spreads connections (Linux). */
  readonly SCHED_REUSEPORT: typeof SCHED_REUSEPORT = SCHED_REUSEPORT;
  /** The runtime adapter in use. */
  readonly adapter: Adapter;
  /** Node's `cluster.Worker`: the worker class, constructible with Node's options, with or without `new`. */
  readonly Worker: WorkerConstructor = NodeWorker;
  /** In a worker: this worker. Undefined in the primary. */
  readonly worker: Worker | undefined;
  /**
   * Internal messages for layers built on the cluster (a supervisor): namespaced acts (`"sup:ping"`) that ride
   * the workers' channels and never reach user `message` listeners.
   */
  readonly internal: InternalChannel;
  #primary: PrimaryRole | undefined;
  /** In a worker: the primary's policy, from the worker's identity. */
  #workerPolicy: SchedulingPolicy;

  /** Makes the cluster for this process, as a primary or, when the identity variable is set, as a worker. */
  constructor(adapter: Adapter) {
    super();
    this.adapter = adapter;
    // Node's cluster functions do not use `this`: `const { fork } = cluster` and `process.on("exit",
    // cluster.disconnect)` work there, so they work here.
    this.fork = this.fork.bind(this);
    this.setupPrimary = this.setupPrimary.bind(this);
    this.setupMaster = this.setupMaster.bind(this);
    this.disconnect = this.disconnect.bind(this);
    const host = adapter.host();
    const named = host.env.NODE_CLUSTER_SCHED_POLICY;
    const policy = defaultPolicy(named, host.platform);
    const raw = adapter.takeIdentity(IDENTITY_VARIABLE);
    const identity = raw === undefined ? undefined : parseIdentity(raw);
    this.isPrimary = identity === undefined;
    this.isWorker = !this.isPrimary;
    const report = (error: Error, worker?: Worker) => this.#report(error, worker);
    if (identity === undefined) {
      this.#primary = new PrimaryRole(this, adapter, { policy, chosen: policyNamedIn(named) }, report);
      this.#workerPolicy = policy;
      this.worker = undefined;
      this.internal = this.#primary.internal;
    } else {
      this.#workerPolicy = policyNamed(identity.policy, policy);
      const role = new WorkerRole(adapter, identity, report);
      this.worker = role.worker;
      this.internal = role.internal;
    }
  }

  /** @deprecated Use {@link Cluster.isPrimary}. */
  get isMaster(): boolean {
    return this.isPrimary;
  }

  /** The scheduling policy; can be changed until the first `fork()` or `setupPrimary()`. */
  get schedulingPolicy(): SchedulingPolicy {
    return this.#primary?.policy ?? this.#workerPolicy;
  }

  set schedulingPolicy(value: SchedulingPolicy) {
    if (!isSchedulingPolicy(value)) {
      throw invalidArgValue(
        "cluster.schedulingPolicy",
        value,
        "must be SCHED_RR (2), SCHED_NONE (1) or SCHED_REUSEPORT (3)",
      );
    }
    if (this.#primary !== undefined) this.#primary.policy = value;
  }

  /** The settings the next `fork()` uses (after `setupPrimary()` or the first `fork()`). Empty in a worker. */
  get settings(): ClusterSettings {
    return this.#primary?.settings ?? {};
  }

  /** In the primary: the live workers by id. Undefined in a worker, as in Node. */
  get workers(): Record<string, Worker> | undefined {
    return this.#primary?.workers;
  }

  /** Starts a worker process; `env` adds to the primary's environment. Only in the primary. */
  fork(env?: Record<string, unknown>): Worker {
    if (this.#primary === undefined) throw notPrimary("cluster.fork()");
    return this.#primary.fork(env);
  }

  /** Changes the settings of later forks (merged with earlier calls) and emits `setup`. Only in the primary. */
  setupPrimary(settings?: ClusterSettings): void {
    if (this.#primary === undefined) throw notPrimary("cluster.setupPrimary()");
    this.#primary.setup(settings);
  }

  /** @deprecated Use {@link Cluster.setupPrimary}. */
  setupMaster(settings?: ClusterSettings): void {
    this.setupPrimary(settings);
  }

  /** Disconnects every worker; `callback` runs when all have disconnected and exited. Only in the primary. */
  disconnect(callback?: () => void): void {
    if (this.#primary === undefined) throw notPrimary("cluster.disconnect()");
    // As Node, a callback that is not a function is ignored (`process.on("exit", cluster.disconnect)` passes a code).
    this.#primary.disconnect(typeof callback === "function" ? callback : undefined);
  }

  #report(error: Error, worker: Worker | undefined): void {
    if (worker && worker.listenerCount("error") > 0) {
      worker.emit("error", error);
    } else if (this.listenerCount("error") > 0) {
      this.emit("error", error, worker);
    } else {
      const who = worker ? `worker ${worker.id}` : this.isPrimary ? "primary" : "worker";
      console.error(`unicluster (${who}): ${error.message}`);
    }
  }
}

function parseIdentity(raw: string): WorkerIdentity {
  const parsed = JSON.parse(raw) as WorkerIdentity;
  if (typeof parsed !== "object" || parsed === null || typeof parsed.id !== "number") {
    throw new TypeError(`The ${IDENTITY_VARIABLE} environment variable does not hold a worker identity`);
  }
  return parsed;
}
