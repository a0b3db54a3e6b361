/**
 * The supervisor's stats in the Prometheus text format (version 0.0.4), with Prometheus' naming conventions: a
 * `unicluster_` prefix, base units (bytes, seconds), `_total` counters.
 *
 * @module
 */

import type { SupervisorStats, WorkerPhase } from "./stats.ts";

const PHASES: WorkerPhase[] = ["starting", "ready", "retiring"];

/** The content type of the text format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

function escape(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labels(pairs: Record<string, string | number>): string {
  const text = Object.entries(pairs).map(([name, value]) => `${name}="${escape(String(value))}"`).join(",");
  return text === "" ? "" : `{${text}}`;
}

/** Renders the stats as Prometheus metrics. */
export function renderMetrics(stats: SupervisorStats): string {
  const out: string[] = [];
  const metric = (
    name: string,
    type: "gauge" | "counter",
    help: string,
    rows: [Record<string, string | number>, number][],
  ) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [pairs, value] of rows) {
      out.push(`${name}${labels(pairs)} ${Number.isFinite(value) ? value : 0}`);
    }
  };
  metric(
    "unicluster_workers",
    "gauge",
    "Workers by phase.",
    PHASES.map((phase) => [
      { phase },
      stats.workers.filter((w) => w.phase === phase).length,
    ]),
  );
  metric("unicluster_desired_workers", "gauge", "How many workers the pool should have.", [[
    {},
    stats.desired,
  ]]);
  metric("unicluster_ready", "gauge", "1 when at least one worker is ready and the pool is not draining.", [[
    {},
    stats.ready ? 1 : 0,
  ]]);
  metric(
    "unicluster_worker_restarts_total",
    "counter",
    "Workers replaced, by reason.",
    Object.entries(stats.restarts).map(([reason, count]) => [{ reason }, count]),
  );
  metric(
    "unicluster_reloads_total",
    "counter",
    "Rolling reloads, by result.",
    Object.entries(stats.reloads).map(([result, count]) => [{ result }, count]),
  );
  const perWorker = (field: (w: SupervisorStats["workers"][number]) => number | undefined) =>
    stats.workers.flatMap((w): [Record<string, string | number>, number][] => {
      const value = field(w);
      return value === undefined ? [] : [[{ slot: w.slot, worker: w.id }, value]];
    });
  metric(
    "unicluster_worker_resident_memory_bytes",
    "gauge",
    "Resident memory of each worker.",
    perWorker((w) => w.rss),
  );
  metric(
    "unicluster_worker_event_loop_delay_seconds",
    "gauge",
    "Event-loop delay of each worker at its last heartbeat.",
    perWorker((w) => w.eventLoopDelay === undefined ? undefined : w.eventLoopDelay / 1000),
  );
  metric(
    "unicluster_worker_heartbeat_age_seconds",
    "gauge",
    "Time since each worker's last heartbeat.",
    perWorker((w) => w.heartbeatAge === undefined ? undefined : w.heartbeatAge / 1000),
  );
  metric(
    "unicluster_worker_uptime_seconds",
    "gauge",
    "Time since each worker was started.",
    perWorker((w) => w.uptime / 1000),
  );
  return out.join("\n") + "\n";
}
