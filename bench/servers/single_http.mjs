// One process, no cluster, node:http (on Bun and Deno: their node:http compatibility layer). Shows what the
// runtime's node:http costs against its native server. Prints "READY <port>" once it listens.
// Env: BENCH_PORT, BENCH_REPLY ("hello" | "id").
import http from "node:http";
import process from "node:process";

const port = Number(process.env.BENCH_PORT ?? 8000);
const body = process.env.BENCH_REPLY === "id" ? "1" : "hello world";
http.createServer((_req, res) => res.end(body)).listen(port, "127.0.0.1", () => console.log(`READY ${port}`));
