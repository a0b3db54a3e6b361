/**
 * Whether a reload can reset connections on a port shared by SO_REUSEPORT, and the warning that says so. There
 * each worker has a listener of its own, and when a reload or a replacement closes one, Linux resets the
 * connections queued on it that no worker has accepted yet, unless `net.ipv4.tcp_migrate_req` is 1 (Linux 5.14 or
 * later): then it moves them to another listener of the port. Measured (tests/reuseport_reload.test.ts: 2
 * workers, 8 clients each opening a new connection per request, 4 reloads): 10-20 requests of 66,000-84,000 failed
 * with the setting at 0 on Node, Bun and Deno; at 1 none on Node and Deno, and on Bun one in 2 of about 40 runs.
 * Round-robin keeps the port's one listener in the primary and loses none.
 *
 * @module
 */

import type { Cluster } from "../cluster.ts";
import type { ListeningAddress, Worker } from "../worker.ts";
import { process } from "./host_builtins.ts";

/** The kernel setting, as the network namespace of this process has it. */
const SETTING_FILE = "/proc/sys/net/ipv4/tcp_migrate_req";

/**
 * The code of the process warning a supervisor emits when its workers share a port by SO_REUSEPORT and Linux
 * would reset the connections queued on a worker's listener that closes (`process.on("warning", (w) => w.code)`).
 */
export const REUSEPORT_RESETS: string = "UNICLUSTER_REUSEPORT_RESETS";

/**
 * Whether Linux moves the connections queued on a closing SO_REUSEPORT listener to another listener of the port:
 * undefined where the setting cannot be read (not Linux; Deno without read permission for it, asked without a
 * prompt).
 */
function kernelMovesQueuedConnections(): boolean | undefined {
  const deno = (globalThis as { Deno?: DenoPermissions }).Deno;
  try {
    if (
      deno !== undefined &&
      deno.permissions.querySync({ name: "read", path: SETTING_FILE }).state !== "granted"
    ) {
      return undefined;
    }
    const value = process.getBuiltinModule("node:fs").readFileSync(SETTING_FILE, "utf8").trim();
    return value === "0" ? false : value === "1" ? true : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the setting was checked in this process: the warning comes once at most. */
let checked = false;

/**
 * Emits the process warning {@link REUSEPORT_RESETS}, once in a process, when a worker of `cluster` listens on a
 * port shared by SO_REUSEPORT and Linux would reset the connections queued on a listener of it that closes.
 * Returns the function that stops listening.
 */
export function warnOfReusePortResets(cluster: Cluster): () => void {
  const onListening = (_worker: Worker, address: ListeningAddress) => {
    if (address.mode !== "reuseport" || checked) return;
    checked = true;
    if (kernelMovesQueuedConnections() !== false) return;
    const where = `${address.address ?? "*"}:${address.port}`;
    process.emitWarning(
      `The workers share ${where} by SO_REUSEPORT, and this Linux resets the connections queued on a worker's ` +
        "listener when it closes (net.ipv4.tcp_migrate_req is 0): a reload or a replacement may drop a few new " +
        "connections. Set net.ipv4.tcp_migrate_req=1 (sysctl, Linux 5.14 or later) to have them moved to " +
        "another worker's listener.",
      { type: "UniclusterWarning", code: REUSEPORT_RESETS },
    );
  };
  cluster.on("listening", onListening);
  return () => cluster.off("listening", onListening);
}

/** The part of Deno's permissions API used here. */
interface DenoPermissions {
  permissions: { querySync(descriptor: { name: "read"; path: string }): { state: string } };
}
