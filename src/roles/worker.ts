/**
 * The worker's role (Node's `child.js`): `cluster.worker`, the channel to the primary, `process.send` and
 * `process.on("message")`, and the bridge through which the worker's servers share their ports.
 *
 * @module
 */

import type { WorkerAdapter } from "../contract/adapter.ts";
import type { ParentLink, WorkerIdentity } from "../contract/channel.ts";
import { channelClosed } from "../errors.ts";
import { createInternalChannel, type InternalChannel } from "../internal_channel.ts";
import {
  dispatch,
  type Handlers,
  internal,
  isInternalMessage,
  type PrimaryToWorker,
  type WorkerToPrimary,
} from "../protocol.ts";
import { parseSendArguments } from "../send_arguments.ts";
import { dropConnection } from "../sharing/connection.ts";
import { Worker, type WorkerProcess } from "../worker.ts";
import { WorkerServers } from "./worker_servers.ts";

/** The primary's answer to a request: a port (`reply`) or a datagram's fate (`sent`), and maybe a handle. */
/** The extension act a worker's heartbeat travels under (see the `heartbeatInterval` setting). */
export const HEARTBEAT_ACT = "unicluster:heartbeat";

type ReplyHandler = (answer: Extract<PrimaryToWorker, { act: "ack" }>, handle: unknown) => void;

/** The worker's state, owned by the cluster object. */
export class WorkerRole {
  /** `cluster.worker`. */
  readonly worker: Worker;
  /** Extension messages (`cluster.internal`). */
  readonly internal: InternalChannel;
  #adapter: WorkerAdapter;
  #link: ParentLink;
  #servers: WorkerServers;
  #seq = 0;
  #pending = new Map<number, ReplyHandler>();
  #report: (error: Error) => void;
  #receiveExtension: ReturnType<typeof createInternalChannel>["receive"];

  /** Connects to the primary, sets up `cluster.worker` and the server hooks, and says `online`. */
  constructor(adapter: WorkerAdapter, identity: WorkerIdentity, report: (error: Error) => void) {
    this.#adapter = adapter;
    this.#report = report;
    this.#link = adapter.connectParent(identity, {
      message: (message, handle) => this.#onMessage(message, handle),
      disconnect: () => this.#onDisconnect(),
    }, {
      send: (message, handle, options, callback) => {
        const parsed = parseSendArguments(message, handle, options, callback);
        return this.#sendUser(parsed.message, parsed.handle, parsed.callback);
      },
      // As in Node, process.disconnect() only closes the channel; the worker then exits (it was not asked to leave).
      // The runtime's own channel code also calls it when the primary goes away.
      disconnect: () => this.#link.disconnect(),
      connected: () => this.#link.connected,
      isInternal: isInternalMessage,
    });
    this.worker = new Worker({
      id: identity.id,
      process: adapter.currentProcess() as WorkerProcess,
      control: {
        send: (message, handle, _options, callback) => this.#sendUser(message, handle, callback),
        kill: () => this.#kill(),
        disconnect: () => this.#disconnect(false),
        isConnected: () => this.#link.connected,
        isDead: () => false,
      },
    });
    const extensions = createInternalChannel((_worker, message) => this.#tell(message));
    this.internal = extensions.channel;
    this.#receiveExtension = extensions.receive;
    this.#servers = new WorkerServers({
      connected: () => this.#link.connected,
      ask: (message, onReply) => this.#ask(message, onReply),
      tell: (message) => this.#tell(message),
    });
    adapter.installServerHooks(this.#servers.bridge);
    this.worker.transition("online");
    this.#tell({ act: "online" });
    if (identity.heartbeat) {
      const body = { act: "ext" as const, name: HEARTBEAT_ACT, body: undefined as unknown };
      adapter.startHeartbeat(identity.heartbeat, (stats) => this.#tell({ ...body, body: stats }));
    }
  }

  #sendUser(
    message: unknown,
    handle: unknown,
    callback: ((error: Error | null) => void) | undefined,
  ): boolean {
    if (!this.#link.connected) {
      const error = channelClosed();
      queueMicrotask(() => callback ? callback(error) : this.#report(error));
      return false;
    }
    // Without a callback, the link reports a failure as an `error` on the process, as Node's `process.send`
    // does, and the worker's `error` event has it from there (no callback per message on the way).
    return this.#link.send(message, handle, callback);
  }

  /** Sends an internal message (and maybe a handle) that needs no answer; false when the channel is closed. */
  #tell(message: WorkerToPrimary, seq?: number, handle?: unknown): boolean {
    if (!this.#link.connected) return false;
    return this.#link.send(internal(message, seq), handle, (error) => {
      if (error && this.#link.connected) this.#report(error);
    });
  }

  /** Sends an internal message and waits for the primary's `ack` (none when the channel closes first). */
  #ask(message: WorkerToPrimary, onReply: ReplyHandler): void {
    const seq = ++this.#seq;
    this.#pending.set(seq, onReply);
    if (!this.#tell(message, seq)) this.#pending.delete(seq);
  }

  #onMessage(message: unknown, handle: unknown): void {
    if (isInternalMessage(message)) {
      dispatch(this.#handlers, this, message, handle);
      return;
    }
    // `cluster.worker` listens on `process` (as Node's Worker does), before user code, so it hears it first.
    this.#link.deliver(message, handle);
  }

  #handlers: Handlers<PrimaryToWorker, WorkerRole> = {
    disconnect: () => this.#disconnect(true),
    newconn: (_role, message, handle) =>
      this.#servers.accept(message.key, handle, (accepted) => {
        // A refused connection goes to another worker: from the primary's own copy when it kept one, else sent
        // back.
        const giveBack = !accepted && !message.keep ? handle : undefined;
        if (!accepted && message.keep) dropConnection(handle);
        if (message.seq !== undefined) {
          this.#tell({ act: "ack", ack: message.seq, accepted }, undefined, giveBack);
        }
      }),
    ack: (_role, message, handle) => {
      const onReply = this.#pending.get(message.ack);
      this.#pending.delete(message.ack);
      onReply?.(message, handle);
    },
    datagram: (_role, message) => this.#servers.datagram(message.key, message.data, message.rinfo),
    ext: (_role, message) => this.#receiveExtension(this.worker, message),
  };

  #onDisconnect(): void {
    // As Node: a request the primary never answered stays unanswered (a server still asking for its port never
    // listens, and reports no error: the worker is going away).
    this.#pending.clear();
    this.worker.transition("disconnect");
    // As in Node: a worker whose channel closes without being asked to leave exits at once.
    if (!this.worker.exitedAfterDisconnect) this.#adapter.exit(0);
  }

  /** Closes every server, then the channel (telling the primary first when the worker itself asked). */
  #disconnect(primaryInitiated: boolean): void {
    this.worker.exitedAfterDisconnect = true;
    this.#servers.closeAll(() => {
      if (primaryInitiated || !this.#link.connected) this.#link.disconnect();
      else this.#ask({ act: "exitedAfterDisconnect" }, () => this.#link.disconnect());
    });
  }

  #kill(): void {
    this.worker.exitedAfterDisconnect = true;
    if (!this.#link.connected) {
      this.#adapter.exit(0);
      return;
    }
    this.worker.once("disconnect", () => this.#adapter.exit(0));
    this.#ask({ act: "exitedAfterDisconnect" }, () => this.#link.disconnect());
  }
}
