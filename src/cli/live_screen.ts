/**
 * The command line's live view on a terminal: a table kept at the bottom of the screen, with lines (events, the
 * workers' output) printed above it. To print, it erases the table (the cursor up over it, then clear to the end of
 * the screen), writes the lines and draws the table again, all in one write. It also redraws about once a second
 * (uptimes and memory change) when the table looks different. Its timer never keeps the process alive.
 *
 * @module
 */

/** The terminal, as far as the screen uses it: Node's `process.stdout` on a TTY. */
export interface Terminal {
  /** Writes text. */
  write(text: string): unknown;
  /** Its width in columns, when known. */
  columns?: number;
  /** Its height in rows, when known. */
  rows?: number;
}

/** The room the table has: the terminal's width, and its height less a row for the line being written. */
export interface ScreenSize {
  /** Columns (80 when the terminal does not say). */
  width: number;
  /** Rows the table may take; undefined when the terminal does not say. */
  height: number | undefined;
}

/** Cursor up `n` rows (CUU). */
const up = (n: number) => `\x1b[${n}A`;
/** Clear from the cursor to the end of the screen (ED 0). */
const CLEAR_DOWN = "\x1b[J";

/** A table at the bottom of a terminal, with lines printed above it. */
export class LiveScreen {
  #terminal: Terminal;
  #table: (size: ScreenSize) => string[];
  #interval: number;
  #drawn: string[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  /** Draws `table` (the lines for a size) on `terminal`, refreshing it every `interval` ms once started. */
  constructor(terminal: Terminal, table: (size: ScreenSize) => string[], interval = 1000) {
    this.#terminal = terminal;
    this.#table = table;
    this.#interval = interval;
  }

  /** Starts the timer that draws the table (the first line printed draws it sooner). */
  start(): void {
    if (this.#closed || this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.refresh(), this.#interval);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** Prints `lines` above the table (each becomes one line; the table follows). After `close()`, just the lines. */
  print(lines: readonly string[]): void {
    this.#write(lines, true);
  }

  /** Draws the table again if it changed. */
  refresh(): void {
    this.#write([], false);
  }

  /** Erases the table and stops the timer; later lines print as plain lines. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#closed = true;
    if (this.#drawn.length > 0) this.#terminal.write(this.#erase());
    this.#drawn = [];
  }

  /** Writes `lines` and the table in one go; without lines, only when the table changed or `always`. */
  #write(lines: readonly string[], always: boolean): void {
    const text = lines.map((line) => `${line}\n`).join("");
    if (this.#closed) {
      if (text !== "") this.#terminal.write(text);
      return;
    }
    const table = this.#table(this.#size());
    if (!always && text === "" && same(table, this.#drawn)) return;
    const erase = this.#drawn.length > 0 ? this.#erase() : "";
    this.#terminal.write(`${erase}${text}${table.map((line) => `${line}\n`).join("")}`);
    this.#drawn = table;
  }

  /**
   * Up over the table as the terminal shows it now: a terminal made narrower since the table was drawn wraps its
   * longer lines onto more rows (terminals reflow on resize), which erasing by the line count would leave behind.
   */
  #erase(): string {
    const { width } = this.#size();
    const rows = this.#drawn.reduce(
      (sum, line) => sum + Math.max(1, Math.ceil(visibleLength(line) / width)),
      0,
    );
    return `\r${up(rows)}${CLEAR_DOWN}`;
  }

  #size(): ScreenSize {
    const { columns, rows } = this.#terminal;
    return {
      width: typeof columns === "number" && columns > 0 ? columns : 80,
      height: typeof rows === "number" && rows > 1 ? rows - 1 : undefined,
    };
  }
}

/**
 * The columns a line takes: one per code point (the table is drawn in narrow characters), escape sequences (the
 * colours: ESC, `[`, parameters, a final letter) none.
 */
function visibleLength(line: string): number {
  let length = 0;
  let escape = false;
  for (const char of line) {
    if (escape) escape = char === "[" || char < "@" || char > "~";
    else if (char === "\x1b") escape = true;
    else length++;
  }
  return length;
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}
