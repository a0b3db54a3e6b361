// Settings that reach the worker process (env, cwd, silent), the policy variable, handle passing, kill in a worker.
import assert from "node:assert/strict";
import net from "node:net";
import { tmpdir } from "node:os";
import { mkdtempSync, readdirSync, realpathSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, describe, test } from "node:test";
import { type Cluster, createCluster, SCHED_NONE, SCHED_RR, type Worker } from "../mod.ts";
import { fixture, handlePassing, killAll, nextMessage, runtime, waitFor } from "./_helpers.ts";

const forked: Worker[] = [];

/** Node 22 or later: it has a compile cache, and its children load node:v8 only when something asks for it. */
const node22 = runtime === "node" && Number(process.versions.node.split(".")[0]) >= 22;

after(async () => {
  await killAll(forked);
});

function freshCluster(settings: Record<string, unknown> = {}): Cluster {
  const cluster = createCluster();
  cluster.setupPrimary({ exec: fixture("worker"), ...settings });
  return cluster;
}

async function started(cluster: Cluster, env?: Record<string, string>): Promise<Worker> {
  const worker = cluster.fork(env);
  forked.push(worker);
  await nextMessage(worker, (m: { cmd?: string }) => m?.cmd === "ready");
  return worker;
}

async function readAll(stream: unknown): Promise<string> {
  const readable = stream instanceof Readable ? stream : Readable.fromWeb(stream as never);
  let text = "";
  for await (const chunk of readable) {
    text += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
  }
  return text;
}

describe(`settings and handles on ${runtime}`, () => {
  test("fork(env) adds to the worker's environment, and cwd sets its working directory", async () => {
    const dir = realpathSync(tmpdir());
    const cluster = freshCluster({ cwd: dir });
    process.env.UNICLUSTER_TEST_LATE = "set after the cluster was made";
    const worker = await started(cluster, { UNICLUSTER_TEST_VALUE: "from the primary" });
    delete process.env.UNICLUSTER_TEST_LATE;
    worker.send({ cmd: "env", name: "UNICLUSTER_TEST_LATE" });
    assert.equal(
      (await nextMessage(worker, (m: { cmd?: string }) => m?.cmd === "env")).value,
      "set after the cluster was made",
      "the environment is read at fork time",
    );
    worker.send({ cmd: "env", name: "UNICLUSTER_TEST_VALUE" });
    const reply = await nextMessage(worker, (m: { cmd?: string }) => m?.cmd === "env");
    assert.equal(reply.value, "from the primary");
    assert.equal(reply.cwd, dir);
    worker.send({ cmd: "env", name: "PATH" });
    assert.ok(
      (await nextMessage(worker, (m: { cmd?: string }) => m?.cmd === "env")).value,
      "the primary's env is kept",
    );
    await killAll([worker]);
  });

  test("a Node worker gets a compile cache directory only this user can reach, unless its environment says", async () => {
    const saved = { cache: process.env.NODE_COMPILE_CACHE, off: process.env.NODE_DISABLE_COMPILE_CACHE };
    delete process.env.NODE_COMPILE_CACHE;
    delete process.env.NODE_DISABLE_COMPILE_CACHE;
    try {
      const cluster = freshCluster();
      const cached = await started(cluster);
      const refused = await started(cluster, { NODE_DISABLE_COMPILE_CACHE: "1" });
      const ask = async (worker: Worker) => {
        worker.send({ cmd: "env", name: "NODE_COMPILE_CACHE" });
        return (await nextMessage(worker, (m: { cmd?: string }) => m?.cmd === "env")).value;
      };
      const directory = await ask(cached);
      if (runtime === "node" && process.platform !== "win32") {
        assert.equal(typeof directory, "string", "a Node worker has NODE_COMPILE_CACHE");
        const stat = statSync(directory);
        assert.ok(stat.isDirectory());
        assert.equal(stat.uid, process.getuid!());
        assert.equal(stat.mode & 0o077, 0, `only its owner reaches ${directory}`);
      } else {
        assert.equal(directory, null, `a ${runtime} worker has no Node compile cache`);
      }
      assert.equal(await ask(refused), null, "NODE_DISABLE_COMPILE_CACHE is respected");
      await killAll([cached, refused]);
    } finally {
      if (saved.cache !== undefined) process.env.NODE_COMPILE_CACHE = saved.cache;
      if (saved.off !== undefined) process.env.NODE_DISABLE_COMPILE_CACHE = saved.off;
    }
  });

  test("a Node worker killed right after it started has written its compiled code to the cache already", {
    skip: node22 && process.platform !== "win32" ? false : "Node 22+'s compile cache",
  }, async () => {
    const directory = mkdtempSync(join(tmpdir(), "unicluster-cache-test-"));
    try {
      const worker = await started(freshCluster(), { NODE_COMPILE_CACHE: directory });
      // Two answers in turn: the second comes from a later turn of the worker's event loop than its start-up, whose
      // end (an immediate) writes the cache.
      for (let round = 0; round < 2; round++) {
        worker.send({ cmd: "env", name: "NODE_COMPILE_CACHE" });
        const answer = await nextMessage(worker, (m: { cmd?: string }) => m?.cmd === "env");
        assert.equal(answer.value, directory);
      }
      worker.process.kill("SIGKILL");
      await waitFor(worker, "exit");
      const files = readdirSync(directory, { recursive: true, encoding: "utf8" })
        .filter((file) => statSync(join(directory, file)).isFile());
      assert.ok(files.length > 0, "a worker ended by a signal leaves its compiled code for the next one");
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  test("a Node worker that serves with node:net loads neither node:http's fetch implementation nor node:v8", {
    skip: runtime === "node" ? false : "process.moduleLoadList is Node's",
  }, async () => {
    const cluster = createCluster();
    cluster.setupPrimary({ exec: fixture("net_only_worker") });
    const worker = cluster.fork();
    forked.push(worker);
    const report = await nextMessage(worker, (m: { cmd?: string }) => m?.cmd === "loaded");
    assert.equal(report.worker, worker.id);
    assert.equal(
      report.undici,
      false,
      "the library takes node:http and process without their ES module facades",
    );
    // Node 20 loads node:v8 itself in every child with an IPC channel (its serialization module imports it).
    if (node22) {
      assert.equal(report.v8, false, "node:v8 is taken when a socket channel first serializes with it");
    }
    await killAll([worker]);
  });

  test("silent: the worker's output comes to the primary as worker.process.stdout", async () => {
    const cluster = freshCluster({ silent: true });
    const worker = await started(cluster);
    const stdout = (worker.process as unknown as { stdout: unknown }).stdout;
    assert.ok(stdout instanceof Readable, "stdout is piped, as a Node stream");
    const text = readAll(stdout);
    worker.send({ cmd: "print", text: "printed by the worker" });
    await new Promise((r) => setTimeout(r, 200));
    worker.send({ cmd: "exit", code: 0 });
    await waitFor(worker, "exit");
    assert.match(await text, /printed by the worker/);
  });

  test("NODE_CLUSTER_SCHED_POLICY picks the default policy; the policy freezes at the first fork", async () => {
    const saved = process.env.NODE_CLUSTER_SCHED_POLICY;
    try {
      process.env.NODE_CLUSTER_SCHED_POLICY = "none";
      assert.equal(createCluster().schedulingPolicy, SCHED_NONE);
      process.env.NODE_CLUSTER_SCHED_POLICY = "rr";
      assert.equal(createCluster().schedulingPolicy, SCHED_RR);
    } finally {
      if (saved === undefined) delete process.env.NODE_CLUSTER_SCHED_POLICY;
      else process.env.NODE_CLUSTER_SCHED_POLICY = saved;
    }
    const cluster = createCluster();
    cluster.schedulingPolicy = SCHED_NONE;
    cluster.schedulingPolicy = SCHED_RR;
    assert.equal(cluster.schedulingPolicy, SCHED_RR, "changeable before setup");
    cluster.setupPrimary({ exec: fixture("worker") });
    cluster.schedulingPolicy = SCHED_NONE;
    assert.equal(cluster.schedulingPolicy, SCHED_RR, "frozen by setupPrimary, as in Node");
    const worker = await started(cluster);
    await killAll([worker]);
  });

  test("a worker can kill itself; it exits with code 0 and exitedAfterDisconnect is true", async () => {
    const worker = await started(freshCluster());
    worker.send({ cmd: "killSelf" });
    assert.deepEqual(await waitFor(worker, "exit"), [0, null]);
    assert.equal(worker.exitedAfterDisconnect, true);
  });

  test(`worker.send(message, socket) hands a connection to the worker (${handlePassing}ed)`, async () => {
    const cluster = freshCluster();
    const worker = await started(cluster);
    const server = net.createServer({ pauseOnConnect: true });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const accepted = new Promise<net.Socket>((resolve) => server.once("connection", resolve));
      const client = net.connect({ port, host: "127.0.0.1" });
      const answer = new Promise<string>((resolve) => {
        let text = "";
        client.on("data", (chunk) => text += chunk);
        client.on("close", () => resolve(text));
        client.on("error", () => resolve(text));
      });
      const socket = await accepted;
      worker.send({ cmd: "socket" }, socket);
      assert.equal(await answer, `socket answered by worker ${worker.id}`);
    } finally {
      server.close();
      await killAll([worker]);
    }
  });
  test(`sockets sent right behind other messages all reach the worker (${handlePassing}ed)`, async () => {
    const cluster = freshCluster();
    const worker = await started(cluster);
    const server = net.createServer({ pauseOnConnect: true });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    const clients: net.Socket[] = [];
    try {
      const answers: Promise<string>[] = [];
      for (let i = 0; i < 10; i++) {
        const accepted = new Promise<net.Socket>((resolve) => server.once("connection", resolve));
        const client = net.connect({ port, host: "127.0.0.1" });
        clients.push(client);
        answers.push(
          new Promise<string>((resolve) => {
            let text = "";
            client.on("data", (chunk) => text += chunk);
            client.on("close", () => resolve(text));
            client.on("error", () => resolve(text));
            client.setTimeout(5000, () => client.destroy());
          }),
        );
        const socket = await accepted;
        // Deno's child_process loses a socket written right behind another message (the adapter holds the socket
        // until the worker has read what went before).
        worker.send({ cmd: "echo", payload: i });
        worker.send({ cmd: "socket" }, socket);
      }
      assert.deepEqual(
        await Promise.all(answers),
        clients.map(() => `socket answered by worker ${worker.id}`),
      );
    } finally {
      for (const client of clients) client.destroy();
      server.close();
      await killAll([worker]);
    }
  });

  test("a message sent right before process.disconnect() reaches the primary", async () => {
    const cluster = freshCluster();
    const worker = cluster.fork({ SEND_THEN_DISCONNECT: "1" });
    forked.push(worker);
    try {
      const last = nextMessage(worker, (m) => m?.cmd === "last");
      const exited = waitFor(worker, "exit");
      assert.equal((await last).cwd, process.cwd());
      await exited;
    } finally {
      await killAll([worker]);
    }
  });

  test(`sticky sessions: sockets handed over from a data handler reach both workers, every client served (${handlePassing}ed)`, async () => {
    const cluster = freshCluster();
    const workers = [await started(cluster), await started(cluster)];
    let handed = 0;
    const failures: unknown[] = [];
    // As @socket.io/sticky does: read the client's first bytes, pause, and hand socket and bytes to a worker.
    const server = net.createServer((socket) =>
      socket.once("data", (chunk) => {
        socket.pause();
        const worker = workers[handed++ % workers.length];
        worker.send({ cmd: "sticky", data: chunk.toString("latin1") }, socket, (error: Error | null) =>
          error && failures.push(error));
      })
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    const clients: net.Socket[] = [];
    try {
      const answers = Array.from({ length: 12 }, (_, i) =>
        new Promise<string>((resolve) => {
          const client = net.connect({ port, host: "127.0.0.1" }, () => client.write(`hello ${i}`));
          clients.push(client);
          let text = "";
          client.on("data", (chunk) => text += chunk);
          client.on("close", () => resolve(text));
          client.on("error", () => resolve(text));
          client.setTimeout(5000, () => client.destroy());
        }));
      const texts = await Promise.all(answers);
      assert.deepEqual(failures, []);
      texts.forEach((text, i) =>
        assert.match(text, new RegExp(`^worker \\d+ read "hello ${i}"$`), `client ${i}`)
      );
      for (const worker of workers) {
        assert.ok(
          texts.some((text) => text.startsWith(`worker ${worker.id} `)),
          `worker ${worker.id} served`,
        );
      }
    } finally {
      for (const client of clients) client.destroy();
      server.close();
      await killAll(workers);
    }
  });

  test("a handle the route cannot pass: send returns false and reports the error, never throws", {
    skip: handlePassing === "relay" ? false : "every handle passes on this route",
  }, async () => {
    const cluster = freshCluster();
    const worker = await started(cluster);
    const server = net.createServer();
    try {
      let sent: boolean | undefined;
      const reported = new Promise<Error | null>((resolve) => {
        sent = worker.send({ cmd: "server" }, server as never, resolve);
      });
      assert.equal(sent, false);
      const error = await reported as Error & { code?: string };
      assert.equal(error?.code, "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM");
      const viaEvent = new Promise<Error>((resolve) => worker.once("error", resolve));
      assert.equal(worker.send({ cmd: "server" }, server as never), false);
      assert.match((await viaEvent).message, /passes only sockets/);
      worker.send({ cmd: "echo", payload: "still here" });
      const echo = await nextMessage(worker, (m) => m?.cmd === "echo");
      assert.equal(echo.payload, "still here");
    } finally {
      await killAll([worker]);
    }
  });

  test(`a worker sends a socket it was handed back to the primary (${handlePassing}ed)`, async () => {
    const cluster = freshCluster();
    const worker = await started(cluster);
    const server = net.createServer({ pauseOnConnect: true });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const accepted = new Promise<net.Socket>((resolve) => server.once("connection", resolve));
      const client = net.connect({ port, host: "127.0.0.1" });
      const answer = new Promise<string>((resolve) => {
        let text = "";
        client.on("data", (chunk) => text += chunk);
        client.on("close", () => resolve(text));
        client.on("error", () => resolve(text));
      });
      const socket = await accepted;
      worker.send({ cmd: "socketBack" }, socket);
      const [message, back] = await waitFor<[{ cmd: string }, net.Socket]>(worker, "message");
      assert.equal(message.cmd, "socketBack");
      assert.ok(back instanceof net.Socket, "the message comes with a socket");
      back.end("answered by the primary");
      assert.equal(await answer, "answered by the primary");
    } finally {
      server.close();
      await killAll([worker]);
    }
  });
});
