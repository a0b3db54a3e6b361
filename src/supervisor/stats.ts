/**
 * What a supervisor reports about itself and its workers (`supervisor.stats()`), and the words it uses.
 *
 * @module
 */

/** Why a worker was replaced. */
export type RestartReason = "crash" | "failed-start" | "unresponsive" | "memory" | "lifetime" | "reload";

/** How a rolling reload ended. */
export type ReloadResult = "success" | "rolled-back";

/** Where a worker is in its life, as the supervisor sees it. */
export type WorkerPhase = "starting" | "ready" | "retiring";

/** One worker. */
export interface WorkerInfo {
  /** The cluster's worker id. */
  id: number;
  /** The place it holds in the pool (1 to the number of workers); a replacement takes the same slot. */
  slot: number;
  /** Process id. */
  pid: number | undefined;
  /** The runtime it runs on. */
  runtime: string;
  /** Its phase. */
  phase: WorkerPhase;
  /** Milliseconds since it was forked. */
  uptime: number;
  /** How many times its slot has been filled again. */
  restarts: number;
  /** How the slot's previous worker ended. */
  lastExit: { code: number | null; signal: string | null; reason: RestartReason } | undefined;
  /** Resident memory in bytes, from its last heartbeat. */
  rss: number | undefined;
  /** Event-loop delay in milliseconds, from its last heartbeat. */
  eventLoopDelay: number | undefined;
  /** Milliseconds since its last heartbeat (or since it came online, before the first). */
  heartbeatAge: number | undefined;
}

/** The whole pool. */
export interface SupervisorStats {
  /** How many workers the pool should have. */
  desired: number;
  /** Whether at least one worker is ready and the pool is not draining (what `/readyz` answers). */
  ready: boolean;
  /** Whether a shutdown is under way. */
  draining: boolean;
  /** Every live worker. */
  workers: WorkerInfo[];
  /** Workers replaced so far, by reason. */
  restarts: Record<RestartReason, number>;
  /** Rolling reloads so far, by result. */
  reloads: Record<ReloadResult, number>;
}
