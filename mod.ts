/**
 * unicluster: Node's `node:cluster` API on Node, Deno and Bun.
 *
 * ```ts
 * import cluster from "@unicluster/cluster";
 * import http from "node:http";
 *
 * if (cluster.isPrimary) {
 *   for (let i = 0; i < 2; i++) cluster.fork();
 *   cluster.on("exit", (worker, code, signal) => console.log(`worker ${worker.process.pid} died`));
 * } else {
 *   http.createServer((_req, res) => res.end("hello world\n")).listen(8000);
 * }
 * ```
 *
 * The default export is the cluster of this process, made when the module loads (in a worker, that is what
 * connects it to its primary); `./core.ts` has everything else without it.
 *
 * @module
 */

import { type Cluster, createCluster } from "./core.ts";

export * from "./core.ts";

/** The cluster of this process: a primary, or a worker when started by `cluster.fork()`. */
const cluster: Cluster = createCluster();

export default cluster;
