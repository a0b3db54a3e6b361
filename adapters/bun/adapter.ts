/**
 * The Bun adapter: workers are started with `Bun.spawn` and its `ipc` option (Bun's own channel, which also passes
 * socket handles between Bun processes), or, on the `child_process` route (`UNICLUSTER_ADAPTER=node`), with
 * Bun's `node:child_process`. `Bun.serve` in a worker shares its port (./serve_hook.ts); the servers of `node:net`,
 * `node:http` and `node:dgram` are hooked as the program loads those modules (./server_traps.ts).
 *
 * @module
 */

import { ProcessChildLink } from "../node/child_link.ts";
import { installDgramHooks } from "../servers/dgram_hooks.ts";
import { installHttpServerHooks, installNetServerHooks } from "../servers/net_hooks.ts";
import { ProcessAdapter } from "../shared/process_adapter.ts";
import { BunChildLink } from "./child_link.ts";
import { bun } from "./globals.ts";
import { installBunServeHook } from "./serve_hook.ts";
import { hookServersAsLoaded } from "./server_traps.ts";

/** How Bun workers are started: `Bun.spawn` (the default) or `node:child_process`. */
export type BunSpawner = "bun" | "child_process";

/** The adapter for Bun. */
export class BunAdapter extends ProcessAdapter {
  /** An adapter that starts workers with `spawner`. */
  constructor(spawner: BunSpawner = "bun") {
    super({
      name: spawner === "bun" ? "bun" : "node",
      runtime: "bun",
      mainModule: () => bun().main,
      spawn: spawner === "bun"
        ? (request, events) => new BunChildLink(request, events)
        : (request, events) =>
          new ProcessChildLink(request, events, { canPassHandles: request.runtime === "bun" }),
      installServerHooks: (bridge) => {
        if (!hookServersAsLoaded(bridge)) {
          installNetServerHooks(bridge);
          installDgramHooks(bridge);
          installHttpServerHooks(bridge);
        }
        installBunServeHook(bridge);
      },
    });
  }
}
