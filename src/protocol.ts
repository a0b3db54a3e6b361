/**
 * The internal messages between a primary and its workers.
 *
 * They share the channel with user messages, as in Node's cluster, but carry `cmd: "UNICLUSTER"`, which user code
 * never sees: the core filters them out before any `message` listener runs. (Node's own prefix, `NODE_`, is
 * avoided on purpose: Node's child_process would divert such messages away from our listeners.)
 *
 * @module
 */

import type { ServerAddress, ServerReply, ServerRequest } from "../adapters/types.ts";

/** The `cmd` value that marks an internal message. */
export const INTERNAL_CMD = "UNICLUSTER";

/** The name of the environment variable that carries a worker's identity. */
export const IDENTITY_VARIABLE = "UNICLUSTER_WORKER";

/** Every internal message, by its `act`. */
export type InternalMessage =
  & { cmd: typeof INTERNAL_CMD; seq?: number; ack?: number }
  & (
    | { act: "online" }
    | { act: "listening"; key: string; address: ServerAddress }
    | { act: "disconnect" }
    | { act: "exitedAfterDisconnect" }
    | { act: "close"; key: string }
    | { act: "queryServer"; request: ServerRequest }
    | { act: "newconn"; key: string }
    | { act: "ack"; reply?: ServerReply }
  );

/** Whether a message is one of unicluster's own. */
export function isInternalMessage(message: unknown): message is InternalMessage {
  return typeof message === "object" && message !== null &&
    (message as { cmd?: unknown }).cmd === INTERNAL_CMD;
}

/** Builds an internal message. */
export function internal<M extends Record<string, unknown>>(fields: M): M & { cmd: typeof INTERNAL_CMD } {
  return { cmd: INTERNAL_CMD, ...fields };
}
