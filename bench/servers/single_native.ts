// One process, no cluster: the runtime's native server (Bun.serve, Deno.serve, node:http on Node). The floor.
// Prints "READY <port>" once it listens. Env: BENCH_PORT, BENCH_REPLY ("hello" | "id").
import http from "node:http";
import process from "node:process";

const port = Number(process.env.BENCH_PORT ?? 8000);
const body = process.env.BENCH_REPLY === "id" ? "1" : "hello world";
const ready = () => console.log(`READY ${port}`);
const g = globalThis as {
  Bun?: { serve(o: { port: number; hostname: string; fetch(): Response }): unknown };
  Deno?: { serve(o: { port: number; hostname: string; onListen(): void }, h: () => Response): unknown };
};
if (g.Bun) {
  g.Bun.serve({ port, hostname: "127.0.0.1", fetch: () => new Response(body) });
  ready();
} else if (g.Deno) g.Deno.serve({ port, hostname: "127.0.0.1", onListen: ready }, () => new Response(body));
else http.createServer((_req, res) => res.end(body)).listen(port, "127.0.0.1", ready);
