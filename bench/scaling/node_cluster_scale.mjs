// Scaling through the runtime's own node:cluster (Node's, Bun's, Deno's): the same measurement as
// unicluster_scale.mjs (bench/scaling/_scale.mjs). Prints "RESULT {json}", then serves until killed.
// Env: BENCH_PORT, BENCH_WORKERS, BENCH_ROUNDS, and BENCH_LOAD_MODULE: a module each worker imports first and
// does not use (the control run: node:cluster's workers loading unicluster's code, to tell what that load costs
// from what unicluster does in a worker).
import cluster from "node:cluster";
import process from "node:process";
import { scale } from "./_scale.mjs";

if (cluster.isWorker && process.env.BENCH_LOAD_MODULE) await import(process.env.BENCH_LOAD_MODULE);

scale(cluster);
