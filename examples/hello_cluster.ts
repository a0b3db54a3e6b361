// The seed example, unchanged but for the import line: a clustered hello-world HTTP server.
// Run: node examples/hello_cluster.ts | deno run -A examples/hello_cluster.ts | bun examples/hello_cluster.ts
import cluster from "../mod.ts";
import http from "node:http";

const numCPUs = 2;
const port = Number(process.env.PORT ?? 8000);

if (cluster.isPrimary) {
  for (let i = 0; i < numCPUs; i++) cluster.fork();
  cluster.on("exit", (worker, code, signal) => {
    console.log(`worker ${worker.process.pid} died (${signal ?? code})`);
  });
  cluster.on("listening", (worker, address) => {
    console.log(
      `worker ${worker.id} listening on ${address.address ?? "*"}:${address.port} (${address.mode})`,
    );
  });
} else {
  http.createServer((_req, res) => {
    res.writeHead(200);
    res.end(`hello world from worker ${cluster.worker!.id}\n`);
  }).listen(port);
}
