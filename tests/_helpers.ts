// deno-lint-ignore-file no-explicit-any -- test messages are free-form JSON
/**
 * Shared test helpers: fixture paths for the running runtime, forking with guaranteed cleanup, and waiting.
 *
 * @module
 */

import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Cluster, detectRuntime, type SharingMode, type Worker } from "../mod.ts";

/** The runtime running the tests. */
export const runtime: "deno" | "bun" | "node" = detectRuntime();

/** Whether the tests run on the `child_process` route (`UNICLUSTER_ADAPTER=node`; the matrix does so on Deno). */
export const childProcessRoute: boolean = process.env.UNICLUSTER_ADAPTER === "node";

/**
 * How sockets reach workers here: as file descriptors, or, on the Deno adapter's own route (`Deno.Command`, which
 * gives a child no extra fds), through a relay in the primary.
 */
export const handlePassing: "pass" | "relay" = runtime === "deno" && !childProcessRoute ? "relay" : "pass";

/** Whether node:net binds with SO_REUSEPORT here: Deno and Bun; Node from 22.12 and 23.1. */
const netReusesPort = runtime !== "node" || (() => {
  const [major, minor] = process.versions.node.split(".").map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
})();

/**
 * The sharing mode a worker's server gets here (the README's table): `native` is `Deno.serve` or `Bun.serve`;
 * `policy` is the cluster's scheduling policy, `chosen` whether it was set rather than defaulted.
 */
export function expectedMode(
  kind: "net" | "http" | "native",
  policy: "rr" | "none" | "reuseport",
  chosen = true,
): SharingMode {
  // Native servers, and Bun's node:http (built on Bun.serve), are fastest binding the port themselves.
  if (kind === "native" || (runtime === "bun" && kind === "http")) return "reuseport";
  // Where sockets are relayed through the primary, round-robin only when chosen.
  if (handlePassing === "relay") return policy === "rr" && chosen ? "rr" : "reuseport";
  if (policy === "rr") return "rr";
  // Only Node's own net module can share a listening handle that the primary does not accept on.
  if (policy === "none") return runtime === "node" ? "none" : "reuseport";
  return netReusesPort ? "reuseport" : "rr";
}

/** `.ts` under the sources, `.js` under the compiled copy that Node 20 runs. */
const extension = new URL(import.meta.url).pathname.endsWith(".js") ? ".js" : ".ts";

/** Absolute path of a fixture, with the extension of the running copy. */
export function fixture(name: string): string {
  return new URL(`./fixtures/${name}${extension}`, import.meta.url).pathname;
}

/** Waits for an event, failing after `ms`. */
export async function waitFor<T extends unknown[]>(
  emitter: { once(event: string, listener: (...args: any[]) => void): unknown },
  event: string,
  ms = 15000,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for "${event}"`)), ms);
  });
  try {
    return await Promise.race([once(emitter as never, event) as Promise<T>, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for the next user message from a worker that matches `test`. */
export function nextMessage(
  worker: Worker,
  test: (m: any) => boolean = () => true,
  ms = 15000,
): Promise<any> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      worker.off("message", listener);
      reject(new Error(`timed out waiting for a message from worker ${worker.id}`));
    }, ms);
    const listener = (message: unknown) => {
      if (!test(message)) return;
      clearTimeout(timer);
      worker.off("message", listener);
      resolve(message);
    };
    worker.on("message", listener);
  });
}

/**
 * Sends `count` messages `{ cmd: "seq", i }` in one go, then `{ cmd: "count" }`; resolves with the worker's answer
 * (the fixtures that know these say how many came, and whether in order).
 */
export function sendSequence(worker: Worker, count: number): Promise<any> {
  for (let i = 0; i < count; i++) worker.send({ cmd: "seq", i });
  worker.send({ cmd: "count" });
  return nextMessage(worker, (m) => m?.cmd === "count");
}

/** Whether a process id is still alive. */
export function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // An exited process stays a zombie until its parent reaps it; an orphan's new parent (PID 1 here) may take a
  // second or more. A zombie runs nothing: it counts as gone.
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ").pop()?.[0] !== "Z";
  } catch {
    return !existsSync("/proc/self/stat");
  }
}

/** Waits until `pid` is gone (up to `ms`). */
export async function gone(pid: number | undefined, ms = 10000): Promise<boolean> {
  const end = Date.now() + ms;
  while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  return !alive(pid);
}

/**
 * Runs `body` with a `fork` that records every worker, and kills them all afterwards, whether `body` passed or
 * failed. Resolves or rejects as `body` did.
 */
export async function withWorkers<T>(
  cluster: Cluster,
  body: (fork: (env?: Record<string, string>) => Worker, forked: Worker[]) => Promise<T>,
): Promise<T> {
  const forked: Worker[] = [];
  const fork = (env?: Record<string, string>) => {
    const worker = cluster.fork(env);
    forked.push(worker);
    return worker;
  };
  try {
    return await body(fork, forked);
  } finally {
    await killAll(forked);
  }
}

/** Kills workers with SIGKILL and waits until their processes are gone. */
export async function killAll(workers: Worker[]): Promise<void> {
  for (const worker of workers) {
    if (!worker.isDead()) {
      try {
        worker.process.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  for (const worker of workers) {
    if (!worker.isDead()) await waitFor(worker, "exit", 10000).catch(() => {});
    await gone(worker.process.pid);
  }
}

/** Makes `count` new-connection HTTP requests to 127.0.0.1:port and counts the answers by body. */
export async function countAnswers(port: number, count: number): Promise<Record<string, number>> {
  const { request } = await import("node:http");
  const counts: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        { host: "127.0.0.1", port, agent: false, headers: { connection: "close" } },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => text += chunk);
          res.on("end", () => resolve(text));
        },
      );
      req.setTimeout(5000, () => req.destroy(new Error("request timed out")));
      req.on("error", reject);
      req.end();
    });
    counts[body] = (counts[body] ?? 0) + 1;
  }
  return counts;
}

/**
 * Asserts round-robin's split of `total` sequential connections over `workers` workers: each gets its share within
 * 5% of the total. A worker whose acknowledgement of its last connection is still on its way is skipped for a turn
 * (as in Node), so the split is even but not always exact.
 */
export function assertRoundRobin(counts: Record<string, number>, total: number, workers = 2): void {
  const share = total / workers;
  const values = Object.values(counts);
  const ok = values.length === workers && values.every((n) => Math.abs(n - share) <= total * 0.05);
  if (!ok) throw new Error(`round-robin split unevenly: ${JSON.stringify(counts)} of ${total}`);
}

/** The repository root: the nearest folder above this file that holds deno.json (also from .tmp/node20/tests). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "deno.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no deno.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

/** The pinned executable of a runtime (node_modules/.bin; `node` there is Node 24). */
export function runtimeBinary(name: "node" | "deno" | "bun"): string {
  return join(repoRoot(), "node_modules", ".bin", name);
}

/**
 * The command that runs `script` on the runtime running the tests (Deno with every permission), with the
 * runtime's `flags` before the script.
 */
export function scriptCommand(script: string, flags: string[] = []): [string, string[]] {
  if (runtime === "deno") return [runtimeBinary("deno"), ["run", "-A", ...flags, script]];
  if (runtime === "bun") return [runtimeBinary("bun"), [...flags, script]];
  return [process.execPath, [...flags, script]];
}

/**
 * One GET of `path` on 127.0.0.1:`port`: its status and its body (UTF-8). Rejects on a connection error, or when
 * no answer came within `timeoutMs`.
 */
export function httpGet(
  port: number,
  path: string,
  agent: http.Agent | false,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => body += chunk);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
  });
}

/** A port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** Kills a process group (a child started with `detached: true` leads its own); nothing when it is gone. */
export function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}
