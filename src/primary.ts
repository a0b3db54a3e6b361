/**
 * The primary's side of the cluster: forking workers, keeping `cluster.workers`, settings, and turning what the
 * adapter reports about each child into worker transitions.
 *
 * @module
 */

import type { EventEmitter } from "node:events";
import type { Adapter, ChildLink, HostInfo, SpawnRequest } from "../adapters/types.ts";
import { ChildProcessView } from "./child_process_view.ts";
import { channelClosed, codeError, invalidArgValue } from "./errors.ts";
import { IDENTITY_VARIABLE, internal, type InternalMessage, isInternalMessage } from "./protocol.ts";
import { policyName, type SchedulingPolicy } from "./scheduling.ts";
import { type ClusterSettings, validateForkEnv, validateSettings } from "./settings.ts";
import { SharedServers } from "./shared_servers.ts";
import { Worker, type WorkerSide } from "./worker.ts";
import type { LifeEvent } from "./worker_state.ts";

/** Reports an error that has no listener, so that nothing fails silently and nothing crashes the primary. */
export type ErrorReporter = (error: Error, worker: Worker | undefined) => void;

/** The primary's state, owned by the cluster object. */
export class Primary {
  /** Live workers by id. */
  readonly workers: Record<string, Worker> = {};
  /** The effective settings (`cluster.settings`). */
  settings: ClusterSettings = {};
  #cluster: EventEmitter;
  #adapter: Adapter;
  #host: HostInfo;
  #explicit: ClusterSettings = {};
  #nextId = 0;
  #initialized = false;
  #policy: () => SchedulingPolicy;
  #freezePolicy: () => void;
  #report: ErrorReporter;
  #servers: SharedServers;
  #whenAllGone: (() => void)[] = [];
  #links = new Map<number, ChildLink>();

  /** Made by the cluster object. */
  constructor(
    cluster: EventEmitter,
    adapter: Adapter,
    policy: () => SchedulingPolicy,
    freezePolicy: () => void,
    report: ErrorReporter,
  ) {
    this.#cluster = cluster;
    this.#adapter = adapter;
    this.#host = adapter.host();
    this.#policy = policy;
    this.#freezePolicy = freezePolicy;
    this.#report = report;
    this.#servers = new SharedServers(
      adapter,
      policy,
      (worker, message, handle, done) => {
        const link = this.#links.get(worker.id);
        if (link === undefined || !worker.isConnected()) return done(channelClosed());
        link.send(internal(message), handle, done);
      },
      (worker) => this.#links.get(worker.id)?.canPassHandles ?? false,
    );
    this.settings = this.#resolve();
  }

  /** `cluster.setupPrimary(settings)`: merges settings for later forks and emits `setup`. */
  setup(settings?: unknown): void {
    const checked = validateSettings(settings);
    Object.assign(this.#explicit, checked);
    this.settings = this.#resolve();
    this.#initialized = true;
    this.#freezePolicy();
    const snapshot = this.settings;
    queueMicrotask(() => this.#cluster.emit("setup", snapshot));
  }

  /** `cluster.fork(env)`: starts a worker with the current settings. */
  fork(env?: unknown): Worker {
    const extraEnv = validateForkEnv(env);
    if (!this.#initialized) this.setup();
    const settings = this.settings as
      & Required<Pick<ClusterSettings, "exec" | "runtime" | "serialization">>
      & ClusterSettings;
    if (settings.serialization === "advanced" && settings.runtime !== this.#host.runtime) {
      throw invalidArgValue(
        "settings.serialization",
        "advanced",
        `works only between processes of the same runtime (primary: ${this.#host.runtime}, workers: ${settings.runtime}); use 'json'`,
      );
    }
    if (!this.#adapter.fileExists(settings.exec)) {
      throw codeError(
        new Error(`Cannot fork: settings.exec "${settings.exec}" does not exist or is not a file`),
        "ERR_MODULE_NOT_FOUND",
      );
    }
    const id = ++this.#nextId;
    // The link exists once spawned and is dropped when the worker is gone; until then and after, it is undefined.
    const link = (): ChildLink | undefined => this.#links.get(id);
    const side: WorkerSide = {
      send: (message, handle, _options, callback) => this.#send(worker, link(), message, handle, callback),
      kill: (_worker, signal) => this.#kill(worker, link(), signal),
      disconnect: () => this.#disconnect(worker, link()),
      isConnected: () => (link()?.connected ?? false) && !worker.channelClosed,
      isDead: () => worker.state === "dead",
    };
    const view: ChildProcessView = new ChildProcessView((m, h, o, c): boolean =>
      worker.send(m, h, o, c as never)
    );
    const worker: Worker = new Worker({
      id,
      process: view,
      side,
      onTransition: (w, event) => this.#beforeEmit(w, event),
      afterTransition: (w, event, args) => this.#afterEmit(w, event, args),
    });
    const request: SpawnRequest = {
      runtime: settings.runtime,
      execPath: settings.execPath ?? this.#adapter.execPathFor(settings.runtime),
      execArgv: settings.execArgv ?? [],
      exec: settings.exec,
      args: settings.args ?? [],
      cwd: settings.cwd,
      // The environment as it is now, as Node's fork reads process.env when it is called.
      env: { ...this.#adapter.host().env, ...extraEnv },
      silent: settings.silent ?? false,
      stdio: settings.stdio,
      serialization: settings.serialization,
      uid: settings.uid,
      gid: settings.gid,
      windowsHide: settings.windowsHide ?? false,
      identityVariable: IDENTITY_VARIABLE,
      identity: { id, policy: policyName(this.#policy()), serialization: settings.serialization },
    };
    const spawned = this.#adapter.spawn(request, {
      spawn: () => view.emit("spawn"),
      message: (message, handle) => this.#onMessage(worker, message, handle),
      disconnect: () => {
        this.#servers.removeWorker(worker);
        worker.transition("disconnect");
        view.emit("disconnect");
      },
      exit: (code, signal) => {
        worker.exitedAfterDisconnect = worker.exitedAfterDisconnect === true;
        this.#servers.removeWorker(worker);
        worker.transition("exit", code, signal);
        view.emit("exit", code, signal);
      },
      error: (error) => this.#report(error, worker),
    });
    view.attach(spawned);
    this.#links.set(id, spawned);
    this.workers[id] = worker;
    queueMicrotask(() => worker.transition("fork"));
    return worker;
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

  #resolve(): ClusterSettings {
    const given = this.#explicit;
    const runtime = given.runtime ?? this.#host.runtime;
    return {
      ...given,
      exec: given.exec ?? this.#host.mainModule,
      args: given.args ?? [...this.#host.args],
      execArgv: given.execArgv ?? this.#adapter.execArgvFor(runtime),
      silent: given.silent ?? false,
      serialization: given.serialization ?? "json",
      runtime,
      execPath: given.execPath ?? this.#adapter.execPathFor(runtime),
    };
  }

  #send(
    worker: Worker,
    link: ChildLink | undefined,
    message: unknown,
    handle: unknown,
    callback: ((error: Error | null) => void) | undefined,
  ): boolean {
    if (link === undefined || !worker.isConnected()) {
      this.#failSend(worker, channelClosed(), callback);
      return false;
    }
    return link.send(message, handle, (error) => {
      if (callback) callback(error);
      else if (error) this.#report(error, worker);
    });
  }

  #failSend(worker: Worker, error: Error, callback: ((error: Error | null) => void) | undefined): void {
    queueMicrotask(() => {
      if (callback) callback(error);
      else this.#report(error, worker);
    });
  }

  #kill(worker: Worker, link: ChildLink | undefined, signal: string): void {
    if (link === undefined || worker.isDead()) return;
    if (worker.isConnected()) {
      worker.once("disconnect", () => link.kill(signal));
      link.disconnect();
      return;
    }
    link.kill(signal);
  }

  #disconnect(worker: Worker, link: ChildLink | undefined): void {
    if (link === undefined || !worker.isConnected()) return;
    this.#servers.removeWorker(worker);
    link.send(internal({ act: "disconnect" }), undefined, () => {});
  }

  #onMessage(worker: Worker, message: unknown, handle: unknown): void {
    if (!isInternalMessage(message)) {
      worker.emit("message", message, handle);
      this.#cluster.emit("message", worker, message, handle);
      (worker.process as ChildProcessView).emit("message", message, handle);
      return;
    }
    this.#onInternal(worker, message);
  }

  #onInternal(worker: Worker, message: InternalMessage): void {
    switch (message.act) {
      case "online":
        worker.transition("online");
        break;
      case "listening":
        this.#servers.bound(worker, message.key, message.address.port);
        if (worker.state === "online" || worker.state === "listening") {
          worker.transition("listening", message.address);
        }
        break;
      case "exitedAfterDisconnect":
        worker.exitedAfterDisconnect = true;
        this.#reply(worker, message, {});
        break;
      case "queryServer":
        this.#servers.query(worker, message.request).then(({ handle, ...reply }) => {
          this.#reply(worker, message, { reply }, handle);
        });
        break;
      case "close":
        this.#servers.close(worker, message.key);
        break;
    }
  }

  #reply(worker: Worker, request: InternalMessage, fields: Record<string, unknown>, handle?: unknown): void {
    const link = this.#links.get(worker.id);
    if (link === undefined || !worker.isConnected()) return;
    link.send(internal({ act: "ack", ack: request.seq, ...fields }), handle, (error) => {
      if (error && worker.isConnected()) this.#report(error, worker);
    });
  }

  #beforeEmit(worker: Worker, event: LifeEvent): void {
    const gone = (event === "exit" && worker.channelClosed) ||
      (event === "disconnect" && worker.state === "dead");
    if (!gone) return;
    delete this.workers[worker.id];
    this.#links.delete(worker.id);
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
