// Section 7 of RESULTS.md: what each added worker costs, unicluster (from its sources and from the npm build)
// against the runtime's own node:cluster. Per runtime a table of every worker count and figure
// (medians over the runs, the ratio of each unicluster to node:cluster), the busiest worker's share of new
// connections at 8 workers, and the cost per added worker (least-squares slopes). The figures and the fit are
// shared with the chart (scaling_svg.mjs). Results from before the npm build was measured have "uc" and "nc" only.

import { median, ms, ratio, RUNTIME_NAMES } from "./stats.mjs";

const mib = (x) => Number.isFinite(x) ? x.toFixed(1) : "n/a";

/**
 * The figures of a scaling run: `value(sample)` reads one from a sample, `phase` names the error that stands for
 * it when it is missing (the phases of bench/scaling/_scale.mjs), `unit` is its unit.
 */
export const FIGURES = [
  {
    id: "listening",
    name: "first fork() to all listening (ms)",
    unit: "ms",
    fmt: ms,
    phase: "listening",
    value: (s) => s.listeningMs,
  },
  {
    id: "cpu",
    name: "primary CPU over start-up (ms)",
    unit: "ms",
    fmt: ms,
    phase: "listening",
    value: (s) => s.primaryCpuMs,
  },
  {
    id: "rss",
    name: "primary RSS (MiB)",
    unit: "MiB",
    fmt: mib,
    phase: "listening",
    value: (s) => s.primaryRssKiB / 1024,
  },
  {
    id: "workerRss",
    name: "RSS per worker, mean (MiB)",
    unit: "MiB",
    fmt: mib,
    phase: "workers",
    value: (s) => s.workerRssKiB / 1024,
  },
  {
    id: "workerCpu",
    name: "CPU per worker to listening, mean (ms)",
    unit: "ms",
    fmt: ms,
    phase: "workers",
    value: (s) => s.workerCpuMs,
  },
  {
    id: "broadcast",
    name: "broadcast round trip to all (ms)",
    unit: "ms",
    fmt: ms,
    phase: "broadcast",
    value: (s) => median(s.broadcastMs ?? []),
  },
];

/**
 * The implementations, in table order: unicluster from its sources, from the npm build, node:cluster, and the
 * control (node:cluster whose workers load unicluster's code; bench/parts/scaling.mjs).
 */
export const IMPLEMENTATIONS = ["uc", "uc-npm", "nc", "nc-load"];

/** The short names of unicluster's two forms, for the ratio columns. */
const FORMS = { uc: "sources", "uc-npm": "npm build" };

/** The implementations measured on a runtime, in table order. */
export function implementationsOf(data, runtime) {
  return IMPLEMENTATIONS.filter((c) => samplesOf(data, runtime, c).length > 0);
}

/** The scaling samples of one runtime and implementation (`config`), optionally at one worker count. */
export function samplesOf(data, runtime, config, workers) {
  return (data.scaling ?? []).filter((s) =>
    s.runtime === runtime && s.config === config && (workers === undefined || s.workers === workers)
  );
}

/** The worker counts measured on a runtime, ascending. */
export function workerCounts(data, runtime) {
  const counts = (data.scaling ?? []).filter((s) => s.runtime === runtime).map((s) => s.workers);
  return [...new Set(counts)].sort((a, b) => a - b);
}

/** Median of a figure over the runs of (runtime, config, workers), and the first error when there is none. */
export function cell(data, runtime, config, workers, figure) {
  const samples = samplesOf(data, runtime, config, workers);
  const value = median(samples.filter((s) => !s.error).map((s) => figure.value(s)));
  const failed = samples.find((s) => s.error || s.errors?.[figure.phase]);
  const error = failed ? (failed.error ?? failed.errors[figure.phase]).split("\n")[0] : undefined;
  return { value, error, n: samples.length };
}

/** Least-squares fit y = a + b x over the points with a finite y: { slope: b, intercept: a }, or NaN with < 2. */
export function fit(points) {
  const p = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (p.length < 2) return { slope: NaN, intercept: NaN };
  const mx = p.reduce((a, [x]) => a + x, 0) / p.length;
  const my = p.reduce((a, [, y]) => a + y, 0) / p.length;
  const sxx = p.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  const sxy = p.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const slope = sxx === 0 ? NaN : sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/** [workers, median] of a figure for (runtime, config), one point per worker count that has a value. */
export function series(data, runtime, config, figure) {
  return workerCounts(data, runtime).map((n) => [n, cell(data, runtime, config, n, figure).value])
    .filter(([, y]) => Number.isFinite(y));
}

/** The implementations' names on a runtime, from the samples. */
function nameOf(data, runtime, config) {
  return samplesOf(data, runtime, config)[0]?.label ?? config;
}

/** An error's first line, fit for a table cell. */
const errorCell = (text) => `error: ${text.split("\n")[0].replace(/\|/g, "\\|")}`;

const show = (c, figure) =>
  Number.isFinite(c.value) ? figure.fmt(c.value) : c.error ? errorCell(c.error) : "n/a";

/** The busiest worker's share at a worker count, when connections were counted there (or failed to be). */
function distCell(data, runtime, config, workers) {
  const samples = samplesOf(data, runtime, config, workers);
  const runs = samples.filter((s) => s.dist);
  if (runs.length === 0) {
    const failed = samples.find((s) => s.errors?.dist);
    return failed ? errorCell(failed.errors.dist) : undefined;
  }
  const share = median(runs.map((s) => s.dist.busiestShare));
  const failures = runs.reduce((a, s) => a + s.dist.errors, 0);
  return `${(share * 100).toFixed(1)}%${failures ? ` (${failures} failed)` : ""}`;
}

function runtimeTable(data, runtime, lines) {
  const configs = implementationsOf(data, runtime);
  // A ratio column per unicluster form, against node:cluster ("ratio" alone when there is one form).
  const ucs = configs.includes("nc") ? configs.filter((c) => c in FORMS) : [];
  const ratioNames = ucs.length === 1 ? ["ratio"] : ucs.map((c) => `ratio, ${FORMS[c]}`);
  const row = (cells) => `| ${cells.join(" | ")} |`;
  lines.push(
    `### ${RUNTIME_NAMES[runtime]}${data.versions?.[runtime] ? ` (${data.versions[runtime]})` : ""}`,
    "",
    row(["workers", "figure", ...configs.map((c) => nameOf(data, runtime, c)), ...ratioNames]),
    `|${["workers", "figure", ...configs, ...ratioNames].map(() => "---").join("|")}|`,
  );
  for (const workers of workerCounts(data, runtime)) {
    FIGURES.forEach((figure, i) => {
      const cells = Object.fromEntries(configs.map((c) => [c, cell(data, runtime, c, workers, figure)]));
      lines.push(row([
        i === 0 ? workers : "",
        figure.name,
        ...configs.map((c) => show(cells[c], figure)),
        ...ucs.map((c) => ratio(cells[c].value / cells.nc.value)),
      ]));
    });
    const dist = configs.map((c) => distCell(data, runtime, c, workers));
    if (dist.some((d) => d !== undefined)) {
      const n = configs.map((c) => samplesOf(data, runtime, c, workers).find((s) => s.dist)?.dist.sent)
        .find((x) => x !== undefined) ?? data.settings.scaling?.connections;
      lines.push(row([
        "",
        `busiest worker's share of ${n} new connections (ideal ${(100 / workers).toFixed(1)}%)`,
        ...dist.map((d) => d ?? "n/a"),
        ...ucs.map(() => ""),
      ]));
    }
  }
  lines.push("");
}

export function scalingSection(data, lines) {
  const rows = data.scaling ?? [];
  if (rows.length === 0) return;
  const runtimes = Object.keys(RUNTIME_NAMES).filter((r) => rows.some((s) => s.runtime === r));
  const set = data.settings.scaling ?? {};
  lines.push("## 7. Scaling: the cost of each added worker", "");
  const counts = workerCounts(data, runtimes[0]).join(", ");
  const npm = rows.some((s) => s.config === "uc-npm");
  const what = npm
    ? "unicluster, from its TypeScript sources (what JSR, `deno add` and a clone give) and from the npm build " +
      "(what `npm install`, `bun add` and `deno add npm:unicluster` give: the compiled bundle, a few modules " +
      "instead of some seventy, nothing to type-strip),"
    : "unicluster";
  const order = npm
    ? "The implementations run back to back, in an order that changes every round (rotated every other round, " +
      "and reversed in between, so that none always goes first or last); "
    : "The two implementations run back to back, alternating which goes first; ";
  const control = rows.some((s) => s.config === "nc-load")
    ? "The control is node:cluster again, each worker of which first imports the npm build's `core` entry (every " +
      'module `import "unicluster"` loads, without making the cluster) and does not use it: its excess over ' +
      "node:cluster is what loading unicluster's code costs a worker, and unicluster's (npm build) excess over " +
      "it what unicluster then does there. "
    : "";
  lines.push(
    `${what} against the runtime's own node:cluster with ${counts} node:http workers sharing one port on ` +
      `127.0.0.1; on ${data.machine.nproc} cores this measures overhead, not throughput. Each run forks every ` +
      "worker at once and times the first `fork()` to the last worker's `listening`. The primary's CPU time " +
      "(user + sys, `process.cpuUsage()`) covers that start-up; its resident memory (VmRSS), the workers' mean " +
      "VmRSS and the workers' mean CPU time since their start are read from /proc as the last worker listens. " +
      "Then one message goes to every worker and each answers: the time until the last answer, median of " +
      `${set.rounds ?? "several"} rounds after an untimed one. At 8 workers, ${set.connections ?? 2000} ` +
      "requests follow, each on a new connection, 8 at a time, and the busiest worker's share is counted. " +
      `${control}${order}${set.reps ?? 1} run(s) of each per worker count, medians. ` +
      "Ratio: unicluster / node:cluster (lower is cheaper). Chart: [scaling.svg](scaling.svg).",
    "",
  );
  for (const runtime of runtimes) runtimeTable(data, runtime, lines);
  const slopes = FIGURES.filter((f) => !["workerRss", "workerCpu"].includes(f.id));
  lines.push(
    "Cost per added worker: the slope of a least-squares line through the medians above, against the worker " +
      "count; for the time to listening, in brackets, the line's value at 0 workers (below zero when the cost " +
      "grows faster than the worker count).",
    "",
    `| runtime | implementation | ${
      slopes.map((f) => `${f.name.replace(/ \(.*\)$/, "")} (${f.unit}/worker)`).join(" | ")
    } |`,
    `|---|---|${slopes.map(() => "---").join("|")}|`,
  );
  for (const runtime of runtimes) {
    const line = (config) => {
      const cells = slopes.map((f) => {
        const { slope, intercept } = fit(series(data, runtime, config, f));
        return f.id === "listening" && Number.isFinite(slope)
          ? `${f.fmt(slope)} (${intercept < 0 ? "-" : "+"}${ms(Math.abs(intercept))})`
          : f.id === "listening"
          ? "n/a"
          : Number.isFinite(slope)
          ? slope.toFixed(2)
          : "n/a";
      });
      return `| ${RUNTIME_NAMES[runtime]} | ${nameOf(data, runtime, config)} | ${cells.join(" | ")} |`;
    };
    lines.push(...implementationsOf(data, runtime).map(line));
  }
  const failed = rows.filter((s) => s.error);
  if (failed.length) {
    lines.push(
      "",
      `Failed runs: ${
        failed.map((s) => `${s.runtime} ${s.config} ${s.workers} workers: ${s.error.split("\n")[0]}`).join(
          "; ",
        )
      }`,
    );
  }
  lines.push("");
}
