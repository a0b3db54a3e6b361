/**
 * The worker's side of port sharing (Node's `child.js` `_getServer`): the bridge through which the adapter's
 * server hooks ask the primary for a port, report `listening` and `close`, and receive round-robin connections;
 * and the list of open servers that `worker.disconnect()` closes first.
 *
 * @module
 */

import type { ServerBridge, ServerReply, TrackedServer } from "../contract/sharing.ts";
import type { WorkerToPrimary } from "../protocol.ts";

/** How the bridge talks to the primary. */
export interface PrimaryRequests {
  /** Whether the channel is open. */
  connected(): boolean;
  /** Sends a message and calls `onReply` with the primary's answer (or with none when the channel closed). */
  ask(message: WorkerToPrimary, onReply: (reply: ServerReply | undefined, handle: unknown) => void): void;
  /** Sends a message that needs no answer. */
  tell(message: WorkerToPrimary): void;
}

/**
 * A reply for a request the primary never answered. `mode` is required by the type and means nothing here: the
 * `errno` tells the server hook that it cannot listen.
 */
export function failedReply(errno: string, error: string): ServerReply {
  return { mode: "rr", port: -1, errno, error };
}

/** The worker's servers, as the primary shares their ports. */
export class WorkerServers {
  /** What the adapter's server hooks use. */
  readonly bridge: ServerBridge;
  #servers = new Set<TrackedServer>();
  #routes = new Map<string, (socket: unknown) => void>();

  /** Talks to the primary through `primary`. */
  constructor(primary: PrimaryRequests) {
    this.bridge = {
      query: (request) =>
        new Promise<ServerReply>((resolve) => {
          if (!primary.connected()) return resolve(failedReply("ERR_IPC_CHANNEL_CLOSED", "Channel closed"));
          primary.ask({ act: "queryServer", request }, (reply, handle) => {
            if (reply === undefined) resolve(failedReply("ERR_IPC_CHANNEL_CLOSED", "Channel closed"));
            else resolve({ ...reply, handle });
          });
        }),
      listening: (key, address) => primary.tell({ act: "listening", key, address }),
      closed: (key) => primary.tell({ act: "close", key }),
      track: (server) => {
        this.#servers.add(server);
        return () => this.#servers.delete(server);
      },
      onConnection: (key, accept) => {
        if (accept) this.#routes.set(key, accept);
        else this.#routes.delete(key);
      },
    };
  }

  /** A round-robin connection for `key`; dropped when that server has closed. */
  accept(key: string, socket: unknown): void {
    const route = this.#routes.get(key);
    if (route) route(socket);
    else (socket as { destroy?: () => void } | undefined)?.destroy?.();
  }

  /** Closes every server; `done` runs once all have stopped accepting. */
  closeAll(done: () => void): void {
    const servers = [...this.#servers];
    this.#servers.clear();
    let waiting = servers.length + 1;
    const step = () => {
      if (--waiting === 0) done();
    };
    for (const server of servers) server.close(step);
    step();
  }
}
