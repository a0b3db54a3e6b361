// IPC benchmark through unicluster: the primary uses `worker.send` / `worker.on("message")`, the worker
// `process.send` / `process.on("message")`, with the default (JSON) serialization. Prints "RESULT {json}".
// BENCH_MODULE: the cluster module to load, unicluster's sources (../../mod.ts, the default) or the npm build's
// mod.js. This file is JavaScript, as the other side's (child_process_ipc.mjs) is: a Node process that loads
// Node's type stripper (a WebAssembly module) writes IPC messages about 10% slower whatever it sends them with.
import process from "node:process";
import { echoHandler, runSuite } from "./_suite.mjs";

const { default: cluster } = await import(process.env.BENCH_MODULE ?? "../../mod.ts");

if (cluster.isPrimary) {
  const worker = cluster.fork();
  let handler = () => {};
  worker.on("message", (m) => handler(m));
  await new Promise((resolve) => worker.once("online", resolve));
  const options = JSON.parse(process.env.BENCH_IPC_OPTIONS ?? "{}");
  const result = await runSuite((m) => worker.send(m), (h) => handler = h, options);
  console.log(`RESULT ${JSON.stringify({ mechanism: "unicluster worker.send", ...result })}`);
  worker.kill();
  process.exit(0);
} else {
  process.on("message", echoHandler((m) => process.send(m)));
}
