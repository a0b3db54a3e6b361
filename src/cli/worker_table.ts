/**
 * The command line's table of workers, as a terminal shows it (like `pm2 ls`): one row per worker with its id,
 * pid, runtime, state, uptime, restarts and memory, under a header. Pure: it turns the supervisor's worker list
 * into lines that fit a given width and height, with colours only when asked.
 *
 * @module
 */

/** What the table shows of a worker (the supervisor's `WorkerInfo` has all of it). */
export interface TableWorker {
  /** The cluster's worker id. */
  id: number;
  /** Its slot: rows are sorted by slot, then id. */
  slot: number;
  /** Process id, once it has one. */
  pid: number | undefined;
  /** The runtime it runs on. */
  runtime: string;
  /** Its phase: `starting`, `ready` or `retiring`. */
  phase: string;
  /** Milliseconds since it was forked. */
  uptime: number;
  /** How many times its slot has been filled again. */
  restarts: number;
  /** Resident memory in bytes from its last heartbeat; undefined before the first. */
  rss: number | undefined;
}

/** The room the table has, and how it looks. */
export interface TableOptions {
  /** Columns of the terminal; every line is cut to one less (no line wraps). Default: no limit. */
  width?: number;
  /**
   * Rows the table may take at most (2 or more), header included; the workers that do not fit are counted on a
   * last line. Default: no limit.
   */
  height?: number;
  /** Colour the header and the states with ANSI codes. Default: false. */
  color?: boolean;
}

const HEADER = ["id", "pid", "runtime", "state", "uptime", "restarts", "memory"];

/** The column of the state, the one coloured by its value. */
const STATE_COLUMN = 3;

const RESET = "\x1b[0m";
const DIM = "\x1b[2m";
const STATE_COLORS: Record<string, string> = {
  ready: "\x1b[32m",
  starting: "\x1b[33m",
  retiring: "\x1b[35m",
};

/** An uptime in its largest whole unit: `12s`, `3m`, `2h`, `5d`. */
export function formatUptime(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

/** A size in bytes with one decimal, in KiB, MiB or GiB (`41.2 MiB`); `-` when unknown. */
export function formatMemory(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return "-";
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** The table's lines (without newlines): a header, then a row per worker, sorted by slot and id. */
export function renderTable(workers: readonly TableWorker[], options: TableOptions = {}): string[] {
  const sorted = [...workers].sort((a, b) => a.slot - b.slot || a.id - b.id);
  const rows = sorted.map((w) => [
    String(w.id),
    w.pid === undefined ? "-" : String(w.pid),
    w.runtime,
    w.phase,
    formatUptime(w.uptime),
    String(w.restarts),
    formatMemory(w.rss),
  ]);
  const widths = HEADER.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length))
  );
  const color = options.color ?? false;
  const limit = options.width === undefined ? Infinity : Math.max(0, options.width - 1);
  const title = fit(HEADER, widths, limit, () => undefined);
  const header = color && title !== "" ? `${DIM}${title}${RESET}` : title;
  const body = rows.length === 0
    ? [cut("no workers", limit)]
    : rows.map((row) => fit(row, widths, limit, (cell, column) => stateColor(cell, column, color)));
  const room = options.height === undefined || options.height <= 0 ? Infinity : options.height;
  if (1 + body.length <= room) return [header, ...body];
  const kept = Math.max(0, room - 2);
  const more = body.length - kept;
  return [header, ...body.slice(0, kept), cut(`... and ${more} more worker${more === 1 ? "" : "s"}`, limit)];
}

/** The colour of a cell of a worker's row: its state's, when colours are on. */
function stateColor(cell: string, column: number, color: boolean): string | undefined {
  return color && column === STATE_COLUMN ? STATE_COLORS[cell] : undefined;
}

/** One line of cells padded to `widths`, two spaces apart, cut to `limit` columns; colours never cut. */
function fit(
  cells: string[],
  widths: number[],
  limit: number,
  colorOf: (cell: string, column: number) => string | undefined,
): string {
  let line = "";
  let used = 0;
  for (const [column, cell] of cells.entries()) {
    const last = column === cells.length - 1;
    const gap = last ? "" : " ".repeat(widths[column] - cell.length + 2);
    const room = limit - used;
    if (room <= 0) break;
    const text = cell.slice(0, room);
    const code = colorOf(cell, column);
    line += code === undefined || text.length < cell.length ? text : `${code}${text}${RESET}`;
    used += text.length;
    const space = gap.slice(0, Math.max(0, limit - used));
    line += space;
    used += space.length;
  }
  return line.trimEnd();
}

/** `text` cut to `limit` columns. */
function cut(text: string, limit: number): string {
  return text.slice(0, limit);
}
