/**
 * A worker's connection to its primary, whichever channel its identity names: the runtime's own IPC
 * (`process`), or the socket channel of a Deno primary (`socket`), with `process` messaging installed either way.
 *
 * @module
 */

import type {
  ParentEvents,
  ParentLink,
  ProcessMessagingHooks,
  WorkerIdentity,
} from "../../src/contract/mod.ts";
import { connectProcessParent } from "./process_channel.ts";
import { installProcessMessaging } from "./process_messaging.ts";
import { connectSocketParent, type DialSocket } from "./socket/parent.ts";

/**
 * Connects this worker (`proc` is its global `process`). `checkJson` makes the runtime channel serialize each json
 * message once first (Deno's channel crashes on a cyclic message instead of throwing); `dial` opens the socket
 * channel's connection (`node:net` unless given).
 */
export function connectParent(
  proc: unknown,
  identity: WorkerIdentity,
  events: ParentEvents,
  hooks: ProcessMessagingHooks,
  checkJson = false,
  dial?: DialSocket,
): ParentLink {
  if (identity.channel !== "socket") {
    // `checkJson` marks Deno's channel, which also writes asynchronously (flush before a disconnect).
    return connectProcessParent(proc, events, hooks, {
      checkJson,
      syncHandles: identity.syncHandles === true,
      flushBeforeDisconnect: checkJson,
      serialization: identity.serialization,
    });
  }
  // As Node's channel does, the process itself hears that the channel closed (after the cluster's worker has).
  const socket = connectSocketParent(identity, {
    message: events.message,
    disconnect: () => {
      events.disconnect();
      (proc as { emit(event: string): boolean }).emit("disconnect");
    },
  }, dial);
  const deliver = installProcessMessaging(proc, hooks);
  // Node's `process.channel`, whose ref()/unref() decide whether the channel keeps the worker alive.
  if ((proc as { channel?: unknown }).channel === undefined) {
    const channel = { ref: () => socket.ref(), unref: () => socket.unref() };
    Object.defineProperty(proc, "channel", { value: channel, configurable: true, writable: true });
  }
  // A send without a callback reports its failure as an `error` on the process, as Node's `process.send` does.
  const failed = (error: Error | null) => {
    if (error) (proc as { emit(event: string, error: Error): boolean }).emit("error", error);
  };
  return {
    get connected() {
      return socket.connected;
    },
    send: (message, handle, callback) => socket.send(message, handle, callback ?? failed),
    disconnect: () => socket.disconnect(),
    deliver,
  };
}
