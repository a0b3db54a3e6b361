/**
 * The primary's links to its live workers: how a message, a handle or a signal reaches one, and what happens
 * when it cannot.
 *
 * @module
 */

import type { ChildLink } from "../contract/spawn.ts";
import { channelClosed } from "../errors.ts";
import { internal, type InternalMessage } from "../protocol.ts";
import type { HandlePassing } from "../policy.ts";
import { dropConnection } from "../sharing/connection.ts";
import type { HandOverResult } from "../sharing/round_robin_handle.ts";
import type { Worker } from "../worker.ts";

type Answer = (result: HandOverResult, returned?: unknown) => void;

/** A connection handed over and not answered for yet; `kept` is the primary's own copy, where the link keeps one. */
interface HandedOver {
  done: Answer;
  kept: unknown;
  link: ChildLink;
}

/** Reports an error that has no listener, so that nothing fails silently and nothing crashes the primary. */
export type ErrorReporter = (error: Error, worker: Worker | undefined) => void;

/** Each live worker's link, from spawn until the worker has both disconnected and exited. */
export class WorkerLinks {
  #links = new Map<Worker, ChildLink>();
  #report: ErrorReporter;
  #seq = 0;
  /** Per worker, the connections handed over and not yet answered for, by sequence number. */
  #handedOver = new Map<Worker, Map<number, HandedOver>>();

  /** Errors nobody waits for go to `report`. */
  constructor(report: ErrorReporter) {
    this.#report = report;
  }

  /** Records a worker's link. */
  set(worker: Worker, link: ChildLink): void {
    this.#links.set(worker, link);
  }

  /** Forgets a worker that is gone. */
  delete(worker: Worker): void {
    this.#links.delete(worker);
  }

  /**
   * Hands a round-robin connection for `key` to a worker, which answers whether it took it (Node's `newconn` and
   * `accepted`). Where the link can, the primary keeps its copy until then, as Node does, and a refused connection
   * goes on from it; elsewhere (Bun) the worker sends a refused connection back.
   */
  sendConnection(worker: Worker, key: string, socket: unknown, done: Answer): void {
    const seq = ++this.#seq;
    const link = this.#links.get(worker);
    if (link === undefined) return done("failed");
    const keep = link.keepsHandles;
    let waiting = this.#handedOver.get(worker);
    if (waiting === undefined) this.#handedOver.set(worker, waiting = new Map());
    waiting.set(seq, { done, kept: keep ? socket : undefined, link });
    const message = internal({ act: "newconn", key, keep }, seq);
    this.sendInternal(worker, message, socket, (error) => {
      if (error === null || !waiting.delete(seq)) return;
      done("failed");
    }, keep);
  }

  /** A worker's answer for a connection it was handed. */
  answered(worker: Worker, seq: number, accepted: boolean, returned: unknown): void {
    const entry = this.#handedOver.get(worker)?.get(seq);
    if (entry === undefined) return;
    this.#handedOver.get(worker)!.delete(seq);
    if (entry.kept !== undefined) {
      if (entry.link.release !== undefined) entry.link.release(entry.kept, accepted);
      else if (accepted) dropConnection(entry.kept);
    }
    if (accepted) entry.done("taken");
    else entry.done("refused", entry.kept ?? returned ?? undefined);
  }

  /**
   * The worker's channel closed. A worker answers for a connection in the same turn as it takes it, and its
   * answers come before its channel closes, so a connection it did not answer for was never taken (the worker
   * left, or died, with the message unread): where the primary kept its copy, that goes to another worker, as a
   * refused one does. Closing it instead would reset a client whose request was never read.
   */
  disconnected(worker: Worker): void {
    const waiting = this.#handedOver.get(worker);
    this.#handedOver.delete(worker);
    for (const entry of waiting?.values() ?? []) {
      if (entry.kept !== undefined) entry.link.release?.(entry.kept, false);
      entry.done("refused", entry.kept);
    }
  }

  /** How handles reach this worker: passed, relayed through the primary, or not at all. */
  handles(worker: Worker): HandlePassing {
    const link = this.#links.get(worker);
    if (link === undefined || !link.canPassHandles) return "none";
    return link.relaysHandles ? "relay" : "pass";
  }

  /** Whether the worker's channel is open (and not yet reported closed). */
  isConnected(worker: Worker): boolean {
    return (this.#links.get(worker)?.connected ?? false) && !worker.channelClosed;
  }

  /** Sends a user message; a closed channel is reported to `callback`, or else as the worker's error. */
  send(
    worker: Worker,
    message: unknown,
    handle: unknown,
    callback: ((error: Error | null) => void) | undefined,
  ): boolean {
    const link = this.#links.get(worker);
    if (link === undefined || !worker.isConnected()) {
      const error = channelClosed();
      queueMicrotask(() => callback ? callback(error) : this.#report(error, worker));
      return false;
    }
    return link.send(message, handle, callback);
  }

  /** Sends an internal message; false (and `done` with the error) when the channel is closed. */
  sendInternal(
    worker: Worker,
    message: InternalMessage,
    handle?: unknown,
    done?: (error: Error | null) => void,
    keepOpen?: boolean,
  ): boolean {
    const link = this.#links.get(worker);
    if (link === undefined || !worker.isConnected()) {
      done?.(channelClosed());
      return false;
    }
    // Without a `done`, a failure matters only while the worker is still there and not leaving (a leaving
    // worker may close its end before the primary hears of it: EPIPE).
    return link.send(
      message,
      handle,
      done ?? ((error) => {
        if (error && worker.isConnected() && !worker.exitedAfterDisconnect) this.#report(error, worker);
      }),
      keepOpen,
    );
  }

  /** `worker.kill(signal)` in the primary: signals the process, as Node's does (the channel closes as it dies). */
  kill(worker: Worker, signal: string): void {
    if (!worker.isDead()) this.#links.get(worker)?.kill(signal);
  }
}
