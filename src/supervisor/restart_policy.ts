/**
 * When to start a worker again: exponential backoff after each failure (a crash, or a start that never became
 * ready), reset once a worker has run healthily for a while; and the crash loop, too many failures within a
 * window, after which the supervisor stops respawning.
 *
 * @module
 */

/** The policy's numbers (milliseconds, and a count). */
export interface RestartLimits {
  /** The first delay. */
  initialDelay: number;
  /** Each later delay is the previous one times this. */
  factor: number;
  /** The longest delay. */
  maxDelay: number;
  /** Uptime after which a worker counts as healthy, and the delay starts over. */
  resetAfter: number;
  /** Failures within `window` that make a crash loop. */
  crashLoopLimit: number;
  /** The window failures are counted in. */
  crashLoopWindow: number;
}

/** The restart decisions of one supervisor (failures are counted across all its workers). */
export class RestartPolicy {
  #limits: RestartLimits;
  #failures: number[] = [];
  #streak = 0;

  /** A policy with these limits. */
  constructor(limits: RestartLimits) {
    this.#limits = limits;
  }

  /**
   * A worker failed after running `uptime` milliseconds (at time `now`). Returns the delay before its replacement
   * starts, or `undefined` when this failure completes a crash loop.
   */
  failed(uptime: number, now: number): number | undefined {
    const { initialDelay, factor, maxDelay, resetAfter, crashLoopLimit, crashLoopWindow } = this.#limits;
    if (uptime >= resetAfter) this.#streak = 0;
    this.#failures = this.#failures.filter((at) => now - at < crashLoopWindow);
    this.#failures.push(now);
    if (this.#failures.length >= crashLoopLimit) return undefined;
    const delay = Math.min(maxDelay, initialDelay * factor ** this.#streak);
    this.#streak++;
    return delay;
  }

  /** Failures counted in the current window. */
  get recentFailures(): number {
    return this.#failures.length;
  }
}
