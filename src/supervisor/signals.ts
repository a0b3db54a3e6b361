/**
 * The signals a supervisor answers, as Gunicorn, Puma and Unicorn do: SIGTERM and SIGINT shut down gracefully (a
 * second SIGINT ends at once), SIGHUP reloads, SIGTTIN and SIGTTOU add or remove a worker.
 *
 * @module
 */

import { process } from "./host_builtins.ts";

/** What each signal does. */
export interface SignalActions {
  /** SIGTERM, SIGINT. */
  shutdown(signal: string): void;
  /** A second SIGINT while shutting down. */
  now(): void;
  /** SIGHUP. */
  reload(): void;
  /** SIGTTIN (+1) and SIGTTOU (-1). */
  scale(by: number): void;
}

/** Listens for the signals; returns the function that stops listening. */
export function handleSignals(actions: SignalActions): () => void {
  let stopping = false;
  const handlers: [string, () => void][] = [
    ["SIGTERM", () => {
      stopping = true;
      actions.shutdown("SIGTERM");
    }],
    ["SIGINT", () => {
      if (stopping) return actions.now();
      stopping = true;
      actions.shutdown("SIGINT");
    }],
    ["SIGHUP", () => actions.reload()],
    ["SIGTTIN", () => actions.scale(1)],
    ["SIGTTOU", () => actions.scale(-1)],
  ];
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}
