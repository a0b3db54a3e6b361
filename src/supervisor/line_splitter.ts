/**
 * A stream's chunks as complete lines: bytes are decoded as UTF-8 (a character split across two chunks is joined),
 * and the text after the last newline waits for the next chunk, or for `flush()` once the stream has ended.
 *
 * @module
 */

/** Splits one stream's chunks into lines. */
export class LineSplitter {
  #decoder = new TextDecoder();
  #partial = "";

  /** The text after the last newline so far: an unfinished line. */
  get partial(): string {
    return this.#partial;
  }

  /** Takes a chunk (bytes or text); returns the lines it completes, without their newlines. */
  push(chunk: unknown): string[] {
    const text = chunk instanceof Uint8Array ? this.#decoder.decode(chunk, { stream: true }) : String(chunk);
    const lines = (this.#partial + text).split("\n");
    this.#partial = lines.pop() ?? "";
    return lines;
  }

  /** The unfinished line, if any (the stream has ended): returned once, then forgotten. */
  flush(): string[] {
    const rest = this.#partial + this.#decoder.decode();
    this.#partial = "";
    return rest === "" ? [] : [rest];
  }
}
