// No worker outlives its primary: kill the primary with SIGKILL and its workers must go on their own.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, test } from "node:test";
import { alive, fixture, gone, runtime, scriptCommand } from "./_helpers.ts";

describe(`orphans on ${runtime}`, () => {
  test("workers exit when their primary is killed with SIGKILL", async () => {
    const [file, args] = scriptCommand(fixture("primary_forks"));
    const primary = spawn(file, args, { stdio: ["ignore", "pipe", "inherit"] });
    let pids: { primary: number; workers: number[] } | undefined;
    try {
      pids = await new Promise((resolve, reject) => {
        let text = "";
        const timer = setTimeout(() => reject(new Error("the primary did not report its workers")), 20000);
        primary.stdout.on("data", (chunk) => {
          text += chunk;
          const line = text.split("\n").find((l) => l.startsWith("{"));
          if (line) {
            clearTimeout(timer);
            resolve(JSON.parse(line));
          }
        });
        primary.once("exit", () => reject(new Error("the primary exited early")));
      });
      assert.equal(pids!.workers.length, 2);
      for (const pid of pids!.workers) assert.equal(alive(pid), true);
      primary.kill("SIGKILL");
      for (const pid of pids!.workers) {
        assert.equal(await gone(pid, 10000), true, `worker ${pid} outlived its primary`);
      }
    } finally {
      primary.kill("SIGKILL");
      for (const pid of pids?.workers ?? []) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
  });
});
