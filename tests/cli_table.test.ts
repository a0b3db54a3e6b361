// The command line's live table on a terminal: the pure renderer (columns, units, width, height, colours), the
// screen that keeps it at the bottom with lines printed above it (on a fake terminal), the splitting of the
// workers' output into lines, and the command line itself under a pseudo-terminal (util-linux `script`) on the
// runtime running the tests: 2 workers of a node:http script appear ready in the table, a line a worker writes to
// stdout in two pieces comes out whole above it, SIGTERM exits 0 with the table erased and no worker left. The
// command line runs in a session of its own (script's), so its process group is killed afterwards as well as
// script's, whether the test passed or not.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { after, describe, test } from "node:test";
import { LiveScreen } from "../src/cli/live_screen.ts";
import { formatMemory, formatUptime, renderTable, type TableWorker } from "../src/cli/worker_table.ts";
import { LineSplitter } from "../src/supervisor/line_splitter.ts";
import { resolveOptions } from "../src/supervisor/options.ts";
import { fixture, freePort, gone, httpGet, killGroup, runtime, scriptCommand } from "./_helpers.ts";

const MiB = 1024 * 1024;

/** cli.ts beside the sources, cli.js in the compiled copy Node 20 runs. */
const CLI =
  new URL(`../cli${new URL(import.meta.url).pathname.endsWith(".js") ? ".js" : ".ts"}`, import.meta.url)
    .pathname;

/** How long the command line may take to do what the test waits for (a Deno worker starts in about a second). */
const WAIT_MS = 30_000;

/** SGR codes (colours) and the screen's erase sequence (carriage return, cursor up, clear to the end). */
// deno-lint-ignore no-control-regex
const SGR = /\x1b\[[0-9;]*m/g;
// deno-lint-ignore no-control-regex
const ERASE = /\r?\x1b\[\d+A\x1b\[J/g;

function worker(id: number, extra: Partial<TableWorker> = {}): TableWorker {
  return {
    id,
    slot: id,
    pid: 1000 + id,
    runtime: "node",
    phase: "ready",
    uptime: 12_000,
    restarts: 0,
    rss: 41.2 * MiB,
    ...extra,
  };
}

describe("the table of workers", () => {
  test("uptime in its largest whole unit", () => {
    assert.equal(formatUptime(0), "0s");
    assert.equal(formatUptime(-5), "0s");
    assert.equal(formatUptime(12_999), "12s");
    assert.equal(formatUptime(59_999), "59s");
    assert.equal(formatUptime(3 * 60_000 + 59_000), "3m");
    assert.equal(formatUptime(2 * 3_600_000 + 1), "2h");
    assert.equal(formatUptime(3 * 86_400_000), "3d");
  });

  test("memory with one decimal in KiB, MiB or GiB; '-' before the first heartbeat", () => {
    assert.equal(formatMemory(undefined), "-");
    assert.equal(formatMemory(512 * 1024), "512.0 KiB");
    assert.equal(formatMemory(41.2 * MiB), "41.2 MiB");
    assert.equal(formatMemory(1.5 * 1024 * MiB), "1.5 GiB");
  });

  test("a header and a row per worker, aligned, sorted by slot then id; '-' for what is not known yet", () => {
    const lines = renderTable([
      worker(4, { slot: 2, uptime: 125_000, restarts: 3 }),
      worker(2, { slot: 1, pid: undefined, phase: "starting", rss: undefined, uptime: 500 }),
      worker(1, { slot: 1, phase: "retiring", runtime: "deno", uptime: 7_200_000, rss: 1.5 * 1024 * MiB }),
    ]);
    assert.deepEqual(lines, [
      "id  pid   runtime  state     uptime  restarts  memory",
      "1   1001  deno     retiring  2h      0         1.5 GiB",
      "2   -     node     starting  0s      0         -",
      "4   1004  node     ready     2m      3         41.2 MiB",
    ]);
  });

  test("no workers: the header and a line saying so", () => {
    assert.deepEqual(renderTable([]), ["id  pid  runtime  state  uptime  restarts  memory", "no workers"]);
  });

  test("every line is cut to one column less than the width", () => {
    const lines = renderTable([worker(1), worker(2)], { width: 28 });
    assert.deepEqual(lines, [
      "id  pid   runtime  state  u",
      "1   1001  node     ready  1",
      "2   1002  node     ready  1",
    ]);
    for (const line of renderTable([worker(1)], { width: 9 })) {
      assert.ok(line.length <= 8, JSON.stringify(line));
    }
  });

  test("more workers than rows: the ones that do not fit are counted on the last line", () => {
    const workers = Array.from({ length: 10 }, (_, i) => worker(i + 1));
    const lines = renderTable(workers, { height: 5 });
    assert.equal(lines.length, 5);
    assert.match(lines[0], /^id\s+pid/);
    assert.deepEqual(lines.slice(1, 4).map((line) => line.split(/\s+/)[0]), ["1", "2", "3"]);
    assert.equal(lines[4], "... and 7 more workers");
    assert.equal(renderTable(workers, { height: 11 }).length, 11, "all fit");
  });

  test("colours: the header dimmed and each state its own, never counted in the width; none unless asked", () => {
    const workers = [worker(1), worker(2, { phase: "starting" }), worker(3, { phase: "retiring" })];
    const plain = renderTable(workers, { width: 80 });
    const colored = renderTable(workers, { width: 80, color: true });
    assert.equal(plain.join("\n").includes("\x1b"), false);
    assert.deepEqual(colored.map((line) => line.replace(SGR, "")), plain);
    assert.ok(colored[0].startsWith("\x1b[2m"), "a dim header");
    assert.ok(colored[1].includes("\x1b[32mready\x1b[0m"), JSON.stringify(colored[1]));
    assert.ok(colored[2].includes("\x1b[33mstarting\x1b[0m"), JSON.stringify(colored[2]));
    assert.ok(colored[3].includes("\x1b[35mretiring\x1b[0m"), JSON.stringify(colored[3]));
    const narrow = renderTable(workers, { width: 20, color: true });
    for (const line of narrow) assert.ok(line.replace(SGR, "").length <= 19, JSON.stringify(line));
  });
});

describe("the live screen", () => {
  /** A terminal that records what is written. */
  function terminal(): { writes: string[]; write(text: string): void; columns: number; rows: number } {
    const writes: string[] = [];
    return { writes, write: (text: string) => void writes.push(text), columns: 40, rows: 10 };
  }

  test("prints lines above the table: erase the table, the lines, the table again, in one write", () => {
    const out = terminal();
    let table = ["head", "row 1"];
    const sizes: unknown[] = [];
    const screen = new LiveScreen(out, (size) => {
      sizes.push(size);
      return table;
    });
    screen.print(["first"]);
    assert.deepEqual(out.writes, ["first\nhead\nrow 1\n"]);
    table = ["head", "row 1", "row 2"];
    screen.print(["second", "third"]);
    assert.equal(out.writes[1], "\r\x1b[2A\x1b[Jsecond\nthird\nhead\nrow 1\nrow 2\n");
    assert.deepEqual(sizes[0], { width: 40, height: 9 });
    screen.close();
    assert.equal(out.writes[2], "\r\x1b[3A\x1b[J", "close erases the table");
    screen.print(["after"]);
    assert.equal(out.writes[3], "after\n", "a closed screen prints plain lines");
    assert.equal(out.writes.length, 4);
  });

  test("refresh redraws only a table that changed; the timer stops at close", async () => {
    const out = terminal();
    let uptime = "1s";
    const screen = new LiveScreen(out, () => ["head", uptime], 10);
    screen.refresh();
    assert.deepEqual(out.writes, ["head\n1s\n"]);
    screen.refresh();
    assert.equal(out.writes.length, 1, "unchanged: nothing written");
    screen.start();
    uptime = "2s";
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(out.writes[1], "\r\x1b[2A\x1b[Jhead\n2s\n", "the timer redrew the changed table");
    screen.close();
    const count = out.writes.length;
    uptime = "3s";
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(out.writes.length, count, "no redraw after close");
  });

  test("after the terminal narrows, the erase goes up over the rows the old table now wraps onto", () => {
    const out = terminal();
    const wide = `\x1b[1m${"w".repeat(30)}\x1b[0m`;
    const screen = new LiveScreen(out, () => ["head", wide]);
    screen.refresh();
    out.columns = 12;
    screen.print(["line"]);
    assert.equal(out.writes[1].slice(0, 8), "\r\x1b[4A\x1b[J", "head: 1 row; 30 columns at 12: 3 rows");
    screen.close();
    assert.equal(out.writes[2], "\r\x1b[4A\x1b[J", "the table drawn at 12 columns takes 4 rows too");
  });

  test("a terminal that does not tell its size: 80 columns, no height limit", () => {
    const sizes: unknown[] = [];
    const screen = new LiveScreen({ write: () => {} }, (size) => {
      sizes.push(size);
      return [];
    });
    screen.refresh();
    assert.deepEqual(sizes, [{ width: 80, height: undefined }]);
  });
});

describe("the workers' output, line by line", () => {
  test("chunks become whole lines; a character split across chunks is joined; the rest comes at the end", () => {
    const splitter = new LineSplitter();
    const bytes = new TextEncoder().encode("größe\nhalf");
    assert.deepEqual(splitter.push(bytes.slice(0, 3)), []);
    assert.deepEqual(splitter.push(bytes.slice(3)), ["größe"]);
    assert.equal(splitter.partial, "half");
    assert.deepEqual(splitter.push(" a line\nand\n"), ["half a line", "and"]);
    assert.deepEqual(splitter.push("last"), []);
    assert.deepEqual(splitter.flush(), ["last"]);
    assert.deepEqual(splitter.flush(), [], "flushed once");
  });

  test("the supervisor's output option takes functions", () => {
    const stdout = () => {};
    assert.equal(resolveOptions({ output: { stdout } }, 2).output.stdout, stdout);
    assert.deepEqual(resolveOptions({}, 2).output, {});
    assert.throws(
      () => resolveOptions({ output: { stderr: "yes" as never } }, 2),
      { code: "ERR_INVALID_ARG_TYPE", message: /options\.output\.stderr/ },
    );
    assert.throws(() => resolveOptions({ output: 1 as never }, 2), { code: "ERR_INVALID_ARG_TYPE" });
  });
});

/** Whether util-linux `script` is here to give the command line a pseudo-terminal. */
const hasScript = (() => {
  try {
    return /util-linux/.test(String(spawnSync("script", ["--version"], { encoding: "utf8" }).stdout));
  } catch {
    return false;
  }
})();

/** Process groups to kill at the end: script's, and the command line's (a session of its own). */
const groups = new Set<number>();
after(() => {
  for (const pid of groups) killGroup(pid);
});

/** A word for a POSIX shell, quoted. */
function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The command line under `script`: what it printed so far (the terminal's bytes), its pid, script's exit. */
interface Terminal {
  script: ChildProcess;
  output(): string;
  exit: Promise<[number | null, string | null]>;
}

function underScript(args: string[]): Terminal {
  const [file, runtimeArgs] = scriptCommand(CLI);
  // The shell tells its pid and becomes the command line (exec): that pid is the command line's.
  const command = `stty cols 120 rows 40; echo "cli pid $$"; exec ${
    [file, ...runtimeArgs, ...args].map(quote).join(" ")
  }`;
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", TERM: "xterm" };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.FORCE_COLOR;
  const script = spawn("script", ["-qfec", command, "/dev/null"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  if (script.pid !== undefined) groups.add(script.pid);
  let output = "";
  script.stdout!.setEncoding("utf8");
  script.stderr!.setEncoding("utf8");
  script.stdout!.on("data", (chunk: string) => {
    output += chunk;
    const pid = /cli pid (\d+)/.exec(output)?.[1];
    if (pid !== undefined) groups.add(Number(pid));
  });
  script.stderr!.on("data", (chunk: string) => output += chunk);
  const exit = new Promise<[number | null, string | null]>((resolve) =>
    script.on("exit", (code, signal) => resolve([code, signal]))
  );
  return { script, output: () => output, exit };
}

/** The terminal's lines, the table's erasures taken out: what a reader of the scrollback sees, frame after frame. */
function lines(output: string): string[] {
  return output.replace(ERASE, "").split(/\r?\n/);
}

/** The tables drawn so far: each is a header line and the rows under it. */
function tables(output: string): string[][] {
  const found: string[][] = [];
  for (const frame of output.split(ERASE)) {
    const rows = frame.split(/\r?\n/);
    const header = rows.map((line) => /^id\s+pid\s+runtime\s+state\s+uptime\s+restarts\s+memory$/.test(line))
      .lastIndexOf(true);
    if (header >= 0) found.push(rows.slice(header + 1).filter((line) => line !== ""));
  }
  return found;
}

/** Waits until `ready()` is true of the output so far; fails after WAIT_MS showing it. */
async function until(terminal: Terminal, what: string, ready: (output: string) => boolean): Promise<void> {
  const end = Date.now() + WAIT_MS;
  while (!ready(terminal.output())) {
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}; the terminal shows:\n${terminal.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe(`command line on a terminal on ${runtime}`, {
  skip: hasScript ? false : "no util-linux script here",
}, () => {
  test("2 workers in a live table; a worker's stdout line whole above it; SIGTERM exits 0, table erased", async () => {
    const port = await freePort();
    const terminal = underScript([
      "-w",
      "2",
      "--port",
      String(port),
      "--host",
      "127.0.0.1",
      fixture("cli_talks"),
    ]);
    let cliPid: number | undefined;
    const pids: number[] = [];
    try {
      await until(terminal, "both workers ready", (output) => /all 2 workers ready/.test(output));
      cliPid = Number(/cli pid (\d+)/.exec(terminal.output())?.[1]);
      for (const match of terminal.output().matchAll(/worker \d+ \(pid (\d+)\) ready in slot/g)) {
        pids.push(Number(match[1]));
      }
      assert.equal(pids.length, 2, terminal.output());
      const bothReady = (table: string[]) =>
        pids.every((pid) =>
          table.some((row) => new RegExp(`^\\d+\\s+${pid}\\s+${runtime}\\s+ready\\s`).test(row))
        );
      await until(terminal, "a table with both workers ready", (output) => tables(output).some(bothReady));

      // Each worker writes "hello from worker <pid>, " and, 1.5 s later (the table is redrawn in between, as the
      // uptimes change), "listening on port <port>\n": one whole line above the table.
      const hello = (pid: number) => new RegExp(`^hello from worker ${pid}, listening on port ${port}$`, "m");
      // Its stderr line leaves right after, on another pipe: it may show up a moment later.
      const said = (output: string, pid: number) =>
        hello(pid).test(lines(output).join("\n")) &&
        lines(output).includes(`worker ${pid} says this on stderr`);
      await until(
        terminal,
        "both workers' hello and stderr lines",
        (output) => pids.every((pid) => said(output, pid)),
      );
      const seen = lines(terminal.output());
      for (const pid of pids) {
        assert.equal(
          seen.filter((line) => line.startsWith(`hello from worker ${pid},`)).length,
          1,
          `one hello line from ${pid}`,
        );
        assert.ok(seen.includes(`worker ${pid} says this on stderr`), `the stderr line of ${pid}`);
      }
      // The output passes through while it runs: a request's line shows up too.
      const { body } = await httpGet(port, "/from-the-test", false, 5000);
      await until(
        terminal,
        "the request's line",
        (output) => lines(output).includes(`worker ${body} got /from-the-test`),
      );
      assert.equal(terminal.output().replace(SGR, ""), terminal.output(), "NO_COLOR: no colours");

      process.kill(cliPid, "SIGTERM");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const exit = await Promise.race([
        terminal.exit,
        new Promise((_, reject) =>
          timer = setTimeout(() => reject(new Error(`no exit:\n${terminal.output()}`)), WAIT_MS)
        ),
      ]).finally(() => clearTimeout(timer));
      assert.deepEqual(exit, [0, null], terminal.output());
      const end = lines(terminal.output()).filter((line) => line !== "");
      assert.equal(
        end.at(-1),
        "unicluster: shutdown finished",
        "the table was erased: the last line is the event's",
      );
      for (const pid of pids) {
        assert.ok(
          end.includes(`bye from worker ${pid}`),
          `the unfinished last line of ${pid}, printed at its exit`,
        );
        assert.equal(await gone(pid), true, `worker ${pid} is gone`);
      }
      assert.equal(await gone(cliPid), true, "the command line is gone");
    } finally {
      killGroup(terminal.script.pid!);
      if (cliPid !== undefined) killGroup(cliPid);
      for (const pid of pids) await gone(pid, 5000);
    }
  });
});
