// A cluster of 2 node:http workers: unicluster's (round-robin by the primary on Node and Bun, SO_REUSEPORT on
// Deno) or the runtime's own node:cluster. The primary prints "READY <port>" once every worker listens.
// Env: BENCH_PORT, BENCH_WORKERS (2), BENCH_REPLY ("hello" | "id"), NODE_CLUSTER_SCHED_POLICY (optional),
// BENCH_MODULE: the cluster module to load, unicluster's sources (../../mod.ts, the default), the npm build's
// mod.js, or the runtime's own "node:cluster". This file is JavaScript: on Node a TypeScript program loads
// Node's type stripper into the primary and every worker.
import http from "node:http";
import process from "node:process";
import { startPrimary } from "./_primary.mjs";

const { default: cluster } = await import(process.env.BENCH_MODULE ?? "../../mod.ts");

const port = Number(process.env.BENCH_PORT ?? 8000);
const workers = Number(process.env.BENCH_WORKERS ?? 2);

if (cluster.isPrimary) {
  startPrimary(cluster, port, workers);
} else {
  const body = process.env.BENCH_REPLY === "id" ? String(cluster.worker.id) : "hello world";
  http.createServer((_req, res) => res.end(body)).listen(port, "127.0.0.1");
}
