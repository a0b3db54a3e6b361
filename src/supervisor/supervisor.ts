/**
 * The supervisor: a pool of workers kept serving on top of the plain cluster API (`fork`, the `exit` and
 * `listening` events, `disconnect`, `kill`, and `cluster.internal` for heartbeats). It replaces workers that end
 * unasked (with backoff, up to a crash loop), replaces hung and oversized ones, reloads without downtime, and
 * shuts down gracefully. Policy only: how a worker starts, shares ports and exits is the cluster's.
 *
 * @module
 */

import { EventEmitter } from "node:events";
import type { Cluster } from "../cluster.ts";
import { HEARTBEAT_ACT } from "../roles/worker.ts";
import type { ClusterSettings } from "../settings.ts";
import type { Worker } from "../worker.ts";
import { type HealthServer, startHealthServer } from "./health_server.ts";
import { HealthWatch } from "./health_watch.ts";
import { process } from "./host_builtins.ts";
import { Member } from "./member.ts";
import type { ResolvedOptions } from "./options.ts";
import { RestartPolicy } from "./restart_policy.ts";
import { warnOfReusePortResets } from "./reuse_port_resets.ts";
import { handleSignals } from "./signals.ts";
import { Slots } from "./slots.ts";
import type { RestartReason, SupervisorStats } from "./stats.ts";
import { SUPERVISOR_EXIT, SupervisorError } from "./supervisor_error.ts";
import { followOutput, workerStdio } from "./worker_output.ts";
import { READY_ACT } from "./worker_ready.ts";

export { SUPERVISOR_EXIT, SupervisorError };

/** A supervised pool of workers. Made by `supervise()`. */
export class Supervisor extends EventEmitter {
  /** Settles once every worker of the first start is ready; rejects when the app cannot start. */
  readonly started: Promise<void>;
  #cluster: Cluster;
  #options: ResolvedOptions;
  #policy: RestartPolicy;
  #members = new Map<Worker, Member>();
  #slots = new Slots();
  #desired: number;
  #draining = false;
  #everReady = false;
  #giveUp: SupervisorError | undefined;
  #startFailures = 0;
  #settle!: { resolve: () => void; reject: (error: Error) => void };
  #shutdown: Promise<{ clean: boolean }> | undefined;
  #stops: (() => void)[] = [];
  #health: HealthServer | undefined;

  /** Supervises workers of `cluster` with resolved options; `start()` begins. */
  constructor(cluster: Cluster, options: ResolvedOptions) {
    super();
    this.#cluster = cluster;
    this.#options = options;
    this.#desired = options.workers;
    this.#policy = new RestartPolicy({
      initialDelay: options.backoffInitial,
      factor: options.backoffFactor,
      maxDelay: options.backoffMax,
      resetAfter: options.backoffReset,
      crashLoopLimit: options.crashLoopLimit,
      crashLoopWindow: options.crashLoopWindow,
    });
    this.started = new Promise<void>((resolve, reject) => this.#settle = { resolve, reject });
    this.started.catch(() => {});
  }

  /** Starts the workers, the watches, and (as asked) the health server and the signal handlers. */
  async start(): Promise<void> {
    const { settings, heartbeatInterval } = this.#options;
    const stdio = workerStdio(settings, this.#options.output);
    this.#cluster.setupPrimary({ ...settings, ...stdio, heartbeatInterval });
    const onExit = (worker: Worker, code: number | null, signal: string | null) =>
      this.#exited(worker, code, signal);
    this.#cluster.on("exit", onExit);
    const health = new HealthWatch(this.#options, (member, reason) => this.#unhealthy(member, reason));
    const stopBeats = this.#cluster.internal.on(HEARTBEAT_ACT, (worker, stats) => {
      const member = this.#members.get(worker);
      if (member !== undefined) health.beat(member, stats);
    });
    const watch = setInterval(() => health.watch(this.#members.values()), heartbeatInterval);
    (watch as { unref?: () => void }).unref?.();
    this.#stops.push(
      () => this.#cluster.off("exit", onExit),
      warnOfReusePortResets(this.#cluster),
      stopBeats,
      this.#cluster.internal.on(READY_ACT, (worker) => this.#members.get(worker)?.markReady()),
      () => clearInterval(watch),
    );
    if (this.#options.signals) this.#stops.push(this.#handleSignals());
    if (this.#options.healthPort !== undefined) {
      this.#health = await startHealthServer(
        this.#options.healthPort,
        this.#options.healthHost,
        () => this.stats(),
      );
    }
    for (let slot = 1; slot <= this.#desired; slot++) this.#fork(slot);
    if (this.#desired === 0) this.#settle.resolve();
  }

  /** The port of the health server, when it runs. */
  get healthPort(): number | undefined {
    return this.#health?.port;
  }

  /** The pool as it stands. */
  stats(): SupervisorStats {
    const runtime = this.#cluster.settings.runtime ?? this.#cluster.adapter.host().runtime;
    return this.#slots.snapshot(this.#members.values(), this.#desired, this.#draining, runtime);
  }

  /** Changes the number of workers: new slots start, the highest ones retire gracefully. */
  async scale(workers: number): Promise<void> {
    if (!Number.isInteger(workers) || workers < 0) throw new RangeError(`Cannot scale to ${workers} workers`);
    const from = this.#desired;
    this.#desired = workers;
    this.emit("scale", { from, to: workers });
    const starting: Promise<void>[] = [];
    for (let slot = from + 1; slot <= workers; slot++) starting.push(this.#fork(slot).ready);
    const retiring = [...this.#members.values()].filter((m) => m.slot > workers)
      .map((m) => m.retire(this.#options.shutdownTimeout));
    await Promise.all([...starting, ...retiring]);
  }

  /**
   * Replaces every worker, one slot at a time (`reloadConcurrency`): the new worker first, then the old one retires
   * once the new one is ready. `changes` (new `exec`, `args`, `env`, `runtime`...) apply to the new workers. If a
   * new worker fails to become ready, the reload stops, the settings go back, the old workers keep serving, and
   * the promise rejects with the reason.
   */
  async reload(changes: ClusterSettings & { env?: Record<string, string> } = {}): Promise<void> {
    const { env, ...settings } = changes;
    const before = { settings: { ...this.#cluster.settings }, env: this.#options.env };
    this.#cluster.setupPrimary(settings);
    if (env !== undefined) this.#options.env = { ...this.#options.env, ...env };
    this.emit("reload", { phase: "started" });
    const queue = [...this.#members.values()].filter((m) => m.phase !== "retiring").sort((a, b) =>
      a.slot - b.slot
    );
    try {
      while (queue.length > 0) {
        await Promise.all(
          queue.splice(0, this.#options.reloadConcurrency).map((m) => this.#replace(m, "reload")),
        );
      }
    } catch (error) {
      this.#cluster.setupPrimary(before.settings);
      this.#options.env = before.env;
      this.#slots.reloads["rolled-back"]++;
      this.emit("reload", { phase: "rolled-back", reason: (error as Error).message });
      throw error;
    }
    this.#slots.reloads.success++;
    this.emit("reload", { phase: "finished" });
  }

  /**
   * Shuts down gracefully: `/readyz` says not ready for `drainDelay`, then every worker closes its servers,
   * finishes its requests and exits; what remains after `shutdownTimeout` is killed. `clean` is false when a worker
   * had to be killed or exited with an error.
   */
  shutdown(): Promise<{ clean: boolean }> {
    return this.#shutdown ??= this.#drain();
  }

  async #drain(): Promise<{ clean: boolean }> {
    this.#draining = true;
    this.#slots.cancelRespawns();
    this.emit("shutdown", { phase: "draining" });
    if (this.#options.drainDelay > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.#options.drainDelay));
    }
    this.emit("shutdown", { phase: "stopping" });
    const members = [...this.#members.values()];
    const exits = await Promise.all(members.map((m) => m.retire(this.#options.shutdownTimeout)));
    await Promise.all(members.map((m) => m.output));
    const clean = exits.every(({ code, signal }) => code === 0 && signal === null);
    for (const stop of this.#stops.splice(0)) stop();
    await this.#health?.close();
    this.emit("shutdown", { phase: "finished", clean });
    return { clean };
  }

  /** Starts a worker in `slot`. */
  #fork(slot: number): Member {
    const worker = this.#cluster.fork({ ...this.#options.env, UNICLUSTER_SLOT: String(slot) });
    const member = new Member(worker, slot, this.#options.readyTimeout);
    this.#members.set(worker, member);
    member.output = followOutput(
      member,
      this.#options.output,
      process.stderr,
      (error) => this.emit("error", error instanceof Error ? error : new Error(String(error))),
    );
    if (this.#options.ready === "listening") worker.once("listening", () => member.markReady());
    member.ready.then(() => this.#ready(member), () => {});
    this.emit("spawn", { slot, id: worker.id });
    return member;
  }

  #ready(member: Member): void {
    this.#everReady = true;
    this.emit("ready", { slot: member.slot, id: member.worker.id, pid: member.worker.process.pid });
    const { maxLifetime, lifetimeJitter } = this.#options;
    if (maxLifetime !== undefined) {
      member.after(maxLifetime + Math.random() * lifetimeJitter, () => this.#unhealthy(member, "lifetime"));
    }
    const slots = new Set([...this.#members.values()].filter((m) => m.phase === "ready").map((m) => m.slot));
    if (slots.size >= this.#desired) this.#settle.resolve();
  }

  /** Starts a new worker in `old`'s slot and, once it is ready, retires `old`. Rejects if the new one fails. */
  async #replace(old: Member, reason: RestartReason): Promise<void> {
    const fresh = this.#fork(old.slot);
    await fresh.ready;
    this.#slots.restarts[reason]++;
    this.#slots.ended(old.slot, reason, await old.retire(this.#options.shutdownTimeout));
  }

  /**
   * A worker is unhealthy: one that hangs is terminated (and replaced when it has exited), one that is too big or
   * too old is replaced gracefully, the new one first.
   */
  #unhealthy(member: Member, reason: RestartReason): void {
    if (member.phase === "retiring" || this.#draining) return;
    this.emit("unhealthy", { slot: member.slot, id: member.worker.id, reason });
    if (reason === "unresponsive") return member.terminate(reason);
    if (member.phase !== "ready") return;
    this.#replace(member, reason).catch((error) => this.emit("error", error));
  }

  #exited(worker: Worker, code: number | null, signal: string | null): void {
    const member = this.#members.get(worker);
    if (member === undefined) return;
    this.#members.delete(worker);
    member.dispose();
    this.emit("exit", { slot: member.slot, id: worker.id, code, signal });
    if (member.phase === "retiring" || this.#draining) return;
    const reason: RestartReason = member.endReason ??
      (member.readyAt === undefined ? "failed-start" : "crash");
    this.#slots.ended(member.slot, reason, { code, signal });
    if (!this.#everReady && reason === "failed-start" && ++this.#startFailures >= this.#desired) {
      return this.#fail(
        `no worker could start: ${this.#describe(code, signal)}`,
        SUPERVISOR_EXIT.cannotStart,
        member,
      );
    }
    const taken = [...this.#members.values()].some((m) => m.slot === member.slot);
    if (!this.#options.respawn || this.#giveUp !== undefined || taken || member.slot > this.#desired) return;
    const delay = this.#policy.failed(Date.now() - member.forkedAt, Date.now());
    if (delay === undefined) {
      const error = `${this.#policy.recentFailures} failures within ${this.#options.crashLoopWindow} ms; ` +
        `the last worker ${this.#describe(code, signal)}`;
      this.emit("crashloop", { reason: error, stderr: member.tail.lines });
      const serving = [...this.#members.values()].some((m) => m.phase === "ready");
      this.#giveUp = new SupervisorError(
        `crash loop: ${error}`,
        SUPERVISOR_EXIT.crashLoop,
        member.tail.lines,
      );
      if (!serving) this.#fail(this.#giveUp.message, SUPERVISOR_EXIT.crashLoop, member);
      return;
    }
    this.#slots.restarts[reason]++;
    this.emit("respawn", { slot: member.slot, delay, reason });
    this.#slots.respawnLater(member.slot, delay, () => this.#draining || this.#fork(member.slot));
  }

  /** Gives up: rejects `started`, shuts down, and (when it owns the process) exits with `exitCode`. */
  #fail(message: string, exitCode: number, member: Member): void {
    const error = new SupervisorError(message, exitCode, member.tail.lines);
    this.#giveUp = error;
    this.emit("fatal", error);
    this.#settle.reject(error);
    this.shutdown().then(() => {
      if (this.#options.signals) process.exit(exitCode);
    });
  }

  #describe(code: number | null, signal: string | null): string {
    return signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
  }

  #handleSignals(): () => void {
    return handleSignals({
      shutdown: () => this.shutdown().then(({ clean }) => process.exit(clean ? 0 : 1)),
      now: () => {
        for (const member of this.#members.values()) member.worker.process.kill("SIGKILL");
        process.exit(130);
      },
      reload: () => this.reload().catch((error) => this.emit("error", error)),
      scale: (by) => this.scale(Math.max(0, this.#desired + by)).catch((error) => this.emit("error", error)),
    });
  }
}
