// deno-lint-ignore-file no-explicit-any -- the fixtures' JSON lines are free-form
// The install entry (install.ts) makes the runtime's own node:cluster drive unicluster: real packages that
// require("cluster") (prom-client, throng, from node_modules) run on it in a real primary with real workers,
// started from the fixtures as their own process group and killed with it afterwards, passed or failed.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { describe, test } from "node:test";
import { alive, childProcessRoute, fixture, gone, httpGet, runtime, scriptCommand } from "./_helpers.ts";

/** A primary running a fixture, with the JSON lines it printed so far. */
interface Primary {
  child: ChildProcess;
  lines: any[];
  stderr: () => string;
  /** Resolves with the first line (already printed or to come) that `test` accepts. */
  line(test: (line: any) => boolean, ms?: number): Promise<any>;
  /** Resolves with the exit code (or signal) of the primary. */
  exited: Promise<number | string | null>;
}

/** install.ts, or install.js beside the compiled tests. */
const installModule = fixture("install_exec").replace(
  /tests\/fixtures\/install_exec\.([jt]s)$/,
  "install.$1",
);

function start(name: string, flags: string[] = []): Primary {
  const [file, args] = scriptCommand(fixture(name), flags);
  const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
  const lines: any[] = [];
  const waiting = new Set<() => void>();
  let text = "";
  let errors = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    text += chunk;
    const parts = text.split("\n");
    text = parts.pop()!;
    for (const part of parts) if (part.startsWith("{")) lines.push(JSON.parse(part));
    for (const wake of waiting) wake();
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => errors += chunk);
  const exited = new Promise<number | string | null>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal))
  );
  const line = (accept: (line: any) => boolean, ms = 30000) =>
    new Promise<any>((resolve, reject) => {
      const check = () => {
        const found = lines.find(accept);
        if (found === undefined) return;
        clearTimeout(timer);
        waiting.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiting.delete(check);
        reject(new Error(`${name}: no such line in ${JSON.stringify(lines)}; stderr: ${errors}`));
      }, ms);
      waiting.add(check);
      check();
    });
  return { child, lines, stderr: () => errors, line, exited };
}

/** Kills the primary's process group and every worker it reported, and waits until they are gone. */
async function stop(primary: Primary): Promise<void> {
  const pids = new Set<number>([primary.child.pid!]);
  for (const line of primary.lines) {
    if (typeof line.pid === "number") pids.add(line.pid);
    for (const pid of line.workers ?? []) pids.add(pid);
  }
  try {
    process.kill(-primary.child.pid!, "SIGKILL");
  } catch {
    // the group is gone already
  }
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (const pid of pids) assert.equal(await gone(pid), true, `process ${pid} is still running`);
}

async function get(port: number): Promise<string> {
  return (await httpGet(port, "/", false, 5000)).body;
}

const route = childProcessRoute ? " (child_process route)" : "";

describe(`install on ${runtime}${route}`, () => {
  test("require, import and getBuiltinModule of node:cluster reach unicluster, in the primary and a worker", async () => {
    const primary = start("install_named");
    try {
      const main = await primary.line((l) => l.role === "primary");
      const worker = await primary.line((l) => l.role === "worker");
      for (const view of [main, worker]) {
        assert.equal(view.require, true, `require("cluster") in the ${view.role}`);
        assert.equal(view.defaultImport, true, `import cluster from "node:cluster" in the ${view.role}`);
        assert.equal(view.getBuiltinModule, true, `process.getBuiltinModule in the ${view.role}`);
        assert.equal(view.listenersForwarded, true, `forwarding in the ${view.role}`);
      }
      // Measured: Bun makes the named exports of a module statically imported with install.ts when it links
      // the module graph, before install.ts runs, and does not update them; Node (syncBuiltinESMExports) and
      // Deno (which reads them when the module runs) follow.
      const named = runtime !== "bun";
      assert.equal(worker.namedStatic, named, "import { isWorker } from node:cluster in a worker");
      assert.equal(worker.namedDynamic, named, 'await import("node:cluster") in a worker');
      assert.equal(await primary.exited, 0, primary.stderr());
    } finally {
      await stop(primary);
    }
  });

  test("prom-client's AggregatorRegistry.clusterMetrics() merges the metrics of 2 workers", async () => {
    const primary = start("install_prom");
    try {
      const report = await primary.line((l) => "metrics" in l);
      assert.equal(report.forwards, true);
      assert.equal(report.workers.length, 2);
      assert.equal(report.ports[0], report.ports[1], "both workers listen on one port");
      // Which worker answers is the kernel's choice where the port is shared with SO_REUSEPORT (Deno): any may.
      for (const body of report.bodies) assert.match(body, /^worker [12]$/);
      assert.match(report.metrics, /^install_requests_total 6$/m, "the 6 requests, summed over the workers");
      assert.match(report.metrics, /^install_worker_up\{worker="1"\} 1$/m);
      assert.match(report.metrics, /^install_worker_up\{worker="2"\} 1$/m);
      assert.equal(await primary.exited, 0, primary.stderr());
    } finally {
      await stop(primary);
    }
  });

  test("throng starts 2 workers, replaces a killed one and exits cleanly on SIGTERM", async () => {
    const primary = start("install_throng");
    try {
      const first = await primary.line((l) => l.event === "listening" && l.id === 1);
      const second = await primary.line((l) => l.event === "listening" && l.id === 2);
      assert.equal(first.port, second.port, "both workers listen on one port");
      assert.match(await get(first.port), /^worker [12]$/);
      const victim = await primary.line((l) => l.event === "online" && l.id === 1);
      process.kill(victim.pid, "SIGKILL");
      assert.equal(await gone(victim.pid), true);
      const replacement = await primary.line((l) => l.event === "listening" && l.id === 3);
      assert.equal(replacement.port, first.port);
      const answers = new Set<string>();
      for (let i = 0; i < 6; i++) answers.add(await get(first.port));
      assert.deepEqual(answers.has("worker 1"), false, "the killed worker answers no more");
      const pids = primary.lines.filter((l) => l.event === "online").map((l) => l.pid as number);
      assert.equal(pids.length, 3);
      process.kill(primary.child.pid!, "SIGTERM");
      assert.equal(await primary.exited, 0, primary.stderr());
      assert.deepEqual(primary.lines.filter((l) => l.event === "exit"), [{ event: "exit", code: 0 }]);
      for (const pid of pids) assert.equal(await gone(pid), true, `worker ${pid} outlived its primary`);
      assert.equal(alive(primary.child.pid), false);
    } finally {
      await stop(primary);
    }
  });

  test("a worker whose exec differs gets unicluster as node:cluster from the preload it inherits", {
    skip: runtime === "deno"
      ? "Deno 2.9: a worker started with --preload of unicluster (install.ts, or mod.ts alone) never runs its " +
        "main module (measured with install.ts on both routes, with mod.ts on the default one); such a worker " +
        "imports install.ts first itself"
      : false,
  }, async () => {
    const primary = start("install_exec", [runtime === "bun" ? "--preload" : "--import", installModule]);
    try {
      const main = await primary.line((l) => l.role === "primary");
      assert.equal(main.isPrimary, true);
      assert.deepEqual(await primary.line((l) => l.role === "worker"), {
        role: "worker",
        isWorker: true,
        id: 1,
      });
      assert.equal(await primary.exited, 0, primary.stderr());
    } finally {
      await stop(primary);
    }
  });
});
