/**
 * The last lines a worker wrote to stderr: what a crash loop reports as its reason.
 *
 * @module
 */

import { LineSplitter } from "./line_splitter.ts";

/** Keeps the last `limit` lines of a stream. */
export class StderrTail {
  #lines: string[] = [];
  #splitter = new LineSplitter();
  #limit: number;

  /** Keeps `limit` lines. */
  constructor(limit = 20) {
    this.#limit = limit;
  }

  /** Takes a chunk of the stream (bytes or text). */
  write(chunk: unknown): void {
    this.#lines.push(...this.#splitter.push(chunk));
    if (this.#lines.length > this.#limit) this.#lines.splice(0, this.#lines.length - this.#limit);
  }

  /** The last lines, oldest first, an unfinished last one included. */
  get lines(): string[] {
    const partial = this.#splitter.partial;
    return partial === "" ? [...this.#lines] : [...this.#lines, partial];
  }
}
