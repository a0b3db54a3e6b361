// The examples run as they are on this runtime: start each, ask it over HTTP, check the answers, stop it.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { describe, test } from "node:test";
import { countAnswers, freePort, gone, repoRoot, runtime, scriptCommand } from "./_helpers.ts";

function start(name: string, port: number): { child: ChildProcess; output: () => string } {
  const root = repoRoot();
  const extension = new URL(import.meta.url).pathname.endsWith(".js") ? ".js" : ".ts";
  const script = `${root}/${extension === ".js" ? ".tmp/node20/" : ""}examples/${name}${extension}`;
  const [file, args] = scriptCommand(script);
  const child = spawn(file, args, {
    env: { ...process.env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  child.stdout!.on("data", (chunk) => text += chunk);
  child.stderr!.on("data", (chunk) => text += chunk);
  return { child, output: () => text };
}

async function until(check: () => boolean, what: string, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill("SIGKILL");
  await gone(child.pid);
}

const EXAMPLES: { name: string; runtimes: string[]; listening: RegExp; answer: RegExp }[] = [
  {
    name: "hello_cluster",
    runtimes: ["node", "deno", "bun"],
    listening: /listening on/g,
    answer: /^hello world from worker \d$/,
  },
  {
    name: "portable_serve",
    runtimes: ["node", "deno", "bun"],
    listening: /listening on port/g,
    answer: /^hello from worker \d: \/$/,
  },
  {
    name: "deno_serve",
    runtimes: ["deno"],
    listening: /listening on port/g,
    answer: /^hello from worker \d$/,
  },
  { name: "bun_serve", runtimes: ["bun"], listening: /listening on port/g, answer: /^hello from worker \d$/ },
];

describe(`examples on ${runtime}`, () => {
  for (const example of EXAMPLES) {
    test(`${example.name}: two workers answer`, {
      skip: example.runtimes.includes(runtime)
        ? false
        : `${example.name} is for ${example.runtimes.join(", ")}`,
    }, async () => {
      const port = await freePort();
      const { child, output } = start(example.name, port);
      try {
        await until(() => (output().match(example.listening) ?? []).length >= 2, "two workers listening");
        const counts = await countAnswers(port, 40);
        const bodies = Object.keys(counts).map((body) => body.trim());
        for (const body of bodies) assert.match(body, example.answer);
        assert.equal(new Set(bodies).size, 2, `both workers answered: ${JSON.stringify(counts)}`);
      } finally {
        await stop(child);
      }
    });
  }

  test("request_counting (the seed's example): the primary counts requests from workers' messages", async () => {
    const port = await freePort();
    const { child, output } = start("request_counting", port);
    try {
      await until(() => /numReqs = 0/.test(output()), "the first count");
      // The workers may still be starting: retry refused requests until five are answered.
      let answered = 0;
      const deadline = Date.now() + 20000;
      while (answered < 5 && Date.now() < deadline) {
        try {
          answered += Object.values(await countAnswers(port, 5 - answered)).reduce((a, b) => a + b, 0);
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      assert.equal(answered, 5);
      await until(() => /numReqs = 5/.test(output()), "numReqs = 5");
    } finally {
      await stop(child);
    }
  });
});
