/**
 * Waiting for what a channel or a link reports, one item at a time, with a deadline: shared by the socket channel
 * and Deno adapter tests.
 *
 * @module
 */

/** How long a test waits for one thing. */
export const WAIT_MS = 20_000;

/** Messages (and errors, and the close) a channel reported, awaited one by one. */
export class Inbox {
  readonly items: unknown[] = [];
  readonly errors: Error[] = [];
  closed = false;
  #wake: (() => void) | undefined;

  push(item: unknown): void {
    this.items.push(item);
    this.#wake?.();
  }

  error(error: Error): void {
    this.errors.push(error);
    this.#wake?.();
  }

  close(): void {
    this.closed = true;
    this.#wake?.();
  }

  /** Waits until `ready()` holds, or fails after WAIT_MS naming `what`. */
  async until(what: string, ready: () => boolean): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!ready()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** Waits for the next message whose `op` is `op`, removing it and every message before it. */
  async next(op: string): Promise<Record<string, unknown>> {
    let found: Record<string, unknown> | undefined;
    await this.until(`a "${op}" message`, () => {
      const index = this.items.findIndex((m) => (m as { op?: unknown }).op === op);
      if (index < 0) return false;
      found = this.items.splice(0, index + 1)[index] as Record<string, unknown>;
      return true;
    });
    return found!;
  }
}

/** Resolves with `promise`, or fails after WAIT_MS naming `what`. */
export function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS);
    }),
  ]);
}

/** A callback that does nothing. */
export const noop = (): void => {};
