/**
 * In a worker, a `dgram` socket's `bind()` goes through the primary, as under Node's cluster (where workers share
 * one UDP handle): the primary binds the socket and hands each datagram to one of the workers that bound it, and
 * a worker's `send()` goes out through that same socket, so replies come from the shared port. The user's socket
 * object stays the one they made: `address()`, `send()`, `close()` and the `listening`, `message` and `close`
 * events work as on a bound socket; options that act on the socket itself (`setTTL`, memberships) do not reach
 * the primary's. `bind({ exclusive: true })` and `bind({ fd })` bypass the primary, as in Node.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type dgram from "node:dgram";
import type { DatagramSent, ServerBridge, ServerReply, ServerRequest } from "../../src/contract/mod.ts";
import { withCode } from "../../src/errors.ts";
import { dgramModule } from "../shared/lazy_builtin.ts";
import { refusal } from "./native.ts";

type Callback = (...args: unknown[]) => void;

interface BindArguments {
  port: number;
  address: string | undefined;
  exclusive: boolean;
  fd: number | undefined;
  callback: Callback | undefined;
}

/** `bind()`'s overloads, as node:dgram sorts them out. */
function parseBind(args: unknown[]): BindArguments {
  const last = args[args.length - 1];
  const callback = typeof last === "function" ? last as Callback : undefined;
  const first = args[0];
  if (first !== null && typeof first === "object") {
    const options = first as { port?: unknown; address?: unknown; exclusive?: unknown; fd?: unknown };
    return {
      port: Number(options.port ?? 0),
      address: typeof options.address === "string" ? options.address : undefined,
      exclusive: options.exclusive === true,
      fd: typeof options.fd === "number" ? options.fd : undefined,
      callback,
    };
  }
  return {
    port: typeof first === "function" || first === undefined ? 0 : Number(first),
    address: typeof args[1] === "string" ? args[1] : undefined,
    exclusive: false,
    fd: undefined,
    callback,
  };
}

/** The socket's own options (`ipv6Only`, `reuseAddr`), from the runtime's private state object. */
function socketOptions(socket: object): { ipv6Only?: boolean; reuseAddr?: boolean } {
  for (const symbol of Object.getOwnPropertySymbols(socket)) {
    const state = (socket as Record<symbol, unknown>)[symbol];
    if (state !== null && typeof state === "object" && ("reuseAddr" in state || "ipv6Only" in state)) {
      const { ipv6Only, reuseAddr } = state as { ipv6Only?: unknown; reuseAddr?: unknown };
      return { ipv6Only: ipv6Only === true, reuseAddr: reuseAddr === true };
    }
  }
  return {};
}

/** Patches `dgram.Socket.prototype.bind` in this worker. */
export function installDgramHooks(bridge: ServerBridge): void {
  const proto = dgramModule().Socket.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originalBind = proto.bind;
  const originalClose = proto.close;
  proto.bind = function (this: dgram.Socket, ...args: unknown[]) {
    const parsed = parseBind(args);
    if (parsed.exclusive || parsed.fd !== undefined) return originalBind.apply(this, args);
    const transport = (this as unknown as { type?: string }).type === "udp6" ? "udp6" : "udp4";
    const address = parsed.address ?? (transport === "udp6" ? "::" : "0.0.0.0");
    const options = socketOptions(this);
    const request: ServerRequest = {
      key: `${address}:${parsed.port}:${transport}:-1`,
      address,
      port: parsed.port,
      addressType: transport === "udp6" ? 6 : 4,
      fd: -1,
      prefersReusePort: false,
      transport,
      ipv6Only: options.ipv6Only,
      reuseAddr: options.reuseAddr,
    };
    if (parsed.callback) this.once("listening", parsed.callback);
    // Sends wait for the primary's answer, as Node queues them while a bind is under way: the runtime's own send()
    // would meanwhile bind the socket by itself, to a port of its own that the worker's disconnect never closes.
    const queued: unknown[][] = [];
    Object.defineProperty(this, "send", {
      value: (...more: unknown[]) => queued.push(more),
      configurable: true,
    });
    bridge.query(request).then((reply) => {
      if (reply.errno === undefined) {
        adopt(this, bridge, request, reply, originalClose);
        for (const sendArgs of queued) this.send(...(sendArgs as Parameters<dgram.Socket["send"]>));
        return;
      }
      // Node drops the sends queued behind a failed bind; the socket's send is the runtime's again.
      delete (this as { send?: unknown }).send;
      bridge.closed(request.key);
      const { errno, message } = refusal(reply, request);
      this.emit(
        "error",
        Object.assign(new Error(message.replace("listen", "bind")), { code: errno, syscall: "bind" }),
      );
    });
    return this;
  };
}

/** Makes a user's socket stand for its share of the primary's socket. */
function adopt(
  socket: dgram.Socket,
  bridge: ServerBridge,
  request: ServerRequest,
  reply: ServerReply,
  originalClose: (...args: unknown[]) => unknown,
): void {
  const key = request.key;
  const bound = {
    address: reply.address ?? request.address ?? "0.0.0.0",
    family: reply.family,
    port: reply.port,
  };
  let open = true;
  // Closed by the worker's disconnect, not by the user: as under Node, where the cluster closes the handle under a
  // socket that still looks bound, a send from then on fails only through its callback.
  let disconnected = false;
  const notRunning = () => withCode(new Error("Not running"), "ERR_SOCKET_DGRAM_NOT_RUNNING");
  const close = (callback?: Callback) => {
    if (!open) throw notRunning();
    open = false;
    untrack();
    bridge.onDatagram(key, undefined);
    bridge.closed(key);
    return originalClose.call(socket, callback);
  };
  const untrack = bridge.track({
    close: (done) => {
      if (!open) return done();
      disconnected = true;
      close(() => done());
    },
  });
  Object.defineProperties(socket, {
    address: {
      value: () =>
        open ? { ...bound } : (() => {
          throw notRunning();
        })(),
      configurable: true,
    },
    close: { value: close, configurable: true },
    send: {
      value: (...args: unknown[]) => {
        if (!open && !disconnected) throw notRunning();
        relaySend(socket, bridge, key, request.transport!, args, () => disconnected);
      },
      configurable: true,
    },
  });
  bridge.onDatagram(key, (data, rinfo) => socket.emit("message", Buffer.from(data, "base64"), rinfo));
  bridge.listening(key, {
    address: request.address,
    port: reply.port,
    addressType: request.transport!,
    fd: -1,
    mode: "dgram",
  });
  socket.emit("listening");
}

/**
 * `send(msg[, offset, length][, port][, address][, callback])`, through the primary's socket. Once the worker's
 * disconnect has closed the socket (`disconnected()`), a failure goes to the callback only: nobody is left to
 * handle an `error` event then.
 */
function relaySend(
  socket: dgram.Socket,
  bridge: ServerBridge,
  key: string,
  type: string,
  args: unknown[],
  disconnected: () => boolean,
): void {
  let [buffer, offset, length, port, address, callback] = args;
  if (address || (port && typeof port !== "function")) buffer = slice(toBuffer(buffer), offset, length);
  else [callback, port, address] = [port, offset, length];
  if (typeof address === "function") [callback, address] = [address, undefined];
  const to = typeof address === "string" ? address : type === "udp6" ? "::1" : "127.0.0.1";
  const bytes = toBuffer(buffer);
  const sending: Promise<DatagramSent> = disconnected()
    ? Promise.resolve({ bytes: 0, errno: "ERR_SOCKET_DGRAM_NOT_RUNNING", error: "Not running" })
    : bridge.sendDatagram(key, bytes.toString("base64"), Number(port), to);
  sending.then((sent) => {
    const error = sent.errno === undefined ? null : withCode(new Error(sent.error ?? sent.errno), sent.errno);
    if (typeof callback === "function") callback(error, sent.bytes);
    else if (error && !disconnected()) socket.emit("error", error);
  });
}

function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === "string") return Buffer.from(value);
  if (Array.isArray(value)) return Buffer.concat(value.map(toBuffer));
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw withCode(
    new TypeError('The "buffer" argument must be a Buffer, TypedArray, DataView or string'),
    "ERR_INVALID_ARG_TYPE",
  );
}

function slice(buffer: Buffer, offset: unknown, length: unknown): Buffer {
  const start = Number(offset) >>> 0;
  const size = Number(length) >>> 0;
  if (start > buffer.byteLength) {
    throw withCode(new RangeError('"offset" is outside of buffer bounds'), "ERR_BUFFER_OUT_OF_BOUNDS");
  }
  if (start + size > buffer.byteLength) {
    throw withCode(new RangeError('"length" is outside of buffer bounds'), "ERR_BUFFER_OUT_OF_BOUNDS");
  }
  return buffer.subarray(start, start + size);
}
