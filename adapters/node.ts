/**
 * The Node adapter: workers are started with `child_process.spawn` and talk over the runtime's own IPC channel, which
 * can also carry socket and server handles. It also serves as the fallback on runtimes that implement Node's
 * `child_process` (Deno's `spawn`, never its `fork`, which would grant every permission).
 *
 * @module
 */

import { type ChildProcess, spawn as spawnProcess, type StdioOptions } from "node:child_process";
import { installNetServerHooks } from "./net_server_hooks.ts";
import { netListenerFactory } from "./net_listeners.ts";
import { connectProcessParent } from "./process_channel.ts";
import { executableFor, foreignExecArgv, processHost, scriptExists, takeEnv } from "./process_host.ts";
import { installProcessMessaging } from "./process_messaging.ts";
import { connectSocketParent } from "./socket_channel.ts";
import type {
  Adapter,
  ChildEvents,
  ChildLink,
  HostInfo,
  ListenerFactory,
  ParentEvents,
  ParentLink,
  ProcessMessagingHooks,
  RuntimeName,
  ServerBridge,
  SpawnRequest,
  WorkerIdentity,
} from "./types.ts";

/** Builds the stdio array for a worker: the user's entries (or inherit/pipe), then the IPC channel. */
export function stdioWithIpc(request: SpawnRequest): StdioOptions {
  const base = request.stdio
    ? [...request.stdio]
    : request.silent
    ? ["pipe", "pipe", "pipe"]
    : ["inherit", "inherit", "inherit"];
  if (!base.includes("ipc")) base.push("ipc");
  return base as StdioOptions;
}

/** The primary's link to one worker started with `child_process.spawn`. */
export class NodeChildLink implements ChildLink {
  /** Whether handles can pass: only between processes of the same runtime (measured on Node and Bun). */
  readonly canPassHandles: boolean;
  #child: ChildProcess;
  #checkJson: boolean;

  /**
   * Spawns the worker and reports its events. `checkJson` serializes each json message once before sending: Deno's
   * child_process crashes the whole process (a native stack overflow) on a cyclic message instead of throwing.
   */
  constructor(request: SpawnRequest, events: ChildEvents, canPassHandles: boolean, checkJson = false) {
    this.canPassHandles = canPassHandles;
    this.#checkJson = checkJson && request.serialization === "json";
    const identity: WorkerIdentity = { ...request.identity, channel: "process" };
    const child = spawnProcess(request.execPath, [...request.execArgv, request.exec, ...request.args], {
      cwd: request.cwd,
      env: { ...request.env, [request.identityVariable]: JSON.stringify(identity) },
      stdio: stdioWithIpc(request),
      serialization: request.serialization,
      uid: request.uid,
      gid: request.gid,
      windowsHide: request.windowsHide,
    });
    this.#child = child;
    let disconnected = false;
    const reportDisconnect = () => {
      if (disconnected) return;
      disconnected = true;
      events.disconnect();
    };
    child.on("spawn", () => events.spawn());
    child.on("message", (message, handle) => events.message(message, handle));
    child.on("disconnect", reportDisconnect);
    child.on("error", (error) => events.error(error));
    child.on("exit", (code, signal) => {
      events.exit(code, signal);
      // A child that never opened its channel (failed spawn) gets no 'disconnect' from Node.
      setImmediate(() => {
        if (!child.connected) reportDisconnect();
      });
    });
  }

  /** Process id. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Exit code, or null. */
  get exitCode(): number | null {
    return this.#child.exitCode;
  }

  /** Signal that ended the process, or null. */
  get signalCode(): string | null {
    return this.#child.signalCode;
  }

  /** Whether the IPC channel is open. */
  get connected(): boolean {
    return this.#child.connected;
  }

  /** The worker's stdin when piped. */
  get stdin(): unknown {
    return this.#child.stdin;
  }

  /** The worker's stdout when piped. */
  get stdout(): unknown {
    return this.#child.stdout;
  }

  /** The worker's stderr when piped. */
  get stderr(): unknown {
    return this.#child.stderr;
  }

  /** Sends a message and maybe a handle; serialization errors throw synchronously. */
  send(message: unknown, handle: unknown, callback: (error: Error | null) => void): boolean {
    if (this.#checkJson) JSON.stringify(message);
    return this.#child.send(
      message as never,
      handle as never,
      {},
      (error: Error | null) => callback(error ?? null),
    );
  }

  /** Closes the IPC channel. */
  disconnect(): void {
    if (this.#child.connected) this.#child.disconnect();
  }

  /** Sends a signal; false when the process has ended or cannot be signalled. */
  kill(signal: string): boolean {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return false;
    try {
      return this.#child.kill(signal as NodeJS.Signals);
    } catch {
      return false;
    }
  }
}

/** The adapter for Node (and the `child_process` route on other runtimes). */
export class NodeAdapter implements Adapter {
  /** Adapter name. */
  readonly name: RuntimeName = "node";
  /** Node's IPC passes socket and server handles. */
  readonly canPassHandles: boolean = true;
  #own: RuntimeName;
  #listeners: ListenerFactory | undefined;

  /** `own` is the runtime this process runs on (for the `child_process` route on Deno or Bun). */
  constructor(own: RuntimeName = "node") {
    this.#own = own;
  }

  /** Facts about this process. */
  host(): HostInfo {
    return processHost(this.#own, undefined);
  }

  /** Runtime arguments for a worker on `runtime`. */
  execArgvFor(runtime: RuntimeName): string[] {
    return runtime === this.#own ? [...process.execArgv] : foreignExecArgv(runtime);
  }

  /** The executable for `runtime`. */
  execPathFor(runtime: RuntimeName): string {
    return executableFor(runtime, this.#own);
  }

  /** Whether a script exists. */
  fileExists(path: string): boolean {
    return scriptExists(path);
  }

  /** The global `process`. */
  currentProcess(): unknown {
    return process;
  }

  /** Reads and removes the identity variable. */
  takeIdentity(name: string): string | undefined {
    return takeEnv(name);
  }

  /** Starts a worker with `child_process.spawn` and an IPC channel. */
  spawn(request: SpawnRequest, events: ChildEvents): ChildLink {
    return new NodeChildLink(request, events, request.runtime === this.#own);
  }

  /** Connects a worker to its primary. */
  connectParent(identity: WorkerIdentity, events: ParentEvents): ParentLink {
    return identity.channel === "socket"
      ? connectSocketParent(identity, events)
      : connectProcessParent(process, events);
  }

  /** Installs `process.send` and friends. */
  installProcessMessaging(hooks: ProcessMessagingHooks): (message: unknown, handle: unknown) => void {
    return installProcessMessaging(process, hooks);
  }

  /** Makes node:net servers share their ports. */
  installServerHooks(bridge: ServerBridge): void {
    installNetServerHooks(bridge);
  }

  /** Opens shared listeners with node:net. */
  listeners(): ListenerFactory {
    return this.#listeners ??= netListenerFactory();
  }

  /** Ends this process. */
  exit(code: number): void {
    process.exit(code);
  }
}
