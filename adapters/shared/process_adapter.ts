/**
 * What the Node and Bun adapters share: both runtimes keep Node's global `process` (facts, environment, IPC
 * channel), Node's `net` for shared ports, and Node's `net.Server` for servers. They differ in how a worker is
 * spawned and in the native server they hook, which each passes in.
 *
 * @module
 */

import type {
  Adapter,
  ChildEvents,
  ChildLink,
  HostInfo,
  ParentEvents,
  ParentLink,
  PortOpener,
  ProcessMessagingHooks,
  RuntimeName,
  ServerBridge,
  SpawnRequest,
  WorkerCommand,
  WorkerIdentity,
  WorkerStats,
} from "../../src/contract/mod.ts";
import { processExecArgv } from "../deno/command_line.ts";
import { connectParent } from "../ipc/connect_parent.ts";
import { process } from "./host_process.ts";
import { saveNodeCompileCacheSoon } from "./node_compile_cache.ts";
import { installDgramHooks } from "../servers/dgram_hooks.ts";
import { installNetServerHooks } from "../servers/net_hooks.ts";
import { netPortOpener } from "../servers/net_ports.ts";
import { startHeartbeat } from "./heartbeat.ts";
import { processHost, scriptExists, takeEnv } from "./process_host.ts";

/** What differs between the adapters built on the global `process`. */
export interface ProcessAdapterParts {
  /** The adapter's name (`node` also names the `child_process` route on Bun). */
  name: RuntimeName;
  /** The runtime this process runs on. */
  runtime: RuntimeName;
  /** The main module, where `process.argv` has none (Bun: `Bun.main`). */
  mainModule?: () => string;
  /** Starts a worker. */
  spawn(request: SpawnRequest, events: ChildEvents): ChildLink;
  /**
   * Hooks a worker's servers, in place of the default (`node:net`'s and `node:dgram`'s, at once): Bun's hooks them
   * as their modules load, and `Bun.serve`.
   */
  installServerHooks?(bridge: ServerBridge): void;
}

/** An adapter for a runtime with Node's global `process`. */
export class ProcessAdapter implements Adapter {
  /** The adapter's name. */
  readonly name: RuntimeName;
  #parts: ProcessAdapterParts;
  #ports: PortOpener | undefined;

  /** Builds the adapter from its parts. */
  constructor(parts: ProcessAdapterParts) {
    this.name = parts.name;
    this.#parts = parts;
  }

  /** Facts about this process. */
  host(): HostInfo {
    return processHost(this.#parts.runtime, this.#parts.mainModule?.());
  }

  /** Reads and removes the identity variable. */
  takeIdentity(name: string): string | undefined {
    return takeEnv(name);
  }

  /** This executable for the same runtime, else the runtime's name, found on PATH. */
  workerCommand(runtime: RuntimeName): WorkerCommand {
    return {
      execPath: runtime === this.#parts.runtime ? process.execPath : runtime,
      execArgv: processExecArgv(runtime),
    };
  }

  /** Whether a script exists. */
  fileExists(path: string): boolean {
    return scriptExists(path);
  }

  /** Starts a worker. */
  spawn(request: SpawnRequest, events: ChildEvents): ChildLink {
    return this.#parts.spawn(request, events);
  }

  /** Opens the primary's shared ports with node:net. */
  ports(): PortOpener {
    return this.#ports ??= netPortOpener();
  }

  /** The global `process`. */
  currentProcess(): unknown {
    return process;
  }

  /** Connects a worker to its primary. */
  connectParent(identity: WorkerIdentity, events: ParentEvents, hooks: ProcessMessagingHooks): ParentLink {
    saveNodeCompileCacheSoon();
    return connectParent(process, identity, events, hooks);
  }

  /** Makes node:net servers (and the runtime's native server) share their ports. */
  installServerHooks(bridge: ServerBridge): void {
    if (this.#parts.installServerHooks !== undefined) return this.#parts.installServerHooks(bridge);
    installNetServerHooks(bridge);
    installDgramHooks(bridge);
  }

  /** Ends this process. */
  exit(code: number): void {
    process.exit(code);
  }

  /** Sends this process's stats every `interval` milliseconds. */
  startHeartbeat(interval: number, beat: (stats: WorkerStats) => void): void {
    startHeartbeat(interval, beat);
  }
}
