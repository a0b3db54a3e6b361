/**
 * The contract between the core and a runtime adapter, part 5: the adapter itself, split by role. The primary
 * needs a {@link PrimaryAdapter} (seven members: a fake one for tests is short); a worker needs a
 * {@link WorkerAdapter}; a runtime's adapter is both ({@link Adapter}).
 *
 * @module
 */

import type {
  ParentEvents,
  ParentLink,
  ProcessMessagingHooks,
  WorkerIdentity,
  WorkerStats,
} from "./channel.ts";
import type { HostInfo, RuntimeName, WorkerCommand } from "./host.ts";
import type { PortOpener, ServerBridge } from "./sharing.ts";
import type { ChildEvents, ChildLink, SpawnRequest } from "./spawn.ts";

/** What both roles ask of the runtime. */
export interface HostAdapter {
  /** The adapter's name: `node` (also the `child_process` route on Deno and Bun), `bun` or `deno`. */
  readonly name: RuntimeName;
  /** Facts about this process. */
  host(): HostInfo;
  /** Reads and removes the worker identity variable; undefined in a primary. */
  takeIdentity(name: string): string | undefined;
}

/** What the primary asks of the runtime: starting workers and opening shared ports. */
export interface PrimaryAdapter extends HostAdapter {
  /** How to start a worker on `runtime` from this primary (Deno permissions included). */
  workerCommand(runtime: RuntimeName): WorkerCommand;
  /** Whether a script path exists (used to refuse a fork of a missing file). Non-path specifiers count as present. */
  fileExists(path: string): boolean;
  /**
   * Starts a worker process. Throws synchronously for a request the adapter cannot honour; reports everything
   * else through `events`, never before `spawn` has returned.
   */
  spawn(request: SpawnRequest, events: ChildEvents): ChildLink;
  /** Opens the listening sockets the primary shares. */
  ports(): PortOpener;
}

/** What a worker asks of the runtime: its channel, its `process`, and servers that share their ports. */
export interface WorkerAdapter extends HostAdapter {
  /** The global `process` of this runtime, which becomes `cluster.worker.process` in a worker. */
  currentProcess(): unknown;
  /**
   * Connects a worker to its primary, and makes `process.send`, `process.on("message")`, `process.connected` and
   * `process.disconnect` work through `hooks`. Messages sent before the connection is up are queued.
   */
  connectParent(identity: WorkerIdentity, events: ParentEvents, hooks: ProcessMessagingHooks): ParentLink;
  /**
   * Makes servers created in a worker share their port through the primary (node:net servers and the runtime's
   * native server). Called once in each worker.
   */
  installServerHooks(bridge: ServerBridge): void;
  /** Ends this process. */
  exit(code: number): void;
  /**
   * Calls `beat` with this process's stats every `interval` milliseconds, on a timer that never keeps the process
   * alive (a worker's heartbeat: a blocked event loop stops it).
   */
  startHeartbeat(interval: number, beat: (stats: WorkerStats) => void): void;
}

/** A runtime adapter: both roles. */
export interface Adapter extends PrimaryAdapter, WorkerAdapter {}
