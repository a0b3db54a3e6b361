/**
 * The extension point for layers built on the cluster (a supervisor's heartbeat, health or stats): internal
 * messages with namespaced acts that ride the workers' channels but never reach user `message` listeners.
 *
 * @module
 */

import { invalidArgType, invalidArgValue } from "./errors.ts";
import { type ExtensionMessage, isExtensionAct } from "./protocol.ts";
import type { Worker } from "./worker.ts";

/** Handles one extension act: `worker` is the sender in the primary, and `cluster.worker` in a worker. */
export type InternalHandler = (worker: Worker, body: unknown) => void;

/** `cluster.internal`: send and receive extension messages. */
export interface InternalChannel {
  /**
   * Handles messages of `act` (namespaced, `"sup:ping"`); returns the function that stops handling them. A message
   * nobody handles is dropped.
   */
  on(act: string, handler: InternalHandler): () => void;
  /**
   * Sends `body` (JSON-compatible) under `act`: from the primary to `worker`, from a worker to its primary
   * (`worker` is then `cluster.worker`). Returns false when the channel is closed (nothing is sent).
   */
  send(worker: Worker, act: string, body?: unknown): boolean;
}

/** Sends a built extension message to the other side of `worker`'s channel. */
export type ExtensionSender = (worker: Worker, message: ExtensionMessage) => boolean;

/** Makes the channel for one role; `receive` is what the role calls for each extension message that arrives. */
export function createInternalChannel(
  sender: ExtensionSender,
): { channel: InternalChannel; receive(worker: Worker, message: ExtensionMessage): void } {
  const handlers = new Map<string, Set<InternalHandler>>();
  const checkAct = (act: unknown) => {
    if (typeof act !== "string") throw invalidArgType("act", "of type string", act);
    if (!isExtensionAct(act)) throw invalidArgValue("act", act, "must be namespaced, as in 'sup:ping'");
  };
  const channel: InternalChannel = {
    on(act, handler) {
      checkAct(act);
      if (typeof handler !== "function") throw invalidArgType("handler", "of type function", handler);
      let set = handlers.get(act);
      if (set === undefined) handlers.set(act, set = new Set());
      set.add(handler);
      return () => void set.delete(handler);
    },
    send(worker, act, body) {
      checkAct(act);
      return sender(worker, { act: "ext", name: act, body });
    },
  };
  return {
    channel,
    receive(worker, message) {
      const set = handlers.get(message.name);
      if (set === undefined) return;
      for (const handler of [...set]) handler(worker, message.body);
    },
  };
}
