/**
 * The Node adapter: workers are started with `child_process.spawn` and talk over Node's own IPC channel, which can
 * also carry socket and server handles.
 *
 * @module
 */

import { keepOwnListen } from "../ipc/socket/acceptor.ts";
import { ProcessAdapter } from "../shared/process_adapter.ts";
import { ProcessChildLink } from "./child_link.ts";

/** The adapter for Node. */
export class NodeAdapter extends ProcessAdapter {
  /** Runs as the Node adapter. */
  constructor() {
    super({
      name: "node",
      runtime: "node",
      spawn: (request, events) =>
        new ProcessChildLink(request, events, { canPassHandles: request.runtime === "node" }),
    });
    keepOwnListen();
  }
}
