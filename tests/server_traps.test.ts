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

/**
 * Runs `body` with two workers of the fixture `name` forked on a free port (`TRAPS_PORT`, with `env`), killed
 * afterwards whatever `body` does.
 */
async function withTwo(
  name: string,
  env: Record<string, string>,
  body: (port: number, workers: Worker[]) => Promise<void>,
): Promise<void> {
  const port = await freePort();
  cluster.setupPrimary({ exec: fixture(name), execArgv: [], silent: true });
  await withWorkers(
    cluster,
    (fork) => body(port, [1, 2].map(() => fork({ ...env, TRAPS_PORT: String(port) }))),
  );
}

/** The report each of `workers` sends with `cmd`, in their order. */
function reportsOf(workers: Worker[], cmd: string): Promise<any[]> {
  return Promise.all(workers.map((worker) => nextMessage(worker, (m) => m?.cmd === cmd)));
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
      await withTwo("traps_worker", { TRAPS_MODE: "native" }, async (port, workers) => {
        for (const report of await reportsOf(workers, "native")) {
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
      await withTwo("traps_http_first", {}, async (port, workers) => {
        const addresses = await listeningOf(workers);
        assert.deepEqual(addresses.map((a) => [a.port, a.mode]), [[port, "reuseport"], [port, "reuseport"]]);
        await assertBothAnswer(port, workers);
      });
    });

    test("a program's wrapper of listen, set before the library loads, stays in place and is called", async () => {
      await withTwo("traps_wrapped_first", {}, async (port, workers) => {
        for (const report of await reportsOf(workers, "wrapped")) {
          assert.equal(report.port, port);
          assert.ok(report.calls >= 1, `the wrapper was called ${report.calls} times`);
        }
        assert.ok(names(workers).includes(await readLine(port)));
      });
    });

    test("node:net and node:dgram loaded after the library: their server and socket share the port", async () => {
      await withTwo("traps_worker", { TRAPS_MODE: "late" }, async (port, workers) => {
        for (const report of await reportsOf(workers, "late")) {
          assert.deepEqual({ net: report.net, dgram: report.dgram }, { net: port, dgram: port });
          assert.deepEqual([...report.trapped].sort(), ["bind", "listen"]);
        }
        assert.ok(names(workers).includes(await readLine(port)));
        assert.ok(names(workers).includes((await udpAnswer(port)).replace(/: ping$/, "")));
      });
    });
  },
);
