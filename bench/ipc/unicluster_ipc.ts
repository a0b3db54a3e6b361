// IPC benchmark through unicluster: the primary uses `worker.send` / `worker.on("message")`, the worker
// `process.send` / `process.on("message")`, with the default (JSON) serialization. Prints "RESULT {json}".
import cluster from "../../mod.ts";
import process from "node:process";
import { echoHandler, runSuite } from "./_suite.mjs";

if (cluster.isPrimary) {
  const worker = cluster.fork();
  let handler: (m: unknown) => void = () => {};
  worker.on("message", (m) => handler(m));
  await new Promise((resolve) => worker.once("online", resolve));
  const options = JSON.parse(process.env.BENCH_IPC_OPTIONS ?? "{}");
  const result = await runSuite(
    (m: unknown) => worker.send(m),
    (h: (m: unknown) => void) => handler = h,
    options,
  );
  console.log(`RESULT ${JSON.stringify({ mechanism: "unicluster worker.send", ...result })}`);
  worker.kill();
  process.exit(0);
} else {
  process.on("message", echoHandler((m: unknown) => process.send!(m)));
}
