// A node:http server whose response is written in two parts (`res.write`, then `res.end` on a later tick), in a
// 2-worker cluster: unicluster (BENCH_CLUSTER=unicluster) or the runtime's own node:cluster (BENCH_CLUSTER=node).
// Shows whether accepted connections get TCP_NODELAY (http.Server's default): without it, Nagle's algorithm holds
// the second part until the client's delayed ACK (about 40 ms on Linux).
// The primary prints "READY <port>" once every worker listens. Env: BENCH_PORT, BENCH_CLUSTER.
import unicluster from "../../mod.ts";
import nodeCluster from "node:cluster";
import http from "node:http";
import process from "node:process";

const cluster = process.env.BENCH_CLUSTER === "node" ? nodeCluster : unicluster;
const port = Number(process.env.BENCH_PORT ?? 8000);

if (cluster.isPrimary) {
  let listening = 0;
  const modes: string[] = [];
  cluster.on("listening", (_worker, address: { mode?: string }) => {
    if (address.mode) modes.push(address.mode);
    if (++listening === 2) console.log(`READY ${port}${modes.length ? ` mode=${modes.join(",")}` : ""}`);
  });
  for (let i = 0; i < 2; i++) cluster.fork();
} else {
  http.createServer((_req, res) => {
    res.write("hello ");
    setImmediate(() => res.end("world"));
  }).listen(port, "127.0.0.1");
}
