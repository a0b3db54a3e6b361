/**
 * Letting go of a connection that was accepted but not taken: the runtime's socket (`destroy()`), or, on Node,
 * the raw handle the primary's listener accepted (`close()`), which is what Node's own round-robin hands over.
 *
 * @module
 */

/** Closes an accepted connection, whichever form it has. */
export function dropConnection(connection: unknown): void {
  const held = connection as { destroy?: () => void; close?: () => void } | null | undefined;
  if (typeof held?.destroy === "function") held.destroy();
  else held?.close?.();
}
