/**
 * The pool's slots: each place a worker holds, how often it was filled again and how its last worker ended, its
 * pending respawn, and the counts by reason; and the snapshot `supervisor.stats()` gives.
 *
 * @module
 */

import type { Member } from "./member.ts";
import type { ReloadResult, RestartReason, SupervisorStats } from "./stats.ts";

interface Slot {
  restarts: number;
  lastExit: { code: number | null; signal: string | null; reason: RestartReason } | undefined;
  respawn: ReturnType<typeof setTimeout> | undefined;
}

/** The slots of one supervisor. */
export class Slots {
  /** Workers replaced, by reason. */
  readonly restarts: Record<RestartReason, number> = {
    crash: 0,
    "failed-start": 0,
    unresponsive: 0,
    memory: 0,
    lifetime: 0,
    reload: 0,
  };
  /** Rolling reloads, by result. */
  readonly reloads: Record<ReloadResult, number> = { success: 0, "rolled-back": 0 };
  #slots = new Map<number, Slot>();

  /** Records how the worker of `slot` ended before another took its place. */
  ended(slot: number, reason: RestartReason, exit: { code: number | null; signal: string | null }): void {
    const state = this.#get(slot);
    state.restarts++;
    state.lastExit = { ...exit, reason };
  }

  /** Starts `start` for `slot` after `delay` ms (a respawn), unless cancelled. */
  respawnLater(slot: number, delay: number, start: () => void): void {
    const state = this.#get(slot);
    clearTimeout(state.respawn);
    state.respawn = setTimeout(() => {
      state.respawn = undefined;
      start();
    }, delay);
  }

  /** Cancels every pending respawn. */
  cancelRespawns(): void {
    for (const state of this.#slots.values()) clearTimeout(state.respawn);
  }

  /** The snapshot of the pool. */
  snapshot(members: Iterable<Member>, desired: number, draining: boolean, runtime: string): SupervisorStats {
    const now = Date.now();
    const workers = [...members].map((m) => {
      const slot = this.#get(m.slot);
      const beat = m.lastBeat ?? m.readyAt;
      return {
        id: m.worker.id,
        slot: m.slot,
        pid: m.worker.process.pid,
        runtime,
        phase: m.phase,
        uptime: now - m.forkedAt,
        restarts: slot.restarts,
        lastExit: slot.lastExit,
        rss: m.rss,
        eventLoopDelay: m.eventLoopDelay,
        heartbeatAge: beat === undefined ? undefined : now - beat,
      };
    });
    return {
      desired,
      ready: !draining && workers.some((w) => w.phase === "ready"),
      draining,
      workers,
      restarts: { ...this.restarts },
      reloads: { ...this.reloads },
    };
  }

  #get(slot: number): Slot {
    let state = this.#slots.get(slot);
    if (state === undefined) {
      this.#slots.set(slot, state = { restarts: 0, lastExit: undefined, respawn: undefined });
    }
    return state;
  }
}
