// The Deno adapter (adapters/deno/): workers started with Deno.Command that join the primary over the socket
// channel, with no more permissions than they are given. The test process plays the primary through the adapter's
// spawn(); the workers run tests/fixtures/deno_worker.ts. Runs on every runtime; the spawning tests only on Deno.

import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import net from "node:net";
import process from "node:process";
import { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { DenoAdapter } from "../adapters/deno/adapter.ts";
import type { ChildEvents, ChildLink, SpawnRequest } from "../core.ts";
import { Inbox, noop, within } from "./_inbox.ts";

const ext = new URL(import.meta.url).pathname.endsWith(".js") ? ".js" : ".ts";
const fixturePath = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}${ext}`, import.meta.url));
const fixture = fixturePath("socket_echo");
const isDeno = "Deno" in globalThis;

describe("Deno adapter", () => {
  test("the module loads on every runtime without touching Deno", () => {
    const adapter = new DenoAdapter();
    assert.equal(adapter.name, "deno");
    assert.equal(new DenoAdapter("child_process").name, "node");
    assert.deepEqual(adapter.workerCommand("node"), { execPath: "node", execArgv: [] });
    assert.deepEqual(adapter.workerCommand("bun"), { execPath: "bun", execArgv: [] });
  });

  const onDeno = { skip: !isDeno };
  const VARIABLE = "UNICLUSTER_TEST_WORKER";
  const links = new Set<ChildLink>();
  after(() => {
    for (const link of links) link.kill("SIGKILL");
  });

  /** What a link reported, in order. */
  interface Recorded {
    log: string[];
    messages: Inbox;
    errors: Error[];
    exit: Promise<[number | null, string | null]>;
    disconnected: Promise<void>;
  }

  function recorder(): { events: ChildEvents; recorded: Recorded } {
    const log: string[] = [];
    const messages = new Inbox();
    const errors: Error[] = [];
    let onExit!: (value: [number | null, string | null]) => void;
    let onDisconnect!: () => void;
    const recorded: Recorded = {
      log,
      messages,
      errors,
      exit: new Promise((resolve) => onExit = resolve),
      disconnected: new Promise((resolve) => onDisconnect = resolve),
    };
    const events: ChildEvents = {
      spawn: () => log.push("spawn"),
      message: (message, handle) => {
        assert.equal(handle, undefined);
        messages.push(message);
      },
      disconnect: () => {
        log.push("disconnect");
        onDisconnect();
      },
      exit: (code, signal) => {
        log.push(`exit:${code}:${signal}`);
        onExit([code, signal]);
      },
      error: (error) => {
        log.push(`error:${(error as { code?: string }).code}`);
        errors.push(error);
      },
    };
    return { events, recorded };
  }

  let nextId = 100;

  function request(changes: Partial<SpawnRequest> = {}): SpawnRequest {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
    delete env.NODE_EXTRA_CA_CERTS;
    return {
      runtime: "deno",
      execPath: process.execPath,
      execArgv: ["run", "-A", "--no-prompt"],
      exec: fixturePath("deno_worker"),
      args: [],
      cwd: undefined,
      env,
      silent: false,
      stdio: undefined,
      serialization: "json",
      uid: undefined,
      gid: undefined,
      windowsHide: false,
      identityVariable: VARIABLE,
      identity: { id: nextId++ },
      ...changes,
    };
  }

  function start(changes: Partial<SpawnRequest> = {}): { link: ChildLink; recorded: Recorded } {
    const { events, recorded } = recorder();
    const link = new DenoAdapter().spawn(request(changes), events);
    links.add(link);
    return { link, recorded };
  }

  test(
    "host facts, and a Deno worker's command: run, the permissions held in full, --no-prompt, --unstable-net",
    onDeno,
    () => {
      const adapter = new DenoAdapter();
      const host = adapter.host();
      assert.equal(host.runtime, "deno");
      assert.equal(host.pid, process.pid);
      assert.equal(host.execPath, process.execPath);
      assert.equal(host.platform, process.platform);
      assert.ok(!host.mainModule.startsWith("file:"), host.mainModule);
      assert.equal(host.env.PATH, process.env.PATH);
      // deno test -A holds every permission.
      const all = ["read", "write", "net", "env", "run", "ffi", "sys", "import"].map((name) =>
        `--allow-${name}`
      );
      assert.deepEqual(adapter.workerCommand("deno"), {
        execPath: process.execPath,
        execArgv: ["run", ...all, "--no-prompt", "--unstable-net"],
      });
      assert.deepEqual(host.execArgv, process.execArgv, "the runtime's own flags, as Node's execArgv");
      assert.equal(host.mainModule, process.argv[1]);
      assert.equal(adapter.workerCommand("node").execPath, "node");
      assert.equal(adapter.fileExists(fixture), true);
      assert.equal(adapter.fileExists(new URL(`./fixtures/socket_echo${ext}`, import.meta.url).href), true);
      assert.equal(adapter.fileExists(fixture + ".missing"), false);
      assert.equal(adapter.fileExists("npm:left-pad"), true);
    },
  );

  test("a worker connects over the socket with no more permissions than it was given", onDeno, async () => {
    const { link, recorded } = start({ execArgv: ["run", "--allow-net", "--no-prompt"] });
    assert.equal(typeof link.pid, "number");
    assert.equal(link.canPassHandles, true, "sockets, through a relay");
    assert.equal(link.relaysHandles, true);
    assert.equal(link.connected, true);
    const ready = await recorded.messages.next("ready");
    // The adapter adds read access to the identity variable only (this process holds it), nothing else.
    assert.deepEqual(ready.granted, ["net"]);
    assert.equal(ready.identityLeft, false, "the identity variable is removed once read");
    assert.equal(ready.channel, "socket");
    assert.equal(ready.pid, link.pid);
    link.send({ op: "echo", text: "✓" }, undefined, noop);
    assert.deepEqual(await recorded.messages.next("echo"), { op: "echo", text: "✓" });
    // A server handle cannot pass (sockets go through a relay): reported as Node reports a failed send.
    const refused = new Promise<Error | null>((resolve) =>
      assert.equal(link.send({ op: "echo" }, net.createServer(), resolve), false)
    );
    assert.equal((await refused as Error & { code?: string })?.code, "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM");
    link.send({ op: "exit", code: 7 }, undefined, noop);
    assert.deepEqual(await within(recorded.exit, "the exit"), [7, null]);
    await within(recorded.disconnected, "the disconnect");
    assert.equal(link.exitCode, 7);
    assert.equal(link.signalCode, null);
    assert.equal(link.connected, false);
    assert.equal(link.kill("SIGTERM"), false, "kill after exit returns false instead of throwing");
    assert.deepEqual(
      recorded.log,
      ["spawn", "disconnect", "exit:7:null"],
      "disconnect before exit, once each",
    );
  });

  test("a signal death is reported as Node reports it: (null, 'SIGTERM')", onDeno, async () => {
    const { link, recorded } = start();
    await recorded.messages.next("ready");
    assert.equal(link.kill("SIGTERM"), true);
    assert.deepEqual(await within(recorded.exit, "the exit"), [null, "SIGTERM"]);
    await within(recorded.disconnected, "the disconnect");
    assert.equal(link.exitCode, null);
    assert.equal(link.signalCode, "SIGTERM");
  });

  test(
    "a worker that dies before connecting still gets one disconnect, before its exit",
    onDeno,
    async () => {
      const { recorded } = start({ exec: fixturePath("deno_exit_early") });
      assert.deepEqual(await within(recorded.exit, "the exit"), [5, null]);
      await within(recorded.disconnected, "the disconnect");
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(recorded.log.filter((e) => e !== "spawn"), ["disconnect", "exit:5:null"]);
    },
  );

  test(
    "a worker that sends, disconnects and ends before the primary took its connection: the message still arrives",
    onDeno,
    async () => {
      const { recorded } = start({ exec: fixturePath("deno_sender"), args: ["leave"] });
      // The primary is busy while the worker starts, sends and ends: its connection waits in the endpoint's queue
      // when the primary hears of the exit.
      const busyUntil = Date.now() + 1500;
      while (Date.now() < busyUntil) {
        // Blocks the event loop on purpose.
      }
      assert.deepEqual(await recorded.messages.next("sent"), { op: "sent" });
      assert.deepEqual(await within(recorded.exit, "the exit"), [0, null]);
      assert.deepEqual(recorded.log, ["spawn", "disconnect", "exit:0:null"]);
    },
  );

  test(
    "a worker that blocks its event loop once it has sent: the message arrives (its channel connected before its " +
      "main module ran), and a signal ends it",
    onDeno,
    async () => {
      const { link, recorded } = start({ exec: fixturePath("deno_sender"), args: ["block"] });
      assert.deepEqual(await recorded.messages.next("sent"), { op: "sent" });
      if (process.platform === "linux") {
        // The preload reads the token from the environment: the command line, which any user can read, has none.
        const cmdline = readFileSync(`/proc/${link.pid}/cmdline`, "utf8");
        const environ = readFileSync(`/proc/${link.pid}/environ`, "utf8").split("\0");
        const identity = JSON.parse(
          environ.find((entry) => entry.startsWith(`${VARIABLE}=`))!.slice(VARIABLE.length + 1),
        );
        assert.match(cmdline, /--preload=data:text\/javascript,/);
        assert.equal(typeof identity.token, "string");
        assert.ok(!cmdline.includes(identity.token), "the token is not on the command line");
      }
      assert.equal(link.kill("SIGTERM"), true);
      assert.deepEqual(await within(recorded.exit, "the exit"), [null, "SIGTERM"]);
    },
  );

  test("a missing executable: error, disconnect, then exit(-2, null), all asynchronous", onDeno, async () => {
    const { link, recorded } = start({ execPath: "/nonexistent/deno" });
    assert.deepEqual(recorded.log, []);
    assert.equal(link.pid, undefined);
    assert.deepEqual(await within(recorded.exit, "the exit"), [-2, null]);
    assert.deepEqual(recorded.log, ["error:ENOENT", "disconnect", "exit:-2:null"]);
    assert.match(recorded.errors[0].message, /^spawn \/nonexistent\/deno ENOENT$/);
  });

  test(
    "stdio Deno.Command cannot map throws at once; extra fds start the worker with child_process",
    onDeno,
    async () => {
      const { events, recorded } = recorder();
      const adapter = new DenoAdapter();
      assert.throws(
        () => adapter.spawn(request({ stdio: ["inherit", 7, "inherit"] }), events),
        (error: Error & { code?: string }) => error.code === "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM",
      );
      const link = adapter.spawn(
        request({ stdio: ["inherit", "inherit", "inherit", "ipc", "pipe"] }),
        events,
      );
      links.add(link);
      assert.equal(link.canPassHandles, true, "a child_process link");
      assert.ok(link.stdio[4], "fd 4 is a pipe to the worker");
      const ready = await recorded.messages.next("ready");
      assert.equal(ready.channel, "process");
      link.send({ op: "bye" }, undefined, noop);
      await within(recorded.exit, "the exit");
    },
  );

  test("silent: the worker's stdio are Node streams, as on Node's ChildProcess", onDeno, async () => {
    const { link, recorded } = start({ silent: true });
    await recorded.messages.next("ready");
    assert.ok(link.stdout instanceof Readable);
    assert.ok(link.stderr instanceof Readable);
    assert.ok(link.stdin instanceof Writable);
    assert.equal(link.stdout, link.stdout, "the same stream every time");
    let text = "";
    (link.stdout as Readable).setEncoding("utf8").on("data", (chunk: string) => text += chunk);
    link.send({ op: "print", text: "from the worker" }, undefined, noop);
    link.send({ op: "bye" }, undefined, noop);
    assert.deepEqual(await within(recorded.exit, "the exit"), [0, null]);
    await recorded.messages.until("the output", () => text.length > 0);
    assert.equal(text, "from the worker\n");
  });

  test("not silent: no stdio streams", onDeno, async () => {
    const { link, recorded } = start();
    await recorded.messages.next("ready");
    assert.equal(link.stdin, null);
    assert.equal(link.stdout, null);
    assert.equal(link.stderr, null);
    link.send({ op: "bye" }, undefined, noop);
    assert.deepEqual(await within(recorded.exit, "the exit"), [0, null]);
  });
});
