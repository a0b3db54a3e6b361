/**
 * The supervisor's health server, in the primary on a port of its own: `/healthz` (the primary runs), `/readyz`
 * (at least one worker ready and no shutdown under way: 200, else 503) and `/metrics` (Prometheus text).
 *
 * @module
 */

import { httpModule } from "./host_builtins.ts";
import { METRICS_CONTENT_TYPE, renderMetrics } from "./metrics.ts";
import type { SupervisorStats } from "./stats.ts";

/** A running health server. */
export interface HealthServer {
  /** The port it listens on. */
  readonly port: number;
  /** Stops it. */
  close(): Promise<void>;
}

/** Starts the health server; `stats` is read at each request. */
export function startHealthServer(
  port: number,
  host: string,
  stats: () => SupervisorStats,
): Promise<HealthServer> {
  const server = httpModule().createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz") return void res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    if (path === "/readyz") {
      const ready = stats().ready;
      return void res.writeHead(ready ? 200 : 503, { "content-type": "text/plain" })
        .end(ready ? "ready\n" : "not ready\n");
    }
    if (path === "/metrics") {
      return void res.writeHead(200, { "content-type": METRICS_CONTENT_TYPE }).end(renderMetrics(stats()));
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve({
        port: (server.address() as { port: number }).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections?.();
          }),
      });
    });
  });
}
