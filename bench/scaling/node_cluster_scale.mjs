// Scaling through the runtime's own node:cluster (Node's, Bun's, Deno's): the same measurement as
// unicluster_scale.mjs (bench/scaling/_scale.mjs). Prints "RESULT {json}", then serves until killed.
// Env: BENCH_PORT, BENCH_WORKERS, BENCH_ROUNDS.
import cluster from "node:cluster";
import { scale } from "./_scale.mjs";

scale(cluster);
