// deno-lint-ignore-file no-explicit-any -- test messages are free-form JSON
// The node:cluster API on real worker processes, the same file on Deno, Bun, Node 24 and (compiled) Node 20.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import cluster, { type Worker } from "../mod.ts";
import {
  alive,
  childProcessRoute,
  fixture,
  gone,
  killAll,
  nextMessage,
  runtime,
  sendSequence,
  waitFor,
  withWorkers,
} from "./_helpers.ts";

const all: Worker[] = [];

before(() => {
  cluster.setupPrimary({ exec: fixture("worker") });
});

after(async () => {
  await killAll(all);
});

function fork(env?: Record<string, string>): Worker {
  const worker = cluster.fork(env);
  all.push(worker);
  return worker;
}

async function ready(worker: Worker): Promise<void> {
  await nextMessage(worker, (m) => m?.cmd === "ready");
}

describe(`cluster on ${runtime}`, () => {
  test("is the primary, with Node's names and the old aliases", () => {
    assert.equal(cluster.isPrimary, true);
    assert.equal(cluster.isMaster, true);
    assert.equal(cluster.isWorker, false);
    assert.equal(cluster.worker, undefined);
    assert.equal(cluster.setupMaster.length, cluster.setupPrimary.length);
    assert.equal(cluster.SCHED_NONE, 1);
    assert.equal(cluster.SCHED_RR, 2);
    assert.equal(cluster.adapter.name, childProcessRoute ? "node" : runtime);
  });

  test("fork -> online -> exit, on the worker and the cluster, in that order", async () => {
    const events: string[] = [];
    const onFork = (w: Worker) => events.push(`cluster:fork:${w.id}`);
    const onOnline = (w: Worker) => events.push(`cluster:online:${w.id}`);
    const onExit = (w: Worker, code: number | null, signal: string | null) =>
      events.push(`cluster:exit:${w.id}:${code}:${signal}`);
    cluster.on("fork", onFork).on("online", onOnline).on("exit", onExit);
    try {
      const worker = fork();
      assert.equal(worker.state, "none");
      assert.equal(cluster.workers![worker.id], worker);
      worker.on("online", () => events.push(`worker:online:${worker.id}`));
      worker.on("exit", (code, signal) => events.push(`worker:exit:${worker.id}:${code}:${signal}`));
      await waitFor(worker, "online");
      assert.equal(worker.state, "online");
      assert.equal(typeof worker.process.pid, "number");
      assert.equal(worker.isConnected(), true);
      assert.equal(worker.isDead(), false);
      assert.equal(worker.exitedAfterDisconnect, undefined);
      worker.send({ cmd: "exit", code: 0 });
      await waitFor(worker, "exit");
      const id = worker.id;
      assert.deepEqual(events, [
        `cluster:fork:${id}`,
        `worker:online:${id}`,
        `cluster:online:${id}`,
        `worker:exit:${id}:0:null`,
        `cluster:exit:${id}:0:null`,
      ]);
      assert.equal(worker.isDead(), true);
      assert.equal(worker.exitedAfterDisconnect, false);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(
        cluster.workers![id],
        undefined,
        "removed from cluster.workers once disconnected and exited",
      );
      assert.equal(worker.state, "dead");
    } finally {
      cluster.off("fork", onFork).off("online", onOnline).off("exit", onExit);
    }
  });

  test("ids count up and are never reused", async () => {
    const a = fork();
    const b = fork();
    assert.equal(b.id, a.id + 1);
    await Promise.all([ready(a), ready(b)]);
    await killAll([a, b]);
    const c = fork();
    assert.equal(c.id, b.id + 1);
    await ready(c);
    await killAll([c]);
  });

  test("messages go both ways; internal ones never reach user listeners", async () => {
    const worker = fork();
    await ready(worker);
    const fromCluster = new Promise<unknown[]>((resolve) =>
      cluster.once("message", (w: Worker, message: unknown) => resolve([w, message]))
    );
    worker.send({ cmd: "echo", payload: { n: 1, text: "héllo" } });
    assert.deepEqual(await nextMessage(worker, (m) => m.cmd === "echo"), {
      cmd: "echo",
      payload: { n: 1, text: "héllo" },
    });
    const [who, what] = await fromCluster;
    assert.equal(who, worker);
    assert.deepEqual(what, { cmd: "echo", payload: { n: 1, text: "héllo" } });
    worker.send({ cmd: "echoWorker", payload: [1, 2, 3] });
    assert.deepEqual((await nextMessage(worker, (m) => m.cmd === "echoWorker")).payload, [1, 2, 3]);
    worker.send({ cmd: "report" });
    const report = await nextMessage(worker, (m) => m.cmd === "report");
    assert.equal(report.id, worker.id);
    assert.equal(report.isWorker, true);
    assert.equal(report.isPrimary, false);
    assert.equal(report.identityInEnv, null, "identity variable removed before user code");
    assert.equal(report.seenInternal, false);
    assert.equal(report.seenCount, 3, "process.on('message') saw the three user messages");
    assert.equal(report.viaWorkerCount, 3, "cluster.worker.on('message') saw them too");
    assert.equal(report.state, "online");
    assert.equal(report.forkError, "ERR_CLUSTER_NOT_PRIMARY");
    await killAll([worker]);
  });

  test("a message the worker's own code emits on process reaches its message listeners", async () => {
    const worker = fork();
    await ready(worker);
    worker.send({ cmd: "emitSelf" });
    const echo = await nextMessage(worker, (m) => m.cmd === "echo");
    assert.equal(echo.payload, "emitted by the worker");
    await killAll([worker]);
  });

  test("process.once('message') in a worker waits for a user message: internal ones pass it by", async () => {
    const worker = fork();
    await ready(worker);
    const seen: { cmd?: string }[] = [];
    worker.on("message", (message) => seen.push(message));
    worker.send({ cmd: "onceNext" });
    await nextMessage(worker, (m) => m.cmd === "onceReady");
    const pong = new Promise<void>((resolve) => {
      const stop = cluster.internal.on("test:pong", () => {
        stop();
        resolve();
      });
    });
    cluster.internal.send(worker, "test:ping", {});
    await pong;
    worker.send({ first: 1 });
    worker.send({ second: 2 });
    const got = await nextMessage(worker, (m) => m.cmd === "onceGot");
    assert.deepEqual(got.next, { first: 1 }, "the first user message after the internal one");
    worker.send({ cmd: "echo", payload: "after" });
    await nextMessage(worker, (m) => m.cmd === "echo");
    assert.equal(seen.filter((m) => m.cmd === "onceGot").length, 1, "a one-time listener runs once");
    assert.equal(seen.filter((m) => m.cmd === "removedListenerRan").length, 0, "a removed one never runs");
    await killAll([worker]);
  });

  test("extension messages (cluster.internal) go both ways, and no user listener sees them", async () => {
    const worker = fork();
    await ready(worker);
    const userMessages: unknown[] = [];
    const onMessage = (_w: Worker, message: unknown) => userMessages.push(message);
    cluster.on("message", onMessage);
    const pong = new Promise<unknown[]>((resolve) => {
      const stop = cluster.internal.on("test:pong", (from, body) => {
        stop();
        resolve([from, body]);
      });
    });
    assert.equal(cluster.internal.send(worker, "test:ping", { n: 7 }), true);
    const [from, body] = await pong;
    assert.equal(from, worker);
    assert.deepEqual(body, { body: { n: 7 }, pid: worker.process.pid });
    worker.send({ cmd: "report" });
    const report = await nextMessage(worker, (m) => m.cmd === "report");
    assert.equal(report.seenInternal, false);
    assert.equal(report.seenCount, 1, "the worker's process.on('message') saw only the report request");
    cluster.off("message", onMessage);
    assert.deepEqual(userMessages, [report], "the primary's message listeners saw only the report");
    await killAll([worker]);
  });

  test("exit code and signal are reported as Node reports them", async () => {
    const exits = fork();
    await ready(exits);
    exits.send({ cmd: "exit", code: 3 });
    assert.deepEqual(await waitFor(exits, "exit"), [3, null]);
    assert.equal(exits.process.exitCode, 3);

    const signalled = fork();
    await ready(signalled);
    signalled.process.kill("SIGTERM");
    assert.deepEqual(await waitFor(signalled, "exit"), [null, "SIGTERM"]);
    assert.equal(signalled.process.signalCode, "SIGTERM");
    assert.equal(signalled.exitedAfterDisconnect, false);
  });

  test("worker.disconnect() sets exitedAfterDisconnect; worker.kill() only signals, as in Node", async () => {
    const killed = fork();
    await ready(killed);
    const seen: string[] = [];
    killed.on("disconnect", () => seen.push(`disconnect:${killed.exitedAfterDisconnect}:${killed.state}`));
    const killedExit = waitFor(killed, "exit");
    killed.kill("SIGKILL");
    assert.deepEqual(await killedExit, [null, "SIGKILL"]);
    assert.deepEqual(seen, ["disconnect:false:disconnected"], "disconnect came first, not asked for");
    assert.equal(killed.exitedAfterDisconnect, false);
    assert.equal(killed.suicide, false);
    assert.equal(killed.isDead(), true);

    const parted = fork();
    await ready(parted);
    const order: string[] = [];
    parted.on("disconnect", () => order.push("disconnect"));
    parted.on("exit", () => order.push("exit"));
    assert.equal(parted.disconnect(), parted);
    await waitFor(parted, "exit");
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(order, ["disconnect", "exit"]);
    assert.equal(parted.exitedAfterDisconnect, true);
    assert.equal(parted.process.exitCode, 0);
  });

  test("a worker can disconnect itself", async () => {
    const worker = fork();
    await ready(worker);
    worker.send({ cmd: "disconnectSelf" });
    const [code] = await waitFor<[number]>(worker, "exit");
    assert.equal(code, 0);
    assert.equal(worker.exitedAfterDisconnect, true);
  });

  test("a worker asked twice to disconnect leaves once: its channel closes once and it exits 0", async () => {
    for (let round = 0; round < 3; round++) {
      const worker = fork();
      await ready(worker);
      const disconnects: string[] = [];
      worker.on("disconnect", () => disconnects.push("disconnect"));
      const exited = waitFor<[number | null, string | null]>(worker, "exit");
      worker.send({ cmd: "disconnectTwice" });
      assert.deepEqual(await exited, [0, null]);
      assert.deepEqual(disconnects, ["disconnect"]);
      assert.equal(worker.exitedAfterDisconnect, true);
    }
  });

  test("sending while a worker disconnects itself never throws; a failed write is an EPIPE error", async () => {
    const worker = fork();
    await ready(worker);
    const errors: (Error & { code?: string; syscall?: string })[] = [];
    worker.on("error", (error) => errors.push(error));
    // The exit may come while the loop below waits a turn (not events.once: an `error` event would reject it).
    const exited = new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for "exit"')), 15_000);
      worker.once("exit", (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    worker.send({ cmd: "disconnectSelf" });
    let sends = 0;
    // Back to back until the primary hears of the disconnect: some land as the worker's end closes.
    while (worker.isConnected() && sends < 3_000) {
      worker.send({ cmd: "seq", n: sends++ });
      if (sends % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const code = await exited;
    assert.equal(code, 0);
    for (const error of errors) {
      assert.equal(error.syscall, "write", String(error));
      assert.ok(["EPIPE", "ECONNRESET"].includes(error.code ?? ""), String(error));
    }
  });

  test("cluster.disconnect(callback) runs the callback once every worker is gone", async () => {
    const a = fork();
    const b = fork();
    await Promise.all([ready(a), ready(b)]);
    await new Promise<void>((resolve) => cluster.disconnect(resolve));
    assert.equal(Object.keys(cluster.workers!).length, 0);
    assert.equal(await gone(a.process.pid), true);
    assert.equal(await gone(b.process.pid), true);
  });

  test("a 1 MiB message arrives intact, and 10,000 messages arrive complete and in order", async () => {
    const worker = fork();
    await ready(worker);
    const size = 1024 * 1024;
    worker.send({ cmd: "big", size });
    const big = await nextMessage(worker, (m) => m.cmd === "big");
    assert.equal(big.data.length, size);
    assert.equal(big.data, "x".repeat(size));

    const received: number[] = [];
    const done = new Promise<void>((resolve) => {
      const listener = (m: any) => {
        if (m.cmd !== "flood") return;
        received.push(m.i);
        if (received.length === 10000) {
          worker.off("message", listener);
          resolve();
        }
      };
      worker.on("message", listener);
    });
    worker.send({ cmd: "flood", count: 10000 });
    await done;
    assert.deepEqual(received, Array.from({ length: 10000 }, (_, i) => i));

    assert.deepEqual(await sendSequence(worker, 10000), { cmd: "count", received: 10000, inOrder: true });
    await killAll([worker]);
  });

  test("bad input: clear errors with Node-style codes, and the primary keeps running", async () => {
    const bad: [unknown, string][] = [
      [{ exec: 42 }, "ERR_INVALID_ARG_TYPE"],
      [{ args: "a" }, "ERR_INVALID_ARG_TYPE"],
      [{ execArgv: [1] }, "ERR_INVALID_ARG_TYPE"],
      [{ silent: "yes" }, "ERR_INVALID_ARG_TYPE"],
      [{ uid: -1 }, "ERR_INVALID_ARG_TYPE"],
      [{ serialization: "xml" }, "ERR_INVALID_ARG_VALUE"],
      [{ runtime: "python" }, "ERR_INVALID_ARG_VALUE"],
      ["settings", "ERR_INVALID_ARG_TYPE"],
    ];
    for (const [settings, code] of bad) {
      assert.throws(() => cluster.setupPrimary(settings as never), (error: any) => {
        assert.equal(error.code, code, `setupPrimary(${JSON.stringify(settings)})`);
        assert.ok(error instanceof TypeError);
        return true;
      });
    }
    assert.throws(() => cluster.setupPrimary({ exec: 42 } as never), /settings\.exec/);
    const exec = cluster.settings.exec;
    cluster.setupPrimary({ exec: "/nonexistent/worker.ts" });
    assert.throws(() => cluster.fork(), { code: "ERR_MODULE_NOT_FOUND" });
    cluster.setupPrimary({ exec });
    assert.throws(() => (cluster.schedulingPolicy = 7 as never), { code: "ERR_INVALID_ARG_VALUE" });

    const worker = fork();
    await ready(worker);
    assert.throws(() => worker.send(() => 1), { code: "ERR_INVALID_ARG_TYPE" });
    assert.throws(() => worker.send(undefined), { code: "ERR_MISSING_ARGS" });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    assert.throws(() => worker.send(cycle), TypeError);
    assert.throws(() => worker.send({ big: 10n }), TypeError);
    assert.throws(() => worker.kill("SIGNOPE"), { code: "ERR_UNKNOWN_SIGNAL" });
    assert.equal(worker.isDead(), false, "a bad kill leaves the worker alone");
    worker.send({ cmd: "echo", payload: "still fine" });
    assert.equal((await nextMessage(worker, (m) => m.cmd === "echo")).payload, "still fine");

    await killAll([worker]);
    const error = await new Promise<Error | null>((resolve) => {
      const sent = worker.send({ cmd: "echo" }, (err: Error | null) => resolve(err));
      assert.equal(sent, false);
    });
    assert.equal((error as { code?: string })?.code, "ERR_IPC_CHANNEL_CLOSED");
  });

  test("the setup event and cumulative settings", async () => {
    const seen = new Promise<unknown>((resolve) => cluster.once("setup", resolve));
    cluster.setupPrimary({ args: ["--flag"] });
    const settings = await seen as Record<string, unknown>;
    assert.deepEqual(settings.args, ["--flag"]);
    assert.equal(settings.exec, fixture("worker"), "earlier settings are kept");
    assert.equal(cluster.settings, settings);
    assert.equal(cluster.settings.runtime, undefined, "only what Node shows, and what was given");
    cluster.setupPrimary({ args: [] });
  });

  test("two workers share one port: listen(0) gives both the same port, and both answer", async () => {
    await withWorkers(cluster, async (forkTracked) => {
      const workers = [forkTracked(), forkTracked()];
      await Promise.all(workers.map(ready));
      const addresses: any[] = [];
      const listening = new Promise<void>((resolve) => {
        const onListening = (_w: Worker, address: unknown) => {
          addresses.push(address);
          if (addresses.length === 2) {
            cluster.off("listening", onListening);
            resolve();
          }
        };
        cluster.on("listening", onListening);
      });
      for (const worker of workers) worker.send({ cmd: "serve", port: 0 });
      const serving = await Promise.all(workers.map((w) => nextMessage(w, (m) => m.cmd === "serving")));
      await listening;
      assert.equal(serving[0].port, serving[1].port, "same port for listen(0)");
      assert.equal(addresses[0].port, serving[0].port);
      assert.equal(addresses[0].addressType, 4);
      for (const worker of workers) assert.equal(worker.state, "listening");
      const { assertRoundRobin, countAnswers } = await import("./_helpers.ts");
      const counts = await countAnswers(serving[0].port, 200);
      const mode = addresses[0].mode;
      assert.deepEqual(Object.keys(counts).sort(), [`worker-${workers[0].id}`, `worker-${workers[1].id}`]);
      if (mode === "rr") assertRoundRobin(counts, 200);
    });
  });

  test("withWorkers kills what it forked also when the test body fails", async () => {
    let pids: (number | undefined)[] = [];
    await assert.rejects(
      withWorkers(cluster, async (forkTracked) => {
        const worker = forkTracked();
        await ready(worker);
        pids = [worker.process.pid];
        throw new Error("the body failed");
      }),
      /the body failed/,
    );
    assert.equal(pids.length, 1);
    assert.equal(alive(pids[0]), false);
  });
});
