/**
 * The internal messages between a primary and its workers.
 *
 * They share the channel with user messages, as in Node's cluster, but carry `cmd: "UNICLUSTER"`, which user code
 * never sees: the roles filter them out before any `message` listener runs. (Node's own prefix, `NODE_`, is
 * avoided on purpose: Node's child_process would divert such messages away from our listeners.)
 *
 * Each role handles the acts it receives through a table ({@link Handlers}, Node's `methodMessageMapping`). Acts
 * with a colon (`"sup:ping"`) belong to extensions, layers built on the cluster such as a supervisor: they travel
 * as `{act: "ext", name, body}` and reach the handlers registered with `cluster.internal`.
 *
 * @module
 */

import type { InternalCmd } from "./contract/channel.ts";
import type {
  DatagramInfo,
  DatagramSent,
  ServerAddress,
  ServerReply,
  ServerRequest,
} from "./contract/sharing.ts";

/** The `cmd` value that marks an internal message. */
export const INTERNAL_CMD: InternalCmd = "UNICLUSTER";

/** The name of the environment variable that carries a worker's identity. */
export const IDENTITY_VARIABLE = "UNICLUSTER_WORKER";

/** Fields every internal message has: the marker, and a sequence number when it expects a reply. */
interface Envelope {
  cmd: typeof INTERNAL_CMD;
  seq?: number;
}

/** What a worker sends to its primary. */
export type WorkerToPrimary =
  | { act: "online" }
  | { act: "listening"; key: string; address: ServerAddress }
  | { act: "exitedAfterDisconnect" }
  | { act: "close"; key: string }
  | { act: "queryServer"; request: ServerRequest }
  | { act: "ack"; ack: number; accepted: boolean }
  | { act: "sendto"; key: string; data: string; port: number; address: string }
  | ExtensionMessage;

/** What a primary sends to a worker. */
export type PrimaryToWorker =
  | { act: "disconnect" }
  | { act: "newconn"; key: string; keep?: boolean }
  | { act: "datagram"; key: string; data: string; rinfo: DatagramInfo }
  | { act: "ack"; ack: number; reply?: ServerReply; sent?: DatagramSent }
  | ExtensionMessage;

/** An extension's message: `name` is namespaced (`"sup:ping"`). */
export interface ExtensionMessage {
  /** Always `ext`. */
  act: "ext";
  /** The extension act, `namespace:name`. */
  name: string;
  /** The payload. */
  body: unknown;
}

/** Any internal message. */
export type InternalMessage = Envelope & (WorkerToPrimary | PrimaryToWorker);

/** The acts of a message union. */
export type ActOf<M extends { act: string }> = M["act"];

/** A table with one handler per act of `M`, each getting the message of its act. */
export type Handlers<M extends { act: string }, Context> = {
  [A in ActOf<M>]: (context: Context, message: Envelope & Extract<M, { act: A }>, handle: unknown) => void;
};

/** Whether a message is one of unicluster's own. */
export function isInternalMessage(message: unknown): message is InternalMessage {
  return typeof message === "object" && message !== null &&
    (message as { cmd?: unknown }).cmd === INTERNAL_CMD;
}

/** Runs the handler for a message's act; a message whose act has no handler is dropped. */
export function dispatch<M extends { act: string }, Context>(
  handlers: Handlers<M, Context>,
  context: Context,
  message: InternalMessage,
  handle: unknown,
): void {
  type Handler = (c: Context, m: InternalMessage, h: unknown) => void;
  if (!Object.hasOwn(handlers, message.act)) return;
  (handlers as unknown as Record<string, Handler>)[message.act](context, message, handle);
}

/** Wraps message fields as an internal message. */
export function internal<M extends WorkerToPrimary | PrimaryToWorker>(fields: M, seq?: number): Envelope & M {
  return seq === undefined ? { cmd: INTERNAL_CMD, ...fields } : { cmd: INTERNAL_CMD, seq, ...fields };
}

/** The pattern extension acts follow: a namespace, a colon, a name. */
const EXTENSION_ACT = /^[A-Za-z][\w-]*:[\w:.-]+$/;

/** Whether `name` is a valid extension act. */
export function isExtensionAct(name: unknown): name is string {
  return typeof name === "string" && EXTENSION_ACT.test(name);
}
