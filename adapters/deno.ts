/**
 * The Deno adapter: workers are started with `Deno.Command` and talk to the primary over the framed unix-socket
 * channel (./socket_channel.ts), since `Deno.Command` has no IPC channel and passes no extra file descriptors.
 * Deno's own `node:child_process.fork` is never used: it always runs the child with every permission (`-A`).
 *
 * Permissions: a Deno worker gets the permissions its primary holds in full, and never more. Deno's API cannot
 * list partial grants (`--allow-net=127.0.0.1:8000`, `--allow-read=./data`) nor grants with exceptions
 * (`--allow-net --deny-net=...`), so those are not passed on: such a worker gets less than its primary. The
 * channel itself needs unrestricted `--allow-net` (Deno checks unix sockets as net access and cannot scope a grant
 * to an abstract socket), and the worker must be able to read its identity variable (`--allow-env`, or at least
 * `--allow-env=UNICLUSTER_WORKER`); `fork()` says so plainly when the primary lacks either.
 *
 * Socket and server handles cannot pass to a Deno worker (`canPassHandles` is false): node:net servers and
 * `Deno.serve` in workers share their port with SO_REUSEPORT instead (Linux).
 *
 * The module only touches `Deno` inside methods, so it can be imported on Node and Bun.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { DenoChildLink } from "./deno_child.ts";
import { denoGlobal, granted } from "./deno_global.ts";
import { installDenoServeHook } from "./deno_serve_hook.ts";
import { netListenerFactory } from "./net_listeners.ts";
import { installNetServerHooks } from "./net_server_hooks.ts";
import { connectProcessParent } from "./process_channel.ts";
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

/** The permissions passed on to Deno workers when the primary holds them in full. */
const PERMISSIONS = ["read", "write", "net", "env", "run", "ffi", "sys", "import"] as const;

/** `Deno.build.os` names that differ from Node's `process.platform`. */
const PLATFORMS: Record<string, string> = { windows: "win32", solaris: "sunos", illumos: "sunos" };

/** A file URL as a path; other specifiers (`https:`, `npm:`, `jsr:`) as they are. */
function modulePath(specifier: string): string {
  return specifier.startsWith("file:") ? fileURLToPath(specifier) : specifier;
}

/** The adapter for Deno. */
export class DenoAdapter implements Adapter {
  /** Adapter name. */
  readonly name: RuntimeName = "deno";
  /** Deno cannot pass socket or server handles to another process. */
  readonly canPassHandles: boolean = false;
  #listeners: ListenerFactory | undefined;

  /** Facts about this process; the environment is empty without `--allow-env`. */
  host(): HostInfo {
    const deno = denoGlobal();
    return {
      runtime: "deno",
      execPath: deno.execPath(),
      mainModule: modulePath(deno.mainModule),
      args: [...deno.args],
      execArgv: this.execArgvFor("deno"),
      pid: deno.pid,
      platform: PLATFORMS[deno.build.os] ?? deno.build.os,
      env: granted(deno, { name: "env" }) ? deno.env.toObject() : {},
    };
  }

  /**
   * For Deno: `run`, the permissions this primary holds in full (partial grants cannot be listed, so they are not
   * passed: the worker gets less, never more), `--no-prompt`, and `--unstable-net` (a feature flag, not a
   * permission: workers' `Deno.serve`/`Deno.listen` bind with `reusePort`). For Node and Bun: nothing.
   */
  execArgvFor(runtime: RuntimeName): string[] {
    if (runtime !== "deno") return [];
    const deno = denoGlobal();
    const allowed = PERMISSIONS.filter((name) => granted(deno, { name })).map((name) => `--allow-${name}`);
    return ["run", ...allowed, "--no-prompt", "--unstable-net"];
  }

  /** This `deno` executable for Deno; `node` or `bun`, found on PATH, for the others. */
  execPathFor(runtime: RuntimeName): string {
    return runtime === "deno" ? denoGlobal().execPath() : runtime;
  }

  /**
   * Whether a script exists. Specifiers with a scheme count as present (`file:` URLs are checked); a path this
   * process may not read counts as present too (Deno loads modules without `--allow-read`; the worker will tell).
   */
  fileExists(path: string): boolean {
    if (/^[a-z][a-z0-9+.-]+:/i.test(path) && !/^[a-z]:[\\/]/i.test(path)) {
      if (!path.startsWith("file:")) return true;
      path = fileURLToPath(path);
    }
    const deno = denoGlobal();
    if (!granted(deno, { name: "read", path })) return true;
    try {
      return deno.statSync(path).isFile;
    } catch {
      return false;
    }
  }

  /** The global `process` (Deno 2's Node-compatible one). */
  currentProcess(): unknown {
    return (globalThis as { process?: unknown }).process;
  }

  /** Reads and removes the identity variable; undefined without the permission to read it. */
  takeIdentity(name: string): string | undefined {
    const deno = denoGlobal();
    if (!granted(deno, { name: "env", variable: name })) return undefined;
    const value = deno.env.get(name);
    if (value !== undefined) deno.env.delete(name);
    return value;
  }

  /** Starts a worker with `Deno.Command`; its channel is the shared unix socket. */
  spawn(request: SpawnRequest, events: ChildEvents): ChildLink {
    return new DenoChildLink(denoGlobal(), request, events);
  }

  /** Connects a worker: over the socket (Deno primary), or the runtime's IPC (a Node or Bun primary). */
  connectParent(identity: WorkerIdentity, events: ParentEvents): ParentLink {
    if (identity.channel === "socket") return connectSocketParent(identity, events);
    return connectProcessParent(this.currentProcess(), events, identity.serialization !== "advanced");
  }

  /** Installs `process.send` and friends. */
  installProcessMessaging(hooks: ProcessMessagingHooks): (message: unknown, handle: unknown) => void {
    return installProcessMessaging(this.currentProcess(), hooks);
  }

  /** Makes node:net servers and `Deno.serve` share their ports. */
  installServerHooks(bridge: ServerBridge): void {
    installNetServerHooks(bridge);
    installDenoServeHook(bridge);
  }

  /** Opens shared listeners with node:net. */
  listeners(): ListenerFactory {
    return this.#listeners ??= netListenerFactory();
  }

  /** Ends this process. */
  exit(code: number): void {
    denoGlobal().exit(code);
  }
}

/** A ready Deno adapter. */
export function denoAdapter(): Adapter {
  return new DenoAdapter();
}
