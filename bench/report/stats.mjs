// Statistics and number formats for bench/RESULTS.md, and the names it gives the runtimes and the HTTP modes.

function sorted(values) {
  return values.filter((v) => typeof v === "number" && Number.isFinite(v)).sort((a, b) => a - b);
}

export function median(values) {
  const s = sorted(values);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function stats(values) {
  const s = sorted(values);
  return { median: median(s), min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN, n: s.length };
}

export const k = (x) =>
  !Number.isFinite(x)
    ? "n/a"
    : x < 1000
    ? `${Math.round(x)}`
    : `${(x / 1000).toFixed(x >= 100_000 ? 0 : 1)}k`;
export const ms = (x) => Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : "n/a";
export const ratio = (x) => Number.isFinite(x) ? `${x.toFixed(2)}x` : "n/a";
/** A ratio next to its target: three decimals when two would round a miss up to the target. */
export const ratioVs = (x, min) =>
  Number.isFinite(x) && x < min && Number(x.toFixed(2)) >= min ? `${x.toFixed(3)}x` : ratio(x);
export const pct = (x) => Number.isFinite(x) ? `${x.toFixed(0)}%` : "n/a";
export const range = (st, fmt) =>
  st.n === 0 ? "n/a" : st.n === 1 ? fmt(st.median) : `${fmt(st.median)} (${fmt(st.min)}-${fmt(st.max)})`;

export const RUNTIME_NAMES = { node: "Node", bun: "Bun", deno: "Deno" };
export const MODES = { keepalive: "keep-alive", close: "new connection per request" };
