/**
 * Random names and tokens, and their constant-time comparison, from Web Crypto (a global on every runtime):
 * importing `node:crypto` would cost every worker 10-13 ms of start-up on Node (measured on Node 24), though
 * only a primary makes tokens.
 *
 * @module
 */

/** `bytes` random bytes from the runtime's cryptographic generator, as hex. */
export function randomHex(bytes: number): string {
  const values = crypto.getRandomValues(new Uint8Array(bytes));
  let hex = "";
  for (const value of values) hex += value.toString(16).padStart(2, "0");
  return hex;
}

/** Whether two byte strings are equal, taking the same time whichever bytes differ (lengths are not secret). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i] ^ b[i];
  return difference === 0;
}
