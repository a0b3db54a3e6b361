/**
 * The Bun adapter: workers are started with `Bun.spawn` and its `ipc` option (Bun's own channel, which also passes
 * socket handles between Bun processes).
 *
 * @module
 */

import { Readable } from "node:stream";
import { installBunServeHook } from "./bun_serve_hook.ts";
import { NodeAdapter } from "./node.ts";
import { processHost } from "./process_host.ts";
import type {
  ChildEvents,
  ChildLink,
  HostInfo,
  RuntimeName,
  ServerBridge,
  SpawnRequest,
  WorkerIdentity,
} from "./types.ts";

/** The part of a Bun subprocess this adapter uses. */
interface BunSubprocess {
  readonly pid: number;
  readonly exitCode: number | null;
  readonly signalCode: string | null;
  readonly stdin: unknown;
  readonly stdout: unknown;
  readonly stderr: unknown;
  send(message: unknown, handle?: unknown): boolean;
  disconnect(): void;
  kill(signal?: string): void;
}

interface BunSpawnOptions {
  cmd: string[];
  cwd?: string;
  env: Record<string, string>;
  stdio: unknown[];
  serialization: string;
  ipc(message: unknown, subprocess: BunSubprocess, handle?: unknown): void;
  onDisconnect(): void;
  onExit(subprocess: BunSubprocess, exitCode: number | null, signalCode: string | number | null): void;
  uid?: number;
  gid?: number;
  windowsHide?: boolean;
}

interface BunGlobal {
  main: string;
  spawn(options: BunSpawnOptions): BunSubprocess;
}

function bun(): BunGlobal {
  return (globalThis as unknown as { Bun: BunGlobal }).Bun;
}

function bunStdio(request: SpawnRequest): unknown[] {
  if (request.stdio) return request.stdio.filter((entry) => entry !== "ipc").map((e) => e ?? "inherit");
  return request.silent ? ["pipe", "pipe", "pipe"] : ["inherit", "inherit", "inherit"];
}

/** Bun pipes child output as web streams; Node's API (and users of `worker.process.stdout`) expect Node streams. */
function nodeReadable(stream: unknown): Readable | null {
  return stream instanceof ReadableStream ? Readable.fromWeb(stream as never) : null;
}

/** The primary's link to one worker started with `Bun.spawn`. */
export class BunChildLink implements ChildLink {
  /** Handles pass between Bun processes. */
  readonly canPassHandles: boolean;
  #child: BunSubprocess;
  #connected = true;
  #exit: { code: number | null; signal: string | null } | undefined;
  #stdout: unknown;
  #stderr: unknown;

  /** Spawns the worker and reports its events. */
  constructor(request: SpawnRequest, events: ChildEvents, canPassHandles: boolean) {
    this.canPassHandles = canPassHandles;
    const identity: WorkerIdentity = { ...request.identity, channel: "process" };
    const onDisconnect = () => {
      if (!this.#connected) return;
      this.#connected = false;
      events.disconnect();
    };
    this.#child = bun().spawn({
      cmd: [request.execPath, ...request.execArgv, request.exec, ...request.args],
      cwd: request.cwd,
      env: { ...request.env, [request.identityVariable]: JSON.stringify(identity) },
      stdio: bunStdio(request),
      serialization: request.serialization,
      ipc: (message, _subprocess, handle) => events.message(message, handle),
      onDisconnect,
      onExit: (_subprocess, exitCode, signalCode) => {
        // Bun's `exited` says 143 for SIGTERM; onExit gives the signal by name, as Node reports it.
        const signal = typeof signalCode === "string" ? signalCode : null;
        this.#exit = { code: signal ? null : exitCode, signal };
        events.exit(this.#exit.code, this.#exit.signal);
        setTimeout(onDisconnect, 0);
      },
      uid: request.uid,
      gid: request.gid,
      windowsHide: request.windowsHide,
    });
    queueMicrotask(() => events.spawn());
  }

  /** Process id. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Exit code, or null. */
  get exitCode(): number | null {
    return this.#exit ? this.#exit.code : null;
  }

  /** Signal that ended the process, or null. */
  get signalCode(): string | null {
    return this.#exit ? this.#exit.signal : null;
  }

  /** Whether the IPC channel is open. */
  get connected(): boolean {
    return this.#connected && this.#exit === undefined;
  }

  /** The worker's stdin when piped. */
  get stdin(): unknown {
    return this.#child.stdin ?? null;
  }

  /** The worker's stdout when piped, as a Node stream (as on Node's `ChildProcess`). */
  get stdout(): unknown {
    return this.#stdout ??= nodeReadable(this.#child.stdout);
  }

  /** The worker's stderr when piped, as a Node stream. */
  get stderr(): unknown {
    return this.#stderr ??= nodeReadable(this.#child.stderr);
  }

  /** Sends a message and maybe a handle; serialization errors throw synchronously. */
  send(message: unknown, handle: unknown, callback: (error: Error | null) => void): boolean {
    const sent = handle === undefined ? this.#child.send(message) : this.#child.send(message, handle);
    queueMicrotask(() => callback(null));
    return sent;
  }

  /** Closes the IPC channel. */
  disconnect(): void {
    if (this.connected) this.#child.disconnect();
  }

  /** Sends a signal; false when the process has ended. */
  kill(signal: string): boolean {
    if (this.#exit !== undefined) return false;
    try {
      this.#child.kill(signal);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * The adapter for Bun: the Node adapter's process facts, channel and hooks (Bun implements them), with
 * `Bun.spawn` for workers and the `Bun.serve` hook.
 */
export class BunAdapter extends NodeAdapter {
  /** Adapter name. */
  override readonly name: RuntimeName = "bun";

  /** Runs as the Bun adapter. */
  constructor() {
    super("bun");
  }

  /** Facts about this process; the main module is `Bun.main`. */
  override host(): HostInfo {
    return processHost("bun", bun().main);
  }

  /** Starts a worker with `Bun.spawn`. */
  override spawn(request: SpawnRequest, events: ChildEvents): ChildLink {
    return new BunChildLink(request, events, request.runtime === "bun");
  }

  /** Makes node:net servers and `Bun.serve` share their ports. */
  override installServerHooks(bridge: ServerBridge): void {
    super.installServerHooks(bridge);
    installBunServeHook(bridge);
  }
}
