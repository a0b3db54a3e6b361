/**
 * The worker side of unicluster's command line (`cli.ts` passes this file to the cluster as `exec`): it joins
 * the cluster, then imports the module `UNICLUSTER_CLI_MODULE` names (an absolute path). A module whose default
 * export has a `fetch(request)` method is served with the portable `serve()` on `UNICLUSTER_CLI_PORT` and
 * `UNICLUSTER_CLI_HOST` (or on the primary's socket `UNICLUSTER_CLI_FD`, under socket activation); any other module
 * listens itself. The variables are removed before the module runs, and
 * `process.argv[1]` names the module, as if it had been run directly.
 *
 * @module
 */

import { pathToFileURL } from "node:url";
import { process } from "./adapters/shared/host_process.ts";
import cluster, { serve } from "./mod.ts";
// The one function of the supervisor a worker needs: its module alone, not the supervisor's (21 more modules).
import { sendReady } from "./src/supervisor/worker_ready.ts";

/** Reads and removes a variable the command line set. */
function take(name: string): string | undefined {
  const value = process.env[name];
  delete process.env[name];
  return value;
}

const module = take("UNICLUSTER_CLI_MODULE");
const port = Number(take("UNICLUSTER_CLI_PORT") ?? 8000);
const hostname = take("UNICLUSTER_CLI_HOST") ?? "0.0.0.0";
const readiness = take("UNICLUSTER_CLI_READY") ?? "listening";
const fd = take("UNICLUSTER_CLI_FD");
if (module === undefined) {
  throw new Error("UNICLUSTER_CLI_MODULE is not set: this file is the worker of unicluster's command line");
}

// A terminal's Ctrl-C reaches every process of the group: the primary leads the graceful shutdown.
process.on("SIGINT", () => {});
process.argv[1] = module;

const app = (await import(pathToFileURL(module).href)).default as { fetch?: unknown } | undefined;
if (app !== null && typeof app === "object" && typeof app.fetch === "function") {
  const handler = app.fetch.bind(app) as (request: Request) => Response | Promise<Response>;
  await serve(handler, fd === undefined ? { port, hostname } : { fd: Number(fd) }).ready;
  if (readiness === "message") sendReady(cluster);
}
