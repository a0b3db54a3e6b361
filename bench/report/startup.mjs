// Section 8 of RESULTS.md: how long unicluster's command line takes from its start to the first HTTP answer and
// to answers from both of its 2 workers, against `deno serve --parallel` and a hand-written node:cluster primary.
// The command line runs from its sources (cli.ts) and from the npm build (the package's bin, or cli.js in results
// from before 2026-12-07; results from before the npm build was measured have the sources only). A first table
// gives the times of every command, a second the ratios of each form of the command line to each of the others.

import { median, ms, range, ratio, RUNTIME_NAMES, stats } from "./stats.mjs";

/** Ratio of medians (cli / other) of `field`, and the range of the ratios of samples taken in the same round. */
function compare(cli, other, field) {
  const pairs = cli.map((s) => s[field] / (other.find((o) => o.rep === s.rep)?.[field] ?? NaN));
  const st = stats(pairs);
  const r = median(cli.map((s) => s[field])) / median(other.map((s) => s[field]));
  return `${ratio(r)}${st.n > 1 ? ` (${ratio(st.min)}-${ratio(st.max)})` : ""}`;
}

/** unicluster's command line: "cli" (the sources) and "cli-npm" (the npm build). */
const isCli = (config) => config === "cli" || config === "cli-npm";

/** What the npm build's rows ran, as their labels say: the package's bin (since 2026-12-07) or cli.js. */
function npmCommands(rows) {
  const bin = rows.some((s) => s.config === "cli-npm" && s.label.includes("bin/unicluster.js"));
  return bin
    ? "what `npx unicluster`, `bunx unicluster` and `deno run -A npm:unicluster/cli` run: " +
      "`node <package>/bin/unicluster.js`, `bun <package>/bin/unicluster.js` (the package's bin, which runs " +
      "`cli.js` on Node and its Bun build on Bun), `deno run -A <package>/cli.js`"
    : "`cli.js`, what `npx unicluster`, `bunx unicluster` and `deno run -A npm:unicluster/cli` ran: " +
      "`node <package>/cli.js`, `bun <package>/cli.js`, `deno run -A <package>/cli.js`";
}

function timesTable(rows, lines) {
  lines.push(
    "| runtime | command | first answer (ms) | both workers answering (ms) |",
    "|---|---|---|---|",
  );
  for (const runtime of Object.keys(RUNTIME_NAMES)) {
    const configs = [...new Set(rows.filter((s) => s.runtime === runtime).map((s) => s.config))];
    for (const config of configs) {
      const runs = rows.filter((s) => s.runtime === runtime && s.config === config && !s.error);
      const label = rows.find((s) => s.runtime === runtime && s.config === config).label;
      if (runs.length === 0) {
        lines.push(`| ${RUNTIME_NAMES[runtime]} | ${label} | every run failed | |`);
        continue;
      }
      const single = runs.filter((s) => s.bothError).length;
      const both = `${range(stats(runs.map((s) => s.bothMs)), ms)}${
        single ? ` (${single} saw one worker only)` : ""
      }`;
      lines.push(
        `| ${RUNTIME_NAMES[runtime]} | ${label} | ${
          range(stats(runs.map((s) => s.firstMs)), ms)
        } | ${both} |`,
      );
    }
  }
}

function ratioTable(rows, lines) {
  lines.push(
    "| runtime | command line | against | ratio, first answer | ratio, both workers |",
    "|---|---|---|---|---|",
  );
  for (const runtime of Object.keys(RUNTIME_NAMES)) {
    const mine = rows.filter((s) => s.runtime === runtime);
    const configs = [...new Set(mine.map((s) => s.config))];
    const ok = (config) => mine.filter((s) => s.config === config && !s.error);
    const label = (config) => mine.find((s) => s.config === config).label;
    for (const cli of configs.filter(isCli)) {
      for (const other of configs.filter((c) => !isCli(c))) {
        const [a, b] = [ok(cli), ok(other)];
        const cells = a.length && b.length
          ? `${compare(a, b, "firstMs")} | ${compare(a, b, "bothMs")}`
          : "n/a (every run failed) |";
        lines.push(`| ${RUNTIME_NAMES[runtime]} | ${label(cli)} | ${label(other)} | ${cells} |`);
      }
    }
  }
}

export function startupSection(data, lines) {
  const rows = data.startup ?? [];
  if (rows.length === 0) return;
  const reps = Math.max(...rows.map((s) => s.rep)) + 1;
  const module = rows.find((s) => s.module)?.module ?? "bench/startup/fetch_id.ts";
  const npm = rows.some((s) => s.config === "cli-npm");
  lines.push("## 8. Start-up of the command line", "");
  lines.push(
    `From starting \`cli.ts -w 2 --port P --host 127.0.0.1 ${module}\` (a module with a default ` +
      "`fetch` export; `node cli.ts`, `bun cli.ts`, `deno run -A cli.ts`" +
      (npm ? `; also the npm build's command line, ${npmCommands(rows)}` : "") +
      ") to the first successful HTTP answer on the port, and to the first answer from a second worker (each " +
      "worker answers with an id of its own), against the same module under `deno serve --parallel` " +
      "(DENO_JOBS=2) and a hand-written node:cluster primary with 2 node:http workers " +
      "(bench/servers/cluster_http.mjs with node:cluster). The port is polled with a new connection every 5 ms; " +
      "the whole process group is killed after each sample and gone before the next. One untimed start of each " +
      `command first (module caches), then ${reps} rounds, ` +
      (npm
        ? "in an order that changes every round (abc, cba, bca, acb, cab, bac: over six rounds each goes first, " +
          "in between and last twice); "
        : "the order reversed every other round; ") +
      "median (min-max) ms.",
    "",
  );
  timesTable(rows, lines);
  lines.push(
    "",
    "Ratio: the command line / the other command, ratio of medians (range of the ratios within a round); below " +
      "1.0x the command line is faster.",
    "",
  );
  ratioTable(rows, lines);
  const failed = rows.filter((s) => s.error);
  if (failed.length) {
    lines.push(
      "",
      `Failed runs: ${failed.map((s) => `${s.runtime} ${s.config}: ${s.error.split("\n")[0]}`).join("; ")}`,
    );
  }
  const forced = rows.filter((s) => s.forcedKill);
  if (forced.length) {
    lines.push(
      "",
      `Needed SIGKILL to stop (SIGTERM to the process group left a process after 3 s): ${
        forced.map((s) => `${s.runtime} ${s.config} round ${s.rep + 1}`).join(", ")
      }.`,
    );
  }
  lines.push("");
}
