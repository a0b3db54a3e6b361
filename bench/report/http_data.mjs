// The HTTP samples of a run, read per runtime, configuration and mode: throughput statistics, ratios between two
// configurations, labels, CPU and listening sockets; and the comparisons the report checks (targets) or only shows.

import { median, stats } from "./stats.mjs";

/** The comparisons the issue sets as targets (ratio a/b >= min, same run, same mode). */
export const TARGETS = [
  { id: "native-vs-reuseport", runtime: "bun", a: "uc-native", b: "reuseport", min: 0.95 },
  { id: "native-vs-reuseport", runtime: "deno", a: "uc-native", b: "reuseport", min: 0.95 },
  { id: "native-vs-nodecluster", runtime: "bun", a: "uc-native", b: "nc-http", min: 2 },
  { id: "native-vs-nodecluster", runtime: "deno", a: "uc-native", b: "nc-http", min: 2 },
  { id: "http-vs-nodecluster", runtime: "node", a: "uc-http", b: "nc-http", min: 1 },
  { id: "http-vs-nodecluster", runtime: "bun", a: "uc-http", b: "nc-http", min: 1 },
  { id: "http-vs-nodecluster", runtime: "deno", a: "uc-http", b: "nc-http", min: 1 },
];

/** Further ratios shown for context (no target). */
export const CONTEXT = [
  { runtime: "node", a: "uc-http-reuseport", b: "nc-http" },
  { runtime: "bun", a: "uc-http-reuseport", b: "nc-http" },
  { runtime: "node", a: "uc-http", b: "single" },
  { runtime: "bun", a: "uc-native", b: "single" },
  { runtime: "deno", a: "uc-native", b: "deno-serve" },
  { runtime: "deno", a: "uc-native", b: "single" },
];

export function httpSamples(data, runtime, config, mode) {
  return data.http.filter((s) => s.runtime === runtime && s.config === config && s.mode === mode && !s.error);
}

export function httpStats(data, runtime, config, mode) {
  return stats(httpSamples(data, runtime, config, mode).map((s) => s.rps));
}

/** Ratio of medians, and the range of the per-repetition ratios (a and b of the same repetition). */
export function compare(data, runtime, a, b, mode) {
  const sa = httpStats(data, runtime, a, mode);
  const sb = httpStats(data, runtime, b, mode);
  const pairs = [];
  for (const x of httpSamples(data, runtime, a, mode)) {
    const y = httpSamples(data, runtime, b, mode).find((s) => s.rep === x.rep);
    if (y) pairs.push(x.rps / y.rps);
  }
  return { ratio: sa.median / sb.median, pairs: stats(pairs), a: sa, b: sb };
}

/** A configuration's label, with the sharing mode its workers reported in `listening` when it has one. */
export function labelOf(data, runtime, config) {
  const label = data.labels?.[runtime]?.[config] ?? `${config}`;
  const line = data.http.find((s) =>
    s.runtime === runtime && s.config === config && s.readyLine?.includes("mode=")
  )
    ?.readyLine;
  if (!line || /\((rr|reuseport|none)\)$/.test(label)) return label;
  return `${label} (${[...new Set(line.replace(/^.*mode=/, "").split(","))].join("/")})`;
}

export function configsOf(data, runtime) {
  const seen = [];
  for (const s of data.http) if (s.runtime === runtime && !seen.includes(s.config)) seen.push(s.config);
  return seen;
}
export function cpuOf(data, runtime, config, mode, side) {
  return median(httpSamples(data, runtime, config, mode).map((s) => s.cpu?.[side]));
}

/** CPU time of all server processes per completed response, in µs (median over runs). */
function cpuPerRequestValue(data, runtime, config, mode) {
  return median(
    httpSamples(data, runtime, config, mode).map((s) =>
      s.cpu ? ((s.cpu.primary + s.cpu.workers) / 100) * s.seconds * 1e6 / s.requests : NaN
    ),
  );
}

export function cpuPerRequest(data, runtime, config, mode) {
  const v = cpuPerRequestValue(data, runtime, config, mode);
  return Number.isFinite(v) ? v.toFixed(0) : "n/a";
}

/** Who holds listening sockets on the port (median over runs): "primary N, workers M". */
export function listenersOf(data, runtime, config) {
  const runs = data.http.filter((s) => s.runtime === runtime && s.config === config && s.listeners);
  if (runs.length === 0) return undefined;
  return {
    primary: median(runs.map((s) => s.listeners.primary)),
    workers: median(runs.map((s) => s.listeners.workers)),
  };
}

export function listenersText(data, runtime, config) {
  const l = listenersOf(data, runtime, config);
  return l ? `primary ${l.primary}, workers ${l.workers}` : "not recorded";
}
