// The command line under systemd's protocols, with systemd's own tools as a real process on the runtime running the
// tests: `systemd-socket-activate` binds a port on 127.0.0.1 and starts the command line on the first connection,
// handing it the socket as fd 3 (LISTEN_FDS, LISTEN_PID); both workers serve that socket. A NOTIFY_SOCKET of the
// test's own (tests/fixtures/notify_receiver.ts) hears READY=1 once they are ready, RELOADING=1 then READY=1
// around SIGHUP, WATCHDOG=1 while WATCHDOG_USEC is set, and STOPPING=1 on SIGTERM, each naming the command line's
// pid as MAINPID; the workers do not get systemd's variables. Every process starts in a group of its own, killed afterwards whether the test passed or not.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { describe, test } from "node:test";
import { fixture, freePort, gone, httpGet, killGroup, runtime, runtimeBinary } from "./_helpers.ts";

/** cli.ts beside the sources, cli.js in the compiled copy Node 20 runs. */
const CLI =
  new URL(`../cli${new URL(import.meta.url).pathname.endsWith(".js") ? ".js" : ".ts"}`, import.meta.url)
    .pathname;

const WAIT_MS = 30_000;

const missing = ["systemd-socket-activate", "systemd-notify"].filter((tool) =>
  spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0
);

/** A process in a group of its own, with its stdout as JSON lines. */
interface Started {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  /** The first line (past or coming) that passes `test`, after the first `from` lines. */
  line(test: (line: Record<string, unknown>) => boolean, what: string, from?: number): Promise<number>;
  output(): string;
}

function start(file: string, args: string[]): Started {
  const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
  const lines: Record<string, unknown>[] = [];
  let text = "";
  let output = "";
  const waiting = new Set<() => void>();
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
    text += chunk;
    const parts = text.split("\n");
    text = parts.pop()!;
    for (const part of parts) if (part.startsWith("{")) lines.push(JSON.parse(part));
    for (const wake of waiting) wake();
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => output += chunk);
  let exited = false;
  child.once("close", () => {
    exited = true;
    for (const wake of waiting) wake();
  });
  const line = (accept: (line: Record<string, unknown>) => boolean, what: string, from = 0) =>
    new Promise<number>((resolve, reject) => {
      const check = () => {
        const at = lines.findIndex((line, index) => index >= from && accept(line));
        if (at === -1 && exited) {
          waiting.delete(check);
          clearTimeout(timer);
          reject(new Error(`${file} ended before ${what}; its output:\n${output}`));
        }
        if (at === -1) return;
        clearTimeout(timer);
        waiting.delete(check);
        resolve(at);
      };
      const timer = setTimeout(() => {
        waiting.delete(check);
        reject(new Error(`timed out waiting for ${what}; output so far:\n${output}`));
      }, WAIT_MS);
      waiting.add(check);
      check();
    });
  return { child, lines, line, output: () => output };
}

/** Resolves once `done()` is true (checked every 20 ms), or rejects after WAIT_MS naming `what`. */
async function waitUntil(done: () => boolean, what: string): Promise<void> {
  for (const end = Date.now() + WAIT_MS; !done();) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The command line as this runtime runs it. */
function cliCommand(): string[] {
  if (runtime === "deno") return [runtimeBinary("deno"), "run", "-A", CLI];
  if (runtime === "bun") return [runtimeBinary("bun"), CLI];
  return [process.execPath, CLI];
}

describe(`command line under systemd on ${runtime}`, {
  skip: missing.length > 0 ? `needs ${missing.join(" and ")} (Debian's systemd package)` : false,
}, () => {
  test("socket activation: 2 workers serve the inherited socket; sd_notify's states on NOTIFY_SOCKET", async () => {
    const dir = mkdtempSync(join(tmpdir(), "unicluster-systemd-"));
    const socketPath = join(dir, "notify.sock");
    const receiver = start(runtimeBinary("deno"), [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-net",
      "--unstable-net",
      fixture("notify_receiver"),
      socketPath,
    ]);
    let cli: Started | undefined;
    try {
      await receiver.line((l) => l.listening === socketPath, "the receiver to listen");
      const port = await freePort();
      cli = start("systemd-socket-activate", [
        "-l",
        `127.0.0.1:${port}`,
        "-E",
        `NOTIFY_SOCKET=${socketPath}`,
        "-E",
        "PATH",
        "-E",
        "WATCHDOG_USEC=400000",
        ...cliCommand(),
        "-w",
        "2",
        "--json",
        fixture("cli_fetch"),
      ]);
      const states = (wanted: string, from = 0) =>
        receiver.line((l) => Array.isArray(l.lines) && l.lines.includes(wanted), wanted, from);
      // The first connection makes systemd-socket-activate start the command line, which answers it.
      await waitUntil(() => /Listening on /.test(cli!.output()), "systemd-socket-activate to listen");
      const answers = new Set<string>();
      for (let i = 0; i < 200 && answers.size < 2; i++) {
        answers.add((await httpGet(port, "/", false, WAIT_MS)).body);
      }
      await cli.line((l) => l.event === "started", "all workers ready");
      const ready = cli.lines.filter((l) => l.event === "ready").map((l) => String(l.pid));
      assert.deepEqual([...answers].sort(), ready.sort(), "both workers answer on the inherited socket");
      for (const pid of ready) {
        const environment = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
        const systemd = environment.filter((v) =>
          /^(NOTIFY_SOCKET|WATCHDOG_USEC|LISTEN_FDS|LISTEN_PID)=/.test(v)
        );
        assert.deepEqual(systemd, [], `worker ${pid} does not get systemd's variables`);
      }
      const listening = await cli.line((l) => l.event === "listening", "listening");
      assert.equal(cli.lines[listening].port, port);
      assert.equal(
        cli.lines[listening].mode,
        "rr",
        "the primary accepts on the socket and hands connections out",
      );

      const first = await states("READY=1");
      // By pid: Deno's ChildProcess.kill() would report its first signal as how the child ended.
      process.kill(cli.child.pid!, "SIGHUP");
      const reloading = await states("RELOADING=1", first + 1);
      assert.ok(
        (receiver.lines[reloading].lines as string[]).some((l) => /^MONOTONIC_USEC=\d+$/.test(l)),
        "RELOADING=1 comes with MONOTONIC_USEC",
      );
      await states("READY=1", reloading + 1);
      await cli.line((l) => l.event === "reload" && l.phase === "finished", "the reload to finish");
      await states("WATCHDOG=1");
      process.kill(cli.child.pid!, "SIGTERM");
      const [code] = await new Promise<[number | null]>((resolve) =>
        cli!.child.once("exit", (c) => resolve([c]))
      );
      assert.equal(code, 0, cli.output());
      await states("STOPPING=1");
      // systemd-notify follows each message with a BARRIER=1 of its own (to wait until it was read).
      for (
        const { lines } of receiver.lines.filter((l) => Array.isArray(l.lines) && l.lines[0] !== "BARRIER=1")
      ) {
        assert.ok(
          (lines as string[]).includes(`MAINPID=${cli.child.pid}`),
          `${lines} names the command line`,
        );
      }
      for (const l of cli.lines) if (typeof l.pid === "number") assert.equal(await gone(l.pid), true);
    } finally {
      if (cli !== undefined) killGroup(cli.child.pid);
      killGroup(receiver.child.pid);
      await gone(cli?.child.pid, 5000);
      await gone(receiver.child.pid, 5000);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
