// unicluster's supervisor over BENCH_WORKERS (2) workers with heartbeats every second, each worker running
// node:http, or the runtime's native server when BENCH_SERVER=native (Bun.serve, Deno.serve). The primary prints
// "READY <port>" once the first workers are ready, and "RELOADED <ms>" after each rolling reload (SIGHUP),
// timed from the reload's start to its end.
// Env: BENCH_PORT, BENCH_WORKERS (2), BENCH_REPLY ("hello" | "id"), BENCH_SERVER ("http" | "native").
import cluster from "../../mod.ts";
import { supervise } from "../../supervisor.ts";
import http from "node:http";
import process from "node:process";

const port = Number(process.env.BENCH_PORT ?? 8000);

if (cluster.isPrimary) {
  const supervisor = supervise({
    workers: Number(process.env.BENCH_WORKERS ?? 2),
    heartbeatInterval: 1000,
    shutdownTimeout: 5000,
  });
  let reloadStart = 0;
  supervisor.on("reload", ({ phase, reason }: { phase: string; reason?: string }) => {
    if (phase === "started") reloadStart = performance.now();
    else if (phase === "finished") console.log(`RELOADED ${(performance.now() - reloadStart).toFixed(1)}`);
    else console.log(`RELOAD FAILED ${reason}`);
  });
  supervisor.started.then(() => console.log(`READY ${port} supervised`), (error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  const body = process.env.BENCH_REPLY === "id" ? String(cluster.worker!.id) : "hello world";
  const g = globalThis as {
    Bun?: { serve(o: { port: number; hostname: string; fetch(): Response }): unknown };
    Deno?: { serve(o: { port: number; hostname: string; onListen(): void }, h: () => Response): unknown };
  };
  const native = process.env.BENCH_SERVER === "native";
  if (native && g.Bun) g.Bun.serve({ port, hostname: "127.0.0.1", fetch: () => new Response(body) });
  else if (native && g.Deno) {
    g.Deno.serve({ port, hostname: "127.0.0.1", onListen() {} }, () => new Response(body));
  } else http.createServer((_req, res) => res.end(body)).listen(port, "127.0.0.1");
}
