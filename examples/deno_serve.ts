// A Deno.serve cluster: every worker serves the same port (SO_REUSEPORT; the kernel spreads connections).
// Run: deno run -A examples/deno_serve.ts
import cluster from "../mod.ts";

const port = Number(process.env.PORT ?? 8000);
const deno = (globalThis as unknown as {
  Deno: {
    serve(options: { port: number; hostname: string; onListen(): void }, handler: () => Response): unknown;
  };
}).Deno;

if (cluster.isPrimary) {
  for (let i = 0; i < 2; i++) cluster.fork();
  cluster.on(
    "listening",
    (worker, address) => console.log(`worker ${worker.id} listening on port ${address.port}`),
  );
} else {
  deno.serve(
    { port, hostname: "127.0.0.1", onListen() {} },
    () => new Response(`hello from worker ${cluster.worker!.id}\n`),
  );
}
