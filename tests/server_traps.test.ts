// deno-lint-ignore-file no-explicit-any -- worker reports are free-form JSON
// Bun workers hook the servers of node:net, node:http and node:dgram as the program loads those modules
// (adapters/bun/server_traps.ts): a Bun.serve worker loads none of them, and the servers of a program that loads
// them, before the library or after it, share their ports as before. The preload's traps leave the program's own
// classes, objects and runtime flags as they were.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import net from "node:net";
import { describe, test } from "node:test";
import cluster, { type Worker } from "../mod.ts";
import { countAnswers, fixture, freePort, nextMessage, runtime, waitFor, withWorkers } from "./_helpers.ts";

/** Resolves with the `listening` addresses of `workers`, one each (in the order they come). */
function listeningOf(workers: Worker[]): Promise<any[]> {
  return Promise.all(workers.map(async (worker) => (await waitFor<[any]>(worker, "listening"))[0]));
}

/** Forks two workers of the traps_worker fixture in `mode` on `port`; resolves with them and their reports. */
async function forkTwo(
  fork: (env: Record<string, string>) => Worker,
  mode: "native" | "late",
  port: number,
): Promise<{ workers: Worker[]; reports: any[] }> {
  const workers = [1, 2].map(() => fork({ TRAPS_MODE: mode, TRAPS_PORT: String(port) }));
  const reports = await Promise.all(workers.map((worker) => nextMessage(worker, (m) => m?.cmd === mode)));
  return { workers, reports };
}

/** How the workers answer: `worker <id>`, sorted. */
function names(workers: Worker[]): string[] {
  return workers.map((worker) => `worker ${worker.id}`).sort();
}

/** Asserts that 40 new-connection HTTP requests to `port` are answered by each of `workers`. */
async function assertBothAnswer(port: number, workers: Worker[]): Promise<void> {
  const counts = await countAnswers(port, 40);
  assert.deepEqual(Object.keys(counts).sort(), names(workers), JSON.stringify(counts));
}

/** What a TCP connection to 127.0.0.1:port reads before it ends. */
function readLine(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    net.connect(port, "127.0.0.1").setEncoding("utf8").on("data", (chunk) => text += chunk)
      .on("end", () => resolve(text.trim())).on("error", reject);
  });
}

/** The answer to one datagram sent to 127.0.0.1:port. */
function udpAnswer(port: number): Promise<string> {
  const socket = dgram.createSocket("udp4");
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no answer to the datagram")), 5000);
    socket.on("message", (message) => {
      clearTimeout(timer);
      resolve(String(message));
    });
    socket.send("ping", port, "127.0.0.1");
  }).finally(() => socket.close());
}

describe(
  "Bun: servers hooked as their modules load",
  { skip: runtime !== "bun" && "the traps are Bun's" },
  () => {
    test("a Bun.serve worker loads none of them; the program's classes, objects and execArgv stay its own", async () => {
      const port = await freePort();
      cluster.setupPrimary({ exec: fixture("traps_worker"), execArgv: [], silent: true });
      await withWorkers(cluster, async (fork) => {
        const { workers, reports } = await forkTwo(fork, "native", port);
        for (const report of reports) {
          assert.deepEqual(
            report.trapped,
            [],
            "node:net, node:http and node:dgram never defined their methods",
          );
          assert.deepEqual(report.execArgv, [], "the preload's flags are not the program's");
          assert.equal(report.own, "own listen");
          assert.equal(report.plain, 42);
          assert.equal(report.inherited, null);
          assert.equal(report.port, port);
        }
        await assertBothAnswer(port, workers);
      });
    });

    test("node:http imported before the library: both workers listen on the port, and the primary hears it", async () => {
      const port = await freePort();
      cluster.setupPrimary({ exec: fixture("traps_http_first"), execArgv: [], silent: true });
      await withWorkers(cluster, async (fork) => {
        const workers = [1, 2].map(() => fork({ TRAPS_PORT: String(port) }));
        const addresses = await listeningOf(workers);
        assert.deepEqual(addresses.map((a) => [a.port, a.mode]), [[port, "reuseport"], [port, "reuseport"]]);
        await assertBothAnswer(port, workers);
      });
    });

    test("a program's wrapper of listen, set before the library loads, stays in place and is called", async () => {
      const port = await freePort();
      cluster.setupPrimary({ exec: fixture("traps_wrapped_first"), execArgv: [], silent: true });
      await withWorkers(cluster, async (fork) => {
        const workers = [1, 2].map(() => fork({ TRAPS_PORT: String(port) }));
        const reports = await Promise.all(
          workers.map((worker) => nextMessage(worker, (m) => m?.cmd === "wrapped")),
        );
        for (const report of reports) {
          assert.equal(report.port, port);
          assert.ok(report.calls >= 1, `the wrapper was called ${report.calls} times`);
        }
        assert.ok(names(workers).includes(await readLine(port)));
      });
    });

    test("node:net and node:dgram loaded after the library: their server and socket share the port", async () => {
      const port = await freePort();
      cluster.setupPrimary({ exec: fixture("traps_worker"), execArgv: [], silent: true });
      await withWorkers(cluster, async (fork) => {
        const { workers, reports } = await forkTwo(fork, "late", port);
        for (const report of reports) {
          assert.deepEqual({ net: report.net, dgram: report.dgram }, { net: port, dgram: port });
          assert.deepEqual([...report.trapped].sort(), ["bind", "listen"]);
        }
        assert.ok(names(workers).includes(await readLine(port)));
        assert.ok(names(workers).includes((await udpAnswer(port)).replace(/: ping$/, "")));
      });
    });
  },
);
