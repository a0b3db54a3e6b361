/**
 * The `child_process` route on Deno: everything as in the Deno adapter (permissions, `Deno.serve` hook), but
 * workers are started with Deno's `node:child_process.spawn` and an `ipc` stdio entry, whose channel can carry
 * socket handles, so round-robin and `worker.send(message, socket)` work on Deno too. Never `fork`, which runs
 * the child with every permission: the command line here is the Deno adapter's, with the primary's permissions.
 * Select it with `UNICLUSTER_ADAPTER=node` on Deno.
 *
 * @module
 */

import { DenoAdapter } from "./deno.ts";
import { NodeChildLink } from "./node.ts";
import type { ChildEvents, ChildLink, SpawnRequest } from "./types.ts";

/** The Deno adapter with `node:child_process` spawning and handle passing. */
export class DenoChildProcessAdapter extends DenoAdapter {
  /** Deno's `child_process` IPC passes socket and server handles between Deno processes. */
  override readonly canPassHandles: boolean = true;

  /** Starts a worker with `child_process.spawn` and an IPC channel. */
  override spawn(request: SpawnRequest, events: ChildEvents): ChildLink {
    return new NodeChildLink(request, events, request.runtime === "deno", true);
  }
}
