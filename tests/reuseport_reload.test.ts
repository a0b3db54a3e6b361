// Reloads on a port shared by SO_REUSEPORT: Linux resets the connections queued on a worker's listener as it
// closes, unless net.ipv4.tcp_migrate_req is 1. The supervisor warns where the setting is 0, and with it at 1 a
// reload under load on new connections drops none. Each case runs tests/fixtures/reload_under_load.ts as a
// primary (its own process group, killed afterwards), where it can in a network namespace of its own whose
// setting the test chooses (root, `unshare` and `ip`), so that the machine's own setting is left alone.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { REUSEPORT_RESETS } from "../supervisor.ts";
import { expectedMode, fixture, freePort, killGroup, runtime, scriptCommand } from "./_helpers.ts";

/** The sharing mode of a node:http worker when the policy asks for SO_REUSEPORT (round-robin where unsupported). */
const mode = expectedMode("http", "reuseport");

/** Why a network namespace of the test's own cannot be made here, or undefined when it can. */
const noNamespace = process.platform !== "linux"
  ? "Linux only"
  : process.getuid?.() !== 0
  ? "needs root to make a network namespace"
  : !["/usr/bin/unshare", "/usr/sbin/ip"].every(existsSync)
  ? "needs unshare and ip"
  : spawnSync("/usr/bin/unshare", ["-n", "true"]).status !== 0
  ? "unshare -n is not allowed here"
  : undefined;

interface Outcome {
  ok: number;
  failed: number;
  errors: Record<string, number>;
  modes: string[];
  warnings: string[];
}

/**
 * Runs the fixture's primary with `reloads` reloads under load: in this network namespace, or (`migrate` 0 or 1)
 * in a new one with net.ipv4.tcp_migrate_req set so. Resolves with the line it prints.
 */
async function reloadUnderLoad(reloads: number, migrate?: 0 | 1): Promise<Outcome> {
  const [file, args] = scriptCommand(fixture("reload_under_load"));
  const command: [string, string[]] = migrate === undefined ? [file, args] : [
    "/usr/bin/unshare",
    [
      "-n",
      "sh",
      "-c",
      `ip link set lo up && sysctl -qw net.ipv4.tcp_migrate_req=${migrate} && exec "$@"`,
      "sh",
      file,
      ...args,
    ],
  ];
  const child = spawn(command[0], command[1], {
    env: {
      ...process.env,
      PORT: String(await freePort()),
      RELOADS: String(reloads),
      NODE_CLUSTER_SCHED_POLICY: "reuseport",
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk) => stdout += chunk);
  child.stderr!.on("data", (chunk) => stderr += chunk);
  // A primary that hangs is ended, so that the test fails with what it printed instead of waiting forever.
  const limit = setTimeout(() => killGroup(child.pid), 60_000);
  try {
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    const line = stdout.split("\n").find((l) => l.startsWith("{"));
    assert.ok(line !== undefined, `the primary printed its outcome (exit ${code}): ${stdout}\n${stderr}`);
    return JSON.parse(line);
  } finally {
    clearTimeout(limit);
    killGroup(child.pid);
  }
}

describe(`reloads on a port shared by SO_REUSEPORT on ${runtime}`, () => {
  test(
    "the supervisor warns where Linux would reset the connections queued on a closing listener, and only there",
    {
      skip: process.platform !== "linux" ? "Linux only" : false,
    },
    async () => {
      const setting = readFileSync("/proc/sys/net/ipv4/tcp_migrate_req", "utf8").trim();
      const cases: [0 | 1 | undefined, boolean][] = noNamespace === undefined
        ? [[0, true], [1, false]]
        : [[undefined, setting === "0"]];
      for (const [migrate, resets] of cases) {
        const outcome = await reloadUnderLoad(0, migrate);
        assert.deepEqual(outcome.modes, [mode]);
        const warned = outcome.warnings.includes(REUSEPORT_RESETS);
        assert.equal(
          warned,
          mode === "reuseport" && resets,
          `tcp_migrate_req ${migrate ?? setting}, ${mode}`,
        );
      }
    },
  );

  test("with net.ipv4.tcp_migrate_req=1, reloads under load on new connections drop none (Bun: at most 2)", {
    skip: noNamespace ?? (mode !== "reuseport" ? `the port is shared ${mode} here` : false),
  }, async () => {
    const outcome = await reloadUnderLoad(4, 1);
    assert.ok(outcome.ok > 200, `requests went through: ${JSON.stringify(outcome)}`);
    // Bun left one `read ECONNRESET` in 2 of about 40 runs of 80,000-90,000 requests, where the setting at 0 leaves
    // 10-20 in every run: the kernel's part is gone. What is left is Bun's: once its server stops listening, it
    // resets a connection it had accepted whose request comes after (measured), and it cannot stop otherwise.
    const allowed = runtime === "bun" ? 2 : 0;
    assert.ok(outcome.failed <= allowed, `at most ${allowed} failed: ${JSON.stringify(outcome)}`);
  });
});
