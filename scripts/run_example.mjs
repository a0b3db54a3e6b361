#!/usr/bin/env node
// Runs the clustered hello-world example on a runtime, asks it a few times, and prints which worker answered.
// With --cli, runs the command line (cli.ts) on a fetch-handler module instead, with 2 workers.
// Usage: node scripts/run_example.mjs [node|deno|bun] [--cli] (default: node). Installs the toolchain if needed.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const withCli = process.argv.includes("--cli");
const runtime = process.argv.slice(2).find((arg) => arg !== "--cli") ?? "node";
const bin = (name) => join(root, "node_modules", ".bin", name);

if (!["node", "deno", "bun"].includes(runtime)) {
  console.error(`Unknown runtime "${runtime}": use node, deno or bun`);
  process.exit(2);
}
if (!existsSync(bin("deno")) || !existsSync(bin("bun"))) {
  console.log("Installing the toolchain (npm ci)...");
  const installed = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
  if (installed.status !== 0) process.exit(installed.status ?? 1);
}

// A port the operating system says is free right now.
const port = await new Promise((resolve) => {
  const probe = createServer().listen(0, "127.0.0.1", () => {
    const { port } = probe.address();
    probe.close(() => resolve(port));
  });
});
const example = withCli
  ? [join(root, "cli.ts"), "-w", "2", "--port", String(port), "--host", "127.0.0.1", "examples/fetch_app.ts"]
  : [join(root, "examples", "hello_cluster.ts")];
const command = runtime === "deno"
  ? [bin("deno"), ["run", "-A", ...example]]
  : runtime === "bun"
  ? [bin("bun"), example]
  : [bin("node"), example];
const env = { ...process.env, PORT: String(port) };
delete env.NODE_EXTRA_CA_CERTS;
const primary = spawn(command[0], command[1], { cwd: root, env, stdio: ["ignore", "pipe", "inherit"] });
primary.stdout.on("data", (chunk) => process.stdout.write(`[${runtime} cluster] ${chunk}`));

let listening = 0;
let asked = false;
primary.stdout.on("data", (chunk) => {
  listening += (String(chunk).match(withCli ? / ready in slot/g : /listening on/g) ?? []).length;
  if (listening >= 2 && !asked) {
    asked = true;
    askAndStop();
  }
});
const timer = setTimeout(() => {
  console.error("The cluster did not start within 20 s");
  primary.kill("SIGKILL");
  process.exit(1);
}, 20000);

function ask() {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, agent: false }, (res) => {
      let body = "";
      res.on("data", (d) => body += d);
      res.on("end", () => resolve(body.trim()));
    });
    req.on("error", reject);
    req.end();
  });
}

async function askAndStop() {
  for (let i = 0; i < 6; i++) console.log(`request ${i + 1}: ${await ask()}`);
  clearTimeout(timer);
  primary.kill("SIGTERM");
}

primary.on("exit", (code, signal) => process.exit(signal === "SIGTERM" ? 0 : code ?? 1));
