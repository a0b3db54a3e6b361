/**
 * The worker's side of the cluster: `cluster.worker`, the channel to the primary, `process.send`/`process.on
 * ("message")`, and the bridge through which the worker's servers ask the primary for their ports.
 *
 * @module
 */

import type {
  Adapter,
  ParentLink,
  ServerAddress,
  ServerBridge,
  ServerReply,
  TrackedServer,
  WorkerIdentity,
} from "../adapters/types.ts";
import { channelClosed } from "./errors.ts";
import { internal, type InternalMessage, isInternalMessage } from "./protocol.ts";
import { parseSendArguments } from "./send_arguments.ts";
import { Worker, type WorkerProcess } from "./worker.ts";

/** The worker's state, owned by the cluster object. */
export class Child {
  /** `cluster.worker`. */
  readonly worker: Worker;
  #adapter: Adapter;
  #link: ParentLink;
  #seq = 0;
  #pending = new Map<number, (message: InternalMessage, handle: unknown) => void>();
  #servers = new Set<TrackedServer>();
  #connectionListeners = new Map<string, (socket: unknown) => void>();
  #deliver: (message: unknown, handle: unknown) => void;
  #report: (error: Error) => void;

  /** Connects to the primary and sets up `cluster.worker`. */
  constructor(adapter: Adapter, identity: WorkerIdentity, report: (error: Error) => void) {
    this.#adapter = adapter;
    this.#report = report;
    this.#link = adapter.connectParent(identity, {
      message: (message, handle) => this.#onMessage(message, handle),
      disconnect: () => this.#onDisconnect(),
    });
    this.worker = new Worker({
      id: identity.id,
      process: adapter.currentProcess() as WorkerProcess,
      side: {
        send: (message, handle, _options, callback) => this.#sendUser(message, handle, callback),
        kill: () => this.#kill(),
        disconnect: () => this.#disconnect(false),
        isConnected: () => this.#link.connected,
        isDead: () => false,
      },
    });
    this.#deliver = adapter.installProcessMessaging({
      isInternal: isInternalMessage,
      send: (message, handle, options, callback) => {
        const parsed = parseSendArguments(message, handle, options, callback);
        return this.#sendUser(parsed.message, parsed.handle, parsed.callback);
      },
      // As in Node, process.disconnect() only closes the channel; the worker then exits (it was not asked to leave).
      // The runtime's own channel code also calls it when the primary goes away.
      disconnect: () => this.#link.disconnect(),
      connected: () => this.#link.connected,
    });
    adapter.installServerHooks(this.#bridge());
    this.worker.transition("online");
    this.#sendInternal({ act: "online" });
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
    return this.#link.send(message, handle, (error) => {
      if (callback) callback(error);
      else if (error) this.#report(error);
    });
  }

  #sendInternal(
    fields: Record<string, unknown>,
    onReply?: (message: InternalMessage, handle: unknown) => void,
  ): void {
    if (!this.#link.connected) return;
    const message = internal(fields) as Record<string, unknown>;
    if (onReply) {
      const seq = ++this.#seq;
      message.seq = seq;
      this.#pending.set(seq, onReply);
    }
    this.#link.send(message, undefined, (error) => {
      if (error && this.#link.connected) this.#report(error);
    });
  }

  #onMessage(message: unknown, handle: unknown): void {
    if (!isInternalMessage(message)) {
      // Node's worker listens on `process` before user code does, so it hears a message first.
      this.worker.emit("message", message, handle);
      this.#deliver(message, handle);
      return;
    }
    if (message.ack !== undefined) {
      const onReply = this.#pending.get(message.ack);
      this.#pending.delete(message.ack);
      onReply?.(message, handle);
      return;
    }
    if (message.act === "disconnect") this.#disconnect(true);
    else if (message.act === "newconn") {
      const listener = this.#connectionListeners.get(message.key);
      if (listener) listener(handle);
      else (handle as { destroy?: () => void } | undefined)?.destroy?.();
    }
  }

  #onDisconnect(): void {
    for (const onReply of this.#pending.values()) {
      const reply = { mode: "rr", port: -1, errno: "ERR_IPC_CHANNEL_CLOSED", error: "Channel closed" };
      onReply(internal({ act: "ack", reply }) as InternalMessage, undefined);
    }
    this.#pending.clear();
    this.worker.transition("disconnect");
    // As in Node: a worker whose channel closes without being asked to leave exits at once.
    if (!this.worker.exitedAfterDisconnect) this.#adapter.exit(0);
  }

  /** Closes every server, then the channel (telling the primary first when the worker itself asked). */
  #disconnect(primaryInitiated: boolean): void {
    this.worker.exitedAfterDisconnect = true;
    let waiting = this.#servers.size + 1;
    const step = () => {
      if (--waiting > 0) return;
      if (primaryInitiated || !this.#link.connected) this.#link.disconnect();
      else this.#sendInternal({ act: "exitedAfterDisconnect" }, () => this.#link.disconnect());
    };
    const servers = [...this.#servers];
    this.#servers.clear();
    for (const server of servers) server.close(step);
    step();
  }

  #kill(): void {
    this.worker.exitedAfterDisconnect = true;
    if (!this.#link.connected) {
      this.#adapter.exit(0);
      return;
    }
    this.worker.once("disconnect", () => this.#adapter.exit(0));
    this.#sendInternal({ act: "exitedAfterDisconnect" }, () => this.#link.disconnect());
  }

  #bridge(): ServerBridge {
    return {
      query: (request) =>
        new Promise<ServerReply>((resolve) => {
          if (!this.#link.connected) {
            resolve({ mode: "rr", port: -1, errno: "ERR_IPC_CHANNEL_CLOSED", error: "Channel closed" });
            return;
          }
          this.#sendInternal({ act: "queryServer", request }, (reply, handle) => {
            const answer = (reply as { reply?: ServerReply }).reply;
            resolve(
              answer
                ? { ...answer, handle }
                : { mode: "rr", port: -1, errno: "EPROTO", error: "The primary sent no reply" },
            );
          });
        }),
      listening: (key: string, address: ServerAddress) =>
        this.#sendInternal({ act: "listening", key, address }),
      closed: (key: string) => this.#sendInternal({ act: "close", key }),
      track: (server: TrackedServer) => {
        this.#servers.add(server);
        return () => this.#servers.delete(server);
      },
      onConnection: (key, listener) => {
        if (listener) this.#connectionListeners.set(key, listener);
        else this.#connectionListeners.delete(key);
      },
    };
  }
}
