// Turns the raw results of bench/run.mjs into bench/RESULTS.md (tables, ratios, targets) and bench/results.svg
// (a hand-written SVG bar chart of requests/s per runtime and mechanism). No dependency.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { NOTES } from "./notes.mjs";

// ---------------------------------------------------------------------------------------------------------------
// Statistics

function sorted(values) {
  return values.filter((v) => typeof v === "number" && Number.isFinite(v)).sort((a, b) => a - b);
}

export function median(values) {
  const s = sorted(values);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function stats(values) {
  const s = sorted(values);
  return { median: median(s), min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN, n: s.length };
}

const k = (x) =>
  !Number.isFinite(x)
    ? "n/a"
    : x < 1000
    ? `${Math.round(x)}`
    : `${(x / 1000).toFixed(x >= 100_000 ? 0 : 1)}k`;
const ms = (x) => Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : "n/a";
const ratio = (x) => Number.isFinite(x) ? `${x.toFixed(2)}x` : "n/a";
/** A ratio next to its target: three decimals when two would round a miss up to the target. */
const ratioVs = (x, min) =>
  Number.isFinite(x) && x < min && Number(x.toFixed(2)) >= min ? `${x.toFixed(3)}x` : ratio(x);
const pct = (x) => Number.isFinite(x) ? `${x.toFixed(0)}%` : "n/a";
const range = (st, fmt) =>
  st.n === 0 ? "n/a" : st.n === 1 ? fmt(st.median) : `${fmt(st.median)} (${fmt(st.min)}-${fmt(st.max)})`;

const RUNTIME_NAMES = { node: "Node", bun: "Bun", deno: "Deno" };
const MODES = { keepalive: "keep-alive", close: "new connection per request" };

// ---------------------------------------------------------------------------------------------------------------
// HTTP

/** The comparisons the issue sets as targets (ratio a/b >= min, same run, same mode). */
const TARGETS = [
  { id: "native-vs-reuseport", runtime: "bun", a: "uc-native", b: "reuseport", min: 0.95 },
  { id: "native-vs-reuseport", runtime: "deno", a: "uc-native", b: "reuseport", min: 0.95 },
  { id: "native-vs-nodecluster", runtime: "bun", a: "uc-native", b: "nc-http", min: 2 },
  { id: "native-vs-nodecluster", runtime: "deno", a: "uc-native", b: "nc-http", min: 2 },
  { id: "http-vs-nodecluster", runtime: "node", a: "uc-http", b: "nc-http", min: 1 },
  { id: "http-vs-nodecluster", runtime: "bun", a: "uc-http", b: "nc-http", min: 1 },
  { id: "http-vs-nodecluster", runtime: "deno", a: "uc-http", b: "nc-http", min: 1 },
];

/** Further ratios shown for context (no target). */
const CONTEXT = [
  { runtime: "node", a: "uc-http-reuseport", b: "nc-http" },
  { runtime: "bun", a: "uc-http-reuseport", b: "nc-http" },
  { runtime: "node", a: "uc-http", b: "single" },
  { runtime: "bun", a: "uc-native", b: "single" },
  { runtime: "deno", a: "uc-native", b: "deno-serve" },
  { runtime: "deno", a: "uc-native", b: "single" },
];

function httpSamples(data, runtime, config, mode) {
  return data.http.filter((s) => s.runtime === runtime && s.config === config && s.mode === mode && !s.error);
}

function httpStats(data, runtime, config, mode) {
  return stats(httpSamples(data, runtime, config, mode).map((s) => s.rps));
}

/** Ratio of medians, and the range of the per-repetition ratios (a and b of the same repetition). */
function compare(data, runtime, a, b, mode) {
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
function labelOf(data, runtime, config) {
  const label = data.labels?.[runtime]?.[config] ?? `${config}`;
  const line = data.http.find((s) =>
    s.runtime === runtime && s.config === config && s.readyLine?.includes("mode=")
  )
    ?.readyLine;
  if (!line || /\((rr|reuseport|none)\)$/.test(label)) return label;
  return `${label} (${[...new Set(line.replace(/^.*mode=/, "").split(","))].join("/")})`;
}

function configsOf(data, runtime) {
  const seen = [];
  for (const s of data.http) if (s.runtime === runtime && !seen.includes(s.config)) seen.push(s.config);
  return seen;
}

// ---------------------------------------------------------------------------------------------------------------
// Explanations of missed targets: measured facts of this run, then what would close the gap.

function cpuOf(data, runtime, config, mode, side) {
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

function cpuPerRequest(data, runtime, config, mode) {
  const v = cpuPerRequestValue(data, runtime, config, mode);
  return Number.isFinite(v) ? v.toFixed(0) : "n/a";
}

/** Who holds listening sockets on the port (median over runs): "primary N, workers M". */
function listenersOf(data, runtime, config) {
  const runs = data.http.filter((s) => s.runtime === runtime && s.config === config && s.listeners);
  if (runs.length === 0) return undefined;
  return {
    primary: median(runs.map((s) => s.listeners.primary)),
    workers: median(runs.map((s) => s.listeners.workers)),
  };
}

function listenersText(data, runtime, config) {
  const l = listenersOf(data, runtime, config);
  return l ? `primary ${l.primary}, workers ${l.workers}` : "not recorded";
}

const NATIVE = { bun: "Bun.serve", deno: "Deno.serve", node: "node:http" };

/** Why a target was missed, from the measurements of this run (plus notes written while building the bench). */
function explain(data, target, mode) {
  const { runtime, a, b, min } = target;
  const name = RUNTIME_NAMES[runtime];
  const c = compare(data, runtime, a, b, mode);
  const la = labelOf(data, runtime, a);
  const lb = labelOf(data, runtime, b);
  const out = [];
  if (c.pairs.max >= min) {
    out.push(
      `Not a clear miss: the per-repetition ratios reach the target in some repetitions (${
        ratio(c.pairs.min)
      }-` +
        `${ratio(c.pairs.max)}); the spread of this machine is larger than the gap.`,
    );
  }
  out.push(
    `Measured: CPU in the measured window (median, % of one core) ${la}: primary ` +
      `${pct(cpuOf(data, runtime, a, mode, "primary"))}, workers ${
        pct(cpuOf(data, runtime, a, mode, "workers"))
      }; ` +
      `${lb}: primary ${pct(cpuOf(data, runtime, b, mode, "primary"))}, workers ` +
      `${pct(cpuOf(data, runtime, b, mode, "workers"))}. Server CPU per response ${
        cpuPerRequest(data, runtime, a, mode)
      } ` +
      `µs vs ${cpuPerRequest(data, runtime, b, mode)} µs. Listening sockets on the port: ${la}: ` +
      `${listenersText(data, runtime, a)}; ${lb}: ${listenersText(data, runtime, b)}.`,
  );
  if (target.id === "native-vs-reuseport") {
    out.push(
      `Both run the same server with SO_REUSEPORT in two worker processes; unicluster's primary idles while ` +
        `requests flow (CPU above) and the per-response CPU is what it is for the hand-written cluster, so there is ` +
        `no unicluster cost to remove; what is left is the machine's run-to-run spread.`,
    );
  } else if (target.id === "native-vs-nodecluster") {
    const native = httpStats(data, runtime, "single", mode);
    const nodeHttp = httpStats(data, runtime, "single-http", mode);
    const vsReuseport = compare(data, runtime, a, "reuseport", mode).ratio;
    out.push(
      `The two servers on their own, one process each: ${NATIVE[runtime]} ${
        k(native.median)
      } req/s vs node:http ` +
        `${k(nodeHttp.median)} req/s = ${ratio(native.median / nodeHttp.median)}; CPU per response ` +
        `${cpuPerRequest(data, runtime, "single", mode)} vs ${
          cpuPerRequest(data, runtime, "single-http", mode)
        } µs. ` +
        `${name}'s node:http is a layer over its native server, so a cluster of the native server can only gain ` +
        `about this factor over a node:cluster that spreads connections without a bottleneck.`,
    );
    const l = listenersOf(data, runtime, b);
    if (l && l.primary === 0 && l.workers > 0) {
      out.push(
        `${name}'s node:cluster has no such bottleneck: its workers hold the listening sockets themselves ` +
          `(SO_REUSEPORT), its primary uses ${
            pct(cpuOf(data, runtime, b, mode, "primary"))
          } CPU, and its connections ` +
          `never pass through the primary. The 2x target assumes a node:cluster that accepts in the primary.`,
      );
    } else if (l) {
      out.push(
        `${name}'s node:cluster accepts in its primary (listening sockets above) and hands each connection to a ` +
          `worker; with keep-alive that happens once per connection (its primary then idles), so ` +
          `what remains is the per-request cost of node:http against ${NATIVE[runtime]} (above).`,
      );
    }
    out.push(
      `unicluster's ${NATIVE[runtime]} cluster is ${
        ratio(vsReuseport)
      } of the hand-written SO_REUSEPORT cluster in ` +
        `the same run, so unicluster costs nothing measurable here. What would close it: nothing in unicluster; it ` +
        `takes a faster node:http in ${name} (or applications moving from node:http to ${
          NATIVE[runtime]
        } or ` +
        "unicluster's `serve()`).",
    );
  } else if (target.id === "http-vs-nodecluster") {
    const acceptor = (l) => !l ? "unknown" : l.primary > 0 ? "primary" : "workers";
    const [ua, ub] = [acceptor(listenersOf(data, runtime, a)), acceptor(listenersOf(data, runtime, b))];
    const alt = configsOf(data, runtime).includes("uc-http-reuseport")
      ? ` unicluster's SCHED_REUSEPORT lets the workers accept: ` +
        `${ratio(compare(data, runtime, "uc-http-reuseport", b, mode).ratio)} of ${lb} in this run.`
      : "";
    if (ua === "workers" && ub === "workers") {
      out.push(
        `Both let each worker accept on its own SO_REUSEPORT socket (listening sockets above): the same node:http ` +
          `runs the same way in both, so the gap is the run-to-run spread.`,
      );
    } else if (ua === "primary" && ub === "primary") {
      out.push(
        `Both accept in the primary and hand connections to the workers (round-robin)` +
          (mode === "keepalive"
            ? `; with keep-alive that happens once per connection and the primaries idle, so the figures compare ` +
              `node:http in the workers, which spend about the same CPU per response (above).`
            : `; the CPU per response above is what each costs.${alt}`),
      );
    } else {
      out.push(`Connections are accepted by the ${ua} for unicluster and by the ${ub} for ${lb}.${alt}`);
    }
  }
  const notes = NOTES.explanations[`${target.id}:${runtime}:${mode}`];
  if (notes) out.push(notes);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Markdown

function httpSection(data, lines) {
  lines.push("## 1. HTTP hello world, 2 workers", "");
  lines.push(
    `wrk ${data.settings.threads} threads, ${data.settings.connections} connections, ${data.settings.duration} s per ` +
      `run after a ${data.settings.warmup} s warm-up run against the same server process; each server is started, warmed ` +
      `up, measured and stopped for every run. ${data.settings.reps} repetitions per configuration; within a repetition ` +
      `all configurations of a runtime run back to back, in the order of the table, reversed every other ` +
      `repetition, so the two configurations of each comparison run next to each other and alternate which goes ` +
      `first. Figures: completed responses per second, median (min-max). "primary / workers CPU" is the CPU time of ` +
      `the process that was started (the primary, or the only process) and of all its children, in % of one core ` +
      `over the measured window; "server CPU per request" is their sum divided by the responses (medians over ` +
      `runs). Listening sockets and keep-alive connections per process are read from /proc midway through each run.`,
    "",
  );
  for (const runtime of Object.keys(RUNTIME_NAMES)) {
    const configs = configsOf(data, runtime);
    if (configs.length === 0) continue;
    lines.push(`### ${RUNTIME_NAMES[runtime]} (${data.versions[runtime]})`, "");
    lines.push(
      "| server | keep-alive req/s | new connection per request req/s | primary / workers CPU, keep-alive | primary / workers CPU, new conn. | server CPU per request (µs), keep-alive / new conn. | p99 latency keep-alive / new conn. (ms) |",
      "|---|---|---|---|---|---|---|",
    );
    for (const config of configs) {
      const ka = httpStats(data, runtime, config, "keepalive");
      const cl = httpStats(data, runtime, config, "close");
      const cpu = (mode) =>
        `${pct(cpuOf(data, runtime, config, mode, "primary"))} / ${
          pct(cpuOf(data, runtime, config, mode, "workers"))
        }`;
      const p99 = (mode) => ms(median(httpSamples(data, runtime, config, mode).map((s) => s.p99ms)));
      const failed = data.http.filter((s) => s.runtime === runtime && s.config === config && s.error).length;
      lines.push(
        `| ${labelOf(data, runtime, config)}${failed ? ` (${failed} failed runs)` : ""} | ${range(ka, k)} | ${
          range(cl, k)
        } | ` +
          `${cpu("keepalive")} | ${cpu("close")} | ${cpuPerRequest(data, runtime, config, "keepalive")} / ` +
          `${cpuPerRequest(data, runtime, config, "close")} | ${p99("keepalive")} / ${p99("close")} |`,
      );
    }
    const splits = configs
      .map((config) => {
        const runs = httpSamples(data, runtime, config, "keepalive").filter((s) => s.connections?.length > 1);
        return runs.length
          ? `${labelOf(data, runtime, config)}: ${runs.map((s) => s.connections.join("/")).join(", ")}`
          : "";
      })
      .filter(Boolean);
    if (splits.length) {
      lines.push(
        "",
        `Keep-alive connections held by each process midway through each run: ${splits.join("; ")}.`,
      );
    }
    const modes = [
      ...new Set(
        data.http.filter((s) => s.runtime === runtime && s.readyLine?.includes("mode=")).map((s) =>
          `${labelOf(data, runtime, s.config)}: ${s.readyLine.replace(/^.*mode=/, "")}`
        ),
      ),
    ];
    if (modes.length) lines.push("", `Sharing mode reported in \`listening\`: ${modes.join("; ")}.`);
    const holders = configs
      .map((config) => [config, listenersOf(data, runtime, config)])
      .filter(([, l]) => l)
      .map(([config, l]) => `${labelOf(data, runtime, config)}: ${l.primary} / ${l.workers}`);
    if (holders.length) {
      lines.push("", `TCP listening sockets on the port, primary / workers: ${holders.join("; ")}.`);
    }
    lines.push("");
  }

  lines.push("### Ratios and targets", "");
  lines.push(
    "Ratio of medians (range of the per-repetition ratios, each from two runs of the same repetition). A target is " +
      "met when the ratio of medians reaches it.",
    "",
    "| runtime | comparison | target | keep-alive | new connection per request | met |",
    "|---|---|---|---|---|---|",
  );
  const missed = [];
  for (const target of TARGETS) {
    if (!configsOf(data, target.runtime).includes(target.a)) continue;
    const cells = [];
    const met = [];
    for (const mode of ["keepalive", "close"]) {
      const c = compare(data, target.runtime, target.a, target.b, mode);
      cells.push(`${ratioVs(c.ratio, target.min)} (${ratio(c.pairs.min)}-${ratio(c.pairs.max)})`);
      const ok = c.ratio >= target.min;
      met.push(ok);
      if (!ok && Number.isFinite(c.ratio)) missed.push({ target, mode, c });
    }
    lines.push(
      `| ${RUNTIME_NAMES[target.runtime]} | ${labelOf(data, target.runtime, target.a)} vs ${
        labelOf(data, target.runtime, target.b)
      } | ` +
        `>= ${target.min}x | ${cells[0]} | ${cells[1]} | ${
          met.every(Boolean)
            ? "yes"
            : met.some(Boolean)
            ? `keep-alive ${met[0] ? "yes" : "no"}, new conn. ${met[1] ? "yes" : "no"}`
            : "no"
        } |`,
    );
  }
  lines.push(
    "",
    "Other ratios (no target):",
    "",
    "| runtime | comparison | keep-alive | new connection per request |",
    "|---|---|---|---|",
  );
  for (const x of CONTEXT) {
    if (!configsOf(data, x.runtime).includes(x.a) || !configsOf(data, x.runtime).includes(x.b)) continue;
    const cells = ["keepalive", "close"].map((mode) => {
      const c = compare(data, x.runtime, x.a, x.b, mode);
      return `${ratio(c.ratio)} (${ratio(c.pairs.min)}-${ratio(c.pairs.max)})`;
    });
    lines.push(
      `| ${RUNTIME_NAMES[x.runtime]} | ${labelOf(data, x.runtime, x.a)} vs ${
        labelOf(data, x.runtime, x.b)
      } | ${cells[0]} | ${cells[1]} |`,
    );
  }
  lines.push("");
  return missed;
}

/** Ratio of medians of `field` (unicluster / the runtime's own), and the range of the same-run ratios. */
function ipcCompare(rows, field) {
  const uc = rows.filter((s) => s.config === "uc");
  const own = rows.filter((s) => s.config === "own");
  const pairs = uc.map((x) => x[field] / (own.find((y) => y.rep === x.rep)?.[field] ?? NaN));
  return {
    ratio: median(uc.map((s) => s[field])) / median(own.map((s) => s[field])),
    pairs: stats(pairs),
  };
}

function ipcSection(data, lines) {
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
  const failed = data.ipc.filter((s) => s.error);
  if (failed.length) {
    lines.push(
      "",
      `Failed IPC runs: ${
        failed.map((s) => `${s.runtime} ${s.config}: ${s.error.split("\n")[0]}`).join("; ")
      }`,
    );
  }
  lines.push("");
  return missed;
}

function forkSection(data, lines) {
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
    for (const config of ["uc-http", "uc-native", "nc-http"]) {
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
  const failed = data.fork.filter((s) => s.error);
  if (failed.length) {
    lines.push(
      "",
      `Failed fork runs: ${
        failed.map((s) => `${s.runtime} ${s.config}: ${s.error.split("\n")[0]}`).join("; ")
      }`,
    );
  }
  lines.push("");
}

function distSection(data, lines) {
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

function twoWritesSection(data, lines) {
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
  const failed = rows.filter((s) => s.error);
  if (failed.length) {
    lines.push(
      "",
      `Failed runs: ${failed.map((s) => `${s.runtime} ${s.cluster}: ${s.error.split("\n")[0]}`).join("; ")}`,
    );
  }
  lines.push("");
}

/** The targets at a glance. */
function summary(data, lines) {
  const items = [];
  for (const target of TARGETS) {
    if (!configsOf(data, target.runtime).includes(target.a)) continue;
    const [ka, cl] = ["keepalive", "close"].map((mode) =>
      compare(data, target.runtime, target.a, target.b, mode)
    );
    const met = (c) => c.ratio >= target.min ? "met" : "missed";
    items.push(
      `- ${RUNTIME_NAMES[target.runtime]}: ${labelOf(data, target.runtime, target.a)} = ${
        ratioVs(ka.ratio, target.min)
      } ` +
        `(keep-alive, ${met(ka)}) and ${ratioVs(cl.ratio, target.min)} (new connection per request, ${
          met(cl)
        }) of ` +
        `${labelOf(data, target.runtime, target.b)}; target >= ${target.min}x.`,
    );
  }
  for (const runtime of Object.keys(RUNTIME_NAMES)) {
    const rows = data.ipc.filter((s) => s.runtime === runtime && !s.error);
    if (!rows.some((s) => s.config === "uc") || !rows.some((s) => s.config === "own")) continue;
    const rt = ipcCompare(rows, "roundTripsPerSec");
    const own = rows.find((s) => s.config === "own").label;
    items.push(
      `- ${RUNTIME_NAMES[runtime]}: IPC round trips through unicluster = ${ratioVs(rt.ratio, 1)} of ${own} ` +
        `(${rt.ratio >= 1 ? "met" : "missed"}; target >= 1.0x).`,
    );
  }
  if (items.length === 0) return;
  lines.push(
    "## Summary of the targets",
    "",
    ...items,
    "",
    "Details, and the reasons for each miss, below.",
    "",
  );
}

function markdown(data) {
  const lines = [];
  const m = data.machine;
  lines.push(
    "# unicluster benchmark results",
    "",
    "Generated by `node bench/run.mjs` (bench/report.mjs); raw data in bench/out/. Chart: [results.svg](results.svg).",
    "",
    "| | |",
    "|---|---|",
    `| date | ${data.started} (took ${Math.round((data.elapsedSeconds ?? 0) / 60)} min) |`,
    `| machine | Linux ${m.kernel}, ${m.nproc} cores (nproc), ${m.cpuModel}, ${m.memoryGiB} GiB; load average at start ${
      m.loadavgAtStart.join(" ")
    } |`,
    ...Object.entries(data.versions).map(([name, v]) => `| ${name} | ${v} |`),
    `| settings | ${data.settings.reps} repetitions, wrk -t${data.settings.threads} -c${data.settings.connections} -d${data.settings.duration}s after a ${data.settings.warmup} s warm-up; all load on 127.0.0.1 |`,
    `| CPU steal during wrk runs | median ${pct(median(data.http.map((s) => s.stealPct)))}, max ${
      pct(Math.max(...data.http.map((s) => s.stealPct ?? 0)))
    } |`,
    "",
    "Notes:",
    "",
    `- \`NODE_EXTRA_CA_CERTS\` is removed from the environment of every process under test (it was ` +
      `${
        data.notes.nodeExtraCaCerts.startsWith("set") ? "set" : "not set"
      } in this run's environment): on this kind ` +
      "of machine it adds 64-115 ms to every Node process start, which would otherwise dominate fork latency. " +
      "`NODE_OPTIONS` and `FORCE_COLOR` are removed too.",
    "- `Bun.serve` closes a `Connection: close` request's connection without sending `Connection: close`, so wrk " +
      "counts a socket read error per request on Bun in the new-connection runs. Those responses were complete; the " +
      "figures count completed responses (wrk's request count, minus non-2xx).",
    "- The machine is a shared 2-core VM (CPU steal up to 50% in some 5 s windows) and wrk runs on the same 2 cores " +
      "as the servers: compare figures only within this run, and read differences smaller than the min-max spread as noise.",
    "",
  );
  summary(data, lines);
  const httpMissed = httpSection(data, lines);
  const ipcMissed = ipcSection(data, lines);
  forkSection(data, lines);
  distSection(data, lines);
  twoWritesSection(data, lines);

  lines.push("## Targets missed, and why", "");
  if (httpMissed.length === 0 && ipcMissed.length === 0) lines.push("All targets met in this run.", "");
  for (const { target, mode, c } of httpMissed) {
    lines.push(
      `### ${RUNTIME_NAMES[target.runtime]}, ${MODES[mode]}: ${labelOf(data, target.runtime, target.a)} vs ` +
        `${labelOf(data, target.runtime, target.b)} = ${
          ratioVs(c.ratio, target.min)
        } (target >= ${target.min}x; per-repetition ` +
        `${ratio(c.pairs.min)}-${ratio(c.pairs.max)})`,
      "",
      ...explain(data, target, mode).map((l) => `- ${l}`),
      "",
    );
  }
  for (const x of ipcMissed) {
    const own = data.ipc.find((s) => s.runtime === x.runtime && s.config === "own")?.label ?? "its own IPC";
    lines.push(
      `### ${RUNTIME_NAMES[x.runtime]} IPC round trips: unicluster ${
        ratioVs(x.rt.ratio, 1)
      } of ${own} (target >= 1.0x; ` +
        `neighbouring runs ${ratio(x.rt.pairs.min)}-${ratio(x.rt.pairs.max)})`,
      "",
    );
    if (x.rt.pairs.max >= 1) {
      lines.push(
        `- Not a clear miss: in some pairs of neighbouring runs unicluster was as fast or faster ` +
          `(${ratio(x.rt.pairs.min)}-${ratio(x.rt.pairs.max)}); the machine's spread is larger than the gap.`,
      );
    }
    const note = NOTES.explanations[`ipc:${x.runtime}`];
    if (note) lines.push(`- ${note}`);
    lines.push("");
  }
  if (NOTES.findings.length) {
    lines.push(
      "## Observations about the library (from building and running this benchmark)",
      "",
      ...NOTES.findings.map((f) => `- ${f}`),
      "",
    );
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------------------------
// SVG bar chart

const COLORS = {
  "uc-native": "#1f5fa8",
  "uc-http": "#6fa8dc",
  "nc-http": "#e69138",
  reuseport: "#38a169",
  "deno-serve": "#8e6cbf",
  single: "#8c8c8c",
  "single-http": "#cccccc",
};
const LEGEND = {
  "uc-native": "unicluster + native server (Bun.serve / Deno.serve)",
  "uc-http": "unicluster + node:http",
  "nc-http": "the runtime's own node:cluster + node:http",
  reuseport: "hand-written SO_REUSEPORT processes, native server",
  "deno-serve": "deno serve --parallel",
  single: "one process, native server (node:http on Node)",
  "single-http": "one process, node:http",
};

/** Short bar labels. */
function shortLabel(data, runtime, config) {
  const line = data.http.find((s) =>
    s.runtime === runtime && s.config === config && s.readyLine?.includes("mode=")
  )
    ?.readyLine;
  const mode = line ? ` ${line.replace(/^.*mode=/, "").split(",")[0]}` : "";
  const names = {
    "uc-native": "unicluster",
    "uc-http": `uc node:http${mode}`,
    "uc-http-reuseport": "uc node:http reuseport",
    "nc-http": "node:cluster",
    reuseport: "hand-written",
    "deno-serve": "deno serve",
    single: "1 process",
    "single-http": "1 process node:http",
  };
  return names[config] ?? config;
}

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function svg(data) {
  const runtimes = Object.keys(RUNTIME_NAMES).filter((r) => configsOf(data, r).length > 0);
  const kinds = data.kinds ?? {};
  const barW = 28;
  const gap = 7;
  const groupGap = 46;
  const left = 80;
  const panelH = 220;
  const top = 82;
  const labelsH = 118;
  const groups = runtimes.map((r) => configsOf(data, r));
  const plotW = groups.reduce((a, g) => a + g.length * (barW + gap) + groupGap, 0);
  const width = Math.max(820, left + 20 + plotW);
  const usedKinds = Object.keys(LEGEND).filter((kind) =>
    runtimes.some((r) => Object.values(kinds[r] ?? {}).includes(kind))
  );
  const legendRows = Math.ceil(usedKinds.length / 2);
  const panelSpan = panelH + labelsH + 34;
  const height = top + 2 * panelSpan + legendRows * 20 + 10;
  const out = [];
  const title = "unicluster: HTTP hello world, 2 workers, requests/s (median; whiskers: min-max)";
  const subtitle = `${data.machine.nproc} cores, ${data.machine.cpuModel}; wrk -t${data.settings.threads} ` +
    `-c${data.settings.connections} -d${data.settings.duration}s on 127.0.0.1, ${data.settings.reps} runs each; ` +
    `${data.started.slice(0, 10)}`;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${
      esc(title)
    }</text>`,
    `<text x="${width / 2}" y="43" text-anchor="middle" fill="#555">${esc(subtitle)}</text>`,
  );
  ["keepalive", "close"].forEach((mode, p) => {
    const y0 = top + p * panelSpan;
    const values = data.http.filter((s) => s.mode === mode && !s.error).map((s) => s.rps);
    const maxV = Math.max(1, ...values);
    const step = niceStep(maxV / 5);
    const yMax = Math.ceil(maxV / step) * step;
    const y = (v) => y0 + panelH - (v / yMax) * panelH;
    out.push(`<text x="${left}" y="${y0 - 14}" font-size="13" font-weight="bold">${esc(MODES[mode])}</text>`);
    for (let v = 0; v <= yMax + 1e-9; v += step) {
      out.push(
        `<line x1="${left}" x2="${width - 16}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" ` +
          `stroke="${v === 0 ? "#333" : "#e3e3e3"}"/>`,
        `<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#555">` +
          `${v === 0 ? "0" : `${Math.round(v / 1000)}k`}</text>`,
      );
    }
    let x = left + 18;
    runtimes.forEach((runtime, g) => {
      const start = x;
      for (const config of groups[g]) {
        const st = httpStats(data, runtime, config, mode);
        const color = COLORS[kinds[runtime]?.[config]] ?? "#444";
        const cx = x + barW / 2;
        if (Number.isFinite(st.median)) {
          const tip =
            `${RUNTIME_NAMES[runtime]}, ${labelOf(data, runtime, config)}: ${Math.round(st.median)} req/s ` +
            `(${Math.round(st.min)}-${Math.round(st.max)})`;
          out.push(
            `<rect x="${x}" y="${y(st.median).toFixed(1)}" width="${barW}" height="${
              (y0 + panelH - y(st.median)).toFixed(1)
            }" fill="${color}"><title>${esc(tip)}</title></rect>`,
            `<line x1="${cx}" x2="${cx}" y1="${y(st.min).toFixed(1)}" y2="${
              y(st.max).toFixed(1)
            }" stroke="#222"/>`,
            `<line x1="${cx - 4}" x2="${cx + 4}" y1="${y(st.min).toFixed(1)}" y2="${
              y(st.min).toFixed(1)
            }" stroke="#222"/>`,
            `<line x1="${cx - 4}" x2="${cx + 4}" y1="${y(st.max).toFixed(1)}" y2="${
              y(st.max).toFixed(1)
            }" stroke="#222"/>`,
            `<text x="${cx}" y="${(y(st.max) - 4).toFixed(1)}" text-anchor="middle" font-size="9.5">${
              k(st.median)
            }</text>`,
          );
        }
        const ly = y0 + panelH + 10;
        out.push(
          `<text x="${cx + 3}" y="${ly}" text-anchor="end" font-size="10" fill="#333" ` +
            `transform="rotate(-50 ${cx + 3} ${ly})">${esc(shortLabel(data, runtime, config))}</text>`,
        );
        x += barW + gap;
      }
      out.push(
        `<text x="${(start + x - gap) / 2}" y="${
          y0 + panelH + labelsH
        }" text-anchor="middle" font-size="13" ` +
          `font-weight="bold">${esc(RUNTIME_NAMES[runtime])}</text>`,
      );
      x += groupGap;
    });
  });
  const ly = top + 2 * panelSpan - 10;
  usedKinds.forEach((kind, i) => {
    const lx = left + (i % 2) * ((width - left) / 2);
    const yy = ly + Math.floor(i / 2) * 20;
    out.push(
      `<rect x="${lx}" y="${yy - 10}" width="14" height="12" fill="${COLORS[kind]}"/>`,
      `<text x="${lx + 20}" y="${yy}">${esc(LEGEND[kind])}</text>`,
    );
  });
  out.push("</svg>", "");
  return out.join("\n");
}

function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/** Writes RESULTS.md and results.svg into `dir`. */
export function writeReport(data, dir) {
  writeFileSync(join(dir, "RESULTS.md"), markdown(data));
  writeFileSync(join(dir, "results.svg"), svg(data));
}
