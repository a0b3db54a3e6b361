// IPC benchmark through the runtime's own node:child_process: `fork` with JSON serialization (Node; on Deno,
// Deno's node:child_process fork, which runs `deno run -A`). Prints "RESULT {json}".
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { runSuite } from "./_suite.mjs";

const child = fork(fileURLToPath(new URL("./echo_child.mjs", import.meta.url)), [], {
  serialization: "json",
});
let handler = () => {};
child.on("message", (m) => handler(m));
const result = await runSuite((m) => child.send(m), (h) => handler = h, options());
console.log(`RESULT ${JSON.stringify({ mechanism: "child_process.fork", ...result })}`);
child.kill();
process.exit(0);

function options() {
  return JSON.parse(process.env.BENCH_IPC_OPTIONS ?? "{}");
}
