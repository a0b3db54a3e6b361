// A Bun.serve cluster: every worker serves the same port (SO_REUSEPORT; the kernel spreads connections).
// Run: bun examples/bun_serve.ts
import cluster from "../mod.ts";

const port = Number(process.env.PORT ?? 8000);
const bun = (globalThis as unknown as {
  Bun: { serve(options: { port: number; hostname: string; fetch(request: Request): Response }): unknown };
}).Bun;

if (cluster.isPrimary) {
  for (let i = 0; i < 2; i++) cluster.fork();
  cluster.on(
    "listening",
    (worker, address) => console.log(`worker ${worker.id} listening on port ${address.port}`),
  );
} else {
  bun.serve({
    port,
    hostname: "127.0.0.1",
    fetch: () => new Response(`hello from worker ${cluster.worker!.id}\n`),
  });
}
