/**
 * The last lines a worker wrote to stderr, kept while they are passed on to the primary's own stderr: what a crash
 * loop reports as its reason.
 *
 * @module
 */

/** A readable stream, as far as the tail reads it. */
interface Readable {
  on(event: "data", listener: (chunk: unknown) => void): unknown;
}

/** A writable stream, as far as the tail writes to it. */
interface Writable {
  write(chunk: unknown): unknown;
}

/** Follows a stream, passes it on, and keeps its last `limit` lines. */
export class StderrTail {
  #lines: string[] = [];
  #partial = "";
  #limit: number;

  /** Keeps `limit` lines. */
  constructor(limit = 20) {
    this.#limit = limit;
  }

  /** Follows `stream`, writing everything to `to`. */
  follow(stream: Readable | null | undefined, to: Writable): void {
    stream?.on("data", (chunk) => {
      to.write(chunk);
      this.#add(String(chunk));
    });
  }

  /** The last lines, oldest first. */
  get lines(): string[] {
    return this.#partial === "" ? [...this.#lines] : [...this.#lines, this.#partial];
  }

  #add(text: string): void {
    const parts = (this.#partial + text).split("\n");
    this.#partial = parts.pop() ?? "";
    this.#lines.push(...parts);
    if (this.#lines.length > this.#limit) this.#lines.splice(0, this.#lines.length - this.#limit);
  }
}
