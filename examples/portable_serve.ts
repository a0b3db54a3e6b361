// One fetch-style server on every runtime, clustered: Deno.serve on Deno, Bun.serve on Bun, node:http on Node.
// Run: node examples/portable_serve.ts | deno run -A examples/portable_serve.ts | bun examples/portable_serve.ts
import cluster, { serve } from "../mod.ts";

const port = Number(process.env.PORT ?? 8000);

if (cluster.isPrimary) {
  for (let i = 0; i < 2; i++) cluster.fork();
  cluster.on(
    "listening",
    (worker, address) => console.log(`worker ${worker.id} listening on port ${address.port}`),
  );
} else {
  const server = serve(
    (request) => new Response(`hello from worker ${cluster.worker!.id}: ${new URL(request.url).pathname}\n`),
    {
      port,
      hostname: "127.0.0.1",
    },
  );
  server.ready.then(({ port }) =>
    console.log(`worker ${cluster.worker!.id} serves with ${server.server} on ${port}`)
  );
}
