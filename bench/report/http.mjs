// Section 1 of RESULTS.md, HTTP: a table per runtime (throughput, CPU, latency, sockets), then the ratios between
// configurations, with the targets.

import {
  compare,
  configsOf,
  CONTEXT,
  cpuOf,
  cpuPerRequest,
  httpSamples,
  httpStats,
  labelOf,
  listenersOf,
  TARGETS,
} from "./http_data.mjs";
import { k, median, ms, pct, range, ratio, ratioVs, RUNTIME_NAMES } from "./stats.mjs";

export function httpSection(data, lines) {
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
      `runs). Listening sockets and keep-alive connections per process are read from /proc midway through each run. ` +
      `On Node, unicluster runs from the npm build and every server is a JavaScript program (a TypeScript one ` +
      `loads Node's type stripper into every process); on Bun and Deno, which run TypeScript natively, unicluster ` +
      `runs from its sources.`,
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
