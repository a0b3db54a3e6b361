/**
 * The primary's registry of shared ports: it answers each worker's listen request with a mode (round-robin, shared
 * handle, or SO_REUSEPORT), opens the primary-owned listeners, and closes them when their last worker leaves.
 *
 * Which mode: native servers (`Deno.serve`, `Bun.serve`, and Bun's `node:http`, built on `Bun.serve`) are fastest when
 * they bind themselves, so they use SO_REUSEPORT (a unix socket path, which it cannot share, goes round-robin).
 * node:net servers follow the scheduling policy where the worker's link can pass handles; where it cannot (the Deno
 * adapter), they fall back to SO_REUSEPORT, and the `listening` address says so in its `mode`.
 *
 * @module
 */

import type { Adapter, ServerReply, ServerRequest, SharingMode } from "../adapters/types.ts";
import { RoundRobinHandle } from "./round_robin.ts";
import { SCHED_NONE, SCHED_RR, type SchedulingPolicy } from "./scheduling.ts";
import type { Worker } from "./worker.ts";

/** Sends a handle with an internal message to a worker. */
export type HandleSender = (
  worker: Worker,
  message: Record<string, unknown>,
  handle: unknown,
  done: (error: Error | null) => void,
) => void;

interface SharedEntry {
  mode: SharingMode;
  workers: Set<Worker>;
  /** For round-robin. */
  rr?: RoundRobinHandle;
  /** The port, once known, and the primary listener's address. */
  port?: number;
  address?: string;
  family?: string;
  /** For `none`: the shared handle and how to close it. */
  handle?: unknown;
  close?: () => void;
  /** Opening (rr/none) or waiting for the first port-0 bind (reuseport). */
  ready?: Promise<void>;
  settle?: () => void;
  failure?: { errno: string; error: string };
}

/** Decides how a worker listens, and keeps the primary-owned listeners. */
export class SharedServers {
  #entries = new Map<string, SharedEntry>();
  #adapter: Adapter;
  #policy: () => SchedulingPolicy;
  #send: HandleSender;
  #canPassHandles: (worker: Worker) => boolean;

  /** Made by the primary. */
  constructor(
    adapter: Adapter,
    policy: () => SchedulingPolicy,
    send: HandleSender,
    canPassHandles: (worker: Worker) => boolean,
  ) {
    this.#adapter = adapter;
    this.#policy = policy;
    this.#send = send;
    this.#canPassHandles = canPassHandles;
  }

  /** The mode a request gets from `worker`. */
  modeFor(worker: Worker, request: ServerRequest): SharingMode {
    // A unix socket path cannot be shared with SO_REUSEPORT: such a server takes connections from the primary.
    if (request.server === "native") {
      return request.path !== undefined && this.#canPassHandles(worker) ? "rr" : "reuseport";
    }
    const policy = this.#policy();
    const factory = this.#adapter.listeners();
    if (!this.#canPassHandles(worker)) return "reuseport";
    if (policy === SCHED_RR) return "rr";
    if (policy === SCHED_NONE) return factory.canShareHandles ? "none" : "reuseport";
    // SCHED_REUSEPORT where node:net cannot bind with SO_REUSEPORT (Node before 22.12): round-robin instead.
    return factory.canReusePort ? "reuseport" : "rr";
  }

  /** Answers a listen request. */
  async query(worker: Worker, request: ServerRequest): Promise<ServerReply> {
    const mode = this.modeFor(worker, request);
    const key = `${mode}:${request.key}`;
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { mode, workers: new Set() };
      this.#entries.set(key, entry);
      this.#open(key, entry, request);
    }
    if (entry.ready) await entry.ready;
    if (entry.failure) {
      this.#entries.delete(key);
      return { mode, port: request.port, ...entry.failure };
    }
    entry.workers.add(worker);
    entry.rr?.add(worker);
    if (mode === "reuseport" && entry.port === undefined && request.port === 0) {
      // The first port-0 listen binds and reports the port it got; later ones wait for it (see `bound`).
      entry.ready = new Promise((resolve) => entry.settle = resolve);
      return { mode, port: 0 };
    }
    return {
      mode,
      port: entry.port ?? request.port,
      address: entry.address,
      family: entry.family,
      handle: entry.handle,
    };
  }

  /** A worker reports where it is listening; settles a pending port-0 reuseport entry. */
  bound(worker: Worker, key: string, port: number): void {
    const entry = this.#entries.get(`reuseport:${key}`);
    if (entry === undefined || !entry.workers.has(worker) || entry.port !== undefined) return;
    entry.port = port;
    entry.settle?.();
    entry.ready = undefined;
  }

  /** A worker closed a server (or failed to bind it). */
  close(worker: Worker, key: string): void {
    for (const mode of ["rr", "none", "reuseport"]) {
      const full = `${mode}:${key}`;
      const entry = this.#entries.get(full);
      if (entry) this.#leave(full, entry, worker);
    }
  }

  /** Removes a worker from every shared port (it disconnected or died). */
  removeWorker(worker: Worker): void {
    for (const [key, entry] of [...this.#entries]) this.#leave(key, entry, worker);
  }

  #leave(key: string, entry: SharedEntry, worker: Worker): void {
    if (!entry.workers.delete(worker)) return;
    entry.rr?.remove(worker);
    if (entry.mode === "reuseport" && entry.port === undefined) {
      // The worker that was to choose the port is gone: let a waiting one choose.
      entry.settle?.();
      entry.ready = undefined;
    }
    if (entry.workers.size > 0) return;
    this.#entries.delete(key);
    entry.rr?.listener?.close();
    entry.close?.();
  }

  #open(key: string, entry: SharedEntry, request: ServerRequest): void {
    if (entry.mode === "reuseport") return;
    const factory = this.#adapter.listeners();
    let accept: ((socket: unknown) => void) | undefined;
    if (entry.mode === "rr") {
      const rr = new RoundRobinHandle(
        key,
        (worker, socket, done) =>
          this.#send(worker, { act: "newconn", key: request.key }, socket, (error) => done(error)),
        (socket) => (socket as { destroy?: () => void }).destroy?.(),
      );
      entry.rr = rr;
      accept = (socket) => rr.distribute(socket);
    }
    entry.ready = factory.open(request, accept).then(
      (listener) => {
        entry.port = listener.port;
        entry.address = listener.address;
        entry.family = listener.family;
        entry.handle = listener.handle;
        if (entry.rr) entry.rr.listener = listener;
        else entry.close = () => listener.close();
        // Every worker may have left while the socket opened.
        if (entry.workers.size === 0 && this.#entries.get(key) !== entry) listener.close();
        entry.ready = undefined;
      },
      (error: { code?: string; message?: string }) => {
        entry.failure = {
          errno: error?.code ?? "EADDRINUSE",
          error: error?.message ?? String(error),
        };
        entry.ready = undefined;
      },
    );
  }
}
