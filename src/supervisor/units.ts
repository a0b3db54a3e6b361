/**
 * Durations and sizes as people write them: `500ms`, `10s`, `2m`, `1h` (a bare number is milliseconds), and
 * `512K`, `512M`, `1G` (powers of 1024; a bare number is bytes).
 *
 * @module
 */

import { invalidArgValue } from "../errors.ts";

/** A duration: milliseconds, or a string such as `"500ms"`, `"10s"`, `"2m"`. */
export type Duration = number | string;

/** A size: bytes, or a string such as `"512M"`, `"1G"`. */
export type Size = number | string;

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Milliseconds in a duration; throws `ERR_INVALID_ARG_VALUE` naming `name` for anything else. */
export function parseDuration(value: unknown, name: string): number {
  if (typeof value === "number" && Number.isFinite(value) && value >= 0) return value;
  const match = typeof value === "string" ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(value) : null;
  if (match === null) throw invalidArgValue(name, value, "must be a duration such as 500ms, 10s or 2m");
  return Number(match[1]) * DURATION_UNITS[(match[2] ?? "ms").toLowerCase()];
}

/** Bytes in a size; throws `ERR_INVALID_ARG_VALUE` naming `name` for anything else. */
export function parseSize(value: unknown, name: string): number {
  if (typeof value === "number" && Number.isFinite(value) && value >= 0) return value;
  const match = typeof value === "string" ? /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?\s*$/i.exec(value) : null;
  if (match === null) throw invalidArgValue(name, value, "must be a size such as 512M or 1G");
  return Math.round(Number(match[1]) * SIZE_UNITS[match[2].toLowerCase()]);
}
