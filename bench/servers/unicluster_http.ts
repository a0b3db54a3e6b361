// unicluster, 2 workers, each running a node:http server (round-robin by the primary on Node and Bun,
// SO_REUSEPORT on Deno). The primary prints "READY <port>" once every worker listens.
// Env: BENCH_PORT, BENCH_WORKERS (2), BENCH_REPLY ("hello" | "id"), NODE_CLUSTER_SCHED_POLICY (optional).
import cluster from "../../mod.ts";
import http from "node:http";
import process from "node:process";

const port = Number(process.env.BENCH_PORT ?? 8000);
const workers = Number(process.env.BENCH_WORKERS ?? 2);

if (cluster.isPrimary) {
  let listening = 0;
  const modes: string[] = [];
  cluster.on("listening", (_worker, address) => {
    modes.push(String(address.mode));
    if (++listening === workers) console.log(`READY ${port} mode=${modes.join(",")}`);
  });
  cluster.on(
    "exit",
    (worker, code, signal) => console.error(`worker ${worker.id} exited (${signal ?? code})`),
  );
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  const body = process.env.BENCH_REPLY === "id" ? String(cluster.worker!.id) : "hello world";
  http.createServer((_req, res) => res.end(body)).listen(port, "127.0.0.1");
}
