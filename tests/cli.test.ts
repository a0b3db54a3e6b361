// The command line (cli.ts) as a real process on the runtime running the tests, with real sockets on 127.0.0.1:
// a fetch-handler module and a node:http script each served by 2 workers (both answer), also by workers of each
// other runtime (`--runtime`, found on PATH); SIGHUP replaces every worker under a small client load without a
// failed request; SIGTTIN/SIGTTOU scale; SIGTERM and a terminal's Ctrl-C (SIGINT to the whole process group) exit
// 0; wrong command lines exit 2 with one line; a module that throws at load exits with the supervisor's fail-fast
// code; --json lines parse. Every process starts in a group of its own and the group is killed afterwards,
// whether the test passed or not.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { basename, delimiter, dirname, join, sep } from "node:path";
import { after, describe, test } from "node:test";
import {
  expectedMode,
  fixture,
  freePort,
  gone,
  httpGet,
  killGroup,
  repoRoot,
  runtime,
  runtimeBinary,
  scriptCommand,
} from "./_helpers.ts";

/** cli.ts beside the sources, cli.js in the compiled copy Node 20 runs. */
const CLI =
  new URL(`../cli${new URL(import.meta.url).pathname.endsWith(".js") ? ".js" : ".ts"}`, import.meta.url)
    .pathname;

/** How long a command line may take to do what a test waits for (a Deno worker starts in about a second). */
const WAIT_MS = 30_000;

/** The environment of the command line: no colours, and no NODE_EXTRA_CA_CERTS (it slows every Node start). */
function cliEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", ...extra };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.FORCE_COLOR;
  return env;
}

/** Every group started, killed at the end in case a test could not. */
const groups = new Set<number>();
after(() => {
  for (const pid of groups) killGroup(pid);
});

/** Resolves with `promise`, or rejects after `ms` saying what was awaited. */
function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what()}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

type Event = Record<string, unknown>;

/** A running command line: its stdout events (--json), its output, its exit. */
interface Cli {
  child: ChildProcess;
  events: Event[];
  stdout(): string;
  stderr(): string;
  /** The first event (past or coming) that passes `test`. */
  next(test: (event: Event) => boolean, what?: string): Promise<Event>;
  /** Settles with [code, signal] once it has exited (rejects after WAIT_MS). */
  exit(): Promise<[number | null, string | null]>;
  /** Sends a signal to the command line's process (by pid: Deno's ChildProcess.kill() sends only the first). */
  signal(name: NodeJS.Signals): void;
}

/** Starts the command line (`cli`: its path, or on Deno a URL) on the runtime running the tests. */
function start(args: string[], env: Record<string, string> = {}, cli = CLI): Cli {
  const [file, runtimeArgs] = scriptCommand(cli);
  const child = spawn(file, [...runtimeArgs, ...args], {
    env: cliEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  if (child.pid !== undefined) groups.add(child.pid);
  const events: Event[] = [];
  const waiters = new Set<{ test: (event: Event) => boolean; resolve: (event: Event) => void }>();
  let stdout = "";
  let stderr = "";
  let partial = "";
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    stdout += chunk;
    const lines = (partial + chunk).split("\n");
    partial = lines.pop()!;
    for (const line of lines.filter((l) => l.startsWith("{"))) {
      const event = JSON.parse(line) as Event;
      events.push(event);
      for (const waiter of [...waiters]) {
        if (!waiter.test(event)) continue;
        waiters.delete(waiter);
        waiter.resolve(event);
      }
    }
  });
  child.stderr!.on("data", (chunk: string) => stderr += chunk);
  const exited = new Promise<[number | null, string | null]>((resolve) =>
    child.on("exit", (code, signal) => resolve([code, signal]))
  );
  const describe = (what: string) => () => `${what}\nstdout:\n${stdout}\nstderr:\n${stderr}`;
  return {
    child,
    events,
    stdout: () => stdout,
    stderr: () => stderr,
    next: (test, what = "an event") => {
      const found = events.find(test);
      if (found !== undefined) return Promise.resolve(found);
      return within(new Promise((resolve) => waiters.add({ test, resolve })), WAIT_MS, describe(what));
    },
    exit: () => within(exited, WAIT_MS, describe("the command line's exit")),
    signal: (name) => process.kill(child.pid!, name),
  };
}

/** Runs `body` with a command line, then kills its whole group and waits until its workers are gone. */
async function withCli<T>(
  args: string[],
  body: (cli: Cli) => Promise<T>,
  env: Record<string, string> = {},
  path = CLI,
): Promise<T> {
  const cli = start(args, env, path);
  try {
    return await body(cli);
  } finally {
    killGroup(cli.child.pid!);
    groups.delete(cli.child.pid!);
    await gone(cli.child.pid, 5000);
    for (const event of cli.events) if (typeof event.pid === "number") await gone(event.pid, 5000);
  }
}

/** Runs a command line to its end: exit code, stdout, stderr. */
async function runToEnd(
  args: string[],
  env: Record<string, string> = {},
  path = CLI,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = start(args, env, path);
  try {
    const [code] = await cli.exit();
    return { code, stdout: cli.stdout(), stderr: cli.stderr() };
  } finally {
    killGroup(cli.child.pid!);
    groups.delete(cli.child.pid!);
    await gone(cli.child.pid, 5000);
  }
}

function get(port: number, agent: http.Agent | false = false): Promise<{ status: number; body: string }> {
  return httpGet(port, "/", agent, 5000);
}

/** The pids that answer on `port`, asking on new connections until all of `expected` answered (at most 200). */
async function answering(port: number, expected: number[]): Promise<Set<number>> {
  const seen = new Set<number>();
  for (let i = 0; i < 200 && !expected.every((pid) => seen.has(pid)); i++) {
    seen.add(Number.parseInt((await get(port)).body, 10));
  }
  return seen;
}

/** Pids of the workers that are ready, by slot, from the events so far. */
function readyPids(cli: Cli): number[] {
  const bySlot = new Map<unknown, number>();
  for (const event of cli.events) if (event.event === "ready") bySlot.set(event.slot, event.pid as number);
  return [...bySlot.values()];
}

/**
 * A small load: two clients, one on new connections and one kept alive, each pausing a millisecond between
 * requests, until `until` settles (at most 20000 requests).
 */
async function load(port: number, until: Promise<unknown>): Promise<{ ok: number; failed: string[] }> {
  let done = false;
  until.finally(() => done = true).catch(() => {});
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const result = { ok: 0, failed: [] as string[] };
  const client = async (use: http.Agent | false) => {
    while (!done && result.ok + result.failed.length < 20_000) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      try {
        const { status } = await get(port, use);
        if (status === 200) result.ok++;
        else result.failed.push(`status ${status}`);
      } catch (error) {
        result.failed.push((error as Error).message);
      }
    }
  };
  await Promise.all([client(false), client(agent)]);
  agent.destroy();
  return result;
}

describe(`command line on ${runtime}`, () => {
  test("--ready message: a fetch-handler module's workers say they are ready once they serve", async () => {
    const port = await freePort();
    const serving = ["-w", "2", "--port", String(port), "--host", "127.0.0.1"];
    const args = [...serving, "--ready", "message", "--ready-timeout", "20s", "--json", fixture("cli_fetch")];
    await withCli(args, async (cli) => {
      await cli.next((e) => e.event === "started", "all workers ready");
      const pids = readyPids(cli);
      assert.equal(pids.length, 2);
      assert.deepEqual([...await answering(port, pids)].sort(), [...pids].sort(), "both workers answer");
      cli.signal("SIGTERM");
      assert.deepEqual(await cli.exit(), [0, null]);
    });
  });

  test("a fetch-handler module is served by 2 workers; SIGTTIN/SIGTTOU scale; SIGTERM exits 0", async () => {
    const port = await freePort();
    const args = ["-w", "2", "--port", String(port), "--host", "127.0.0.1", "--json", fixture("cli_fetch")];
    await withCli(args, async (cli) => {
      await cli.next((e) => e.event === "started", "all workers ready");
      const pids = readyPids(cli);
      assert.equal(pids.length, 2);
      assert.deepEqual([...await answering(port, pids)].sort(), [...pids].sort(), "both workers answer");
      cli.signal("SIGTTIN");
      await cli.next((e) => e.event === "scale" && e.to === 3, "scaling to 3");
      await cli.next((e) => e.event === "ready" && e.slot === 3, "a third worker");
      cli.signal("SIGTTOU");
      await cli.next((e) => e.event === "exit" && e.slot === 3, "the third worker leaving");
      cli.signal("SIGTERM");
      assert.deepEqual(await cli.exit(), [0, null]);
      for (const pid of readyPids(cli)) assert.equal(await gone(pid), true, `worker ${pid} is gone`);
      for (const line of cli.stdout().trim().split("\n")) {
        assert.equal(typeof JSON.parse(line).event, "string");
      }
    });
  });

  test("run from a URL, as `deno run -A jsr:...` runs it, Deno workers load the worker module from there", {
    skip: runtime !== "deno",
  }, async () => {
    // The sources over HTTP, as JSR serves them (Deno runs a remote .ts module by its content type).
    const root = repoRoot();
    const files = http.createServer((req, res) => {
      const path = join(root, decodeURIComponent(new URL(req.url!, "http://x").pathname));
      if (!path.startsWith(root + sep) || !existsSync(path)) return res.writeHead(404).end();
      res.writeHead(200, { "content-type": "application/typescript" }).end(readFileSync(path));
    });
    await new Promise<void>((resolve) => files.listen(0, "127.0.0.1", resolve));
    const cache = mkdtempSync(join(tmpdir(), "unicluster-deno-dir-"));
    try {
      const url = `http://127.0.0.1:${(files.address() as { port: number }).port}/cli.ts`;
      const port = await freePort();
      const args = ["-w", "2", "--port", String(port), "--host", "127.0.0.1", "--json", fixture("cli_fetch")];
      await withCli(
        args,
        async (cli) => {
          await cli.next((e) => e.event === "started", "all workers ready");
          const pids = readyPids(cli);
          assert.deepEqual([...await answering(port, pids)].sort(), [...pids].sort(), "both workers answer");
          cli.signal("SIGTERM");
          assert.deepEqual(await cli.exit(), [0, null]);
        },
        { DENO_DIR: cache },
        url,
      );
      // Node and Bun cannot load a module from a URL: the command line says so at once.
      const node = await runToEnd(["--runtime", "node", fixture("cli_fetch")], { DENO_DIR: cache }, url);
      assert.equal(node.code, 1);
      assert.match(
        node.stderr,
        /^unicluster: node workers cannot load the worker module from http:.*local copy/,
      );
    } finally {
      files.close();
      rmSync(cache, { recursive: true, force: true });
    }
  });

  test("a node:http script listens itself in 2 workers, with PORT, HOST and the arguments after --", async () => {
    const port = await freePort();
    const args = ["-w", "2", "--port", String(port), "--host", "127.0.0.1", "--json", fixture("cli_http")];
    await withCli([...args, "--", "a", "b"], async (cli) => {
      await cli.next((e) => e.event === "started", "all workers ready");
      const pids = readyPids(cli);
      assert.deepEqual([...await answering(port, pids)].sort(), [...pids].sort(), "both workers answer");
      assert.match((await get(port)).body, /^\d+ a,b$/);
      const listening = await cli.next((e) => e.event === "listening");
      assert.equal(listening.port, port);
      cli.signal("SIGTERM");
      assert.deepEqual(await cli.exit(), [0, null]);
    });
  });

  test("SIGHUP replaces every worker under load without a failed request", async () => {
    const port = await freePort();
    const args = [
      "-w",
      "2",
      "--policy",
      "rr",
      "--port",
      String(port),
      "--host",
      "127.0.0.1",
      "--json",
      fixture("cli_http"),
    ];
    await withCli(args, async (cli) => {
      await cli.next((e) => e.event === "started", "all workers ready");
      const before = readyPids(cli);
      const finished = cli.next((e) => e.event === "reload" && e.phase === "finished", "the reload's end");
      const traffic = load(port, finished);
      await new Promise((resolve) => setTimeout(resolve, 200));
      cli.signal("SIGHUP");
      await finished;
      const { ok, failed } = await traffic;
      const afterPids = readyPids(cli);
      assert.equal(afterPids.length, 2);
      for (const pid of before) {
        assert.ok(!afterPids.includes(pid), `worker ${pid} was replaced`);
        assert.equal(await gone(pid), true, `worker ${pid} is gone`);
      }
      assert.ok(ok > 20, `requests went through: ${ok} ok, ${failed.length} failed`);
      if (expectedMode("http", "rr") === "rr") {
        assert.deepEqual(failed, [], "no request failed");
      } else {
        // SO_REUSEPORT: Linux resets the connections queued on a listener that closes (see supervisor tests).
        console.log(
          `reload with SO_REUSEPORT on ${runtime}: ${failed.length} of ${ok + failed.length} failed`,
        );
        assert.ok(failed.length <= ok / 20, `few requests failed: ${failed.slice(0, 3)}`);
      }
      assert.deepEqual([...await answering(port, afterPids)].sort(), [...afterPids].sort());
      cli.signal("SIGTERM");
      assert.deepEqual(await cli.exit(), [0, null]);
    });
  });

  test("plain lines without --json; Ctrl-C (SIGINT to the whole group) shuts down gracefully with 0", async () => {
    const port = await freePort();
    await withCli(
      ["-w", "1", "--port", String(port), "--host", "127.0.0.1", fixture("cli_fetch")],
      async (cli) => {
        await within(
          (async () => {
            while (!cli.stdout().includes("all 1 workers ready")) await new Promise((r) => setTimeout(r, 50));
          })(),
          WAIT_MS,
          () => `the ready line\n${cli.stdout()}\n${cli.stderr()}`,
        );
        assert.match(cli.stdout(), /^unicluster: worker 1 \(pid \d+\) starting in slot 1$/m);
        assert.match(cli.stdout(), /^unicluster: worker 1 \(pid \d+\) ready in slot 1$/m);
        assert.match(cli.stdout(), new RegExp(`^unicluster: serving on 127\\.0\\.0\\.1:${port} \\(`, "m"));
        process.kill(-cli.child.pid!, "SIGINT");
        assert.deepEqual(await cli.exit(), [0, null]);
        assert.match(cli.stdout(), /^unicluster: worker 1 \(pid \d+\) exited with code 0$/m);
        assert.match(cli.stdout(), /^unicluster: shutdown finished$/m);
      },
    );
  });

  test("a module that throws as it loads: exit code 3 (the supervisor's fail-fast) with its error", async () => {
    const { code, stdout, stderr } = await runToEnd(["-w", "2", "--json", fixture("cli_throws")]);
    assert.equal(code, 3, stderr);
    assert.match(stderr, /boom: cli_throws cannot load/);
    const fatal = stdout.trim().split("\n").map((line) => JSON.parse(line)).find((e) => e.event === "fatal");
    assert.match(fatal?.reason, /no worker could start/);
  });

  test("wrong command lines exit 2 with one line on stderr naming the problem", async () => {
    const module = fixture("cli_fetch");
    const cases: [string[], RegExp][] = [
      [
        ["--workers", "zero", module],
        /'--workers' must be a whole number of at least 1, or 'auto'. Received 'zero'/,
      ],
      [["--port", "70000", module], /'--port' must be a port number from 0 to 65535/],
      [["--runtime", "java", module], /'--runtime' must be one of: 'node', 'deno', 'bun'/],
      [["--bogus", module], /Unknown option '--bogus'/],
      [[], /No module given/],
      [["missing.ts"], /cannot find the module 'missing.ts'/],
    ];
    for (const [args, message] of cases) {
      const { code, stdout, stderr } = await runToEnd(args);
      assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
      assert.equal(stdout, "");
      assert.match(stderr, /^unicluster: [^\n]+\n$/, "one line");
      assert.match(stderr, message);
    }
  });

  for (const other of (["node", "deno", "bun"] as const).filter((name) => name !== runtime)) {
    test(`--runtime ${other}: 2 ${other} workers, found on PATH, serve a fetch-handler module`, async () => {
      const port = await freePort();
      const args = ["-w", "2", "--runtime", other, "--port", String(port), "--host", "127.0.0.1", "--json"];
      const path = `${dirname(runtimeBinary(other))}${delimiter}${process.env.PATH ?? ""}`;
      await withCli([...args, fixture("cli_fetch")], async (cli) => {
        await cli.next((e) => e.event === "started", "all workers ready");
        const pids = readyPids(cli);
        assert.equal(pids.length, 2);
        assert.deepEqual([...await answering(port, pids)].sort(), [...pids].sort(), "both workers answer");
        for (const pid of pids) {
          assert.match(basename(realpathSync(`/proc/${pid}/exe`)), new RegExp(`^${other}`), `worker ${pid}`);
        }
        cli.signal("SIGTERM");
        assert.deepEqual(await cli.exit(), [0, null]);
      }, { PATH: path });
    });
  }

  test("a worker runtime missing from PATH: one line naming it and --exec-path, exit 2", async () => {
    const other = runtime === "bun" ? "deno" : "bun";
    const { code, stderr } = await runToEnd(["--runtime", other, fixture("cli_fetch")], {
      PATH: "/nonexistent",
    });
    assert.equal(code, 2, stderr);
    assert.match(
      stderr,
      new RegExp(`^unicluster: cannot find the ${other} runtime .*--exec-path[^\\n]*\\n$`),
    );
  });

  test("--help and --version", async () => {
    const help = await runToEnd(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: unicluster \[options\] <module>/);
    const version = await runToEnd(["-V"]);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^unicluster \d+\.\d+\.\d+/);
  });
});
