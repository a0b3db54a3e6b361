// Sections 2 to 5 of RESULTS.md: IPC, fork latency, distribution of new connections, a response in two writes.

import { labelOf } from "./http_data.mjs";
import { k, median, ms, range, ratio, ratioVs, RUNTIME_NAMES, stats } from "./stats.mjs";

/** A paragraph naming the failed runs of `samples` (runtime, `name(sample)` and the error's first line), if any. */
function failedRuns(lines, title, samples, name) {
  const failed = samples.filter((s) => s.error);
  if (failed.length) {
    lines.push(
      "",
      `${title}: ${failed.map((s) => `${s.runtime} ${name(s)}: ${s.error.split("\n")[0]}`).join("; ")}`,
    );
  }
}

/** Ratio of medians of `field` (unicluster / the runtime's own), and the range of the same-run ratios. */
export function ipcCompare(rows, field) {
  const uc = rows.filter((s) => s.config === "uc");
  const own = rows.filter((s) => s.config === "own");
  const pairs = uc.map((x) => x[field] / (own.find((y) => y.rep === x.rep)?.[field] ?? NaN));
  return {
    ratio: median(uc.map((s) => s[field])) / median(own.map((s) => s[field])),
    pairs: stats(pairs),
  };
}

export function ipcSection(data, lines) {
  if (data.ipc.length === 0) return [];
  lines.push("## 2. IPC, primary and one worker", "");
  lines.push(
    `Small JSON messages: ${data.settings.ipc.roundTrips} sequential round trips (ping-pong), ${data.settings.ipc.oneWay} ` +
      `messages sent back to back one way (primary to worker, timed until the worker acknowledges the last), and ` +
      `${data.settings.ipc.big} sequential 1 MiB messages (a 1 MiB string, acknowledged by the worker; median time per ` +
      `message). ${data.settings.ipcReps} runs per mechanism, the two mechanisms alternated (each run of one next to ` +
      `a run of the other); median (min-max) over runs. Ratios: unicluster / the runtime's own, ratio of medians ` +
      `(range of the ratios of neighbouring runs); for the 1 MiB message, time ratio (lower is better).`,
    "",
    "| runtime | mechanism | round trips/s | messages/s one way | 1 MiB message (ms) |",
    "|---|---|---|---|---|",
  );
  const ratios = [];
  const missed = [];
  for (const runtime of Object.keys(RUNTIME_NAMES)) {
    const rows = data.ipc.filter((s) => s.runtime === runtime && !s.error);
    if (rows.length === 0) continue;
    const by = (config) => rows.filter((s) => s.config === config);
    for (const config of ["uc", "own"]) {
      const sample = by(config)[0];
      if (!sample) continue;
      const st = (field) => stats(by(config).map((s) => s[field]));
      lines.push(
        `| ${RUNTIME_NAMES[runtime]} | ${sample.label} | ${range(st("roundTripsPerSec"), k)} | ` +
          `${range(st("oneWayPerSec"), k)} | ${range(st("bigMsMedian"), ms)} |`,
      );
    }
    if (by("uc").length === 0 || by("own").length === 0) continue;
    const rt = ipcCompare(rows, "roundTripsPerSec");
    const ow = ipcCompare(rows, "oneWayPerSec");
    const big = ipcCompare(rows, "bigMsMedian");
    const cell = (c, min = 0) => `${ratioVs(c.ratio, min)} (${ratio(c.pairs.min)}-${ratio(c.pairs.max)})`;
    ratios.push(
      `| ${RUNTIME_NAMES[runtime]} | ${cell(rt, 1)} | ${rt.ratio >= 1 ? "yes" : "no"} | ${cell(ow)} | ${
        cell(big)
      } |`,
    );
    if (rt.ratio < 1) missed.push({ runtime, rt, ow });
  }
  lines.push(
    "",
    "| runtime | round trips, unicluster / own (target >= 1.0x) | met | one way | 1 MiB time |",
    "|---|---|---|---|---|",
    ...ratios,
  );
  failedRuns(lines, "Failed IPC runs", data.ipc, (s) => s.config);
  lines.push("");
  return missed;
}

export function forkSection(data, lines) {
  if (data.fork.length === 0) return;
  lines.push("## 3. Fork latency", "");
  lines.push(
    `Time from \`cluster.fork()\` to the worker's \`online\` and \`listening\` events, one worker at a time (forked, ` +
      `listening on 127.0.0.1, killed, exit awaited), 2 blocks of ${data.settings.forks} forks per mechanism, blocks ` +
      `alternated (one untimed fork first in each block). Median (min-max) of ${2 * data.settings.forks}.`,
    "",
    "| runtime | mechanism | fork to online (ms) | fork to listening (ms) | listening vs node:cluster |",
    "|---|---|---|---|---|",
  );
  for (const runtime of Object.keys(RUNTIME_NAMES)) {
    const rows = data.fork.filter((s) => s.runtime === runtime && !s.error);
    if (rows.length === 0) continue;
    const pool = (config, field) => stats(rows.filter((s) => s.config === config).flatMap((s) => s[field]));
    for (const config of ["uc-http", "uc-http-npm", "uc-native", "uc-native-npm", "nc-http"]) {
      const sample = rows.find((s) => s.config === config);
      if (!sample) continue;
      const rel = pool(config, "listening").median / pool("nc-http", "listening").median;
      lines.push(
        `| ${RUNTIME_NAMES[runtime]} | ${sample.label} | ${range(pool(config, "online"), ms)} | ${
          range(pool(config, "listening"), ms)
        } | ` +
          `${config === "nc-http" ? "" : `${ratio(rel)} the time`} |`,
      );
    }
  }
  if (data.importCost?.length) {
    lines.push(
      "",
      "What a worker pays to load unicluster before it can say `online`: `await import()` of the module in a fresh " +
        "process, 5 processes, median (min-max) ms:",
      "",
      "| runtime | module | import time (ms) |",
      "|---|---|---|",
    );
    for (const row of data.importCost) {
      lines.push(`| ${RUNTIME_NAMES[row.runtime]} | ${row.module} | ${range(stats(row.ms), ms)} |`);
    }
  }
  failedRuns(lines, "Failed fork runs", data.fork, (s) => s.config);
  lines.push("");
}

export function distSection(data, lines) {
  if (data.dist.length === 0) return;
  lines.push("## 4. Distribution of new connections", "");
  lines.push(
    `${data.settings.dist} requests, each on a new connection (\`Connection: close\`, 4 at a time), to 2 workers that ` +
      `answer with their id. Share of the busiest worker (50% is even).`,
    "",
    "| runtime | mechanism | answers per worker | busiest worker |",
    "|---|---|---|---|",
  );
  for (const s of data.dist) {
    lines.push(
      `| ${RUNTIME_NAMES[s.runtime]} | ${labelOf(data, s.runtime, s.config)} | ` +
        (s.error
          ? `error: ${s.error.split("\n")[0]} | |`
          : `${Object.values(s.counts).sort((a, b) => b - a).join(" / ")}${
            s.errors ? ` (${s.errors} failed)` : ""
          } | ${(s.busiestShare * 100).toFixed(1)}% |`),
    );
  }
  lines.push("");
}

export function twoWritesSection(data, lines) {
  const rows = data.twoWrites ?? [];
  if (rows.length === 0) return;
  lines.push("## 5. A response written in two parts", "");
  lines.push(
    'node:http workers (2) whose handler calls `res.write("hello ")` and, on the next tick, `res.end("world")`; ' +
      "wrk -t1 -c4 keep-alive, 3 s after a 1 s warm-up, 2 runs per cluster, alternated. http.Server sets TCP_NODELAY " +
      "on the connections it accepts (its default `noDelay: true`); a connection without it holds the second write " +
      "until the client acknowledges the first, which Linux delays by about 40 ms. Median (min-max).",
    "",
    "| runtime | cluster | req/s | median latency (ms) |",
    "|---|---|---|---|",
  );
  for (const runtime of Object.keys(RUNTIME_NAMES)) {
    for (const which of ["unicluster", "node"]) {
      const runs = rows.filter((s) => s.runtime === runtime && s.cluster === which && !s.error);
      if (runs.length === 0) continue;
      const name = which === "node"
        ? `${runtime === "node" ? "" : `${RUNTIME_NAMES[runtime]} `}node:cluster`
        : "unicluster";
      const line = runs.find((s) => s.readyLine?.includes("mode="))?.readyLine;
      const mode = line ? ` (${[...new Set(line.replace(/^.*mode=/, "").split(","))].join("/")})` : "";
      lines.push(
        `| ${RUNTIME_NAMES[runtime]} | ${name}${mode} | ${range(stats(runs.map((s) => s.rps)), k)} | ` +
          `${range(stats(runs.map((s) => s.p50ms)), (x) => x.toFixed(2))} |`,
      );
    }
  }
  failedRuns(lines, "Failed runs", rows, (s) => s.cluster);
  lines.push("");
}
