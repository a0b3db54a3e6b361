// Workers share server ports: round-robin, shared handle, SO_REUSEPORT, native servers, errors and disconnects.
import assert from "node:assert/strict";
import net from "node:net";
import { after, describe, test } from "node:test";
import {
  type Cluster,
  createCluster,
  SCHED_NONE,
  SCHED_REUSEPORT,
  SCHED_RR,
  serve,
  type Worker,
} from "../mod.ts";
import {
  assertRoundRobin,
  countAnswers,
  expectedMode,
  fixture,
  killAll,
  nextMessage,
  runtime,
  withWorkers,
} from "./_helpers.ts";

const clusters = new Map<number | undefined, Cluster>();

/** One cluster per policy (fixed at the first fork; undefined: left at its default), all in this process. */
function clusterWith(policy?: number): Cluster {
  let cluster = clusters.get(policy);
  if (cluster === undefined) {
    cluster = createCluster();
    if (policy !== undefined) cluster.schedulingPolicy = policy as never;
    cluster.setupPrimary({ exec: fixture("server_worker") });
    clusters.set(policy, cluster);
  }
  return cluster;
}

after(async () => {
  for (const cluster of clusters.values()) await killAll(Object.values(cluster.workers ?? {}));
});

interface Started {
  workers: Worker[];
  port: number;
  modes: string[];
}

async function start(
  cluster: Cluster,
  fork: (env?: Record<string, string>) => Worker,
  env: Record<string, string>,
  count = 2,
): Promise<Started> {
  const modes: string[] = [];
  const onListening = (_worker: Worker, address: { mode?: string }) => modes.push(address.mode ?? "?");
  cluster.on("listening", onListening);
  try {
    const workers: Worker[] = [];
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      // One after another, so that a port-0 listen has chosen its port before the next worker asks.
      const worker = fork(env);
      workers.push(worker);
      const reply = await nextMessage(worker, (m) => m?.cmd === "server");
      assert.equal(reply.error, undefined, `worker ${worker.id} could not listen: ${reply.error}`);
      ports.push(reply.port);
    }
    assert.ok(ports.every((port) => port === ports[0]), `every worker got the same port: ${ports}`);
    const deadline = Date.now() + 5000;
    while (modes.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(modes.length, count, "the primary saw listening from every worker");
    return { workers, port: ports[0], modes };
  } finally {
    cluster.off("listening", onListening);
  }
}

function bodies(workers: Worker[]): string[] {
  return workers.map((w) => `worker-${w.id}`).sort();
}

interface KeepAliveRun {
  /** Responses received. */
  responses: number;
  /** Whether the last response said `Connection: close`. */
  closedByHeader: boolean;
  /** A request sent and never answered (the connection closed under it), if any. */
  lost?: string;
}

/**
 * Sends requests back to back on one keep-alive connection until a response says `Connection: close`, as a
 * busy client does; calls `midway` after the tenth response.
 */
function keepAliveUntilClosed(port: number, midway: () => void): Promise<KeepAliveRun> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    let buffer = "";
    let responses = 0;
    let done = false;
    const finish = (run: KeepAliveRun) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(run);
    };
    const ask = () => socket.write("GET / HTTP/1.1\r\nHost: test\r\n\r\n");
    socket.setEncoding("latin1");
    socket.on("connect", ask);
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      for (;;) {
        const end = buffer.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buffer.slice(0, end).toLowerCase();
        const length = Number(/content-length: *(\d+)/.exec(head)?.[1] ?? 0);
        if (buffer.length < end + 4 + length) return;
        buffer = buffer.slice(end + 4 + length);
        responses++;
        if (responses === 10) midway();
        if (/\r\nconnection: *close/.test(head)) return finish({ responses, closedByHeader: true });
        ask();
      }
    });
    socket.on("error", (error) => finish({ responses, closedByHeader: false, lost: error.message }));
    socket.on("close", () => finish({ responses, closedByHeader: false, lost: "connection closed" }));
    socket.setTimeout(10_000, () => finish({ responses, closedByHeader: false, lost: "timed out" }));
  });
}

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.setTimeout(3000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
  });
}

describe(`port sharing on ${runtime}`, () => {
  for (const kind of ["net", "http"]) {
    const mode = expectedMode(kind as "net" | "http", "rr", false);
    test(`default policy (SCHED_RR), node:${kind}: listen(0) gives one port; ${mode} shares it`, async () => {
      const cluster = clusterWith();
      await withWorkers(cluster, async (fork) => {
        const { workers, port, modes } = await start(cluster, fork, { SERVER_KIND: kind });
        const counts = await countAnswers(port, 200);
        assert.deepEqual(Object.keys(counts).sort(), bodies(workers), JSON.stringify(counts));
        assert.deepEqual(modes, [mode, mode]);
        if (mode === "rr") assertRoundRobin(counts, 200);
      });
    });
  }

  test("SCHED_RR chosen: node:net round-robin on every route (the Deno adapter relays each connection)", async () => {
    const cluster = clusterWith(SCHED_RR);
    await withWorkers(cluster, async (fork) => {
      const { port, modes } = await start(cluster, fork, { SERVER_KIND: "net" });
      const mode = expectedMode("net", "rr");
      assert.deepEqual(modes, [mode, mode]);
      assert.equal(mode, "rr");
      const counts = await countAnswers(port, 100);
      assertRoundRobin(counts, 100);
    });
  });

  test("a round-robin server closes whatever connects to its private endpoint instead of the shared port", {
    skip: process.platform !== "linux" && "abstract sockets are Linux's",
  }, async () => {
    const cluster = clusterWith(SCHED_RR);
    await withWorkers(cluster, async (fork) => {
      const { workers, port } = await start(cluster, fork, { SERVER_KIND: "net" }, 1);
      const { readFileSync } = await import("node:fs");
      // Linux lists abstract socket names, '@' for the NUL, to every local user.
      const names = readFileSync("/proc/net/unix", "utf8").split("\n")
        .map((line) => line.trim().split(/\s+/)[7] ?? "")
        .filter((name) => name.startsWith(`@unicluster-rr-${workers[0].process.pid}-`));
      assert.equal(names.length, 1, "the worker's round-robin server listens on one abstract endpoint");
      const received = await new Promise<string>((resolve) => {
        let text = "";
        const socket = net.connect({ path: `\0${names[0].slice(1)}` });
        socket.setEncoding("latin1");
        socket.on("data", (chunk: string) => text += chunk);
        socket.on("error", () => {});
        socket.on("close", () => resolve(text));
        socket.setTimeout(3000, () => {
          text += "(still open after 3 s)";
          socket.destroy();
        });
      });
      assert.equal(received, "", "the server took a connection that did not come from the primary");
      assert.deepEqual(await countAnswers(port, 4), { [`worker-${workers[0].id}`]: 4 });
    });
  });

  test("a connection the primary hands over counts as the server's own (getConnections, close waits for it)", async () => {
    const cluster = clusterWith(SCHED_RR);
    await withWorkers(cluster, async (fork) => {
      const { port } = await start(cluster, fork, { SERVER_KIND: "http" }, 1);
      const { request } = await import("node:http");
      const answer = await new Promise<string>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, path: "/connections", agent: false }, (res) => {
          let text = "";
          res.on("data", (d) => text += d);
          res.on("end", () => resolve(text));
        });
        req.on("error", reject);
        req.end();
      });
      assert.match(answer, / 1$/, `the server counts the connection it is answering on: ${answer}`);
    });
  });

  test("SCHED_NONE: workers accept on a shared handle (or SO_REUSEPORT where handles cannot be shared)", async () => {
    const cluster = clusterWith(SCHED_NONE);
    await withWorkers(cluster, async (fork) => {
      const { workers, port, modes } = await start(cluster, fork, { SERVER_KIND: "net" });
      const counts = await countAnswers(port, 200);
      assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), 200);
      for (const worker of workers) {
        assert.ok(counts[`worker-${worker.id}`] > 0, `both answer: ${JSON.stringify(counts)}`);
      }
      const mode = expectedMode("net", "none");
      assert.deepEqual(modes, [mode, mode]);
    });
  });

  test("SCHED_REUSEPORT: each worker binds the port itself and both answer", async () => {
    const cluster = clusterWith(SCHED_REUSEPORT);
    await withWorkers(cluster, async (fork) => {
      const { workers, port, modes } = await start(cluster, fork, { SERVER_KIND: "net" });
      const counts = await countAnswers(port, 200);
      for (const worker of workers) {
        assert.ok(counts[`worker-${worker.id}`] > 0, `both answer: ${JSON.stringify(counts)}`);
      }
      const mode = expectedMode("net", "reuseport");
      assert.deepEqual(modes, [mode, mode]);
    });
  });

  test("the runtime's native server shares the port and reports listening", {
    skip: runtime === "node" ? "Node's native server is node:http, tested above" : false,
  }, async () => {
    const cluster = clusterWith(SCHED_RR);
    await withWorkers(cluster, async (fork) => {
      const { workers, port, modes } = await start(cluster, fork, { SERVER_KIND: "native" });
      assert.notEqual(port, 0);
      const counts = await countAnswers(port, 200);
      for (const worker of workers) {
        assert.ok(counts[`worker-${worker.id}`] > 0, `both answer: ${JSON.stringify(counts)}`);
      }
      assert.deepEqual(modes, ["reuseport", "reuseport"]);
    });
  });

  test("the portable serve() helper shares the port", async () => {
    const cluster = clusterWith(SCHED_RR);
    await withWorkers(cluster, async (fork) => {
      const { workers, port } = await start(cluster, fork, { SERVER_KIND: "serve" });
      const counts = await countAnswers(port, 100);
      for (const worker of workers) {
        assert.ok(counts[`worker-${worker.id}`] > 0, `both answer: ${JSON.stringify(counts)}`);
      }
    });
  });

  test("a port taken by another process: the worker's server gets EADDRINUSE and the primary stays healthy", async () => {
    const cluster = clusterWith(SCHED_RR);
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      await withWorkers(cluster, async (fork) => {
        const worker = fork({ SERVER_KIND: "http", SERVER_PORT: String(taken) });
        const reply = await nextMessage(worker, (m) => m?.cmd === "server");
        assert.equal(reply.error, "EADDRINUSE");
        assert.equal(worker.isDead(), false);
        const { port } = await start(cluster, fork, { SERVER_KIND: "http" }, 1);
        assert.equal(Object.values(await countAnswers(port, 4)).reduce((a, b) => a + b, 0), 4);
      });
    } finally {
      blocker.close();
    }
  });

  test("worker.disconnect() closes its server, lets open requests finish, then the worker exits", async () => {
    const cluster = clusterWith(SCHED_RR);
    await withWorkers(cluster, async (fork) => {
      const { workers, port, modes } = await start(cluster, fork, { SERVER_KIND: "http" });
      const [leaving, staying] = workers;
      const { request } = await import("node:http");
      // Slow requests in flight on both workers while one of them leaves: all of them must complete.
      const slow = () =>
        new Promise<string>((resolve, reject) => {
          const req = request({ host: "127.0.0.1", port, path: "/slow", agent: false }, (res) => {
            let text = "";
            res.on("data", (d) => text += d);
            res.on("end", () => resolve(text));
          });
          req.on("error", reject);
          req.end();
        });
      const inFlight = Promise.all([slow(), slow(), slow(), slow()]);
      await new Promise((r) => setTimeout(r, 100));
      const exited = new Promise<unknown[]>((resolve) => leaving.once("exit", (...args) => resolve(args)));
      leaving.disconnect();
      // While its open requests finish, the leaving worker takes no new connection from the primary (Node's child
      // tells the primary as soon as the server's handle closes). A server that binds the port itself (reusePort)
      // keeps its listening socket while it drains, so there every new connection is answered, by either worker.
      const meanwhile = await countAnswers(port, 10);
      if (modes[0] === "reuseport") {
        assert.equal(Object.values(meanwhile).reduce((a, b) => a + b, 0), 10, "new connections are answered");
      } else {
        assert.deepEqual(
          meanwhile,
          { [`worker-${staying.id}`]: 10 },
          "new connections go to the worker that stays",
        );
      }
      const answers = await inFlight;
      assert.ok(
        answers.every((answer) => answer.startsWith("worker-")),
        `open requests finished: ${answers}`,
      );
      assert.deepEqual(await exited, [0, null]);
      assert.equal(leaving.exitedAfterDisconnect, true);
      const counts = await countAnswers(port, 20);
      assert.deepEqual(
        counts,
        { [`worker-${staying.id}`]: 20 },
        "new connections go to the worker that stays",
      );
      const stayingExit = new Promise((resolve) => staying.once("exit", resolve));
      staying.disconnect();
      await stayingExit;
      assert.equal(await connectionRefused(port), true, "with no worker left, new connections are refused");
    });
  });

  for (const kind of ["http", "native"]) {
    test(
      `a busy keep-alive client of a disconnecting worker (${kind}) gets every answer, the last with Connection: close`,
      {
        skip: kind === "native" && runtime === "node" ? "Node's native server is node:http" : false,
      },
      async () => {
        const cluster = clusterWith(SCHED_RR);
        await withWorkers(cluster, async (fork) => {
          const { workers: [worker], port } = await start(cluster, fork, { SERVER_KIND: kind }, 1);
          const exited = new Promise((resolve) => worker.once("exit", resolve));
          const run = await keepAliveUntilClosed(port, () => worker.disconnect());
          assert.equal(run.lost, undefined, `a request went unanswered after ${run.responses} responses`);
          assert.equal(run.closedByHeader, true);
          assert.ok(run.responses >= 10);
          await exited;
        });
      },
    );
  }

  test("a unix socket path is shared by the workers", async () => {
    const cluster = clusterWith(SCHED_RR);
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join(tmpdir(), "unicluster-test-"));
    const path = join(dir, "shared.sock");
    try {
      await withWorkers(cluster, async (fork) => {
        const modes: { addressType: number | string }[] = [];
        const onListening = (_w: Worker, address: { addressType: number | string }) => modes.push(address);
        cluster.on("listening", onListening);
        const workers = [
          fork({ SERVER_KIND: "http", SERVER_PATH: path }),
          fork({ SERVER_KIND: "http", SERVER_PATH: path }),
        ];
        const replies = await Promise.all(workers.map((w) => nextMessage(w, (m) => m?.cmd === "server")));
        for (const reply of replies) assert.equal(reply.error, undefined);
        cluster.off("listening", onListening);
        const { request } = await import("node:http");
        const seen = new Set<string>();
        for (let i = 0; i < 10; i++) {
          seen.add(
            await new Promise<string>((resolve, reject) => {
              const req = request({ socketPath: path, path: "/", agent: false }, (res) => {
                let text = "";
                res.on("data", (d) => text += d);
                res.on("end", () => resolve(text));
              });
              req.on("error", reject);
              req.end();
            }),
          );
        }
        assert.deepEqual([...seen].sort(), bodies(workers));
        assert.ok(modes.every((address) => address.addressType === -1));
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("serve() on a file descriptor", () => {
  // Serving one (systemd's socket activation) is tested in tests/cli_systemd.test.ts.
  test("bad descriptors are refused by name", () => {
    const handler = () => new Response("");
    assert.throws(() => serve(handler, { fd: "3" as unknown as number }), {
      name: "TypeError",
      code: "ERR_INVALID_ARG_TYPE",
      message: /"options\.fd" argument must be of type number/,
    });
    for (const fd of [-1, 2.5]) {
      assert.throws(() => serve(handler, { fd }), { name: "TypeError", code: "ERR_INVALID_ARG_VALUE" });
    }
  });
});
