// node:cluster's API in the details Node's own tests check (test-cluster-setup-primary-*, -worker-constructor,
// -disconnect-idle-worker, -fork-env): settings as Node composes them, functions that work detached from the
// cluster object, and cluster.Worker. No worker is forked here.
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, test } from "node:test";
import { createCluster, Worker } from "../mod.ts";

describe("node:cluster's API details", () => {
  test("settings are empty until setupPrimary(); then Node's defaults, read at that moment", async () => {
    const cluster = createCluster();
    assert.deepEqual(cluster.settings, {});
    process.argv.push("--added-late");
    try {
      const setup = new Promise((resolve) => cluster.once("setup", resolve));
      cluster.setupPrimary();
      assert.deepEqual(cluster.settings, {
        args: process.argv.slice(2),
        exec: process.argv[1],
        execArgv: process.execArgv,
        silent: false,
      });
      assert.equal(await setup, cluster.settings, "setup carries the settings");
    } finally {
      process.argv.pop();
    }
  });

  test("setupPrimary calls add up; null and undefined change nothing; unknown keys are kept", () => {
    const cluster = createCluster();
    cluster.setupPrimary({ exec: "overridden" });
    cluster.setupPrimary({ args: ["foo", "bar"] });
    cluster.setupPrimary(null as never);
    cluster.setupPrimary(undefined);
    cluster.setupPrimary({ extra: 1 } as never);
    assert.equal(cluster.settings.exec, "overridden");
    assert.deepEqual(cluster.settings.args, ["foo", "bar"]);
    assert.equal((cluster.settings as Record<string, unknown>).extra, 1);
  });

  test("fork, setupPrimary and disconnect work detached from the cluster object", async () => {
    const cluster = createCluster();
    const { setupPrimary, disconnect } = cluster;
    setupPrimary({ args: ["detached"] });
    assert.deepEqual(cluster.settings.args, ["detached"]);
    // Node ignores a callback that is not a function (process.on("exit", cluster.disconnect) passes the code).
    disconnect(0 as never);
    await new Promise<void>((resolve) => disconnect(resolve));
  });

  test("cluster.Worker is Node's constructor: with or without new, from Node's options", () => {
    const cluster = createCluster();
    const bare = new cluster.Worker();
    assert.ok(bare instanceof Worker);
    assert.equal(bare.exitedAfterDisconnect, undefined);
    assert.equal(bare.state, "none");
    assert.equal(bare.id, 0);
    assert.equal(bare.process, undefined);
    const proc = new EventEmitter() as never;
    const given = new cluster.Worker({ id: 3, state: "online", process: proc });
    assert.equal(given.id, 3);
    assert.equal(given.state, "online");
    assert.equal(given.process, proc);
    const called = cluster.Worker.call({}, { id: 5 });
    assert.ok(called instanceof cluster.Worker);
    assert.equal(called.id, 5);
  });

  test("a Worker hears its process's messages and errors", () => {
    const proc = new EventEmitter();
    const worker = new Worker({ id: 1, process: proc as never });
    const heard: unknown[] = [];
    worker.on("message", (message, handle) => heard.push(["message", message, handle]));
    worker.on("error", (error) => heard.push(["error", error]));
    proc.emit("message", { a: 1 }, undefined);
    proc.emit("error", "HI");
    assert.deepEqual(heard, [["message", { a: 1 }, undefined], ["error", "HI"]]);
  });
});
