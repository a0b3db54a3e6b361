// Section 6 of RESULTS.md: what the supervisor costs in requests/s, and how long a rolling reload of 2 workers
// takes, idle and under load, with the requests that failed during it.

import { k, median, ms, range, ratio, RUNTIME_NAMES, stats } from "./stats.mjs";

export function supervisorSection(data, lines) {
  const rows = data.supervisor ?? [];
  const reloads = data.supervisorReload ?? [];
  if (rows.length === 0 && reloads.length === 0) return;
  lines.push("## 6. The supervisor", "");
  lines.push(
    "Requests/s of the same 2 workers run by the plain cluster API and by `supervise()` (heartbeats every second, " +
      `each carrying memory and event-loop delay), wrk -t${data.settings.threads} -c${data.settings.connections} ` +
      `keep-alive for ${data.settings.duration} s after a ${data.settings.warmup} s warm-up, the two alternated; median ` +
      "(min-max) over runs. Ratio: supervised / plain, ratio of medians.",
    "",
    "| runtime | server | plain req/s | supervised req/s | ratio |",
    "|---|---|---|---|---|",
  );
  for (const runtime of Object.keys(RUNTIME_NAMES)) {
    for (const server of ["http", "native"]) {
      const of = (id) =>
        rows.filter((s) => s.runtime === runtime && s.config === id && !s.error).map((s) => s.rps);
      const plain = of(`plain-${server}`);
      const supervised = of(`supervised-${server}`);
      if (plain.length === 0 || supervised.length === 0) continue;
      const name = server === "http" ? "node:http" : runtime === "bun" ? "Bun.serve" : "Deno.serve";
      lines.push(
        `| ${RUNTIME_NAMES[runtime]} | ${name} | ${range(stats(plain), k)} | ${
          range(stats(supervised), k)
        } | ` +
          `${ratio(median(supervised) / median(plain))} |`,
      );
    }
  }
  if (reloads.length > 0) {
    lines.push(
      "",
      `Rolling reload (SIGHUP) of 2 workers, one slot at a time: ${data.settings.reloads} reloads with no load, then ` +
        `${data.settings.reloads} while wrk sends keep-alive requests; time from the reload's start to its end as ` +
        "the primary measures it (each ms value one reload), and the requests that failed during the loaded run " +
        "(socket errors and non-2xx responses). node:http workers share the port round-robin through the primary " +
        "on Node and Bun; Bun.serve, Deno.serve and node:http on Deno listen with SO_REUSEPORT.",
      "",
      "| runtime | server | reload, idle (ms) | reload, under load (ms) | failed / requests |",
      "|---|---|---|---|---|",
    );
    for (const s of reloads) {
      const server = s.server === "http" ? "node:http" : s.runtime === "bun" ? "Bun.serve" : "Deno.serve";
      lines.push(
        s.error
          ? `| ${RUNTIME_NAMES[s.runtime]} | ${server} | failed: ${s.error.split("\n")[0]} | | |`
          : `| ${RUNTIME_NAMES[s.runtime]} | ${server} | ${s.idleMs.map(ms).join(", ")} | ` +
            `${s.loadedMs.map(ms).join(", ")} | ${s.failed} / ${s.requests} |`,
      );
    }
  }
  const failed = rows.filter((s) => s.error);
  if (failed.length > 0) {
    lines.push(
      "",
      `Failed runs: ${failed.map((s) => `${s.runtime} ${s.config}: ${s.error.split("\n")[0]}`).join("; ")}`,
    );
  }
  lines.push("");
}
