/**
 * Makes the runtime's own `node:cluster` drive unicluster, for packages that `require("cluster")` (prom-client's
 * `AggregatorRegistry`, throng, sticky sessions, process managers). Import it first, before any such package:
 *
 * ```ts
 * import cluster from "@unicluster/cluster/install"; // npm: import "unicluster/install";
 * import { AggregatorRegistry } from "prom-client"; // its require("cluster") is unicluster now
 *
 * if (cluster.isPrimary) {
 *   const registry = new AggregatorRegistry();
 *   for (let i = 0; i < 2; i++) cluster.fork();
 * }
 * ```
 *
 * `require("cluster")`, `import cluster from "node:cluster"` and `process.getBuiltinModule("node:cluster")`
 * anywhere in the process, in the primary and in its workers (they run the same main module, so they import this
 * one first too), then read and forward to unicluster's cluster: `isPrimary`, `worker`, `workers`, `fork()`,
 * events. Named imports (`import { isPrimary } from "node:cluster"`) follow on Node; on Bun and Deno only in
 * part: the README says what each runtime allows. The default export is unicluster's cluster, as that of the
 * main module.
 *
 * @module
 */

import { redirectBuiltinCluster } from "./adapters/shared/builtin_cluster.ts";
import cluster, { type Cluster } from "./mod.ts";

/** The cluster of this process (the main module's), which the runtime's own `node:cluster` now forwards to. */
const installed: Cluster = redirectBuiltinCluster(cluster);

export default installed;
