/**
 * The workers' stdout and stderr on their way out. By default a worker's stdout is inherited (it writes to this
 * process's stdout itself) and its stderr is piped, copied to this process's stderr, and its last lines kept for a
 * crash loop's report. With the `output` option the caller gets the streams it asks for line by line instead, and
 * stdout is then piped too.
 *
 * @module
 */

import type { ClusterSettings } from "../settings.ts";
import { LineSplitter } from "./line_splitter.ts";
import type { Member } from "./member.ts";
import type { OutputLine, OutputSource, WorkerOutput } from "./options.ts";

/** How long a worker's streams may stay open after it exited before an unfinished last line is passed on. */
const END_GRACE_MS = 1000;

/** A readable stream, as far as it is read here. */
interface Readable {
  on(event: string, listener: (chunk: unknown) => void): unknown;
}

/** A writable stream, as far as it is written to here. */
interface Writable {
  write(chunk: unknown): unknown;
}

/** The workers' stdio for `output`; none when the settings choose it themselves (`stdio` or `silent`). */
export function workerStdio(settings: ClusterSettings, output: WorkerOutput): ClusterSettings {
  if (settings.stdio !== undefined || settings.silent !== undefined) return {};
  return { stdio: ["inherit", output.stdout === undefined ? "inherit" : "pipe", "pipe"] };
}

/**
 * Follows `member`'s piped streams: stderr into its tail and to `output.stderr` (else to `stderr`), stdout to
 * `output.stdout` when given. Settles once both streams have ended, or a second after the worker exited, whichever
 * comes first; an unfinished last line is passed on then. A callback that throws has its error passed to `report`,
 * and the lines after it still come.
 */
export function followOutput(
  member: Member,
  output: WorkerOutput,
  stderr: Writable,
  report: (error: unknown) => void,
): Promise<void> {
  const { worker, slot } = member;
  const streams = worker.process as { stdout?: Readable | null; stderr?: Readable | null };
  const source: OutputSource = { id: worker.id, slot, pid: worker.process.pid };
  const out = output.stdout === undefined ? undefined : new Lines(output.stdout, source, report);
  const err = output.stderr === undefined ? undefined : new Lines(output.stderr, source, report);
  const ends = [
    out === undefined ? undefined : follow(streams.stdout, (chunk) => out.push(chunk)),
    follow(streams.stderr, (chunk) => {
      member.tail.write(chunk);
      if (err === undefined) stderr.write(chunk);
      else err.push(chunk);
    }),
  ];
  let done = false;
  let grace: ReturnType<typeof setTimeout> | undefined;
  const late = member.exited.then(() =>
    new Promise<void>((resolve) => done ? resolve() : grace = setTimeout(resolve, END_GRACE_MS))
  );
  return Promise.race([Promise.all(ends), late]).then(() => {
    done = true;
    clearTimeout(grace);
    out?.flush();
    err?.flush();
  });
}

/** Resolves once `stream` has ended (or closed, or failed); at once when there is none. */
function follow(stream: Readable | null | undefined, data: (chunk: unknown) => void): Promise<void> {
  if (stream === null || stream === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    stream.on("data", data);
    for (const event of ["end", "close", "error"]) stream.on(event, () => resolve());
  });
}

/** One stream's lines, passed on to the caller. */
class Lines {
  #splitter = new LineSplitter();
  #to: OutputLine;
  #source: OutputSource;
  #report: (error: unknown) => void;

  constructor(to: OutputLine, source: OutputSource, report: (error: unknown) => void) {
    this.#to = to;
    this.#source = source;
    this.#report = report;
  }

  push(chunk: unknown): void {
    this.#pass(this.#splitter.push(chunk));
  }

  flush(): void {
    this.#pass(this.#splitter.flush());
  }

  #pass(lines: string[]): void {
    for (const line of lines) {
      try {
        this.#to(line, this.#source);
      } catch (error) {
        this.#report(error);
      }
    }
  }
}
