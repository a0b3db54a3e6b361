// unicluster, 2 workers, each running the runtime's native server: Bun.serve on Bun, Deno.serve on Deno,
// node:http on Node. The primary prints "READY <port>" once every worker listens.
// Env: BENCH_PORT, BENCH_WORKERS (2), BENCH_REPLY ("hello" | "id").
import cluster from "../../mod.ts";
import http from "node:http";
import process from "node:process";
import { startPrimary } from "./_primary.mjs";

const port = Number(process.env.BENCH_PORT ?? 8000);
const workers = Number(process.env.BENCH_WORKERS ?? 2);

if (cluster.isPrimary) {
  startPrimary(cluster, port, workers);
} else {
  const body = process.env.BENCH_REPLY === "id" ? String(cluster.worker!.id) : "hello world";
  const g = globalThis as {
    Bun?: { serve(o: { port: number; hostname: string; fetch(): Response }): unknown };
    Deno?: { serve(o: { port: number; hostname: string; onListen(): void }, h: () => Response): unknown };
  };
  if (g.Bun) g.Bun.serve({ port, hostname: "127.0.0.1", fetch: () => new Response(body) });
  else if (g.Deno) g.Deno.serve({ port, hostname: "127.0.0.1", onListen() {} }, () => new Response(body));
  else http.createServer((_req, res) => res.end(body)).listen(port, "127.0.0.1");
}
