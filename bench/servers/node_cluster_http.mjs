// The runtime's own node:cluster (Node's, Deno's port, Bun's) with 2 node:http workers.
// The primary prints "READY <port>" once every worker listens.
// Env: BENCH_PORT, BENCH_WORKERS (2), BENCH_REPLY ("hello" | "id").
import cluster from "node:cluster";
import http from "node:http";
import process from "node:process";
import { startPrimary } from "./_primary.mjs";

const port = Number(process.env.BENCH_PORT ?? 8000);
const workers = Number(process.env.BENCH_WORKERS ?? 2);

if (cluster.isPrimary) {
  startPrimary(cluster, port, workers);
} else {
  const body = process.env.BENCH_REPLY === "id" ? String(cluster.worker.id) : "hello world";
  http.createServer((_req, res) => res.end(body)).listen(port, "127.0.0.1");
}
