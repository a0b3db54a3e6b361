/**
 * The `Worker` object, shared by both sides: in the primary it stands for a child process, in a worker it is
 * `cluster.worker`. What differs between the sides (how to send, kill, disconnect) comes in a {@link WorkerControl}
 * from the role that made it, per instance: nothing is patched onto the prototype (as Node's `primary.js` does).
 *
 * @module
 */

import { EventEmitter } from "node:events";
import type { SharingMode } from "./contract/sharing.ts";
import { parseSendArguments } from "./send_arguments.ts";
import { toSignalName } from "./signals.ts";
import { type LifeEvent, nextState, type TransitionCause, type WorkerState } from "./worker_state.ts";

/** The process behind a worker: `worker.process`. */
export interface WorkerProcess {
  /** Process id (undefined until spawned). */
  readonly pid: number | undefined;
  /** Exit code, or null. */
  readonly exitCode: number | null;
  /** Signal that ended the process, or null. */
  readonly signalCode: string | null;
  /** Whether the IPC channel is open. */
  readonly connected: boolean;
  /** Sends a signal. */
  kill(signal?: string | number): boolean;
  /** Listens for the process's events. */
  // deno-lint-ignore no-explicit-any -- listeners of different events take different arguments
  on(event: string, listener: (...args: any[]) => void): unknown;
}

/** What one side of the channel does for a worker: the primary's role and the worker's role each make one. */
export interface WorkerControl {
  /** Sends a checked message. */
  send(
    message: unknown,
    handle: unknown,
    options: unknown,
    callback: ((error: Error | null) => void) | undefined,
  ): boolean;
  /** Ends the worker process with a signal (in the primary) or exits (in the worker). */
  kill(signal: string): void;
  /** Closes the worker's servers and its channel. */
  disconnect(): void;
  /** Whether the channel is open. */
  isConnected(): boolean;
  /** Whether the process has ended. */
  isDead(): boolean;
}

/** Called for every transition, before the worker emits the event; the primary forwards events to the cluster. */
export type TransitionListener = (worker: Worker, event: LifeEvent, args: unknown[]) => void;

/**
 * Options for constructing a {@link Worker}. The cluster gives all of them; `new cluster.Worker(options)` takes
 * Node's three (`id`, `state`, `process`).
 */
export interface WorkerInit {
  /** The worker's id (Node: `options.id | 0`). */
  id?: number;
  /** The state to start in (default `none`). */
  state?: WorkerState;
  /** The process behind it; its `message` and `error` events become the worker's. */
  process?: WorkerProcess;
  /** How this side sends, kills and disconnects (default: through `process`, as Node's bare Worker does). */
  control?: WorkerControl;
  /** Hook run on each transition before the worker's own listeners. */
  onTransition?: TransitionListener;
  /** Hook run on each transition after the worker's own listeners. */
  afterTransition?: TransitionListener;
  /** Takes an `error` that no listener of the worker would hear (the primary reports it instead of crashing). */
  onUnhandledError?: (error: unknown) => void;
}

/** The control of a Worker built by hand: everything goes through its `process`, as in Node. */
function processControl(worker: Worker): WorkerControl {
  const proc = () =>
    worker.process as (WorkerProcess & Partial<Record<"send" | "disconnect", unknown>>) | undefined;
  return {
    send: (message, handle, options, callback) =>
      (proc()?.send as ((...args: unknown[]) => boolean) | undefined)?.(message, handle, options, callback) ??
        false,
    kill: (signal) => void proc()?.kill(signal),
    disconnect: () => void (proc()?.disconnect as (() => void) | undefined)?.(),
    isConnected: () => proc()?.connected === true,
    isDead: () => proc()?.exitCode != null || proc()?.signalCode != null,
  };
}

/** Where a worker's server listens, as `listening` gives it: Node's four fields, and `mode` (not enumerable). */
export interface ListeningAddress {
  /** Host address (null for any), or the unix socket path. */
  address: string | null;
  /** Port, or -1 for a unix socket. */
  port: number;
  /** 4, 6, or -1 for a unix socket; `udp4` or `udp6` for a UDP socket. */
  addressType: number | "udp4" | "udp6";
  /** File descriptor the server listens on, if it was given one. */
  fd: number | undefined;
  /** How the port is shared. */
  readonly mode?: SharingMode;
}

/** A worker's events and the arguments their listeners get (see {@link Worker}). */
export interface WorkerEvents {
  /** The worker process is running (it told the primary). */
  online: [];
  /** A server in the worker is listening. */
  listening: [address: ListeningAddress];
  /** A message from the other side; `handle` is the `net.Socket` or `net.Server` sent with it, or undefined. */
  // deno-lint-ignore no-explicit-any -- messages are the user's own values, as in Node's types
  message: [message: any, handle: any];
  /** The channel to the other side closed. */
  disconnect: [];
  /** The worker process ended: `(code, null)`, or `(null, signal)` when a signal ended it. */
  exit: [code: number | null, signal: string | null];
  /** Sending, killing or spawning failed. */
  error: [error: Error];
}

/** An event name not in `Events`: only those take the untyped listener, so known events' listeners are checked. */
export type OtherEvent<E, Events> = E extends keyof Events ? never : E;

/** A listener of an event whose arguments are not known here (EventEmitter's own listener type). */
// deno-lint-ignore no-explicit-any -- as EventEmitter's own listener type
export type AnyListener = (...args: any[]) => void;

/** The listener of event `E` of an event map (`WorkerEvents`, `ClusterEvents`). */
export type TypedListener<Events, E extends keyof Events> = (...args: Extract<Events[E], unknown[]>) => void;

// EventEmitter's methods typed for the worker's events (merged into the class: types only). Each takes first any
// other event with an untyped listener, then a worker event with its typed listener: tried last, that signature is
// the one a wrong listener of a worker event is reported against.
export interface Worker {
  on<E extends string | symbol>(event: OtherEvent<E, WorkerEvents>, listener: AnyListener): this;
  /** Adds a listener of a worker event. */
  on<E extends keyof WorkerEvents>(event: E, listener: TypedListener<WorkerEvents, E>): this;
  once<E extends string | symbol>(event: OtherEvent<E, WorkerEvents>, listener: AnyListener): this;
  /** Adds a one-time listener of a worker event. */
  once<E extends keyof WorkerEvents>(event: E, listener: TypedListener<WorkerEvents, E>): this;
  addListener<E extends string | symbol>(event: OtherEvent<E, WorkerEvents>, listener: AnyListener): this;
  /** Adds a listener of a worker event (alias of `on`). */
  addListener<E extends keyof WorkerEvents>(event: E, listener: TypedListener<WorkerEvents, E>): this;
  prependListener<E extends string | symbol>(event: OtherEvent<E, WorkerEvents>, listener: AnyListener): this;
  /** Adds a listener of a worker event before the others. */
  prependListener<E extends keyof WorkerEvents>(event: E, listener: TypedListener<WorkerEvents, E>): this;
  prependOnceListener<E extends string | symbol>(
    event: OtherEvent<E, WorkerEvents>,
    listener: AnyListener,
  ): this;
  /** Adds a one-time listener of a worker event before the others. */
  prependOnceListener<E extends keyof WorkerEvents>(event: E, listener: TypedListener<WorkerEvents, E>): this;
  off<E extends string | symbol>(event: OtherEvent<E, WorkerEvents>, listener: AnyListener): this;
  /** Removes a listener of a worker event. */
  off<E extends keyof WorkerEvents>(event: E, listener: TypedListener<WorkerEvents, E>): this;
  removeListener<E extends string | symbol>(event: OtherEvent<E, WorkerEvents>, listener: AnyListener): this;
  /** Removes a listener of a worker event (alias of `off`). */
  removeListener<E extends keyof WorkerEvents>(event: E, listener: TypedListener<WorkerEvents, E>): this;
  /** Emits a worker event with its arguments. */
  emit<E extends keyof WorkerEvents>(event: E, ...args: WorkerEvents[E]): boolean;
  /** Emits any event (untyped for every name: the core re-emits a transition's event without naming it). */
  // deno-lint-ignore no-explicit-any -- as EventEmitter's own emit
  emit(event: string | symbol, ...args: any[]): boolean;
}

/**
 * A cluster worker. Emits `online`, `listening(address)`, `message(message, handle)`, `disconnect`,
 * `exit(code, signal)` and `error(err)` (typed by {@link WorkerEvents}).
 */
export class Worker extends EventEmitter {
  /** The worker's id: 1, 2, ... in fork order, never reused. In the worker, the same id. */
  readonly id: number;
  /** The process behind this worker (in a worker: the global `process`; undefined only in one built by hand). */
  readonly process: WorkerProcess;
  /**
   * True once `kill()` or `disconnect()` was called (the exit was asked for); false if the worker exited on its own;
   * undefined before either.
   */
  exitedAfterDisconnect: boolean | undefined = undefined;
  #state: WorkerState;
  #channelClosed = false;
  #control: WorkerControl;
  #before: TransitionListener | undefined;
  #after: TransitionListener | undefined;
  #onUnhandledError: ((error: unknown) => void) | undefined;

  /** Made by the cluster; users get workers from `cluster.fork()` and `cluster.workers`. */
  constructor(init: WorkerInit = {}) {
    super();
    this.id = (init.id ?? 0) | 0;
    this.#state = init.state || "none";
    this.process = init.process as WorkerProcess;
    this.#control = init.control ?? processControl(this);
    this.#before = init.onTransition;
    this.#after = init.afterTransition;
    this.#onUnhandledError = init.onUnhandledError;
    // As Node's Worker: the process's messages and errors are the worker's (for the user's messages only: the
    // roles keep internal ones off the process).
    init.process?.on("message", (message: unknown, handle: unknown) => this.emit("message", message, handle));
    init.process?.on("error", (error: unknown) => {
      if (this.#onUnhandledError !== undefined && this.listenerCount("error") === 0) {
        this.#onUnhandledError(error);
      } else this.emit("error", error);
    });
  }

  /** The worker's state: `none`, `online`, `listening`, `disconnected` or `dead`. */
  get state(): WorkerState {
    return this.#state;
  }

  /** Whether the channel to the primary has closed (the `disconnect` transition happened). */
  get channelClosed(): boolean {
    return this.#channelClosed;
  }

  /** @deprecated Use {@link Worker.exitedAfterDisconnect}. */
  get suicide(): boolean | undefined {
    return this.exitedAfterDisconnect;
  }

  set suicide(value: boolean | undefined) {
    this.exitedAfterDisconnect = value;
  }

  /**
   * Sends a message to the other side, as Node's `worker.send(message[, sendHandle[, options]][, callback])`.
   * Returns false when the message had to wait behind others.
   */
  send(
    message: unknown,
    handle?: unknown,
    options?: unknown,
    callback?: (error: Error | null) => void,
  ): boolean {
    const parsed = parseSendArguments(message, handle, options, callback);
    return this.#control.send(parsed.message, parsed.handle, parsed.options, parsed.callback);
  }

  /**
   * Kills the worker, as Node's does: in the primary, signals the process (default `SIGTERM`), which is not a
   * disconnect (`exitedAfterDisconnect` stays false); in a worker, tells the primary it is leaving and exits.
   */
  kill(signal: string | number = "SIGTERM"): void {
    this.#control.kill(toSignalName(signal || "SIGTERM"));
  }

  /** @deprecated Alias of {@link Worker.kill}. */
  destroy(signal: string | number = "SIGTERM"): void {
    this.kill(signal);
  }

  /** Closes the worker's servers, waits for them, then closes the channel; the worker then exits. Returns this worker. */
  disconnect(): this {
    this.exitedAfterDisconnect = true;
    this.#control.disconnect();
    return this;
  }

  /** Whether the channel to the other side is open. */
  isConnected(): boolean {
    return this.#control.isConnected();
  }

  /** Whether the worker process has ended. */
  isDead(): boolean {
    return this.#control.isDead();
  }

  /**
   * Applies a transition of the life cycle and emits its event. Used by the cluster; throws
   * `IllegalTransitionError` for a cause that has no row in the current state.
   */
  transition(cause: TransitionCause, ...args: unknown[]): void {
    const { to, emits } = nextState(this.#state, cause);
    this.#state = to;
    if (cause === "disconnect") this.#channelClosed = true;
    this.#before?.(this, emits, args);
    // Node's worker object never emits `fork`: only the cluster does (from the primary's after-hook).
    if (emits !== "fork") this.emit(emits, ...args);
    this.#after?.(this, emits, args);
  }
}

/** What `cluster.Worker` is: Node's constructor, which also works without `new` (`Worker.call({}, options)`). */
export type WorkerConstructor = typeof Worker & ((options?: WorkerInit) => Worker);

const WorkerClass = Worker;

/** `cluster.Worker`: builds a {@link Worker} from Node's options (`id`, `state`, `process`), with or without `new`. */
export const NodeWorker: WorkerConstructor = {
  // Named by its key, as in Node (`cluster.Worker.name` is "Worker"): a bundler that renames a function declared
  // with a name of its own (this one would shadow the class) leaves a key alone.
  Worker: function (options?: unknown): Worker {
    const given = options !== null && typeof options === "object" ? options as WorkerInit : {};
    return new WorkerClass({ id: given.id, state: given.state, process: given.process });
  },
}.Worker as unknown as WorkerConstructor;
NodeWorker.prototype = Worker.prototype;
