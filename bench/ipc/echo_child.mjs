// The child of the child_process IPC benchmarks (Node fork, Deno's node:child_process fork, Bun.spawn ipc):
// answers the parent over the runtime's own IPC channel with `process.send`.
import process from "node:process";
import { echoHandler } from "./_suite.mjs";

process.on("message", echoHandler((m) => process.send(m)));
