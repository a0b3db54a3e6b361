// wrk, the HTTP load generator: installing it when missing, running it against a port, and reading its report
// (completed responses per second, socket errors, latency percentiles).

import { spawnSync } from "node:child_process";
import process from "node:process";
import { runGroup } from "./groups.mjs";
import { benchEnv } from "./runtimes.mjs";

/** The path of wrk, installed with apt-get (Debian package) when missing. */
export function ensureWrk() {
  const has = () => spawnSync("sh", ["-c", "command -v wrk"], { encoding: "utf8" }).stdout.trim();
  if (has()) return has();
  console.log("wrk not found: installing it with apt-get (Debian package)");
  const apt = (args) =>
    spawnSync("apt-get", args, {
      stdio: "inherit",
      timeout: 300_000,
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  if (apt(["update"]).status !== 0) throw new Error("apt-get update failed");
  if (apt(["install", "-y", "wrk"]).status !== 0) throw new Error("apt-get install -y wrk failed");
  if (!has()) throw new Error("wrk still missing after apt-get install");
  return has();
}

function toMs(value, unit) {
  return Number(value) * ({ us: 0.001, ms: 1, s: 1000, m: 60000 }[unit] ?? 1);
}

/** One wrk run against 127.0.0.1:`port`; `close` sends `Connection: close` (a new connection per request). */
export async function wrkRun(port, { duration, close, threads, connections }) {
  const args = [
    "-t",
    String(threads),
    "-c",
    String(connections),
    "-d",
    `${duration}s`,
    "--latency",
  ];
  if (close) args.push("-H", "Connection: close");
  args.push(`http://127.0.0.1:${port}/`);
  const r = await runGroup("wrk", args, { env: benchEnv(), timeoutMs: (duration + 20) * 1000 });
  const out = r.output;
  const m = out.match(/(\d+) requests in ([\d.]+)(us|ms|s|m),/);
  if (r.code !== 0 || !m) throw new Error(`wrk failed (${r.signal ?? r.code}):\n${out.slice(-1500)}`);
  const requests = Number(m[1]);
  const seconds = toMs(m[2], m[3]) / 1000;
  const errors = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const non2xx = Number(out.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
  const lat = (p) => {
    const x = out.match(new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)`, "m"));
    return x ? Number(toMs(x[1], x[2]).toFixed(3)) : null;
  };
  return {
    rps: (requests - non2xx) / seconds,
    requests,
    seconds,
    non2xx,
    errors: errors ? { connect: +errors[1], read: +errors[2], write: +errors[3], timeout: +errors[4] } : null,
    p50ms: lat(50),
    p99ms: lat(99),
  };
}
