/**
 * How the supervisor tells that a worker is unwell, from its heartbeats: silent for longer than the heartbeat
 * timeout (a blocked event loop), or over the memory limit in several heartbeats in a row.
 *
 * @module
 */

import type { Member } from "./member.ts";
import type { ResolvedOptions } from "./options.ts";
import type { RestartReason } from "./stats.ts";

/** Reads heartbeats and reports unwell workers to `unhealthy`. */
export class HealthWatch {
  #options: ResolvedOptions;
  #unhealthy: (member: Member, reason: RestartReason) => void;

  /** Watches with these options. */
  constructor(options: ResolvedOptions, unhealthy: (member: Member, reason: RestartReason) => void) {
    this.#options = options;
    this.#unhealthy = unhealthy;
  }

  /** A heartbeat came from `member`. */
  beat(member: Member, stats: unknown): void {
    const { rss, eventLoopDelay } = stats as { rss?: number; eventLoopDelay?: number };
    member.lastBeat = Date.now();
    member.rss = rss;
    member.eventLoopDelay = eventLoopDelay;
    const { maxMemory, memorySamples } = this.#options;
    if (maxMemory === undefined || rss === undefined) return;
    member.overMemory = rss > maxMemory ? member.overMemory + 1 : 0;
    if (member.overMemory === memorySamples) this.#unhealthy(member, "memory");
  }

  /** Reports the workers whose heartbeat stopped (from the first heartbeat, or readiness, on). */
  watch(members: Iterable<Member>): void {
    const { heartbeatTimeout } = this.#options;
    if (heartbeatTimeout === 0) return;
    const now = Date.now();
    for (const member of members) {
      const since = member.lastBeat ?? member.readyAt;
      if (since === undefined || now - since <= heartbeatTimeout || member.endReason !== undefined) continue;
      this.#unhealthy(member, "unresponsive");
    }
  }
}
