// The socket channel (adapters/ipc/socket/): the framed unix-socket IPC the Deno adapter uses (its workers connect
// with Deno.connect, adapters/deno/unix_socket.ts; the others with node:net). The test process
// plays the primary with a ChannelAcceptor; workers are real processes of the
// same runtime running tests/fixtures/socket_echo.ts (or .js in the compiled tree for Node 20), and rogue peers are
// plain sockets opened here. Runs under deno test -A, bun test, node --test (24) and compiled on Node 20.

import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import net from "node:net";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { ChannelAcceptor, newToken, type PendingPeer } from "../adapters/ipc/socket/acceptor.ts";
import { SocketChannel } from "../adapters/ipc/socket/channel.ts";
import { decodePayload, encodeFrame, FrameReader, MAX_FRAME_BYTES } from "../adapters/ipc/socket/framing.ts";
import type { Serialization } from "../core.ts";
import { Inbox, noop, WAIT_MS, within } from "./_inbox.ts";

const ext = new URL(import.meta.url).pathname.endsWith(".js") ? ".js" : ".ts";
const fixturePath = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}${ext}`, import.meta.url));
const fixture = fixturePath("socket_echo");
const isDeno = "Deno" in globalThis;

// --- helpers ---

const children = new Set<ChildProcess>();
const servers = new Set<ChannelAcceptor>();
const sockets = new Set<net.Socket>();

function cleanup(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  children.clear();
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  for (const server of servers) server.close();
  servers.clear();
}

after(cleanup);

function newServer(onReject?: (reason: string) => void): ChannelAcceptor {
  const server = new ChannelAcceptor({ onReject });
  servers.add(server);
  return server;
}

interface Worker {
  child: ChildProcess;
  channel: SocketChannel;
  inbox: Inbox;
  exited: Promise<{ code: number | null; signal: string | null }>;
}

/** Spawns a fixture worker that connects as `id`, and attaches the primary's channel once its hello is accepted. */
async function startWorker(
  server: ChannelAcceptor,
  id: number,
  serialization: Serialization = "json",
): Promise<Worker> {
  const token = newToken();
  const pending = server.expect(id, token);
  const identity = { id, channel: "socket", path: server.path, token, serialization };
  const env: Record<string, string | undefined> = {
    ...process.env,
    UNICLUSTER_SOCKET_TEST: JSON.stringify(identity),
  };
  delete env.NODE_EXTRA_CA_CERTS;
  const args = isDeno ? ["run", "-A", fixture] : [fixture];
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "inherit", "inherit"] });
  children.add(child);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
  return { child, exited, ...await attach(pending, serialization, exited) };
}

async function attach(
  pending: PendingPeer,
  serialization: Serialization,
  exited?: Promise<unknown>,
): Promise<{ channel: SocketChannel; inbox: Inbox }> {
  const inbox = new Inbox();
  const channel = new SocketChannel(serialization, {
    message: (message) => inbox.push(message),
    error: (error) => inbox.error(error),
    close: () => inbox.close(),
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const peer = await Promise.race([
    pending.connection,
    new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), WAIT_MS);
    }),
    ...(exited ? [exited.then(() => null)] : []),
  ]);
  clearTimeout(timer);
  if (peer === null) throw new Error("the worker did not connect");
  channel.attach(peer.socket, peer.received);
  return { channel, inbox };
}

/** A plain socket to the server, with whatever it received and whether it closed. */
function rawPeer(path: string): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(path);
    sockets.add(socket);
    const closed = new Promise<void>((done) => socket.on("close", () => done()));
    socket.on("error", () => {});
    socket.once("connect", () => resolve({ socket, closed }));
    socket.once("error", reject);
  });
}

// --- framing, in process ---

describe("framing", () => {
  test("a frame is a 4-byte big-endian length and the JSON text", () => {
    const frame = encodeFrame({ a: "é" }, "json");
    assert.equal(frame.readUInt32BE(0), frame.length - 4);
    assert.equal(frame.toString("utf8", 4), '{"a":"é"}');
  });

  test("the reader cuts frames split at every byte boundary back into the same messages", () => {
    const messages = [{ n: 1 }, "two", [3, { x: "ü".repeat(300) }], 4, null, true];
    const bytes = Buffer.concat(messages.map((m) => encodeFrame(m, "json")));
    for (let size = 1; size <= 9; size++) {
      const reader = new FrameReader();
      const got: unknown[] = [];
      for (let i = 0; i < bytes.length; i += size) {
        const error = reader.push(bytes.subarray(i, i + size), (b, s, e) => {
          got.push(JSON.parse(b.toString("utf8", s, e)));
          return true;
        });
        assert.equal(error, undefined);
      }
      assert.deepEqual(got, messages, `chunks of ${size} bytes`);
      assert.equal(reader.buffered, 0);
    }
  });

  test("the reader refuses a declared length over the limit", () => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
    const error = new FrameReader().push(header, () => true);
    assert.equal(error?.code, "ERR_IPC_FRAME_TOO_LARGE");
  });

  test("payloads of every size decode alike: multi-byte characters kept, bytes that are not UTF-8 as U+FFFD", () => {
    // Small payloads are decoded with Buffer#toString, large ones with a TextDecoder: both must give the same.
    for (const size of [10, 511, 512, 4096, 1 << 20]) {
      const text = "\uFEFFé😀" + "x".repeat(size);
      const frame = encodeFrame({ text }, "json");
      assert.deepEqual(decodePayload(frame, 4, frame.length, "json"), { text }, `${size} characters`);
      const broken = Buffer.concat([
        Buffer.from('{"text":"'),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.alloc(size, "y"),
        Buffer.from('"}'),
      ]);
      assert.deepEqual(decodePayload(broken, 0, broken.length, "json"), {
        text: "\uFFFD(\uFFFD" + "y".repeat(size),
      });
    }
  });

  test("encoding errors throw a TypeError: cycles, BigInt and bare functions under json, functions under advanced", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => encodeFrame(cyclic, "json"), TypeError);
    assert.throws(() => encodeFrame({ n: 1n }, "json"), TypeError);
    assert.throws(() => encodeFrame(() => {}, "json"), TypeError);
    assert.throws(() => encodeFrame({ f: () => {} }, "advanced"), TypeError);
  });
});

// --- the channel between processes ---

describe("socket channel", () => {
  test("the server listens on a Linux abstract socket (no file), unref'd", {
    skip: process.platform !== "linux",
  }, () => {
    const server = newServer();
    const path = server.path;
    try {
      assert.equal(path[0], "\0");
      assert.match(path.slice(1), new RegExp(`^unicluster-ipc-${process.pid}-\\d+$`));
      assert.notEqual(newServer().path, path, "each endpoint of a process has a name of its own");
      assert.equal(existsSync(path.slice(1)), false);
      // The kernel lists abstract sockets with a leading "@".
      assert.ok(readFileSync("/proc/net/unix", "utf8").includes(`@${path.slice(1)}`));
    } finally {
      server.close();
    }
  });

  test("the server never keeps its process alive", async () => {
    const env: Record<string, string | undefined> = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    const args = isDeno ? ["run", "-A", fixturePath("socket_unref")] : [fixturePath("socket_unref")];
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "inherit"] });
    children.add(child);
    let output = "";
    child.stdout!.setEncoding("utf8").on("data", (text: string) => output += text);
    const exited = new Promise<unknown[]>((resolve) => child.on("exit", (...args) => resolve(args)));
    try {
      assert.deepEqual(await within(exited, "the process to exit by itself"), [0, null]);
      assert.equal(output, "listening\n");
    } finally {
      child.kill("SIGKILL");
    }
  });

  test("a message goes each way; the worker stays alive while connected and exits once disconnected", async () => {
    const server = newServer();
    const worker = await startWorker(server, 1);
    try {
      const ready = await worker.inbox.next("ready");
      assert.equal(ready.pid, worker.child.pid);
      const text = "héllo ✓ \u2028 \0 end";
      let called: Error | null | undefined;
      const result = worker.channel.send({ op: "echo", text }, undefined, (error) => called = error);
      assert.equal(typeof result, "boolean");
      assert.deepEqual(await worker.inbox.next("echo"), { op: "echo", text });
      assert.equal(called, null);
      // The fixture has no timers: only the channel keeps it alive.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(worker.child.exitCode, null);
      worker.channel.send({ op: "bye" }, undefined, noop);
      await worker.inbox.until("the channel to close", () => worker.inbox.closed);
      assert.deepEqual(await within(worker.exited, "the worker to exit"), { code: 0, signal: null });
      assert.equal(worker.channel.connected, false);
      assert.deepEqual(worker.inbox.errors, []);
    } finally {
      worker.child.kill("SIGKILL");
    }
  });

  test("the primary's disconnect closes the worker's end too; later sends fail with ERR_IPC_CHANNEL_CLOSED", async () => {
    const server = newServer();
    const worker = await startWorker(server, 1);
    try {
      await worker.inbox.next("ready");
      worker.channel.send({ op: "echo", last: true }, undefined, noop);
      worker.channel.disconnect();
      assert.equal(worker.channel.connected, false);
      await worker.inbox.until("the channel to close", () => worker.inbox.closed);
      assert.deepEqual(await within(worker.exited, "the worker to exit"), { code: 0, signal: null });
      const failed = await new Promise<Error | null>((resolve) => {
        assert.equal(worker.channel.send({ op: "late" }, undefined, resolve), false);
      });
      assert.equal((failed as { code?: string } | null)?.code, "ERR_IPC_CHANNEL_CLOSED");
    } finally {
      worker.child.kill("SIGKILL");
    }
  });

  test("a message the worker sends just before process.exit() still reaches the primary", async () => {
    const server = newServer();
    const worker = await startWorker(server, 1);
    try {
      await worker.inbox.next("ready");
      worker.channel.send({ op: "last" }, undefined, noop);
      assert.deepEqual(await worker.inbox.next("last"), { op: "last" });
      assert.deepEqual(await within(worker.exited, "the worker to exit"), { code: 7, signal: null });
    } finally {
      worker.child.kill("SIGKILL");
    }
  });

  test("a 1 MiB message arrives intact, each way", async () => {
    const server = newServer();
    const worker = await startWorker(server, 1);
    try {
      await worker.inbox.next("ready");
      const size = 1024 * 1024;
      const text = Array.from({ length: size / 16 }, (_, i) => i.toString(16).padStart(16, "-")).join("");
      assert.equal(text.length, size);
      worker.channel.send({ op: "echo", text }, undefined, noop);
      const echoed = await worker.inbox.next("echo");
      assert.equal(echoed.text, text);
      worker.channel.send({ op: "big", size }, undefined, noop);
      const big = await worker.inbox.next("big");
      assert.equal(big.text, "y".repeat(size));
    } finally {
      worker.child.kill("SIGKILL");
    }
  });

  test("10,000 messages sent back to back arrive complete and in order, each way", async () => {
    const server = newServer();
    const worker = await startWorker(server, 1);
    try {
      await worker.inbox.next("ready");
      const count = 10_000;
      worker.channel.send({ op: "burst", count }, undefined, noop);
      await worker.inbox.until(`${count} items`, () => worker.inbox.items.length >= count);
      assert.deepEqual(
        worker.inbox.items.splice(0, count),
        Array.from({ length: count }, (_, i) => ({ op: "item", i })),
      );
      let callbacks = 0;
      for (let i = 0; i < count; i++) worker.channel.send({ op: "echo", i }, undefined, () => callbacks++);
      await worker.inbox.until(`${count} echoes`, () => worker.inbox.items.length >= count);
      assert.deepEqual(
        worker.inbox.items.splice(0, count),
        Array.from({ length: count }, (_, i) => ({ op: "echo", i })),
      );
      assert.equal(callbacks, count);
    } finally {
      worker.child.kill("SIGKILL");
    }
  });

  test("advanced serialization carries Map, BigInt, Date and typed arrays", async () => {
    const server = newServer();
    const worker = await startWorker(server, 1, "advanced");
    try {
      await worker.inbox.next("ready");
      const message = {
        op: "echo",
        map: new Map<string, unknown>([["a", 1n], ["b", new Date(5)]]),
        bytes: new Uint8Array([1, 2, 3]),
      };
      worker.channel.send(message, undefined, noop);
      const echoed = await worker.inbox.next("echo");
      assert.deepEqual(echoed.map, message.map);
      assert.deepEqual([...(echoed.bytes as Uint8Array)], [1, 2, 3]);
    } finally {
      worker.child.kill("SIGKILL");
    }
  });

  test("send throws for what cannot be encoded or for a handle, and writes nothing", async () => {
    const server = newServer();
    const worker = await startWorker(server, 1);
    try {
      await worker.inbox.next("ready");
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      let called = false;
      assert.throws(() => worker.channel.send(cyclic, undefined, () => called = true), TypeError);
      assert.throws(() => worker.channel.send({ n: 1n }, undefined, () => called = true), TypeError);
      assert.throws(
        () => worker.channel.send({ op: "echo" }, new net.Socket(), () => called = true),
        (error: Error & { code?: string }) =>
          error.code === "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM" && /relay/.test(error.message),
      );
      worker.channel.send({ op: "echo", after: true }, undefined, noop);
      assert.deepEqual(await worker.inbox.next("echo"), { op: "echo", after: true });
      assert.equal(called, false);
      // The worker's end throws the same way.
      worker.channel.send({ op: "fail" }, undefined, noop);
      assert.deepEqual(await worker.inbox.next("fail"), { op: "fail", error: "TypeError" });
      assert.equal(worker.channel.connected, true);
    } finally {
      worker.child.kill("SIGKILL");
    }
  });

  test("a peer with a wrong token, a used token or no hello is dropped and never becomes the worker", async () => {
    const rejected: string[] = [];
    const server = newServer((reason) => rejected.push(reason));
    const token = newToken();
    const pending = server.expect(7, token);
    let accepted = false;
    pending.connection.then((peer) => accepted = peer !== null);

    const wrong = await rawPeer(server.path);
    wrong.socket.write(encodeFrame({ id: 7, token: newToken() }, "json"));
    await within(wrong.closed, "the wrong-token peer to be dropped");
    const garbage = await rawPeer(server.path);
    garbage.socket.write(encodeFrame({ hello: "?" }, "json"));
    await within(garbage.closed, "the peer without a hello to be dropped");
    const huge = await rawPeer(server.path);
    huge.socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    await within(huge.closed, "the peer with a huge first frame to be dropped");
    assert.equal(rejected.length, 3);
    assert.equal(accepted, false);

    const right = await rawPeer(server.path);
    right.socket.write(encodeFrame({ id: 7, token }, "json"));
    const peer = await within(pending.connection, "the right peer to be accepted");
    assert.ok(peer !== null);
    sockets.add(peer.socket);
    const reused = await rawPeer(server.path);
    reused.socket.write(encodeFrame({ id: 7, token }, "json"));
    await within(reused.closed, "the reused token to be refused");
    assert.equal(rejected.length, 4);
  });

  test("a malformed frame and an oversized length are reported with their codes; the server serves on", async () => {
    const server = newServer();
    for (
      const [bad, code] of [
        [Buffer.concat([Buffer.from([0, 0, 0, 5]), Buffer.from("{nope")]), "ERR_IPC_BAD_FRAME"],
        [Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3]), "ERR_IPC_FRAME_TOO_LARGE"],
      ] as const
    ) {
      const token = newToken();
      const pending = server.expect(9, token);
      const rogue = await rawPeer(server.path);
      // A valid hello and a valid message in the same write, then the bad frame.
      rogue.socket.write(
        Buffer.concat([encodeFrame({ id: 9, token }, "json"), encodeFrame({ op: "fine" }, "json")]),
      );
      const { channel, inbox } = await attach(pending, "json");
      assert.deepEqual(await inbox.next("fine"), { op: "fine" });
      rogue.socket.write(bad);
      await inbox.until("the error", () => inbox.errors.length > 0);
      assert.equal((inbox.errors[0] as { code?: string }).code, code);
      await inbox.until("the channel to close", () => inbox.closed);
      await within(rogue.closed, "the rogue peer to be dropped");
      assert.equal(channel.connected, false);
    }
    // Another worker still gets through.
    const worker = await startWorker(server, 10);
    try {
      await worker.inbox.next("ready");
      worker.channel.send({ op: "echo", still: "serving" }, undefined, noop);
      assert.deepEqual(await worker.inbox.next("echo"), { op: "echo", still: "serving" });
    } finally {
      worker.child.kill("SIGKILL");
    }
  });

  test("two workers with the same id (two clusters in one process) each connect with their own token", async () => {
    const server = newServer();
    const tokens = [newToken(), newToken()];
    const pending = tokens.map((token) => server.expect(4, token));
    for (const index of [1, 0]) {
      const peer = await rawPeer(server.path);
      peer.socket.write(encodeFrame({ id: 4, token: tokens[index] }, "json"));
      const accepted = await within(pending[index].connection, `peer ${index} to be accepted`);
      assert.ok(accepted !== null);
      sockets.add(accepted.socket);
    }
  });

  test("a cancelled wait resolves with null and its token stops working", async () => {
    const rejected: string[] = [];
    const server = newServer((reason) => rejected.push(reason));
    const token = newToken();
    const pending = server.expect(3, token);
    pending.cancel();
    assert.equal(await pending.connection, null);
    const late = await rawPeer(server.path);
    late.socket.write(encodeFrame({ id: 3, token }, "json"));
    await within(late.closed, "the late peer to be dropped");
    assert.equal(rejected.length, 1);
  });
});
