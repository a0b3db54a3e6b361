// Behaviour Node's own cluster tests check, each with real workers and sockets on 127.0.0.1: the listening address,
// the child index of repeated listens, UDP sockets shared through the primary, round-robin refusal, unix socket
// paths relative to the worker, a port held elsewhere, a worker that leaves while asking for a port, and what a
// primary's wrapper of net.Server's listen sees.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { lookup } from "node:dns/promises";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { after, describe, test } from "node:test";
import { type Cluster, createCluster, SCHED_NONE, SCHED_REUSEPORT, SCHED_RR, type Worker } from "../mod.ts";
import {
  childProcessRoute,
  fixture,
  killAll,
  killGroup,
  nextMessage,
  runtime,
  scriptCommand,
  waitFor,
  withWorkers,
} from "./_helpers.ts";

const clusters: Cluster[] = [];
after(async () => {
  for (const cluster of clusters) await killAll(Object.values(cluster.workers ?? {}));
});

function clusterFor(policy?: number): Cluster {
  const cluster = createCluster();
  if (policy !== undefined) cluster.schedulingPolicy = policy as never;
  cluster.setupPrimary({ exec: fixture("behaviour_worker") });
  clusters.push(cluster);
  return cluster;
}

function reply(port: number, path?: string, host = "127.0.0.1"): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = path ? net.connect(path) : net.connect(port, host);
    let text = "";
    socket.on("data", (chunk) => text += chunk);
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
}

describe(`Node's cluster behaviour on ${runtime}`, () => {
  test("a primary's wrapper of net.Server's listen sees the shared port's listen, not the library's own", async () => {
    // As test-cluster-net-listen-backlog: the wrapper is set before the first fork (the Deno adapter's channel
    // then listens for the worker) and must see one listen, the round-robin port's, with the worker's backlog.
    const [file, args] = scriptCommand(fixture("primary_wraps_listen"));
    const primary = spawn(file, args, { detached: true, stdio: ["ignore", "pipe", "inherit"] });
    try {
      let out = "";
      primary.stdout.setEncoding("utf8").on("data", (chunk: string) => out += chunk);
      const [code] = await waitFor<[number]>(primary, "exit", 20000);
      assert.equal(code, 0, out);
      assert.deepEqual(JSON.parse(out), [{ port: 0, host: "127.0.0.1", backlog: 127 }]);
    } finally {
      killGroup(primary.pid);
    }
  });

  test("the listening address has exactly Node's four fields; how the port is shared rides along unlisted", async () => {
    const cluster = clusterFor();
    await withWorkers(cluster, async (fork) => {
      const worker = fork({ TASK: "listen-twice" });
      const [address] = await waitFor<[Record<string, unknown>]>(worker, "listening");
      assert.deepEqual(Object.keys(address).sort(), ["address", "addressType", "fd", "port"]);
      assert.equal(address.address, "127.0.0.1");
      assert.equal(address.addressType, 4);
      assert.ok(Object.hasOwn(address, "fd"));
      assert.equal(address.fd, undefined);
      assert.ok(["rr", "reuseport"].includes(address.mode as string), String(address.mode));
    });
  });

  test("a host name is looked up: the worker listens on its address, and both sides report the address", async () => {
    const cluster = clusterFor();
    await withWorkers(cluster, async (fork) => {
      const worker = fork({ TASK: "localhost" });
      const [listening, reported] = await Promise.all([
        waitFor<[{ address: string; port: number }]>(worker, "listening"),
        nextMessage(worker, (m) => m.task === "localhost"),
      ]);
      const { address } = await lookup("localhost");
      assert.equal(listening[0].address, address, "the primary's listening event");
      assert.equal(reported.address.address, address, "server.address() in the worker");
      assert.equal(await reply(listening[0].port, undefined, address), `localhost-${worker.id}`);
    });
  });

  test("cluster.disconnect(callback) runs the callback as Node's does: when the first worker is gone", async () => {
    const cluster = clusterFor();
    await withWorkers(cluster, async (fork) => {
      const workers = [fork({ TASK: "listen-twice" }), fork({ TASK: "listen-twice" })];
      await Promise.all(workers.map((w) => nextMessage(w, (m) => m.task === "listen-twice")));
      const order: string[] = [];
      const exited = workers.map((w) => waitFor(w, "exit"));
      cluster.on("disconnect", (worker: Worker) => order.push(`disconnect ${worker.id}`));
      cluster.on("exit", (worker: Worker) => order.push(`exit ${worker.id}`));
      cluster.disconnect(() =>
        order.push(`callback, ${Object.keys(cluster.workers!).length} workers listed`)
      );
      await Promise.all(exited);
      // Node's primary.js: each worker leaves cluster.workers when disconnect() is called; the callback runs at the
      // next removal, the first worker's exit (after its disconnect), before that exit's event.
      const callback = order.findIndex((entry) => entry.startsWith("callback"));
      const firstExit = order.findIndex((entry) => entry.startsWith("exit"));
      assert.equal(order[callback], "callback, 0 workers listed", order.join("; "));
      assert.equal(callback, firstExit - 1, order.join("; "));
      assert.ok(order.slice(0, callback).some((entry) => entry.startsWith("disconnect")), order.join("; "));
      assert.equal(order.length, 5, order.join("; "));
    });
  });

  test("each listen(0) of a worker gets its own port, shared with the same listen of the other workers", async () => {
    const cluster = clusterFor();
    await withWorkers(cluster, async (fork) => {
      const workers = [fork({ TASK: "listen-twice" }), fork({ TASK: "listen-twice" })];
      const reports = await Promise.all(workers.map((w) => nextMessage(w, (m) => m.task === "listen-twice")));
      const [first, second] = reports[0].ports;
      assert.notEqual(first, second, "two listens, two ports");
      assert.deepEqual(reports[1].ports, [first, second], "the other worker's listens share them, in order");
      assert.match(await reply(first), /^first-\d$/);
      assert.match(await reply(second), /^second-\d$/);
    });
  });

  test("UDP: workers' sockets share the primary's; datagrams are dealt out in turn, replies come from it", async () => {
    const cluster = clusterFor();
    await withWorkers(cluster, async (fork) => {
      const workers = [fork({ TASK: "udp" }), fork({ TASK: "udp" })];
      const listening = Promise.all(workers.map((w) => waitFor<[Record<string, unknown>]>(w, "listening")));
      const reports = await Promise.all(workers.map((w) => nextMessage(w, (m) => m.task === "udp")));
      assert.equal((await listening)[0][0].addressType, "udp4");
      const port = reports[0].port;
      assert.equal(reports[1].port, port, "one port for both");
      const client = dgram.createSocket("udp4");
      const replies: { text: string; from: number }[] = [];
      const all = new Promise<void>((resolve) => {
        client.on("message", (message, rinfo) => {
          replies.push({ text: String(message), from: rinfo.port });
          if (replies.length === 20) resolve();
        });
      });
      try {
        for (let i = 0; i < 20; i++) client.send(`n${i}`, port, "127.0.0.1");
        await all;
      } finally {
        client.close();
      }
      assert.ok(replies.every((r) => r.from === port), "every reply comes from the shared port");
      for (const worker of workers) {
        worker.send("count");
        const { received } = await nextMessage(worker, (m) => m.received !== undefined);
        assert.equal(received, 10, `worker ${worker.id} got its turn`);
      }
    });
  });

  test("UDP: a worker sending when the primary disconnects it ends cleanly: what it sent before it heard goes out", async () => {
    const cluster = clusterFor();
    const target = dgram.createSocket("udp4");
    let received = 0;
    target.on("message", () => received++);
    await new Promise<void>((resolve) => target.bind(0, "127.0.0.1", resolve));
    try {
      await withWorkers(cluster, async (fork) => {
        const TARGET = String(target.address().port);
        const workers = [fork({ TASK: "udp-send", TARGET }), fork({ TASK: "udp-send", TARGET })];
        await Promise.all(workers.map((w) => nextMessage(w, (m) => m.sending)));
        for (let waited = 0; received < 20 && waited < 10_000; waited += 5) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        assert.ok(received >= 20, `the workers' datagrams arrive (${received})`);
        const exits = workers.map((w) => waitFor<[number, string | null]>(w, "exit"));
        cluster.disconnect();
        for (const [code, signal] of await Promise.all(exits)) assert.deepEqual([code, signal], [0, null]);
      });
    } finally {
      target.close();
    }
  });

  test("UDP: sends made before the bind is answered wait for it and leave from the shared port", async () => {
    const cluster = clusterFor();
    const target = dgram.createSocket("udp4");
    const from: number[] = [];
    const arrived = new Promise<void>((resolve) =>
      target.on("message", (_data, rinfo) => from.push(rinfo.port) === 2 && resolve())
    );
    await new Promise<void>((resolve) => target.bind(0, "127.0.0.1", resolve));
    try {
      await withWorkers(cluster, async (fork) => {
        const TARGET = String(target.address().port);
        const workers = [fork({ TASK: "udp-early-send", TARGET }), fork({ TASK: "udp-early-send", TARGET })];
        const ports = await Promise.all(
          workers.map(async (w) => (await nextMessage(w, (m) => m.task === "udp-early-send")).port),
        );
        assert.equal(ports[0], ports[1], "both workers' sockets are the shared one");
        await arrived;
        assert.deepEqual(from, [ports[0], ports[0]], "both datagrams came from the shared port");
        const exits = workers.map((w) => waitFor<[number, string | null]>(w, "exit"));
        cluster.disconnect();
        for (const exit of await Promise.all(exits)) {
          assert.deepEqual(exit, [0, null], "no socket of its own keeps a worker alive");
        }
      });
    } finally {
      target.close();
    }
  });

  test("UDP: a send on a socket the worker closed throws ERR_SOCKET_DGRAM_NOT_RUNNING at once", async () => {
    const cluster = clusterFor();
    await withWorkers(cluster, async (fork) => {
      const { error } = await nextMessage(fork({ TASK: "udp-closed" }), (m) => m.task === "udp-closed");
      assert.equal(error, "ERR_SOCKET_DGRAM_NOT_RUNNING");
    });
  });

  test("round-robin: a connection a full worker refuses goes to another worker, none is dropped", async () => {
    const dir = mkdtempSync(join(tmpdir(), "unicluster-full-"));
    const path = join(dir, "full.sock");
    const cluster = clusterFor();
    try {
      await withWorkers(cluster, async (fork) => {
        const full = fork({ TASK: "full", MAX: "0", SERVER_PATH: path });
        const open = fork({ TASK: "full", MAX: "100", SERVER_PATH: path });
        await Promise.all([full, open].map((w) => nextMessage(w, (m) => m.listening)));
        const answers = await Promise.all(Array.from({ length: 10 }, () => reply(0, path)));
        assert.deepEqual(answers, Array(10).fill(`worker-${open.id}`));
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("pauseOnConnect: a connection reaches the server paused, its data held back until resumed, in every mode", async () => {
    for (const policy of [undefined, SCHED_RR]) {
      const cluster = clusterFor(policy);
      await withWorkers(cluster, async (fork) => {
        const worker = fork({ TASK: "paused" });
        const { port } = await nextMessage(worker, (m) => m.task === "paused");
        const answer = await new Promise<string>((resolve, reject) => {
          const socket = net.connect(port, "127.0.0.1", () => socket.write("hello"));
          let text = "";
          socket.on("data", (chunk) => text += chunk);
          socket.on("end", () => resolve(text));
          socket.on("error", reject);
        });
        // Bun's channel hands over a socket it has already read from: paused, its data held back, but counted.
        const read = runtime === "bun" && cluster.schedulingPolicy === SCHED_RR ? 5 : 0;
        assert.equal(
          answer,
          `{"paused":true,"bytesRead":${read}} hello`,
          `policy ${cluster.schedulingPolicy}`,
        );
      });
    }
  });

  test("a worker that blocks its event loop at once still comes online, and a signal ends it", {
    skip: runtime === "deno" && childProcessRoute
      ? "Deno's child_process channel writes only after the worker's event loop has turned once"
      : false,
  }, async () => {
    const cluster = clusterFor();
    await withWorkers(cluster, async (fork) => {
      const worker = fork({ TASK: "busy" });
      await waitFor(worker, "online");
      worker.process.kill();
      assert.deepEqual(await waitFor(worker, "exit"), [null, "SIGTERM"]);
    });
  });

  test("a unix socket path is relative to the worker's directory, and gone once the worker is", async () => {
    const dir = mkdtempSync(join(tmpdir(), "unicluster-rel-"));
    const cluster = clusterFor();
    try {
      await withWorkers(cluster, async (fork) => {
        const worker = fork({ TASK: "relative", DIR: dir, NAME: "rel.sock" });
        const { address } = await nextMessage(worker, (m) => m.task === "relative");
        assert.equal(address, "rel.sock", "server.address() is the path as given");
        assert.equal(existsSync(join(dir, "rel.sock")), true, "the socket is in the worker's directory");
        assert.equal(await reply(0, join(dir, "rel.sock")), "relative");
        const exit = waitFor(worker, "exit");
        worker.disconnect();
        await exit;
        assert.equal(existsSync(join(dir, "rel.sock")), false, "removed with its last worker");
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (
    const [name, policy] of [["default policy", undefined], ["SCHED_NONE", SCHED_NONE], [
      "SCHED_REUSEPORT",
      SCHED_REUSEPORT,
    ]] as const
  ) {
    test(`${name}: a port another server holds gives the worker EADDRINUSE, not a silent share`, async () => {
      const other = net.createServer();
      await new Promise<void>((resolve) => other.listen(0, resolve));
      const cluster = clusterFor(policy);
      try {
        await withWorkers(cluster, async (fork) => {
          const worker = fork({ TASK: "taken", PORT: String((other.address() as net.AddressInfo).port) });
          assert.equal((await nextMessage(worker, (m) => m.task === "taken")).error, "EADDRINUSE");
        });
      } finally {
        other.close();
      }
    });
  }

  test("extra stdio entries reach the worker as fds, and the primary as worker.process.stdio", {
    skip: runtime === "bun" ? "Bun cannot adopt a pipe with net.Socket({ fd })" : false,
  }, async () => {
    const cluster = clusterFor();
    cluster.setupPrimary({ stdio: ["inherit", "inherit", "inherit", "ipc", "pipe"] });
    await withWorkers(cluster, async (fork) => {
      const worker = fork({ TASK: "fd4" });
      await nextMessage(worker, (m) => m.ready);
      const pipe = (worker.process as unknown as { stdio: net.Socket[] }).stdio[4];
      const echoed = new Promise<string>((resolve) => pipe.once("data", (data) => resolve(String(data))));
      pipe.write("foobar");
      assert.equal(await echoed, "foobar");
    });
  });

  test("a worker's process hears the disconnect; process.channel.unref() lets it end by itself", async () => {
    const cluster = clusterFor();
    await withWorkers(cluster, async (fork) => {
      const hearing = fork({ TASK: "on-disconnect" });
      await waitFor(hearing, "online");
      hearing.disconnect();
      assert.deepEqual(
        await waitFor(hearing, "exit"),
        [42, null],
        "its own disconnect listener chose the code",
      );
      const idle = fork({ TASK: "unref" });
      assert.deepEqual(await waitFor(idle, "exit"), [0, null]);
    });
  });

  test("a worker disconnected while its server still asks for a port exits cleanly, with no error", async () => {
    const cluster = clusterFor();
    await withWorkers(cluster, async (fork) => {
      const worker: Worker = fork({ TASK: "listen-late" });
      await waitFor(worker, "online");
      worker.disconnect();
      assert.deepEqual(await waitFor(worker, "exit"), [0, null]);
    });
  });
});
