// IPC benchmark through Bun's own channel: Bun.spawn with the `ipc` option and JSON serialization (the same
// encoding unicluster uses by default). Prints "RESULT {json}".
import { runSuite } from "./_suite.mjs";

declare const Bun: {
  spawn(o: {
    cmd: string[];
    stdio: string[];
    serialization: string;
    ipc(message: unknown): void;
  }): { send(message: unknown): void; kill(): void };
};

let handler: (m: unknown) => void = () => {};
const child = Bun.spawn({
  cmd: [process.execPath, new URL("./echo_child.mjs", import.meta.url).pathname],
  stdio: ["ignore", "inherit", "inherit"],
  serialization: "json",
  ipc: (m) => handler(m),
});
const options = JSON.parse(process.env.BENCH_IPC_OPTIONS ?? "{}");
const result = await runSuite(
  (m: unknown) => child.send(m),
  (h: (m: unknown) => void) => handler = h,
  options,
);
console.log(`RESULT ${JSON.stringify({ mechanism: "Bun.spawn ipc", ...result })}`);
child.kill();
process.exit(0);
