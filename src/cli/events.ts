/**
 * The command line's account of what the supervisor does: one plain-English line per event (worker started,
 * ready, replaced, exited; reload; scaling; shutdown), or, with `--json`, one JSON object per line. It remembers
 * which worker holds each slot, so that a new worker in a slot reads as a replacement.
 *
 * @module
 */

/** What an event carries: the supervisor's payload, with the worker's pid added where the caller knows it. */
export type EventInfo = Record<string, unknown>;

/** How events are printed. */
export type EventFormat = "text" | "json";

/** Turns supervisor events into lines. */
export class EventLog {
  readonly #format: EventFormat;
  readonly #now: () => Date;
  /** The last worker that was ready in each slot. */
  readonly #holders = new Map<number, { id: number; pid: unknown }>();
  /** The addresses already announced. */
  readonly #addresses = new Set<string>();

  /** Prints in `format`; `now` stamps the JSON lines. */
  constructor(format: EventFormat, now: () => Date = () => new Date()) {
    this.#format = format;
    this.#now = now;
  }

  /** The line for `event`, without its newline; undefined when it adds nothing (an address told already). */
  line(event: string, info: EventInfo = {}): string | undefined {
    if (event === "listening") {
      const key = `${info.address}:${info.port}`;
      if (this.#addresses.has(key)) return undefined;
      this.#addresses.add(key);
    }
    const replaced = this.#track(event, info);
    if (this.#format === "json") {
      const extra = replaced === undefined ? {} : { replaces: replaced };
      return JSON.stringify({ time: this.#now().toISOString(), event, ...info, ...extra });
    }
    return describe(event, info, replaced);
  }

  /** Follows the slots; returns the worker a newly ready one replaces. */
  #track(event: string, info: EventInfo): { id: number; pid: unknown } | undefined {
    if (event !== "ready" || typeof info.slot !== "number") return undefined;
    const before = this.#holders.get(info.slot);
    this.#holders.set(info.slot, { id: Number(info.id), pid: info.pid });
    return before !== undefined && before.id !== info.id ? before : undefined;
  }
}

function worker(info: EventInfo): string {
  return info.pid === undefined ? `worker ${info.id}` : `worker ${info.id} (pid ${info.pid})`;
}

function ending(code: unknown, signal: unknown): string {
  return typeof signal === "string" ? `was killed by ${signal}` : `exited with code ${code}`;
}

const UNHEALTHY: Record<string, string> = {
  unresponsive: "stopped answering heartbeats",
  memory: "is over the memory limit",
  lifetime: "reached its maximum lifetime",
};

const RESPAWN: Record<string, string> = {
  crash: "a crash",
  "failed-start": "a failed start",
  unresponsive: "a hang",
};

const MODES: Record<string, string> = {
  rr: "round-robin",
  none: "one shared handle",
  reuseport: "SO_REUSEPORT",
  dgram: "datagrams",
};

/** The plain-English line of one event. */
function describe(
  event: string,
  info: EventInfo,
  replaced: { id: number; pid: unknown } | undefined,
): string {
  switch (event) {
    case "spawn":
      return `${worker(info)} starting in slot ${info.slot}`;
    case "ready":
      return replaced === undefined
        ? `${worker(info)} ready in slot ${info.slot}`
        : `${worker(info)} ready in slot ${info.slot}, replacing ${worker(replaced)}`;
    case "exit":
      return `${worker(info)} ${ending(info.code, info.signal)}`;
    case "respawn":
      return `slot ${info.slot}: starting a new worker in ${info.delay} ms after ${
        RESPAWN[String(info.reason)] ?? info.reason
      }`;
    case "unhealthy":
      return `${worker(info)} ${
        UNHEALTHY[String(info.reason)] ?? `is unhealthy (${info.reason})`
      }; replacing it`;
    case "crashloop":
      return `crash loop: ${info.reason}; not restarting any more`;
    case "reload":
      return info.phase === "started"
        ? "reloading: replacing every worker, a new one first"
        : info.phase === "finished"
        ? "reload finished"
        : `reload rolled back, the old workers keep serving: ${info.reason}`;
    case "scale":
      return `scaling from ${info.from} to ${info.to} workers`;
    case "shutdown":
      return info.phase === "draining"
        ? "shutting down: draining"
        : info.phase === "stopping"
        ? "shutting down: stopping the workers"
        : info.clean
        ? "shutdown finished"
        : "shutdown finished; a worker had to be killed or exited with an error";
    case "listening":
      return `serving on ${info.address}:${info.port} (${MODES[String(info.mode)] ?? info.mode})`;
    case "started":
      return info.health === undefined
        ? `all ${info.workers} workers ready`
        : `all ${info.workers} workers ready; /healthz, /readyz and /metrics on ${info.health}`;
    case "fatal":
      return `giving up (exit code ${info.exitCode}): ${info.reason}`;
    case "error":
      return `error: ${info.reason}`;
    default:
      return `${event} ${JSON.stringify(info)}`;
  }
}
