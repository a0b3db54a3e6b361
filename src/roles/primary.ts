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
import { scriptMissing } from "../errors.ts";
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
import { type ClusterSettings, forkEnv } from "../settings.ts";
import { SharedPorts } from "../sharing/registry.ts";
import { Worker, type WorkerControl } from "../worker.ts";
import { canTransition, type LifeEvent } from "../worker_state.ts";
import { PrimarySettings } from "./primary_settings.ts";
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
  #report: ErrorReporter;
  #settings = new PrimarySettings();
  #policy: SchedulingPolicy;
  /** Whether the policy was chosen (set, or named in the environment) rather than defaulted. */
  #policyChosen: boolean;
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
    policy: { policy: SchedulingPolicy; chosen: boolean },
    report: ErrorReporter,
  ) {
    this.#cluster = cluster;
    this.#adapter = adapter;
    this.#policy = policy.policy;
    this.#policyChosen = policy.chosen;
    this.#report = report;
    const links = this.#links = new WorkerLinks(report);
    const current = () => ({ policy: this.#policy, chosen: this.#policyChosen });
    this.#ports = new SharedPorts<Worker>(() => adapter.ports(), current, {
      handles: (worker) => links.handles(worker),
      isConnected: (worker) => worker.isConnected(),
      sendConnection: (worker, key, socket, done) => links.sendConnection(worker, key, socket, done),
      sendDatagram: (worker, key, data, rinfo) =>
        links.sendInternal(worker, internal({ act: "datagram", key, data, rinfo })),
    });
    const extensions = createInternalChannel((worker, message) =>
      links.sendInternal(worker, internal(message))
    );
    this.internal = extensions.channel;
    this.#receiveExtension = extensions.receive;
  }

  /** The scheduling policy; changes are ignored once the first `setupPrimary()` or `fork()` froze it. */
  get policy(): SchedulingPolicy {
    return this.#policy;
  }

  set policy(value: SchedulingPolicy) {
    if (this.#initialized) return;
    this.#policy = value;
    this.#policyChosen = true;
  }

  /** The effective settings (`cluster.settings`). */
  get settings(): ClusterSettings {
    return this.#settings.current;
  }

  /**
   * `cluster.setupPrimary(settings)`, as Node's: Node's defaults (read now), then the earlier calls, then these;
   * emits `setup` with the result.
   */
  setup(settings?: unknown, host: HostInfo = this.#adapter.host()): void {
    const merged = this.#settings.setup(settings, host);
    this.#initialized = true;
    queueMicrotask(() => this.#cluster.emit("setup", merged));
  }

  /** `cluster.fork(env)`: starts a worker with the current settings. */
  fork(env?: unknown): Worker {
    const host = this.#adapter.host();
    const record = this.#newRecord(env, host);
    const view = new ChildProcessView((m, h, o, c): boolean => worker.send(m, h, o, c as never));
    const worker = this.#newWorker(record.id, view);
    const request = spawnRequest(record, host.env, this.#policy);
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

  /**
   * `cluster.disconnect(callback)`: disconnects every worker; the callback runs as Node's does (see `#beforeEmit`).
   */
  disconnect(callback?: () => void): void {
    if (callback !== undefined) this.#whenAllGone.push(callback);
    if (Object.keys(this.workers).length === 0) {
      queueMicrotask(() => this.#allGone());
      return;
    }
    for (const worker of Object.values(this.workers)) if (worker.isConnected()) worker.disconnect();
  }

  // --- fork, step by step ---

  /** Checks the fork and fixes what the worker starts with; throws before anything is spawned. */
  #newRecord(env: unknown, host: HostInfo): SpawnRecord {
    const extraEnv = forkEnv(env);
    // As Node's fork, which calls setupPrimary() every time.
    this.setup(undefined, host);
    const settings = this.#settings.forFork(host, (runtime) => this.#adapter.workerCommand(runtime));
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
      onUnhandledError: (error) =>
        this.#report(error instanceof Error ? error : new Error(String(error)), worker),
    });
    worker.on("message", (message, handle) => this.#cluster.emit("message", worker, message, handle));
    return worker;
  }

  /** What the adapter reports about the child, turned into transitions. */
  #childEvents(worker: Worker, view: ChildProcessView): ChildEvents {
    return {
      spawn: () => view.emit("spawn"),
      message: (message, handle) => this.#onMessage(worker, view, message, handle),
      disconnect: () => {
        // Node reports false, not undefined, when nobody asked the worker to go (here and at exit).
        worker.exitedAfterDisconnect = worker.exitedAfterDisconnect === true;
        this.#ports.removeWorker(worker);
        this.#links.disconnected(worker);
        worker.transition("disconnect");
        view.emit("disconnect");
      },
      exit: (code, signal) => {
        worker.exitedAfterDisconnect = worker.exitedAfterDisconnect === true;
        this.#ports.removeWorker(worker);
        this.#links.disconnected(worker);
        worker.transition("exit", code, signal);
        view.emit("exit", code, signal);
      },
      error: (error) => view.emit("error", error),
    };
  }

  // --- what a worker asks of the primary ---

  #onMessage(worker: Worker, view: ChildProcessView, message: unknown, handle: unknown): void {
    if (isInternalMessage(message)) {
      dispatch(this.#handlers, worker, message, handle);
      return;
    }
    // The worker hears it from its process (as Node's Worker does), and the cluster from the worker.
    view.emit("message", message, handle);
  }

  #handlers: Handlers<WorkerToPrimary, Worker> = {
    // A message can come after the exit (Deno's child_process reports the exit before the channel's last reads).
    online: (worker) => canTransition(worker.state, "online") && worker.transition("online"),
    listening: (worker, message) => {
      const { address } = message;
      this.#ports.bound(worker, message.key, address.port);
      // Node's four fields (a unix socket's path as its address, no fd as undefined); how the port is shared rides
      // along unlisted, so that the object has exactly Node's keys.
      const info = {
        addressType: address.addressType,
        address: address.path ?? address.address,
        port: address.port,
        fd: address.fd === -1 ? undefined : address.fd,
      };
      Object.defineProperty(info, "mode", { value: address.mode, enumerable: false });
      if (canTransition(worker.state, "listening")) worker.transition("listening", info);
    },
    exitedAfterDisconnect: (worker, message) => {
      worker.exitedAfterDisconnect = true;
      this.#reply(worker, message);
    },
    queryServer: (worker, message) => {
      // As Node: a worker that is leaving gets no port (and no answer; its channel is about to close).
      if (worker.exitedAfterDisconnect) return;
      this.#ports.query(worker, message.request).then(({ handle, ...reply }) => {
        // The port may come after the worker began to leave: it takes none, and leaves the port again.
        if (worker.exitedAfterDisconnect) return this.#ports.close(worker, message.request.key);
        this.#reply(worker, message, reply, handle);
        this.#ports.replied(worker, message.request.key);
      });
    },
    close: (worker, message) => this.#ports.close(worker, message.key),
    ack: (worker, message, handle) => this.#links.answered(worker, message.ack, message.accepted, handle),
    sendto: (worker, message) => {
      this.#ports.sendto(worker, message.key, message, (sent) => {
        if (message.seq !== undefined) {
          this.#links.sendInternal(worker, internal({ act: "ack", ack: message.seq, sent }));
        }
      });
    },
    ext: (worker, message) => this.#receiveExtension(worker, message),
  };

  #reply(worker: Worker, request: InternalMessage, reply?: ServerReply, handle?: unknown): void {
    if (request.seq === undefined) return;
    this.#links.sendInternal(worker, internal({ act: "ack", ack: request.seq, reply }), handle);
  }

  #disconnect(worker: Worker): void {
    if (!worker.isConnected()) return;
    // As Node's: a worker asked to go leaves `cluster.workers` at once (code that waits for that list to empty,
    // say to close its last client connection, would otherwise wait on this worker's own connections).
    delete this.workers[worker.id];
    this.#ports.retire(worker);
    this.#links.sendInternal(worker, internal({ act: "disconnect" }));
  }

  // --- the end of a worker ---

  /**
   * As in Node, a worker that was not asked to go leaves `cluster.workers` only once it has both disconnected and
   * exited: until then its owner may still want to reach it. Its link and record go then too.
   */
  #beforeEmit(worker: Worker, event: LifeEvent): void {
    const gone = (event === "exit" && worker.channelClosed) ||
      (event === "disconnect" && worker.state === "dead");
    if (!gone) return;
    delete this.workers[worker.id];
    this.#links.delete(worker);
    this.#records.delete(worker);
    // As Node's primary.js: disconnect(callback) calls back once a worker leaving empties `cluster.workers`.
    if (Object.keys(this.workers).length === 0) this.#allGone();
  }

  #afterEmit(worker: Worker, event: LifeEvent, args: unknown[]): void {
    this.#cluster.emit(event, worker, ...args);
    if (event === "exit") this.#cluster.emit("death", worker);
  }

  #allGone(): void {
    const callbacks = this.#whenAllGone.splice(0);
    for (const callback of callbacks) callback();
  }
}
