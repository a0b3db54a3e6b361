/**
 * The Deno primary's link to one worker: the process is started with `Deno.Command` (which has no IPC channel and
 * passes no extra file descriptors), and messages travel over the shared socket channel server
 * (./socket_channel.ts). Exits are reported as Node reports them.
 *
 * @module
 */

import { Readable, Writable } from "node:stream";
import { type DenoChildProcess, type DenoNamespace, type DenoStdio, granted } from "./deno_global.ts";
import { newToken, type PendingPeer, sharedSocketChannelServer, SocketChannel } from "./socket_channel.ts";
import { withCode } from "./socket_framing.ts";
import type { ChildEvents, ChildLink, SpawnRequest, StdioEntry, WorkerIdentity } from "./types.ts";

/** How long the channel may stay open after the process ended before it is closed by force. */
const CHANNEL_GRACE_MS = 2000;

function unavailable(message: string): Error {
  return withCode(new Error(message), "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM");
}

function accessDenied(message: string, cause: unknown): Error {
  return withCode(new Error(message, { cause }), "ERR_ACCESS_DENIED");
}

function isNotCapable(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === "NotCapable" ||
    (name === "PermissionDenied" && (error as { code?: unknown }).code !== "EACCES");
}

/** Maps Node-style stdio entries for fds 0-2 to `Deno.Command`'s; refuses what Deno cannot do. */
export function denoStdio(request: SpawnRequest): [DenoStdio, DenoStdio, DenoStdio] {
  const entries: readonly StdioEntry[] = request.stdio ??
    (request.silent ? ["pipe", "pipe", "pipe"] : ["inherit", "inherit", "inherit"]);
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

/** Whether runtime arguments already let a Deno worker read environment variable `name`. */
function readsVariable(execArgv: readonly string[], name: string): boolean {
  const listed = (value: string) => value.split(",").includes(name);
  let allowed = false;
  for (const arg of execArgv) {
    if (arg === "-A" || arg === "--allow-all" || arg === "-E" || arg === "--allow-env") allowed = true;
    else if (arg.startsWith("--allow-env=") && listed(arg.slice("--allow-env=".length))) allowed = true;
    else if (arg.startsWith("-E=") && listed(arg.slice(3))) allowed = true;
    else if (arg === "--deny-env" || (arg.startsWith("--deny-env=") && listed(arg.slice(11)))) return false;
  }
  return allowed;
}

/**
 * The runtime arguments for a Deno worker, made sure to let it read its identity variable: a worker that cannot
 * would take itself for a primary and fork workers of its own. The grant is added only if this primary holds it.
 */
function workerExecArgv(deno: DenoNamespace, request: SpawnRequest): string[] {
  const argv = [...request.execArgv];
  if (request.runtime !== "deno" || readsVariable(argv, request.identityVariable)) return argv;
  if (!granted(deno, { name: "env", variable: request.identityVariable })) {
    throw accessDenied(
      `A Deno worker reads its identity from the ${request.identityVariable} environment variable, and a worker ` +
        `never gets more permissions than its primary: run the primary with --allow-env (or at least ` +
        `--allow-env=${request.identityVariable})`,
      undefined,
    );
  }
  argv.splice(argv[0] === "run" ? 1 : 0, 0, `--allow-env=${request.identityVariable}`);
  return argv;
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
export class DenoChildLink implements ChildLink {
  /** Deno cannot pass socket or server handles to a child. */
  readonly canPassHandles: boolean = false;
  #child: DenoChildProcess | undefined;
  #channel: SocketChannel;
  #pending: PendingPeer | undefined;
  #exit: { code: number | null; signal: string | null } | undefined;
  #events: ChildEvents;
  #stdio: [DenoStdio, DenoStdio, DenoStdio];
  #disconnected = false;
  #streams: { stdin?: Writable | null; stdout?: Readable | null; stderr?: Readable | null } = {};

  /**
   * Starts the worker. Throws synchronously for what cannot be honoured (advanced serialization with another
   * runtime, stdio Deno cannot map, missing permissions); reports a failed start (executable not found) as Node
   * does: `error`, then `disconnect`, then `exit(-2, null)`, asynchronously.
   */
  constructor(deno: DenoNamespace, request: SpawnRequest, events: ChildEvents) {
    this.#events = events;
    if (request.serialization === "advanced" && request.runtime !== "deno") {
      throw withCode(
        new TypeError(
          `serialization 'advanced' works only between Deno processes (the worker runs on ${request.runtime}); use 'json'`,
        ),
        "ERR_INVALID_ARG_VALUE",
      );
    }
    this.#stdio = denoStdio(request);
    const execArgv = workerExecArgv(deno, request);
    this.#channel = new SocketChannel(request.serialization, {
      message: (message) => events.message(message, undefined),
      error: (error) => events.error(error),
      close: () => this.#reportDisconnect(),
    });
    const server = sharedSocketChannelServer();
    let path: string;
    try {
      path = server.open();
    } catch (error) {
      if (!isNotCapable(error)) throw error;
      throw accessDenied(
        "The Deno adapter talks to its workers over a unix socket, which Deno allows only with unrestricted " +
          "--allow-net (a grant cannot name an abstract socket): run the primary with --allow-net",
        error,
      );
    }
    const token = newToken();
    const identity: WorkerIdentity = {
      ...request.identity,
      channel: "socket",
      path,
      token,
      serialization: request.serialization,
    };
    const args = [...execArgv, request.exec, ...request.args];
    const pending = server.expect(request.identity.id, token);
    let child: DenoChildProcess;
    try {
      child = new deno.Command(request.execPath, {
        args,
        cwd: request.cwd,
        env: { ...request.env, [request.identityVariable]: JSON.stringify(identity) },
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
      if (isNotCapable(error)) {
        throw accessDenied(
          `Deno refused to start the worker (${request.execPath}): run the primary with --allow-run`,
          error,
        );
      }
      this.#failedStart(spawnError(error, request, [request.execPath, ...args]));
      return;
    }
    this.#child = child;
    this.#pending = pending;
    queueMicrotask(() => events.spawn());
    pending.connection.then((peer) => {
      this.#pending = undefined;
      if (peer === null) this.#channel.destroy();
      else this.#channel.attach(peer.socket, peer.received);
    });
    child.status.then((status) => this.#exited(status.code, status.signal));
  }

  /** Reports a start that failed, after the core has seen the fork (a timer, not a microtask). */
  #failedStart(error: Error): void {
    setTimeout(() => {
      this.#exit = { code: -2, signal: null };
      this.#events.error(error);
      this.#reportDisconnect();
      this.#events.exit(-2, null);
      this.#channel.destroy();
    }, 0);
  }

  #reportDisconnect(): void {
    if (this.#disconnected) return;
    this.#disconnected = true;
    this.#events.disconnect();
  }

  #exited(code: number, signal: string | null): void {
    // Deno reports a signal death as code 128 + n and the signal; Node gives (null, signal).
    this.#exit = signal !== null ? { code: null, signal } : { code, signal: null };
    // A worker that never connected (it failed early): stop waiting, which closes the channel.
    this.#pending?.cancel();
    this.#events.exit(this.#exit.code, this.#exit.signal);
    // The kernel closes the worker's end on exit; messages it sent before are still read. Should something else
    // hold the socket open, close it anyway.
    if (this.#channel.attached) {
      const timer = setTimeout(() => this.#channel.destroy(), CHANNEL_GRACE_MS);
      (timer as { unref?: () => void }).unref?.();
    }
  }

  /** Process id (undefined if the start failed). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Exit code, or null while running or after a signal. */
  get exitCode(): number | null {
    return this.#exit?.code ?? null;
  }

  /** The signal that ended the process, or null. */
  get signalCode(): string | null {
    return this.#exit?.signal ?? null;
  }

  /** Whether the channel is open (messages sent before the worker connects are queued). */
  get connected(): boolean {
    return this.#channel.connected;
  }

  /** The worker's stdin when piped, as a Node `Writable` (as on Node's `ChildProcess`), else null. */
  get stdin(): unknown {
    if (this.#streams.stdin === undefined) {
      const web = this.#stdio[0] === "piped" ? this.#child?.stdin : undefined;
      this.#streams.stdin = web === undefined ? null : Writable.fromWeb(web as never);
    }
    return this.#streams.stdin;
  }

  /** The worker's stdout when piped, as a Node `Readable`, else null. */
  get stdout(): unknown {
    return this.#streams.stdout ??= this.#readable(1);
  }

  /** The worker's stderr when piped, as a Node `Readable`, else null. */
  get stderr(): unknown {
    return this.#streams.stderr ??= this.#readable(2);
  }

  /** Deno pipes a child's output as a web stream; Node's API (and users of `worker.process.stdout`) expect Node's. */
  #readable(fd: 1 | 2): Readable | null {
    if (this.#stdio[fd] !== "piped" || this.#child === undefined) return null;
    return Readable.fromWeb((fd === 1 ? this.#child.stdout : this.#child.stderr) as never);
  }

  /** Sends a message; throws for a handle or a message that cannot be encoded. */
  send(message: unknown, handle: unknown, callback: (error: Error | null) => void): boolean {
    return this.#channel.send(message, handle, callback);
  }

  /** Closes the channel (after flushing what was sent). */
  disconnect(): void {
    this.#channel.disconnect();
  }

  /** Sends a signal; false once the process has ended (Deno throws then). */
  kill(signal: string): boolean {
    if (this.#child === undefined || this.#exit !== undefined) return false;
    try {
      this.#child.kill(signal);
      return true;
    } catch {
      return false;
    }
  }
}
