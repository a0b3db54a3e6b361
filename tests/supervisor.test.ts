// The supervisor with real workers and sockets on 127.0.0.1: respawn, crash loop, an app that cannot start, rolling
// reload under load (and its rollback), graceful shutdown with a request in flight and a drain delay, a blocked
// event loop, a memory limit, SIGTTIN/SIGTTOU, and /metrics. Supervisors in this process use a cluster of their
// own (signals off); the tests that need signals run a primary process (tests/fixtures/supervised.ts).
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import http from "node:http";
import { after, describe, test } from "node:test";
import { type Cluster, createCluster, type Worker } from "../mod.ts";
import { supervise, type Supervisor, type SupervisorOptions } from "../supervisor.ts";
import {
  alive,
  expectedMode,
  fixture,
  freePort,
  gone,
  httpGet,
  killAll,
  runtime,
  scriptCommand,
} from "./_helpers.ts";

const supervisors: { supervisor: Supervisor; cluster: Cluster }[] = [];
const primaries: ChildProcess[] = [];
after(async () => {
  for (const { supervisor, cluster } of supervisors) {
    supervisor.shutdown();
    await killAll(Object.values(cluster.workers ?? {}));
  }
  for (const primary of primaries) primary.kill("SIGKILL");
});

/** Prometheus' checker, where it is installed. */
const promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].find((path) => existsSync(path));

/** A port that was free a moment ago: workers replaced one by one keep it, where port 0 would change. */
/** A supervisor in this process, over a cluster of its own that runs the fixture's workers. */
function supervised(
  options: SupervisorOptions,
): { supervisor: Supervisor; cluster: Cluster; port: Promise<number> } {
  const cluster = createCluster();
  const port = new Promise<number>((resolve) =>
    cluster.once("listening", (_w, address) => resolve(address.port))
  );
  const supervisor = supervise({
    signals: false,
    heartbeatInterval: 100,
    backoffInitial: 20,
    ...options,
    settings: { exec: fixture("supervised"), ...options.settings },
  }, cluster);
  supervisors.push({ supervisor, cluster });
  return { supervisor, cluster, port };
}

function get(
  port: number,
  path = "/",
  agent: http.Agent | false = false,
): Promise<{ status: number; body: string }> {
  return httpGet(port, path, agent, 10_000);
}

/** Resolves with the first supervisor event `name` that passes `test`. */
function event<T>(supervisor: Supervisor, name: string, test: (info: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve) => {
    const listener = (info: T) => {
      if (!test(info)) return;
      supervisor.off(name, listener);
      resolve(info);
    };
    supervisor.on(name, listener);
  });
}

/** Sends requests without pause, half on new connections and half kept alive, until `until` settles. */
async function load(
  port: number,
  until: Promise<unknown>,
): Promise<{ ok: number; failed: number; errors: string[] }> {
  let done = false;
  until.finally(() => done = true);
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const result = { ok: 0, failed: 0, errors: [] as string[] };
  const client = async (agent: http.Agent | false) => {
    while (!done) {
      try {
        const { status } = await get(port, "/", agent);
        if (status === 200) result.ok++;
        else result.failed++;
      } catch (error) {
        result.failed++;
        result.errors.push((error as Error).message);
      }
    }
  };
  await Promise.all([client(false), client(keepAlive), client(false), client(keepAlive)]);
  keepAlive.destroy();
  return result;
}

/**
 * No request fails where the port is shared round-robin (the listener stays in the primary while a worker is
 * replaced). With SO_REUSEPORT, Linux resets the connections queued on a listener that closes: those are counted
 * and reported, and must stay few.
 */
function assertNoLoss(traffic: { ok: number; failed: number; errors: string[] }, what: string): void {
  if (expectedMode("http", "rr", false) === "rr") {
    assert.equal(traffic.failed, 0, `no request failed: ${traffic.errors.slice(0, 3)}`);
    return;
  }
  console.log(
    `${what} with SO_REUSEPORT on ${runtime}: ${traffic.failed} of ${traffic.ok + traffic.failed} failed`,
  );
  assert.ok(traffic.failed <= traffic.ok / 20, `few requests failed: ${JSON.stringify(traffic)}`);
}

/** A primary process running the fixture with these options; its stdout lines are its events. */
function primaryProcess(options: SupervisorOptions, env: Record<string, string> = {}) {
  const script = fixture("supervised");
  const [file, args] = scriptCommand(script);
  const child = spawn(file, args, {
    env: {
      ...process.env,
      ...env,
      SUPERVISOR_OPTIONS: JSON.stringify({ heartbeatInterval: 100, ...options }),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  primaries.push(child);
  const events: Record<string, unknown>[] = [];
  let stderr = "";
  let buffered = "";
  const waiters: {
    test: (e: Record<string, unknown>) => boolean;
    resolve: (e: Record<string, unknown>) => void;
  }[] = [];
  child.stdout!.on("data", (chunk) => {
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines.filter((l) => l.startsWith("{"))) {
      const parsed = JSON.parse(line);
      events.push(parsed);
      for (const waiter of [...waiters]) {
        if (waiter.test(parsed)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(parsed);
        }
      }
    }
  });
  child.stderr!.on("data", (chunk) => stderr += chunk);
  const exited = new Promise<[number | null, string | null]>((resolve) =>
    child.on("exit", (c, s) => resolve([c, s]))
  );
  const next = (test: (e: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const found = events.find(test);
      if (found) resolve(found);
      else waiters.push({ test, resolve });
    });
  // Signals go by pid: Deno's ChildProcess.kill() sends only a child's first signal, and then reports it as the
  // child's end whatever its real exit was.
  const signal = (name: NodeJS.Signals) => process.kill(child.pid!, name);
  return { child, signal, events, next, exited, stderr: () => stderr };
}

describe(`supervisor on ${runtime}`, () => {
  test("a worker killed with SIGKILL is replaced, and its replacement serves", async () => {
    const { supervisor, cluster, port } = supervised({ workers: 2, env: { MODE: "serve" } });
    await supervisor.started;
    const [victim] = Object.values(cluster.workers!);
    const respawn = event<{ reason: string; slot: number }>(supervisor, "respawn");
    const replaced = event<{ pid: number }>(supervisor, "ready");
    victim.process.kill("SIGKILL");
    assert.equal((await respawn).reason, "crash");
    const { pid } = await replaced;
    assert.notEqual(pid, victim.process.pid);
    const answers = new Set<string>();
    for (let i = 0; i < 20; i++) answers.add((await get(await port)).body);
    assert.ok(answers.has(String(pid)), `the replacement answers: ${[...answers]}`);
    assert.equal(supervisor.stats().restarts.crash, 1);
    await supervisor.shutdown();
  });

  test("a crash loop stops respawning at the limit and says why", async () => {
    const { supervisor } = supervised({ workers: 1, env: { MODE: "crash-after-ready" }, crashLoopLimit: 3 });
    const loop = event<{ reason: string; stderr: string[] }>(supervisor, "crashloop");
    const fatal = event<Error & { exitCode: number }>(supervisor, "fatal");
    const { reason } = await loop;
    assert.match(reason, /3 failures within 60000 ms; the last worker exited with code 1/);
    assert.equal((await fatal).exitCode, 4, "no worker left serving: the supervisor gives up");
    assert.equal(supervisor.stats().restarts.crash, 2, "two replacements, then the limit");
  });

  test("an app that cannot load: the primary exits at once with code 3 and the reason", async () => {
    const started = Date.now();
    const primary = primaryProcess({ workers: 2 }, { MODE: "cannot-load" });
    const fatal = await primary.next((e) => e.event === "fatal");
    assert.match(String(fatal.reason), /no worker could start: exited with code 1/);
    assert.deepEqual(await primary.exited, [3, null]);
    assert.match(primary.stderr(), /boom: the app cannot load its configuration/);
    assert.ok(Date.now() - started < 15_000, "quickly, not after endless retries");
  });

  test("a rolling reload under load replaces every worker; round-robin loses no request", async () => {
    const { supervisor, cluster, port } = supervised({ workers: 2, env: { MODE: "serve" } });
    await supervisor.started;
    const before = Object.values(cluster.workers!).map((w) => w.process.pid);
    const reloading = new Promise((resolve) => setTimeout(resolve, 200)).then(() => supervisor.reload());
    const traffic = await load(await port, reloading);
    await reloading;
    const afterPids = Object.values(cluster.workers!).map((w) => w.process.pid);
    assert.equal(afterPids.length, 2);
    for (const pid of before) assert.ok(!afterPids.includes(pid), "every worker was replaced");
    assert.ok(traffic.ok > 50, `requests went through: ${JSON.stringify(traffic)}`);
    assertNoLoss(traffic, "reload");
    assert.equal(supervisor.stats().reloads.success, 1);
    await supervisor.shutdown();
  });

  test("a reload whose new worker cannot start rolls back: the old workers keep serving", async () => {
    const { supervisor, cluster, port } = supervised({ workers: 2, env: { MODE: "serve" } });
    await supervisor.started;
    const before = Object.values(cluster.workers!).map((w) => w.process.pid).sort();
    await assert.rejects(
      supervisor.reload({ env: { MODE: "cannot-load" } }),
      /exited \(code 1\) before it was ready/,
    );
    assert.deepEqual(Object.values(cluster.workers!).map((w) => w.process.pid).sort(), before);
    assert.equal((await get(await port)).status, 200);
    assert.equal(supervisor.stats().reloads["rolled-back"], 1);
    await supervisor.shutdown();
  });

  test("SIGTERM: a slow request in flight completes, /readyz turns 503 while draining, then everything exits 0", async () => {
    const primary = primaryProcess({ workers: 1, drainDelay: 600, healthPort: 0 }, {
      MODE: "serve",
      SLOW_MS: "800",
    });
    const health = (await primary.next((e) => e.event === "started")).health as number;
    const port = (await primary.next((e) => e.event === "listening")).port as number;
    const workerPid = primary.events.find((e) => e.event === "ready")!.pid as number;
    assert.equal((await get(health, "/healthz")).status, 200);
    assert.equal((await get(health, "/readyz")).status, 200);
    assert.match((await get(health, "/metrics")).body, /^unicluster_workers\{phase="ready"\} 1$/m);
    const slow = get(port, "/slow");
    await new Promise((resolve) => setTimeout(resolve, 100));
    primary.signal("SIGTERM");
    await primary.next((e) => e.event === "shutdown" && e.phase === "draining");
    assert.equal((await get(health, "/readyz")).status, 503, "not ready while draining");
    assert.equal((await get(port, "/")).status, 200, "still serving during the drain delay");
    assert.deepEqual(
      await slow,
      { status: 200, body: `slow ${workerPid}` },
      "the request in flight completed",
    );
    assert.deepEqual(await primary.exited, [0, null]);
    assert.equal(await gone(workerPid), true);
  });

  test("SIGKILL to the primary: no worker remains after 1 s", async () => {
    const primary = primaryProcess({ workers: 2 }, { MODE: "serve" });
    await primary.next((e) => e.event === "started");
    const pids = primary.events.filter((e) => e.event === "ready").map((e) => e.pid as number);
    assert.equal(pids.length, 2);
    primary.child.kill("SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const pid of pids) assert.equal(alive(pid), false, `worker ${pid} outlived its primary by 1 s`);
  });

  test("a worker whose event loop is blocked is replaced within the heartbeat timeout", async () => {
    const fixed = await freePort();
    const { supervisor, port } = supervised({
      workers: 1,
      env: { MODE: "serve", PORT: String(fixed) },
      heartbeatTimeout: 600,
    });
    await supervisor.started;
    const unhealthy = event<{ reason: string }>(supervisor, "unhealthy");
    const started = Date.now();
    await get(await port, "/block");
    assert.equal((await unhealthy).reason, "unresponsive");
    await event(supervisor, "ready");
    assert.ok(Date.now() - started < 6000, "replaced in time");
    assert.equal((await get(await port)).status, 200);
    await supervisor.shutdown();
  });

  test("a worker over the memory limit is replaced, new one first, without a failed request", async () => {
    const { supervisor, port } = supervised({
      workers: 1,
      env: { MODE: "serve", GROW_MB: "96" },
      maxMemory: "600M",
      memorySamples: 2,
    });
    await supervisor.started;
    const rss = supervisor.stats().workers[0].rss ?? 0;
    const replaced = event<{ reason: string }>(supervisor, "unhealthy", (e) => e.reason === "memory");
    const grown = (async () => {
      while (((supervisor.stats().workers[0]?.rss) ?? 0) < 650 * 1024 * 1024) await get(await port, "/grow");
    })();
    const traffic = await load(await port, replaced.then(() => event(supervisor, "exit")));
    await grown.catch(() => {});
    assert.ok(rss < 600 * 1024 * 1024, `the worker starts under the limit (${rss} bytes)`);
    assertNoLoss(traffic, "memory replacement");
    assert.equal(supervisor.stats().restarts.memory, 1);
    await supervisor.shutdown();
  });

  test("/metrics passes promtool check metrics, and /healthz and /readyz answer", {
    skip: promtool === undefined ? "promtool is not installed (.ci/run installs Debian's prometheus)" : false,
  }, async () => {
    const { supervisor } = supervised({ workers: 2, env: { MODE: "serve" }, healthPort: 0 });
    await supervisor.started;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const health = supervisor.healthPort!;
    assert.equal((await get(health, "/healthz")).status, 200);
    assert.equal((await get(health, "/readyz")).status, 200);
    const { body } = await get(health, "/metrics");
    assert.match(body, /^unicluster_workers\{phase="ready"\} 2$/m);
    assert.match(body, /^unicluster_worker_resident_memory_bytes\{slot="1",worker="\d+"\} \d+$/m);
    const check = spawnSync(promtool!, ["check", "metrics"], { input: body, encoding: "utf8" });
    assert.equal(check.status, 0, `promtool: ${check.stdout}${check.stderr}`);
    await supervisor.shutdown();
  });

  test("an output callback that throws: its error is the supervisor's error, and the next lines still come", async () => {
    const lines: string[] = [];
    const errors: Error[] = [];
    const cluster = createCluster();
    const supervisor = supervise({
      signals: false,
      workers: 1,
      settings: { exec: fixture("worker") },
      output: {
        stdout: (line) => {
          if (line === "first") throw new Error("the output callback failed");
          lines.push(line);
        },
      },
    }, cluster);
    supervisors.push({ supervisor, cluster });
    supervisor.on("error", (error: Error) => errors.push(error));
    const worker = await new Promise<Worker>((resolve) => cluster.once("online", resolve));
    worker.send({ cmd: "print", text: "first" });
    worker.send({ cmd: "print", text: "second" });
    const deadline = Date.now() + 10_000;
    while (!lines.includes("second") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(lines, ["second"]);
    assert.deepEqual(errors.map((error) => error.message), ["the output callback failed"]);
    supervisor.shutdown();
    await killAll([worker]);
  });

  test("SIGTTIN adds a worker, SIGTTOU removes one", async () => {
    const primary = primaryProcess({ workers: 1 }, { MODE: "serve" });
    await primary.next((e) => e.event === "started");
    primary.signal("SIGTTIN");
    await primary.next((e) => e.event === "scale" && e.to === 2);
    await primary.next((e) => e.event === "ready" && e.slot === 2);
    primary.signal("SIGTTOU");
    await primary.next((e) => e.event === "scale" && e.to === 1);
    await primary.next((e) => e.event === "exit" && e.slot === 2);
    primary.signal("SIGTERM");
    assert.deepEqual(await primary.exited, [0, null]);
  });
});
