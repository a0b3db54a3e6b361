// The seed's request-counting example: workers tell the primary about each request with a message.
// Run: node examples/request_counting.ts | deno run -A examples/request_counting.ts | bun examples/request_counting.ts
import cluster from "../mod.ts";
import http from "node:http";

const port = Number(process.env.PORT ?? 8000);

if (cluster.isPrimary) {
  let numReqs = 0;
  setInterval(() => console.log(`numReqs = ${numReqs}`), 1000).unref();

  const messageHandler = (msg: { cmd?: string }) => {
    if (msg.cmd && msg.cmd === "notifyRequest") numReqs += 1;
  };

  for (let i = 0; i < 2; i++) cluster.fork();
  for (const id in cluster.workers) cluster.workers[id].on("message", messageHandler);
} else {
  http.createServer((_req, res) => {
    res.writeHead(200);
    res.end("hello world\n");
    process.send!({ cmd: "notifyRequest" });
  }).listen(port);
}
