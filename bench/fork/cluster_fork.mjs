// Fork latency through a cluster module: fork one worker, time `online` and `listening` from the fork() call,
// kill it, wait for `exit`, repeat. One untimed fork first (module caches). Prints "RESULT {json}" (milliseconds).
// Env: BENCH_PORT, BENCH_FORKS (10), BENCH_SERVER ("http": node:http; "native": Bun.serve / Deno.serve),
// BENCH_MODULE: the cluster module to load: unicluster's sources (../../mod.ts, the default), the npm build's
// mod.js (or what the package gives the runtime: bun/mod.cjs on Bun), or the runtime's own "node:cluster". This
// file is JavaScript so that, on Node, only unicluster's own files are type-stripped. A native server's worker does
// not import node:http, as a Bun.serve or Deno.serve program does not: what the library loads for it is timed.
import process from "node:process";

const { default: cluster } = await import(process.env.BENCH_MODULE ?? "../../mod.ts");

const port = Number(process.env.BENCH_PORT ?? 8000);

if (cluster.isPrimary) {
  const forks = Number(process.env.BENCH_FORKS ?? 10);
  const online = [];
  const listening = [];
  for (let i = 0; i <= forks; i++) {
    const t0 = performance.now();
    const worker = cluster.fork();
    const times = await new Promise((resolve, reject) => {
      let up = 0;
      worker.once("online", () => up = performance.now() - t0);
      worker.once("listening", () => resolve([up, performance.now() - t0]));
      worker.once("exit", (code, signal) => reject(new Error(`worker exited early (${signal ?? code})`)));
    });
    await new Promise((resolve) => {
      worker.removeAllListeners("exit");
      worker.once("exit", resolve);
      worker.kill();
    });
    if (i === 0) continue;
    online.push(times[0]);
    listening.push(times[1]);
  }
  console.log(`RESULT ${JSON.stringify({ online, listening })}`);
  process.exit(0);
} else {
  const g = globalThis;
  const native = process.env.BENCH_SERVER === "native";
  if (native && g.Bun) g.Bun.serve({ port, hostname: "127.0.0.1", fetch: () => new Response("hello world") });
  else if (native && g.Deno) {
    g.Deno.serve({ port, hostname: "127.0.0.1", onListen() {} }, () => new Response("hello world"));
  } else {
    const { default: http } = await import("node:http");
    http.createServer((_req, res) => res.end("hello world")).listen(port, "127.0.0.1");
  }
}
