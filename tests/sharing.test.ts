// The sharing modes and their registry, without processes or sockets: a fake port opener stands in for node:net
// and plain objects for workers (as worker_state.test.ts checks the life cycle).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { OpenPort, PortOpener, ServerReply, ServerRequest } from "../core.ts";
import { modeFor, SCHED_NONE, SCHED_REUSEPORT, SCHED_RR, type SchedulingPolicy } from "../src/policy.ts";
import { SharedPorts } from "../src/sharing/registry.ts";
import { ReusePortHandle } from "../src/sharing/reuse_port_handle.ts";
import { RoundRobinHandle } from "../src/sharing/round_robin_handle.ts";
import { SharedHandle } from "../src/sharing/shared_handle.ts";

interface FakeWorker {
  id: number;
  connected: boolean;
  canPassHandles: boolean;
}

function worker(id: number, canPassHandles = true): FakeWorker {
  return { id, connected: true, canPassHandles };
}

function request(port = 8000, changes: Partial<ServerRequest> = {}): ServerRequest {
  return {
    key: `null:${port}:4:-1`,
    address: null,
    port,
    addressType: 4,
    fd: -1,
    prefersReusePort: false,
    ...changes,
  };
}

/** A port opener that records what it opens; `fail` makes the next open fail with that code. */
class FakeOpener implements PortOpener {
  canShareHandles = true;
  canReusePort = true;
  opened: { request: ServerRequest; accept?: (socket: unknown) => void; closed: boolean }[] = [];
  fail: string | undefined;

  open(request: ServerRequest, accept?: (socket: unknown) => void): Promise<OpenPort> {
    const fail = this.fail;
    this.fail = undefined;
    if (fail) return Promise.reject(Object.assign(new Error(`listen ${fail}`), { code: fail }));
    const record = { request, accept, closed: false };
    this.opened.push(record);
    return Promise.resolve({
      port: request.port === 0 ? 40000 + this.opened.length : request.port,
      address: "0.0.0.0",
      family: "IPv4",
      handle: { fake: this.opened.length },
      close: () => record.closed = true,
    });
  }
}

/** A socket stand-in that records whether it was dropped. */
function socket(name: string): { name: string; destroyed: boolean; destroy(): void } {
  return {
    name,
    destroyed: false,
    destroy() {
      this.destroyed = true;
    },
  };
}

describe("modeFor: the sharing mode of a listen request", () => {
  const inputs = { canPassHandles: true, canShareHandles: true, canReusePort: true };

  test("node:net servers follow the policy where handles pass", () => {
    assert.equal(modeFor(request(), { ...inputs, policy: SCHED_RR }), "rr");
    assert.equal(modeFor(request(), { ...inputs, policy: SCHED_NONE }), "none");
    assert.equal(modeFor(request(), { ...inputs, policy: SCHED_REUSEPORT }), "reuseport");
  });

  test("where a handle cannot be shared or a port not reused, the next best mode", () => {
    assert.equal(modeFor(request(), { ...inputs, policy: SCHED_NONE, canShareHandles: false }), "reuseport");
    assert.equal(modeFor(request(), { ...inputs, policy: SCHED_REUSEPORT, canReusePort: false }), "rr");
  });

  test("where handles cannot pass (the Deno adapter), every server reuses the port", () => {
    for (const policy of [SCHED_RR, SCHED_NONE, SCHED_REUSEPORT] as SchedulingPolicy[]) {
      assert.equal(modeFor(request(), { ...inputs, policy, canPassHandles: false }), "reuseport");
    }
  });

  test("native servers reuse the port, except on a unix path, which only round-robin shares", () => {
    const native = request(8000, { prefersReusePort: true });
    assert.equal(modeFor(native, { ...inputs, policy: SCHED_RR }), "reuseport");
    const unix = request(-1, { prefersReusePort: true, path: "/tmp/x.sock", key: "/tmp/x.sock:-1:-1:-1" });
    assert.equal(modeFor(unix, { ...inputs, policy: SCHED_RR }), "rr");
    assert.equal(modeFor(unix, { ...inputs, policy: SCHED_RR, canPassHandles: false }), "reuseport");
  });
});

describe("RoundRobinHandle", () => {
  test("opens the port once, tells each worker its address, and rotates strictly", async () => {
    const opener = new FakeOpener();
    const handedTo: string[] = [];
    const handle = new RoundRobinHandle<FakeWorker>(request(0), opener, (to, s, done) => {
      handedTo.push(`${(s as { name: string }).name}->${to.id}`);
      done(null);
    });
    const [a, b] = [worker(1), worker(2)];
    const replies = await Promise.all([handle.add(a), handle.add(b)]);
    assert.equal(opener.opened.length, 1);
    for (const reply of replies) {
      assert.deepEqual(reply, { mode: "rr", port: 40001, address: "0.0.0.0", family: "IPv4" });
    }
    for (const name of ["c1", "c2", "c3", "c4"]) opener.opened[0].accept!(socket(name));
    assert.deepEqual(handedTo, ["c1->1", "c2->2", "c3->1", "c4->2"]);
  });

  test("a worker that cannot take a connection passes it on; with nobody left it is dropped", async () => {
    const opener = new FakeOpener();
    const refusing = new Set([1]);
    const taken: number[] = [];
    const handle = new RoundRobinHandle<FakeWorker>(request(), opener, (to, _s, done) => {
      if (refusing.has(to.id)) return done(new Error("channel closed"));
      taken.push(to.id);
      done(null);
    });
    const [a, b] = [worker(1), worker(2)];
    await handle.add(a);
    await handle.add(b);
    opener.opened[0].accept!(socket("x"));
    assert.deepEqual(taken, [2]);
    refusing.add(2);
    const lost = socket("y");
    opener.opened[0].accept!(lost);
    assert.equal(lost.destroyed, true);
  });

  test("removing the last worker closes the port, also when it is still opening", async () => {
    const opener = new FakeOpener();
    const handle = new RoundRobinHandle<FakeWorker>(request(), opener, (_to, _s, done) => done(null));
    const [a, b] = [worker(1), worker(2)];
    await handle.add(a);
    await handle.add(b);
    assert.equal(handle.remove(a), false);
    assert.equal(opener.opened[0].closed, false);
    assert.equal(handle.remove(b), true);
    assert.equal(opener.opened[0].closed, true);

    const early = new RoundRobinHandle<FakeWorker>(request(9000), opener, (_to, _s, done) => done(null));
    assert.equal(early.remove(a), true);
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(opener.opened[1].closed, true, "closed once it had opened");
  });

  test("a port that cannot be opened: the worker is told why and not added", async () => {
    const opener = new FakeOpener();
    opener.fail = "EADDRINUSE";
    const handle = new RoundRobinHandle<FakeWorker>(request(), opener, (_to, _s, done) => done(null));
    const reply = await handle.add(worker(1));
    assert.equal(reply.errno, "EADDRINUSE");
    assert.match(reply.error ?? "", /EADDRINUSE/);
  });
});

describe("SharedHandle", () => {
  test("every worker gets the primary's listening handle; the last one out closes it", async () => {
    const opener = new FakeOpener();
    const handle = new SharedHandle<FakeWorker>(request(), opener);
    const [a, b] = [worker(1), worker(2)];
    const [ra, rb] = [await handle.add(a), await handle.add(b)];
    assert.equal(opener.opened.length, 1);
    assert.equal(opener.opened[0].accept, undefined, "the primary does not accept on it");
    assert.equal(ra.mode, "none");
    assert.equal(ra.handle, rb.handle);
    assert.deepEqual(ra.handle, { fake: 1 });
    assert.equal(handle.remove(a), false);
    assert.equal(handle.remove(b), true);
    assert.equal(opener.opened[0].closed, true);
  });
});

describe("ReusePortHandle", () => {
  test("a fixed port: every worker binds it at once, and the primary opens nothing", async () => {
    const handle = new ReusePortHandle<FakeWorker>(request(8000));
    assert.deepEqual(await handle.add(worker(1)), { mode: "reuseport", port: 8000 });
    assert.deepEqual(await handle.add(worker(2)), { mode: "reuseport", port: 8000 });
  });

  test("port 0: the first worker chooses, the others wait for the port it reports", async () => {
    const handle = new ReusePortHandle<FakeWorker>(request(0));
    const [a, b, c] = [worker(1), worker(2), worker(3)];
    assert.deepEqual(await handle.add(a), { mode: "reuseport", port: 0 });
    let second: ServerReply | undefined;
    const waiting = handle.add(b).then((reply) => second = reply);
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(second, undefined, "waits while the chooser binds");
    handle.bound(b, 1234);
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(second, undefined, "only the chooser's report counts");
    handle.bound(a, 45678);
    await waiting;
    assert.deepEqual(second, { mode: "reuseport", port: 45678 });
    assert.deepEqual(await handle.add(c), { mode: "reuseport", port: 45678 });
  });

  test("a chooser that leaves before reporting lets exactly one waiting worker choose", async () => {
    const handle = new ReusePortHandle<FakeWorker>(request(0));
    const [a, b, c] = [worker(1), worker(2), worker(3)];
    await handle.add(a);
    const replies: ServerReply[] = [];
    const both = Promise.all([handle.add(b), handle.add(c)].map((p) => p.then((r) => replies.push(r))));
    assert.equal(handle.remove(a), false);
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(replies, [{ mode: "reuseport", port: 0 }], "one new chooser, one still waiting");
    handle.bound(b, 5555);
    await both;
    assert.deepEqual(replies[1], { mode: "reuseport", port: 5555 });
  });
});

describe("SharedPorts: the primary's registry", () => {
  function registry(policy: SchedulingPolicy = SCHED_RR) {
    const opener = new FakeOpener();
    const sent: string[] = [];
    const ports = new SharedPorts<FakeWorker>(() => opener, () => policy, {
      canPassHandles: (w) => w.canPassHandles,
      isConnected: (w) => w.connected,
      sendConnection: (w, key, s, done) => {
        sent.push(`${key}:${(s as { name: string }).name}->${w.id}`);
        done(null);
      },
    });
    return { opener, ports, sent };
  }

  test("one handle per key and mode: workers that cannot take handles reuse the port beside round-robin", async () => {
    const { opener, ports, sent } = registry();
    const [a, b, deno] = [worker(1), worker(2), worker(3, false)];
    assert.equal((await ports.query(a, request(0))).mode, "rr");
    assert.equal((await ports.query(b, request(0))).mode, "rr");
    assert.equal((await ports.query(deno, request(0))).mode, "reuseport");
    assert.equal(opener.opened.length, 1);
    opener.opened[0].accept!(socket("s1"));
    assert.deepEqual(sent, ["null:0:4:-1:s1->1"], "connections carry the request's key");
  });

  test("close and removeWorker find the worker's handle; the port closes with its last worker", async () => {
    const { opener, ports } = registry();
    const [a, b] = [worker(1), worker(2)];
    await ports.query(a, request());
    await ports.query(b, request());
    ports.close(a, request().key);
    assert.equal(opener.opened[0].closed, false);
    ports.removeWorker(b);
    assert.equal(opener.opened[0].closed, true);
    await ports.query(a, request());
    assert.equal(opener.opened.length, 2, "a later listen opens the port again");
  });

  test("a failed open is forgotten, so the next listen tries again", async () => {
    const { opener, ports } = registry(SCHED_NONE);
    opener.fail = "EACCES";
    const failed = await ports.query(worker(1), request(80));
    assert.equal(failed.errno, "EACCES");
    const retried = await ports.query(worker(2), request(80));
    assert.equal(retried.errno, undefined);
    assert.equal(retried.mode, "none");
  });

  test("a worker that left while its request waited is not kept", async () => {
    const { opener, ports } = registry();
    const a = worker(1);
    const pending = ports.query(a, request());
    a.connected = false;
    await pending;
    assert.equal(opener.opened[0].closed, true, "its handle had no other worker and closed");
  });

  test("bound settles a port-0 reuse-port listen for the worker that chose", async () => {
    const { ports } = registry(SCHED_REUSEPORT);
    const [a, b] = [worker(1), worker(2)];
    assert.equal((await ports.query(a, request(0))).port, 0);
    const second = ports.query(b, request(0));
    ports.bound(a, request(0).key, 41000);
    assert.equal((await second).port, 41000);
  });
});
