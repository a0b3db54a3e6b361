// The primary's role on a fake primary-side adapter: no process is started. The fake needs the seven members of
// PrimaryAdapter; its links record what the primary sends and let the test play the worker's side.
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, test } from "node:test";
import type {
  ChildEvents,
  ChildLink,
  OpenPort,
  PortOpener,
  PrimaryAdapter,
  ServerRequest,
  SpawnRequest,
} from "../core.ts";
import { SCHED_RR } from "../src/policy.ts";
import { INTERNAL_CMD } from "../src/protocol.ts";
import { PrimaryRole } from "../src/roles/primary.ts";
import type { Worker } from "../src/worker.ts";

/** A link that records what the primary sends; `events` lets the test play the child. */
class FakeLink implements ChildLink {
  readonly canPassHandles = true;
  readonly keepsHandles = false;
  readonly relaysHandles = false;
  readonly pid = 4242;
  exitCode: number | null = null;
  signalCode: string | null = null;
  connected = true;
  readonly stdin = null;
  readonly stdout = null;
  readonly stderr = null;
  readonly stdio = [null, null, null];
  readonly sent: unknown[] = [];
  readonly signals: string[] = [];
  readonly request: SpawnRequest;
  readonly events: ChildEvents;

  constructor(request: SpawnRequest, events: ChildEvents) {
    this.request = request;
    this.events = events;
  }

  send(message: unknown, _handle: unknown, callback?: (error: Error | null) => void): boolean {
    this.sent.push(message);
    callback?.(null);
    return true;
  }

  disconnect(): void {
    if (!this.connected) return;
    this.connected = false;
    queueMicrotask(() => this.events.disconnect());
  }

  release(): void {}

  kill(signal: string): boolean {
    this.signals.push(signal);
    return true;
  }

  /** The worker says something internal. */
  say(fields: Record<string, unknown>): void {
    this.events.message({ cmd: INTERNAL_CMD, ...fields }, undefined);
  }

  /** The process ends (the channel first, as the adapters' link base reports it). */
  end(code: number | null, signal: string | null = null): void {
    this.connected = false;
    this.events.disconnect();
    this.exitCode = code;
    this.signalCode = signal;
    this.events.exit(code, signal);
  }
}

function fakeAdapter(): { adapter: PrimaryAdapter; links: FakeLink[]; opened: ServerRequest[] } {
  const links: FakeLink[] = [];
  const opened: ServerRequest[] = [];
  const ports: PortOpener = {
    canShareHandles: false,
    canReusePort: true,
    probe: () => Promise.resolve(),
    openDatagram: () => Promise.reject(new Error("no UDP here")),
    open(request): Promise<OpenPort> {
      opened.push(request);
      return Promise.resolve({
        port: 43210,
        address: "0.0.0.0",
        family: "IPv4",
        handle: undefined,
        close() {},
      });
    },
  };
  const adapter: PrimaryAdapter = {
    name: "node",
    host: () => ({
      runtime: "node",
      execPath: "/usr/bin/node",
      mainModule: "/app/main.js",
      args: ["--port", "1"],
      execArgv: [],
      pid: 1,
      platform: "linux",
      env: { HOME: "/home/app" },
    }),
    takeIdentity: () => undefined,
    workerCommand: (runtime) => ({ execPath: `/usr/bin/${runtime}`, execArgv: ["--flag"] }),
    fileExists: (path) => path.startsWith("/app/"),
    spawn: (request, events) => {
      const link = new FakeLink(request, events);
      links.push(link);
      queueMicrotask(() => events.spawn());
      return link;
    },
    ports: () => ports,
  };
  return { adapter, links, opened };
}

function primary() {
  const cluster = new EventEmitter();
  const errors: Error[] = [];
  const fake = fakeAdapter();
  const role = new PrimaryRole(
    cluster,
    fake.adapter,
    { policy: SCHED_RR, chosen: false },
    (error) => errors.push(error),
  );
  const events: string[] = [];
  for (const name of ["fork", "online", "listening", "message", "disconnect", "exit"]) {
    cluster.on(name, (worker: Worker) => events.push(`${name}:${worker.id}`));
  }
  return { cluster, role, events, errors, ...fake };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("the primary's role, on a fake adapter", () => {
  test("fork builds the spawn request from the settings and keeps a spawn record", () => {
    const { role, links } = primary();
    const worker = role.fork({ EXTRA: 1 });
    const { request } = links[0];
    assert.equal(request.exec, "/app/main.js");
    assert.deepEqual(request.args, ["--port", "1"]);
    assert.equal(request.execPath, "/usr/bin/node");
    assert.deepEqual(request.execArgv, ["--flag"]);
    assert.equal(request.env.HOME, "/home/app");
    assert.equal(request.env.EXTRA, "1");
    assert.deepEqual(request.identity, { id: 1, policy: "rr", serialization: "json" });
    const record = role.spawnRecord(worker);
    assert.equal(record?.id, 1);
    assert.deepEqual(record?.env, { EXTRA: "1" });
    assert.equal(record?.settings.exec, "/app/main.js");
  });

  test("a missing script throws before anything is spawned", () => {
    const { role, links } = primary();
    role.setup({ exec: "/elsewhere/main.js" });
    assert.throws(
      () => role.fork(),
      (error: Error & { code?: string }) => error.code === "ERR_MODULE_NOT_FOUND",
    );
    assert.equal(links.length, 0);
  });

  test("every event comes from a transition, in order; the worker leaves after disconnect and exit", async () => {
    const { role, links, events } = primary();
    const worker = role.fork();
    await tick();
    links[0].say({ act: "online" });
    links[0].say({
      act: "listening",
      key: "k",
      address: { address: null, port: 80, addressType: 4, fd: -1 },
    });
    assert.equal(worker.state, "listening");
    links[0].events.disconnect();
    assert.equal(role.workers[1], worker, "still listed until it has exited too");
    links[0].events.exit(3, null);
    assert.equal(role.workers[1], undefined);
    assert.deepEqual(events, ["fork:1", "online:1", "listening:1", "disconnect:1", "exit:1"]);
    assert.equal(worker.exitedAfterDisconnect, false, "nobody asked it to go: false, not undefined");
  });

  test("kill signals at once and is not a disconnect; disconnect() is, and ends the worker's port requests", async () => {
    const { role, links } = primary();
    const killed = role.fork();
    await tick();
    links[0].say({ act: "online" });
    killed.kill("SIGINT");
    assert.deepEqual(links[0].signals, ["SIGINT"]);
    links[0].end(null, "SIGINT");
    assert.equal(killed.exitedAfterDisconnect, false);

    const parted = role.fork();
    await tick();
    parted.disconnect();
    assert.equal(parted.exitedAfterDisconnect, true);
    assert.equal(
      role.workers[parted.id],
      undefined,
      "a worker asked to go leaves cluster.workers at once, as in Node",
    );
    assert.deepEqual(links[1].sent.at(-1), { cmd: INTERNAL_CMD, act: "disconnect" });
    const request = { key: "k", address: null, port: 0, addressType: 4, fd: -1, prefersReusePort: false };
    const sent = links[1].sent.length;
    links[1].say({ act: "queryServer", seq: 1, request });
    await tick();
    assert.equal(links[1].sent.length, sent, "a leaving worker's listen gets no answer, as in Node");
  });

  test("internal messages never reach user listeners; extension acts reach cluster.internal", () => {
    const { role, links, events } = primary();
    const worker = role.fork();
    const heard: unknown[] = [];
    worker.on("message", (message) => heard.push(message));
    const pings: unknown[] = [];
    role.internal.on("sup:ping", (from, body) => pings.push([from.id, body]));
    links[0].say({ act: "ext", name: "sup:ping", body: { n: 1 } });
    links[0].say({ act: "ext", name: "other:thing", body: 2 });
    links[0].say({ act: "no-such-act" });
    links[0].events.message({ hello: "user" }, undefined);
    assert.deepEqual(pings, [[1, { n: 1 }]]);
    assert.deepEqual(heard, [{ hello: "user" }]);
    assert.deepEqual(events.filter((e) => e.startsWith("message")), ["message:1"]);
    assert.equal(role.internal.send(worker, "sup:pong", { n: 1 }), true);
    assert.deepEqual(links[0].sent.at(-1), {
      cmd: INTERNAL_CMD,
      act: "ext",
      name: "sup:pong",
      body: { n: 1 },
    });
    assert.throws(
      () => role.internal.send(worker, "pong", 1),
      (error: Error & { code?: string }) => error.code === "ERR_INVALID_ARG_VALUE",
    );
  });

  test("a listen request opens the port through the adapter and is answered with the sequence number", async () => {
    const { role, links, opened } = primary();
    role.fork();
    const request = {
      key: "null:0:4:-1",
      address: null,
      port: 0,
      addressType: 4,
      fd: -1,
      prefersReusePort: false,
    };
    links[0].say({ act: "queryServer", seq: 7, request });
    await tick();
    assert.equal(opened.length, 1);
    assert.deepEqual(links[0].sent.at(-1), {
      cmd: INTERNAL_CMD,
      act: "ack",
      ack: 7,
      reply: { mode: "rr", port: 43210, address: "0.0.0.0", family: "IPv4" },
    });
  });

  test("sending on a closed channel reports ERR_IPC_CHANNEL_CLOSED to the callback, or as an error", async () => {
    const { role, links, errors } = primary();
    const worker = role.fork();
    await tick();
    links[0].end(0);
    let given: Error | null = null;
    assert.equal(worker.send("late", (error: Error | null) => given = error), false);
    assert.equal(worker.send("later"), false);
    await tick();
    assert.equal((given as (Error & { code?: string }) | null)?.code, "ERR_IPC_CHANNEL_CLOSED");
    assert.equal((errors[0] as Error & { code?: string }).code, "ERR_IPC_CHANNEL_CLOSED");
  });
});
