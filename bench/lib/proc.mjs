// What /proc says about the processes under test: the live processes of a process group and their CPU time, the
// machine's CPU counters (steal, idle), and the TCP sockets each process holds on a port. Linux only.

import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** Live (not zombie) processes of a process group, from /proc: [{ pid, comm, state, cpuTicks }]. */
export function groupProcesses(pgid) {
  const found = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const rest = stat.slice(close + 2).split(" ");
    if (Number(rest[2]) !== pgid || rest[0] === "Z" || rest[0] === "X") continue;
    found.push({ pid: Number(name), comm, state: rest[0], cpuTicks: Number(rest[11]) + Number(rest[12]) });
  }
  return found;
}

export function cpuStat() {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  return { total: f.reduce((a, b) => a + b, 0), idle: f[3] + f[4], steal: f[7] ?? 0 };
}

export function groupCpu(pgid) {
  return new Map(groupProcesses(pgid).map((p) => [p.pid, p]));
}

/** CPU used by each process of the group between two snapshots, as % of one core over `seconds`. */
export function cpuSplit(before, after, leader, seconds) {
  let primary = 0;
  let others = 0;
  for (const [pid, p] of after) {
    const ticks = p.cpuTicks - (before.get(pid)?.cpuTicks ?? 0);
    if (pid === leader) primary += ticks;
    else others += ticks;
  }
  const pct = (ticks) => Number((ticks / 100 / seconds * 100).toFixed(1));
  return { primary: pct(primary), workers: pct(others) };
}

/**
 * TCP sockets on `port` held by each process of the group, from /proc/net/tcp{,6} and each process's fds:
 * `connections`, the established connections per process (largest first: how keep-alive connections were spread
 * over the workers), and `listeners`, the listening sockets held by the primary (the group leader) and by the
 * workers (who accepts: the primary for round-robin, each worker for SO_REUSEPORT).
 */
export function socketsOnPort(pgid, port) {
  const established = new Set();
  const listening = new Set();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || parseInt(f[1].split(":")[1], 16) !== port) continue;
      if (f[3] === "01") established.add(f[9]);
      else if (f[3] === "0A") listening.add(f[9]);
    }
  }
  const connections = [];
  const listeners = { primary: 0, workers: 0 };
  for (const { pid } of groupProcesses(pgid)) {
    let n = 0;
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          const m = readlinkSync(`/proc/${pid}/fd/${fd}`).match(/^socket:\[(\d+)\]$/);
          if (m && established.has(m[1])) n++;
          if (m && listening.has(m[1])) listeners[pid === pgid ? "primary" : "workers"]++;
        } catch {
          // fd closed meanwhile
        }
      }
    } catch {
      continue;
    }
    if (n > 0) connections.push(n);
  }
  return { connections: connections.sort((a, b) => b - a), listeners };
}
