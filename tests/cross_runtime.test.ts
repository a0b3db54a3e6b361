// deno-lint-ignore-file no-explicit-any -- test messages are free-form JSON
// A primary on this runtime forks workers on every runtime: which pairs work, with json, and advanced refused.
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import process from "node:process";
import { after, describe, test } from "node:test";
import { type Cluster, createCluster, type Worker } from "../mod.ts";
import { fixture, killAll, nextMessage, runtime, runtimeBinary, sendSequence, waitFor } from "./_helpers.ts";

const RUNTIMES = ["node", "deno", "bun"] as const;
const forked: Worker[] = [];
const clusters: Cluster[] = [];

after(async () => {
  await killAll(forked);
});

/** A fresh cluster whose workers run on `worker`. */
function clusterFor(worker: typeof RUNTIMES[number]): Cluster {
  const cluster = createCluster();
  cluster.setupPrimary({ exec: fixture("worker"), runtime: worker, execPath: runtimeBinary(worker) });
  clusters.push(cluster);
  return cluster;
}

describe(`a ${runtime} primary with workers on each runtime`, () => {
  for (const workerRuntime of RUNTIMES) {
    test(`${runtime} -> ${workerRuntime}: online, messages both ways (one by one and in one go), exit code`, async () => {
      const cluster = clusterFor(workerRuntime);
      const worker = cluster.fork();
      forked.push(worker);
      const ready = await nextMessage(worker, (m) => m?.cmd === "ready", 20000);
      assert.equal(ready.id, worker.id);
      worker.send({ cmd: "echo", payload: { runtime: workerRuntime, list: [1, "two", null] } });
      const echo = await nextMessage(worker, (m) => m?.cmd === "echo");
      assert.deepEqual(echo.payload, { runtime: workerRuntime, list: [1, "two", null] });
      // Messages sent in one go (which the channel may carry together) arrive complete and in order, each way.
      assert.deepEqual(await sendSequence(worker, 2_000), {
        cmd: "count",
        received: 2_000,
        inOrder: true,
      });
      const flooded: number[] = [];
      const listener = (m: any) => m?.cmd === "flood" && flooded.push(m.i);
      worker.on("message", listener);
      worker.send({ cmd: "flood", count: 2_000 });
      worker.send({ cmd: "report" });
      const report = await nextMessage(worker, (m) => m?.cmd === "report");
      worker.off("message", listener);
      assert.deepEqual(flooded, Array.from({ length: 2_000 }, (_, i) => i));
      assert.equal(report.seenInternal, false);
      assert.equal(report.identityInEnv, null);
      worker.send({ cmd: "exit", code: 7 });
      assert.deepEqual(await waitFor(worker, "exit"), [7, null]);
    });
  }

  for (const workerRuntime of RUNTIMES.filter((name) => name !== runtime)) {
    test(`${runtime} -> ${workerRuntime}: serialization "advanced" is refused with a clear error`, () => {
      const cluster = clusterFor(workerRuntime);
      cluster.setupPrimary({ serialization: "advanced" });
      assert.throws(() => cluster.fork(), (error: any) => {
        assert.equal(error.code, "ERR_INVALID_ARG_VALUE");
        assert.match(error.message, /settings\.serialization/);
        assert.match(error.message, /same runtime/);
        return true;
      });
    });
  }

  test(`${runtime} -> node: the Node worker gets a compile cache directory only this user can reach`, {
    skip: process.platform === "win32" ? "no user-private temporary folder" : false,
  }, async () => {
    const saved = { cache: process.env.NODE_COMPILE_CACHE, off: process.env.NODE_DISABLE_COMPILE_CACHE };
    delete process.env.NODE_COMPILE_CACHE;
    delete process.env.NODE_DISABLE_COMPILE_CACHE;
    try {
      const worker = clusterFor("node").fork();
      forked.push(worker);
      await nextMessage(worker, (m) => m?.cmd === "ready", 20000);
      worker.send({ cmd: "env", name: "NODE_COMPILE_CACHE" });
      const directory = (await nextMessage(worker, (m) => m?.cmd === "env")).value;
      // A Deno primary makes it too when it holds every permission it needs (deno test -A does).
      assert.equal(typeof directory, "string", "the Node worker has NODE_COMPILE_CACHE");
      const stat = statSync(directory);
      assert.ok(stat.isDirectory());
      assert.equal(stat.uid, process.getuid!());
      assert.equal(stat.mode & 0o077, 0, `only its owner reaches ${directory}`);
      await killAll([worker]);
    } finally {
      if (saved.cache !== undefined) process.env.NODE_COMPILE_CACHE = saved.cache;
      if (saved.off !== undefined) process.env.NODE_DISABLE_COMPILE_CACHE = saved.off;
    }
  });

  test(`${runtime} -> ${runtime}: serialization "advanced" carries what json cannot`, async () => {
    const cluster = clusterFor(runtime);
    cluster.setupPrimary({ serialization: "advanced" });
    const worker = cluster.fork();
    forked.push(worker);
    await nextMessage(worker, (m) => m?.cmd === "ready", 20000);
    const payload = {
      when: new Date(0),
      big: 12345678901234567890n,
      bytes: new Uint8Array([1, 2, 3]),
      map: new Map([["a", 1]]),
    };
    worker.send({ cmd: "echo", payload });
    const echo = await nextMessage(worker, (m) => m?.cmd === "echo");
    assert.deepEqual(echo.payload, payload);
    await killAll([worker]);
  });
});
