// The sharing modes and their registry, without processes or sockets: a fake port opener stands in for node:net
// and plain objects for workers (as worker_state.test.ts checks the life cycle).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type {
  DatagramInfo,
  DatagramSent,
  OpenPort,
  PortOpener,
  ServerReply,
  ServerRequest,
} from "../core.ts";
import {
  type HandlePassing,
  modeFor,
  SCHED_NONE,
  SCHED_REUSEPORT,
  SCHED_RR,
  type SchedulingPolicy,
} from "../src/policy.ts";
import { SharedPorts } from "../src/sharing/registry.ts";
import { ReusePortHandle } from "../src/sharing/reuse_port_handle.ts";
import { RoundRobinHandle } from "../src/sharing/round_robin_handle.ts";
import { SharedHandle } from "../src/sharing/shared_handle.ts";
import { WorkerServers } from "../src/roles/worker_servers.ts";

interface FakeWorker {
  id: number;
  connected: boolean;
  handles: HandlePassing;
}

function worker(id: number, handles: HandlePassing = "pass"): FakeWorker {
  return { id, connected: true, handles };
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

  /** Ports something else holds. */
  taken = new Set<number>();
  probed: number[] = [];

  /** UDP sockets opened: `receive` plays a datagram arriving; `sent` lists what went out. */
  datagrams: { receive: (data: string) => void; sent: string[]; closed: boolean }[] = [];

  openDatagram(request: ServerRequest, onMessage: (data: string, rinfo: DatagramInfo) => void) {
    const record = {
      receive: (data: string) => onMessage(data, { address: "127.0.0.1", family: "IPv4", port: 5, size: 1 }),
      sent: [] as string[],
      closed: false,
    };
    this.datagrams.push(record);
    return Promise.resolve({
      port: request.port || 50000,
      address: "127.0.0.1",
      family: "IPv4",
      send(data: string, port: number, _address: string, done: (sent: DatagramSent) => void) {
        record.sent.push(`${data}->${port}`);
        done({ bytes: data.length });
      },
      close: () => record.closed = true,
    });
  }

  probe(request: ServerRequest): Promise<void> {
    this.probed.push(request.port);
    if (!this.taken.has(request.port)) return Promise.resolve();
    return Promise.reject(Object.assign(new Error("listen EADDRINUSE"), { code: "EADDRINUSE" }));
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
  const inputs = {
    policyChosen: false,
    handles: "pass" as HandlePassing,
    canShareHandles: true,
    canReusePort: true,
  };

  test("a file descriptor is the primary's: round-robin, or none under SCHED_NONE where handles pass", () => {
    const fd = request(-1, { fd: 3, key: "null:-1:-1:3", prefersReusePort: true });
    for (const policy of [SCHED_RR, SCHED_REUSEPORT] as SchedulingPolicy[]) {
      for (const handles of ["pass", "relay"] as HandlePassing[]) {
        assert.equal(
          modeFor(fd, { ...inputs, policy, handles }),
          "rr",
          `policy ${policy}, handles ${handles}`,
        );
      }
    }
    assert.equal(modeFor(fd, { ...inputs, policy: SCHED_NONE }), "none");
    assert.equal(modeFor(fd, { ...inputs, policy: SCHED_NONE, handles: "relay" }), "rr");
    assert.equal(modeFor(fd, { ...inputs, policy: SCHED_NONE, canShareHandles: false }), "rr");
  });

  test("node:net servers follow the policy where handles pass", () => {
    assert.equal(modeFor(request(), { ...inputs, policy: SCHED_RR }), "rr");
    assert.equal(modeFor(request(), { ...inputs, policy: SCHED_NONE }), "none");
    assert.equal(modeFor(request(), { ...inputs, policy: SCHED_REUSEPORT }), "reuseport");
  });

  test("where a handle cannot be shared or a port not reused, the next best mode", () => {
    assert.equal(modeFor(request(), { ...inputs, policy: SCHED_NONE, canShareHandles: false }), "reuseport");
    assert.equal(modeFor(request(), { ...inputs, policy: SCHED_REUSEPORT, canReusePort: false }), "rr");
  });

  test("where handles cannot reach the worker, every server reuses the port", () => {
    for (const policy of [SCHED_RR, SCHED_NONE, SCHED_REUSEPORT] as SchedulingPolicy[]) {
      assert.equal(
        modeFor(request(), { ...inputs, policy, policyChosen: true, handles: "none" }),
        "reuseport",
      );
    }
  });

  test("where handles are relayed (the Deno adapter), round-robin only when chosen, or for a unix path", () => {
    const relay = { ...inputs, handles: "relay" as HandlePassing };
    assert.equal(modeFor(request(), { ...relay, policy: SCHED_RR }), "reuseport", "the default policy");
    assert.equal(modeFor(request(), { ...relay, policy: SCHED_RR, policyChosen: true }), "rr");
    assert.equal(modeFor(request(), { ...relay, policy: SCHED_NONE, policyChosen: true }), "reuseport");
    const unix = request(-1, { path: "/tmp/x.sock", key: "/tmp/x.sock:-1:-1:-1" });
    assert.equal(modeFor(unix, { ...relay, policy: SCHED_RR }), "rr");
  });

  test("native servers reuse the port, except on a unix path, which only round-robin shares", () => {
    const native = request(8000, { prefersReusePort: true });
    assert.equal(modeFor(native, { ...inputs, policy: SCHED_RR }), "reuseport");
    const unix = request(-1, { prefersReusePort: true, path: "/tmp/x.sock", key: "/tmp/x.sock:-1:-1:-1" });
    assert.equal(modeFor(unix, { ...inputs, policy: SCHED_RR }), "rr");
    assert.equal(modeFor(unix, { ...inputs, policy: SCHED_RR, handles: "none" }), "reuseport");
  });

  test("UDP sockets are shared through the primary whatever the policy", () => {
    const udp = request(0, { transport: "udp4" });
    assert.equal(modeFor(udp, { ...inputs, policy: SCHED_REUSEPORT, handles: "none" }), "dgram");
  });
});

/** Adds workers to a round-robin handle and marks each as told its reply, as the primary does. */
async function join(handle: RoundRobinHandle<FakeWorker>, ...workers: FakeWorker[]): Promise<void> {
  for (const w of workers) {
    await handle.add(w);
    handle.replied(w);
  }
}

describe("RoundRobinHandle", () => {
  test("opens the port once and tells each worker its address; free workers take turns", async () => {
    const opener = new FakeOpener();
    const handedTo: string[] = [];
    const handle = new RoundRobinHandle<FakeWorker>(request(0), opener, (to, s, done) => {
      handedTo.push(`${(s as { name: string }).name}->${to.id}`);
      done("taken");
    });
    const [a, b] = [worker(1), worker(2)];
    const replies = await Promise.all([handle.add(a), handle.add(b)]);
    for (const w of [a, b]) handle.replied(w);
    assert.equal(opener.opened.length, 1);
    for (const reply of replies) {
      assert.deepEqual(reply, { mode: "rr", port: 40001, address: "0.0.0.0", family: "IPv4" });
    }
    for (const name of ["c1", "c2", "c3", "c4"]) opener.opened[0].accept!(socket(name));
    assert.deepEqual(
      handedTo,
      ["c1->1", "c2->2", "c3->1", "c4->2"],
      "short connections split exactly evenly",
    );
  });

  test("a worker gets connections only once it has its reply (before, it has no server for them)", async () => {
    const opener = new FakeOpener();
    const handedTo: string[] = [];
    const handle = new RoundRobinHandle<FakeWorker>(request(), opener, (to, s, done) => {
      handedTo.push(`${(s as { name: string }).name}->${to.id}`);
      done("taken");
    });
    const [a, b] = [worker(1), worker(2)];
    await join(handle, a);
    await handle.add(b);
    for (const name of ["c1", "c2"]) opener.opened[0].accept!(socket(name));
    assert.deepEqual(handedTo, ["c1->1", "c2->1"], "worker 2 has not had its reply yet");
    handle.replied(b);
    opener.opened[0].accept!(socket("c3"));
    opener.opened[0].accept!(socket("c4"));
    assert.deepEqual(handedTo.slice(2), ["c3->2", "c4->1"]);
  });

  test("a worker gets its next connection only once it has answered for the last one", async () => {
    const opener = new FakeOpener();
    const answers: (() => void)[] = [];
    const handedTo: string[] = [];
    const handle = new RoundRobinHandle<FakeWorker>(request(), opener, (to, s, done) => {
      handedTo.push(`${(s as { name: string }).name}->${to.id}`);
      answers.push(() => done("taken"));
    });
    const [a, b] = [worker(1), worker(2)];
    await join(handle, a, b);
    for (const name of ["c1", "c2", "c3"]) opener.opened[0].accept!(socket(name));
    assert.deepEqual(handedTo, ["c1->1", "c2->2"], "c3 waits: both workers are busy");
    answers[1]();
    assert.deepEqual(handedTo, ["c1->1", "c2->2", "c3->2"], "then goes at once to the worker that is free");
    answers[0]();
    answers[2]();
    opener.opened[0].accept!(socket("c4"));
    opener.opened[0].accept!(socket("c5"));
    assert.deepEqual(
      handedTo.slice(3),
      ["c4->1", "c5->2"],
      "the turn goes on in order, whoever answered first",
    );
  });

  test("a refused connection goes to another worker; one every worker refused is dropped", async () => {
    const opener = new FakeOpener();
    const refusing = new Set([1]);
    const taken: string[] = [];
    const handle = new RoundRobinHandle<FakeWorker>(request(), opener, (to, s, done) => {
      if (refusing.has(to.id)) return done("refused", s);
      taken.push(`${(s as { name: string }).name}->${to.id}`);
      done("taken");
    });
    const [a, b] = [worker(1), worker(2)];
    await join(handle, a, b);
    opener.opened[0].accept!(socket("x"));
    assert.deepEqual(taken, ["x->2"]);
    refusing.add(2);
    const lost = socket("y");
    opener.opened[0].accept!(lost);
    assert.equal(lost.destroyed, true);
  });

  test("a worker that cannot be reached is skipped, and the connection goes to another", async () => {
    const opener = new FakeOpener();
    const taken: string[] = [];
    const handle = new RoundRobinHandle<FakeWorker>(request(), opener, (to, s, done) => {
      if (to.id === 1) return done("failed");
      taken.push(`${(s as { name: string }).name}->${to.id}`);
      done("taken");
    });
    await join(handle, worker(1), worker(2));
    for (const name of ["c1", "c2", "c3"]) opener.opened[0].accept!(socket(name));
    assert.deepEqual(taken, ["c1->2", "c2->2", "c3->2"]);
  });

  test("removing the last worker closes the port, also when it is still opening", async () => {
    const opener = new FakeOpener();
    const handle = new RoundRobinHandle<FakeWorker>(request(), opener, (_to, _s, done) => done("taken"));
    const [a, b] = [worker(1), worker(2)];
    await join(handle, a, b);
    assert.equal(handle.remove(a), false);
    assert.equal(opener.opened[0].closed, false);
    assert.equal(handle.remove(b), true);
    assert.equal(opener.opened[0].closed, true);

    const early = new RoundRobinHandle<FakeWorker>(request(9000), opener, (_to, _s, done) => done("taken"));
    assert.equal(early.remove(a), true);
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(opener.opened[1].closed, true, "closed once it had opened");
  });

  test("a port that cannot be opened: the worker is told why and not added", async () => {
    const opener = new FakeOpener();
    opener.fail = "EADDRINUSE";
    const handle = new RoundRobinHandle<FakeWorker>(request(), opener, (_to, _s, done) => done("taken"));
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
  test("a fixed port: checked free once, then every worker binds it, and the primary holds nothing", async () => {
    const opener = new FakeOpener();
    const handle = new ReusePortHandle<FakeWorker>(request(8000), opener, true);
    assert.deepEqual(await handle.add(worker(1)), { mode: "reuseport", port: 8000 });
    assert.deepEqual(await handle.add(worker(2)), { mode: "reuseport", port: 8000 });
    assert.deepEqual(opener.probed, [8000]);
    assert.equal(opener.opened.length, 0);
  });

  test("a fixed port something else holds: EADDRINUSE, as under Node (not a silent share)", async () => {
    const opener = new FakeOpener();
    opener.taken.add(8000);
    const reply = await new ReusePortHandle<FakeWorker>(request(8000), opener, true).add(worker(1));
    assert.equal(reply.errno, "EADDRINUSE");
    const bound = new ReusePortHandle<FakeWorker>(request(8000), opener, false);
    assert.equal(
      (await bound.add(worker(1))).errno,
      undefined,
      "not checked when the server bound it already",
    );
  });

  test("port 0: the first worker chooses, the others wait for the port it reports", async () => {
    const handle = new ReusePortHandle<FakeWorker>(request(0), new FakeOpener(), true);
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
    const handle = new ReusePortHandle<FakeWorker>(request(0), new FakeOpener(), true);
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
    const ports = new SharedPorts<FakeWorker>(() => opener, () => ({ policy, chosen: false }), {
      handles: (w) => w.handles,
      isConnected: (w) => w.connected,
      sendConnection: (w, key, s, done) => {
        sent.push(`${key}:${(s as { name: string }).name}->${w.id}`);
        done("taken");
      },
      sendDatagram: (w, key, data) => {
        sent.push(`${key}:${data}->${w.id}`);
        return w.connected;
      },
    });
    return { opener, ports, sent };
  }

  test("one handle per key and mode: workers that cannot take handles reuse the port beside round-robin", async () => {
    const { opener, ports, sent } = registry();
    const [a, b, deno] = [worker(1), worker(2), worker(3, "none")];
    assert.equal((await ports.query(a, request(0))).mode, "rr");
    assert.equal((await ports.query(b, request(0))).mode, "rr");
    assert.equal((await ports.query(deno, request(0))).mode, "reuseport");
    assert.equal(opener.opened.length, 1);
    for (const w of [a, b, deno]) ports.replied(w, request(0).key);
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

  test("UDP: datagrams go in turn to workers that have their reply, skip a gone one; workers send", async () => {
    const { opener, ports, sent } = registry();
    const [a, b] = [worker(1), worker(2)];
    const udp = request(0, { transport: "udp4", key: "0.0.0.0:0:udp4:-1" });
    assert.deepEqual(await ports.query(a, udp), {
      mode: "dgram",
      port: 50000,
      address: "127.0.0.1",
      family: "IPv4",
    });
    await ports.query(b, udp);
    assert.equal(opener.datagrams.length, 1, "one socket for both");
    opener.datagrams[0].receive("d0");
    assert.equal(sent.length, 0, "no datagram before a worker has its reply");
    for (const w of [a, b]) ports.replied(w, udp.key);
    for (const data of ["d1", "d2", "d3"]) opener.datagrams[0].receive(data);
    b.connected = false;
    opener.datagrams[0].receive("d4");
    assert.deepEqual(sent.map((line) => line.split(":").at(-1)), [
      "d1->1",
      "d2->2",
      "d3->1",
      "d4->2",
      "d4->1",
    ]);
    let result: DatagramSent | undefined;
    ports.sendto(a, udp.key, { data: "out", port: 9, address: "127.0.0.1" }, (r) => result = r);
    assert.deepEqual(result, { bytes: 3 });
    assert.deepEqual(opener.datagrams[0].sent, ["out->9"]);
    ports.removeWorker(a);
    ports.removeWorker(b);
    assert.equal(opener.datagrams[0].closed, true);
  });

  test("a worker asked to go leaves its TCP ports at once, and keeps sending on its UDP ones until removed", async () => {
    const { opener, ports, sent } = registry();
    const a = worker(1);
    const udp = request(0, { transport: "udp4", key: "0.0.0.0:0:udp4:-1" });
    await ports.query(a, request());
    await ports.query(a, udp);
    for (const key of [request().key, udp.key]) ports.replied(a, key);
    ports.retire(a);
    assert.equal(opener.opened[0].closed, true, "the TCP port had no other worker");
    opener.datagrams[0].receive("in");
    assert.equal(sent.length, 0, "no datagram for a worker that was asked to go");
    let result: DatagramSent | undefined;
    ports.sendto(a, udp.key, { data: "late", port: 9, address: "127.0.0.1" }, (r) => result = r);
    assert.deepEqual(result, { bytes: 4 }, "what it sent before it heard still goes out");
    ports.removeWorker(a);
    assert.equal(opener.datagrams[0].closed, true);
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

describe("WorkerServers: a worker's side of round-robin", () => {
  test("a connection that comes in the same read as its listen's reply waits for the server to take it", async () => {
    let reply: (() => void) | undefined;
    const servers = new WorkerServers({
      connected: () => true,
      ask: (_message, onReply) =>
        reply = () => onReply({ act: "ack", ack: 1, reply: { mode: "rr", port: 8000 } }, null),
      tell: () => {},
    });
    const listen = request(8000);
    const taken: unknown[] = [];
    // As net_hooks does: the server takes its route once the query's promise has settled.
    void servers.bridge.query(listen).then(() =>
      servers.bridge.onConnection(listen.key, (s) => taken.push(s) > 0)
    );
    const answers: boolean[] = [];
    reply!();
    servers.accept(listen.key, "early", (accepted) => answers.push(accepted));
    assert.equal(answers.length, 0, "no answer before the server has its route");
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(answers, [true]);
    assert.deepEqual(taken, ["early"]);
    servers.accept("null:9000:4:-1:0", "stray", (accepted) => answers.push(accepted));
    assert.deepEqual(answers, [true, false], "a key nobody listens on is refused at once");
  });
});
