/**
 * The Deno primary's link to a worker started with `Deno.Command`, which has no IPC channel and passes no extra
 * file descriptors: messages travel over the socket channel (../ipc/socket/), which the worker joins with the
 * token in its identity.
 *
 * @module
 */

import type { ChildEvents, SpawnRequest, StdioEntry, WorkerIdentity } from "../../src/contract/mod.ts";
import { handlesUnsupported, unavailable } from "../../src/errors.ts";
import { newToken, type PendingPeer, sharedChannelAcceptor } from "../ipc/socket/acceptor.ts";
import { SocketChannel } from "../ipc/socket/channel.ts";
import { RELAY_KEY, RETURN_KEY, SocketRelay } from "../ipc/socket/relay.ts";
import { netModule } from "../shared/lazy_builtin.ts";
import { withServerTraps } from "../bun/server_traps.ts";
import {
  ChildLinkBase,
  nodeReadable,
  nodeWritable,
  stdioEntries,
  workerEnvironment,
} from "../shared/child_link_base.ts";
import { checkWorkerPermissions, withEarlyChannel, withIdentityGrant } from "./command_line.ts";
import { type DenoChildProcess, type DenoNamespace, type DenoStdio, granted } from "./globals.ts";

/** Maps Node-style stdio entries for fds 0-2 to `Deno.Command`'s; refuses what Deno cannot do. */
function denoStdio(entries: readonly StdioEntry[]): [DenoStdio, DenoStdio, DenoStdio] {
  const mapped: DenoStdio[] = [];
  for (let fd = 0; fd < 3; fd++) {
    const entry = entries[fd];
    if (entry === undefined || entry === null || entry === "pipe") mapped.push("piped");
    else if (entry === "inherit" || entry === fd) mapped.push("inherit");
    else if (entry === "ignore" || entry === "ipc") mapped.push("null");
    else throw unavailable(`Deno.Command cannot connect the worker's fd ${fd} to ${String(entry)}`);
  }
  for (let fd = 3; fd < entries.length; fd++) {
    const entry = entries[fd];
    if (entry !== undefined && entry !== null && entry !== "ipc" && entry !== "ignore") {
      throw unavailable(
        `Deno.Command gives a child no extra file descriptors (stdio[${fd}] is ${String(entry)})`,
      );
    }
  }
  return mapped as [DenoStdio, DenoStdio, DenoStdio];
}

/** The error Node gives for a worker that could not be started (`spawn <file> ENOENT`). */
function spawnError(error: unknown, request: SpawnRequest, args: string[]): Error {
  const code = (error as { code?: unknown } | null)?.code;
  const errno = code === "EACCES" ? -13 : -2;
  const name = typeof code === "string" ? code : "ENOENT";
  return Object.assign(new Error(`spawn ${request.execPath} ${name}`, { cause: error }), {
    code: name,
    errno,
    syscall: `spawn ${request.execPath}`,
    path: request.execPath,
    spawnargs: args,
  });
}

/** The primary's end of one worker started with `Deno.Command`. */
export class DenoChildLink extends ChildLinkBase {
  /** Sockets pass through a relay (./../ipc/socket/relay.ts); server handles cannot pass. */
  readonly canPassHandles: boolean = true;
  /** A relayed socket stays the primary's until the worker took it. */
  override readonly keepsHandles: boolean = true;
  /** Deno has no way to send a file descriptor to a `Deno.Command` child: sockets are relayed. */
  override readonly relaysHandles: boolean = true;
  /** Relays waiting for the worker's answer, by the socket they carry. */
  #relays = new Map<unknown, SocketRelay>();
  /** Every relay of this worker, by token, for a socket the worker sends back. */
  #relaysByToken = new Map<string, SocketRelay>();
  #child: DenoChildProcess | undefined;
  #channel: SocketChannel;
  #pending: PendingPeer | undefined;
  #stdio: [DenoStdio, DenoStdio, DenoStdio];
  #streams: { stdin?: unknown; stdout?: unknown; stderr?: unknown } = {};

  /**
   * Starts the worker. Throws synchronously for what cannot be honoured (stdio Deno cannot map, missing
   * permissions); reports a failed start (executable not found) as Node does: `error`, then `disconnect`, then
   * `exit(-2, null)`, asynchronously.
   */
  constructor(deno: DenoNamespace, request: SpawnRequest, events: ChildEvents) {
    super(events);
    this.#stdio = denoStdio(stdioEntries(request));
    checkWorkerPermissions(deno, request);
    const execArgv = withEarlyChannel(deno, request, withIdentityGrant(request));
    this.#channel = new SocketChannel(request.serialization, {
      message: (message) => this.#received(message),
      error: (error) => this.reportError(error),
      close: () => this.reportDisconnect(),
    });
    const path = sharedChannelAcceptor().open();
    const token = newToken();
    const identity: WorkerIdentity = {
      ...request.identity,
      channel: "socket",
      path,
      token,
      serialization: request.serialization,
    };
    const args = [...withServerTraps(request.runtime, execArgv), request.exec, ...request.args];
    const pending = sharedChannelAcceptor().expect(request.identity.id, token);
    let child: DenoChildProcess;
    try {
      // https://docs.deno.com/api/deno/~/Deno.Command
      child = new deno.Command(request.execPath, {
        args,
        cwd: request.cwd,
        env: workerEnvironment(request, identity),
        // request.env is the complete environment when this process could read its own; without --allow-env it
        // holds only fork()'s additions, and the worker inherits the rest from the OS, as under Node.
        clearEnv: granted(deno, { name: "env" }),
        stdin: this.#stdio[0],
        stdout: this.#stdio[1],
        stderr: this.#stdio[2],
        ...(request.uid !== undefined ? { uid: request.uid } : {}),
        ...(request.gid !== undefined ? { gid: request.gid } : {}),
      }).spawn();
    } catch (error) {
      pending.cancel();
      // After the core has seen the fork (a timer, not a microtask).
      setTimeout(() => {
        this.#channel.destroy();
        this.reportError(spawnError(error, request, [request.execPath, ...args]));
        this.reportExited(-2, null);
      }, 0);
      return;
    }
    this.#child = child;
    this.#pending = pending;
    queueMicrotask(() => this.reportSpawn());
    pending.connection.then((peer) => {
      this.#pending = undefined;
      if (peer === null) this.#channel.destroy();
      else this.#channel.attach(peer.socket, peer.received);
    });
    child.status.then((status) => {
      this.reportExited(status.code, status.signal);
      if (this.#pending === undefined) return;
      // A worker that never connected (it failed early): stop waiting, which closes the channel. Only once the
      // endpoint has given up every connection queued on it: the worker may have connected, sent and ended while
      // this process was busy, and its messages come before its disconnect and exit.
      void sharedChannelAcceptor().settled().then(() => this.#pending?.cancel());
    });
  }

  /** Process id (undefined if the start failed). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Whether the channel is open (messages sent before the worker connects are queued). */
  get connected(): boolean {
    return this.#channel.connected;
  }

  /** The worker's stdin when piped, as a Node `Writable` (as on Node's `ChildProcess`), else null. */
  get stdin(): unknown {
    return this.#streams.stdin ??= this.#stdio[0] === "piped" ? nodeWritable(this.#child?.stdin) : null;
  }

  /** The worker's stdout when piped, as a Node `Readable`, else null. */
  get stdout(): unknown {
    return this.#streams.stdout ??= this.#stdio[1] === "piped" ? nodeReadable(this.#child?.stdout) : null;
  }

  /** The worker's stderr when piped, as a Node `Readable`, else null. */
  get stderr(): unknown {
    return this.#streams.stderr ??= this.#stdio[2] === "piped" ? nodeReadable(this.#child?.stderr) : null;
  }

  /**
   * Sends a message; a socket goes with it through a relay (with `keepOpen`, joined only once the worker took it).
   * Any other handle cannot pass: false, and the error goes to the callback or the worker's `error` event. Throws
   * for a message that cannot be encoded, as Node does.
   */
  send(
    message: unknown,
    handle: unknown,
    callback: ((error: Error | null) => void) | undefined,
    keepOpen = false,
  ): boolean {
    if (handle === undefined || handle === null) return this.#channel.send(message, undefined, callback);
    if (!(handle instanceof netModule().Socket)) {
      // As Node reports a send that fails: to the callback, or as the worker's `error` event; never a throw.
      const error = handlesUnsupported();
      queueMicrotask(() => callback ? callback(error) : this.reportError(error));
      return false;
    }
    const relay = new SocketRelay(handle, sharedChannelAcceptor());
    this.#relaysByToken.set(relay.ticket.token, relay);
    handle.once("close", () => this.#relaysByToken.delete(relay.ticket.token));
    if (keepOpen) this.#relays.set(handle, relay);
    else relay.take();
    return this.#channel.send({ [RELAY_KEY]: relay.ticket, message }, undefined, callback);
  }

  /** A message from the worker; one that gives back a relayed socket comes with the original socket. */
  #received(message: unknown): void {
    const token = (message as Record<string, unknown> | null)?.[RETURN_KEY];
    if (typeof token !== "string") return this.reportMessage(message, undefined);
    const relay = this.#relaysByToken.get(token);
    this.#relaysByToken.delete(token);
    this.reportMessage((message as { message: unknown }).message, relay?.unjoin());
  }

  /** The worker took a relayed socket (join it) or refused it (it stays the primary's, untouched). */
  release(handle: unknown, taken: boolean): void {
    const relay = this.#relays.get(handle);
    this.#relays.delete(handle);
    if (taken) relay?.take();
    else relay?.giveUp();
  }

  /** Closes the channel (after flushing what was sent). */
  disconnect(): void {
    this.#channel.disconnect();
  }

  /** Signals the process (Deno throws once it has ended). */
  protected signal(signal: string): boolean {
    if (this.#child === undefined) return false;
    this.#child.kill(signal);
    return true;
  }
}
