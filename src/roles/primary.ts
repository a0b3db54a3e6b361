/**
 * The primary's role (Node's `primary.js`): forking workers, keeping `cluster.workers` and the settings, and
 * turning what the adapter reports about each child into worker transitions, which the cluster re-emits.
 *
 * @module
 */

import type { EventEmitter } from "node:events";
import type { PrimaryAdapter } from "../contract/adapter.ts";
import type { HostInfo } from "../contract/host.ts";
import type { ServerReply } from "../contract/sharing.ts";
import type { ChildEvents } from "../contract/spawn.ts";
import { ChildProcessView } from "../child_process_view.ts";
import { invalidArgValue, scriptMissing } from "../errors.ts";
import { createInternalChannel, type InternalChannel } from "../internal_channel.ts";
import type { SchedulingPolicy } from "../policy.ts";
import {
  dispatch,
  type Handlers,
  internal,
  type InternalMessage,
  isInternalMessage,
  type WorkerToPrimary,
} from "../protocol.ts";
import {
  type ClusterSettings,
  type ResolvedSettings,
  resolveSettings,
  validateForkEnv,
  validateSettings,
} from "../settings.ts";
import { SharedPorts } from "../sharing/registry.ts";
import { Worker, type WorkerControl } from "../worker.ts";
import { canTransition, type LifeEvent } from "../worker_state.ts";
import { type SpawnRecord, spawnRequest } from "./spawn_record.ts";
import { type ErrorReporter, WorkerLinks } from "./worker_links.ts";

export type { ErrorReporter };

/** The primary's state, owned by the cluster object. */
export class PrimaryRole {
  /** Live workers by id. */
  readonly workers: Record<string, Worker> = {};
  /** Extension messages (`cluster.internal`). */
  readonly internal: InternalChannel;
  #cluster: EventEmitter;
  #adapter: PrimaryAdapter;
  #host: HostInfo;
  #report: ErrorReporter;
  #explicit: ClusterSettings = {};
  #settings: ResolvedSettings;
  #policy: SchedulingPolicy;
  /** Set by the first `setupPrimary()` or `fork()`; the policy is frozen from then on, as in Node. */
  #initialized = false;
  #nextId = 0;
  #links: WorkerLinks;
  #records = new Map<Worker, SpawnRecord>();
  #ports: SharedPorts<Worker>;
  #whenAllGone: (() => void)[] = [];
  #receiveExtension: ReturnType<typeof createInternalChannel>["receive"];

  /** Made by the cluster object. */
  constructor(
    cluster: EventEmitter,
    adapter: PrimaryAdapter,
    policy: SchedulingPolicy,
    report: ErrorReporter,
  ) {
    this.#cluster = cluster;
    this.#adapter = adapter;
    this.#host = adapter.host();
    this.#policy = policy;
    this.#report = report;
    const links = this.#links = new WorkerLinks(report);
    this.#ports = new SharedPorts<Worker>(() => adapter.ports(), () => this.#policy, {
      canPassHandles: (worker) => links.canPassHandles(worker),
      isConnected: (worker) => worker.isConnected(),
      sendConnection: (worker, key, socket, done) =>
        links.sendInternal(worker, internal({ act: "newconn", key }), socket, done),
    });
    const extensions = createInternalChannel((worker, message) =>
      links.sendInternal(worker, internal(message))
    );
    this.internal = extensions.channel;
    this.#receiveExtension = extensions.receive;
    this.#settings = this.#resolve();
  }

  /** The scheduling policy; changes are ignored once the first `setupPrimary()` or `fork()` froze it. */
  get policy(): SchedulingPolicy {
    return this.#policy;
  }

  set policy(value: SchedulingPolicy) {
    if (!this.#initialized) this.#policy = value;
  }

  /** The effective settings (`cluster.settings`). */
  get settings(): ResolvedSettings {
    return this.#settings;
  }

  /** `cluster.setupPrimary(settings)`: merges settings for later forks and emits `setup`. */
  setup(settings?: unknown): void {
    Object.assign(this.#explicit, validateSettings(settings));
    this.#settings = this.#resolve();
    this.#initialized = true;
    const snapshot = this.#settings;
    queueMicrotask(() => this.#cluster.emit("setup", snapshot));
  }

  /** `cluster.fork(env)`: starts a worker with the current settings. */
  fork(env?: unknown): Worker {
    const record = this.#newRecord(env);
    const view = new ChildProcessView((m, h, o, c): boolean => worker.send(m, h, o, c as never));
    const worker = this.#newWorker(record.id, view);
    const request = spawnRequest(record, this.#adapter.host().env, this.#policy);
    // Queued before the adapter can queue anything, so that `fork` comes before whatever the child reports.
    let spawned = false;
    queueMicrotask(() => spawned && worker.transition("fork"));
    const link = this.#adapter.spawn(request, this.#childEvents(worker, view));
    spawned = true;
    view.attach(link);
    this.#links.set(worker, link);
    this.#records.set(worker, record);
    this.workers[record.id] = worker;
    return worker;
  }

  /** What a live worker was started with. */
  spawnRecord(worker: Worker): SpawnRecord | undefined {
    return this.#records.get(worker);
  }

  /** `cluster.disconnect(callback)`: disconnects every worker; the callback runs once all are gone. */
  disconnect(callback?: () => void): void {
    if (callback !== undefined) this.#whenAllGone.push(callback);
    const live = Object.values(this.workers);
    if (live.length === 0) {
      queueMicrotask(() => this.#allGone());
      return;
    }
    for (const worker of live) if (worker.isConnected()) worker.disconnect();
  }

  // --- fork, step by step ---

  /** Checks the fork and fixes what the worker starts with; throws before anything is spawned. */
  #newRecord(env: unknown): SpawnRecord {
    const extraEnv = validateForkEnv(env);
    if (!this.#initialized) this.setup();
    const settings = this.#settings;
    if (settings.serialization === "advanced" && settings.runtime !== this.#host.runtime) {
      throw invalidArgValue(
        "settings.serialization",
        "advanced",
        `works only between processes of the same runtime (primary: ${this.#host.runtime}, workers: ${settings.runtime}); use 'json'`,
      );
    }
    if (!this.#adapter.fileExists(settings.exec)) throw scriptMissing(settings.exec);
    return { id: ++this.#nextId, env: extraEnv, settings };
  }

  /** The worker object, with the primary's way to send, kill and disconnect. */
  #newWorker(id: number, view: ChildProcessView): Worker {
    const control: WorkerControl = {
      send: (message, handle, _options, callback) => this.#links.send(worker, message, handle, callback),
      kill: (signal) => this.#links.kill(worker, signal),
      disconnect: () => this.#disconnect(worker),
      isConnected: () => this.#links.isConnected(worker),
      isDead: () => worker.state === "dead",
    };
    const worker: Worker = new Worker({
      id,
      process: view,
      control,
      onTransition: (w, event) => this.#beforeEmit(w, event),
      afterTransition: (w, event, args) => this.#afterEmit(w, event, args),
    });
    return worker;
  }

  /** What the adapter reports about the child, turned into transitions. */
  #childEvents(worker: Worker, view: ChildProcessView): ChildEvents {
    return {
      spawn: () => view.emit("spawn"),
      message: (message, handle) => this.#onMessage(worker, view, message, handle),
      disconnect: () => {
        this.#ports.removeWorker(worker);
        worker.transition("disconnect");
        view.emit("disconnect");
      },
      exit: (code, signal) => {
        // Node reports false, not undefined, for an exit nobody asked for.
        worker.exitedAfterDisconnect = worker.exitedAfterDisconnect === true;
        this.#ports.removeWorker(worker);
        worker.transition("exit", code, signal);
        view.emit("exit", code, signal);
      },
      error: (error) => this.#report(error, worker),
    };
  }

  #resolve(): ResolvedSettings {
    return resolveSettings(this.#explicit, this.#host, (runtime) => this.#adapter.workerCommand(runtime));
  }

  // --- what a worker asks of the primary ---

  #onMessage(worker: Worker, view: ChildProcessView, message: unknown, handle: unknown): void {
    if (isInternalMessage(message)) {
      dispatch(this.#handlers, worker, message, handle);
      return;
    }
    worker.emit("message", message, handle);
    this.#cluster.emit("message", worker, message, handle);
    view.emit("message", message, handle);
  }

  #handlers: Handlers<WorkerToPrimary, Worker> = {
    online: (worker) => worker.transition("online"),
    listening: (worker, message) => {
      this.#ports.bound(worker, message.key, message.address.port);
      if (canTransition(worker.state, "listening")) worker.transition("listening", message.address);
    },
    exitedAfterDisconnect: (worker, message) => {
      worker.exitedAfterDisconnect = true;
      this.#reply(worker, message);
    },
    queryServer: (worker, message) => {
      this.#ports.query(worker, message.request).then(({ handle, ...reply }) => {
        this.#reply(worker, message, reply, handle);
      });
    },
    close: (worker, message) => this.#ports.close(worker, message.key),
    ext: (worker, message) => this.#receiveExtension(worker, message),
  };

  // --- sending ---

  #reply(worker: Worker, request: InternalMessage, reply?: ServerReply, handle?: unknown): void {
    if (request.seq === undefined) return;
    this.#links.sendInternal(worker, internal({ act: "ack", ack: request.seq, reply }), handle);
  }

  #disconnect(worker: Worker): void {
    if (!worker.isConnected()) return;
    this.#ports.removeWorker(worker);
    this.#links.sendInternal(worker, internal({ act: "disconnect" }));
  }

  // --- the end of a worker ---

  /**
   * As in Node, a worker leaves `cluster.workers` only once it has both disconnected and exited: until then its
   * owner may still want to reach it.
   */
  #beforeEmit(worker: Worker, event: LifeEvent): void {
    const gone = (event === "exit" && worker.channelClosed) ||
      (event === "disconnect" && worker.state === "dead");
    if (!gone) return;
    delete this.workers[worker.id];
    this.#links.delete(worker);
    this.#records.delete(worker);
  }

  #afterEmit(worker: Worker, event: LifeEvent, args: unknown[]): void {
    this.#cluster.emit(event, worker, ...args);
    if (event === "exit") this.#cluster.emit("death", worker);
    if ((event === "exit" || event === "disconnect") && Object.keys(this.workers).length === 0) {
      this.#allGone();
    }
  }

  #allGone(): void {
    const callbacks = this.#whenAllGone.splice(0);
    for (const callback of callbacks) callback();
  }
}
