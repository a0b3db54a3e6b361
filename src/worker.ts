/**
 * The `Worker` object, shared by both sides: in the primary it stands for a child process, in a worker it is
 * `cluster.worker`. What differs between the sides (how to send, kill, disconnect) comes in a {@link WorkerControl}
 * from the role that made it, per instance: nothing is patched onto the prototype (as Node's `primary.js` does).
 *
 * @module
 */

import { EventEmitter } from "node:events";
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

/** Options for constructing a {@link Worker}; made by the cluster, not by users. */
export interface WorkerInit {
  /** The worker's id. */
  id: number;
  /** The process behind it. */
  process: WorkerProcess;
  /** How this side sends, kills and disconnects. */
  control: WorkerControl;
  /** Hook run on each transition before the worker's own listeners. */
  onTransition?: TransitionListener;
  /** Hook run on each transition after the worker's own listeners. */
  afterTransition?: TransitionListener;
}

/**
 * A cluster worker. Emits `online`, `listening(address)`, `message(message, handle)`, `disconnect`,
 * `exit(code, signal)` and `error(err)`.
 */
export class Worker extends EventEmitter {
  /** The worker's id: 1, 2, ... in fork order, never reused. In the worker, the same id. */
  readonly id: number;
  /** The process behind this worker (in a worker: the global `process`). */
  readonly process: WorkerProcess;
  /**
   * True once `kill()` or `disconnect()` was called (the exit was asked for); false if the worker exited on its own;
   * undefined before either.
   */
  exitedAfterDisconnect: boolean | undefined = undefined;
  #state: WorkerState = "none";
  #channelClosed = false;
  #control: WorkerControl;
  #before: TransitionListener | undefined;
  #after: TransitionListener | undefined;

  /** Made by the cluster; users get workers from `cluster.fork()` and `cluster.workers`. */
  constructor(init: WorkerInit) {
    super();
    this.id = init.id;
    this.process = init.process;
    this.#control = init.control;
    this.#before = init.onTransition;
    this.#after = init.afterTransition;
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

  /** Kills the worker (in the primary: closes its channel, then signals it). Default signal: `SIGTERM`. */
  kill(signal: string | number = "SIGTERM"): void {
    const name = toSignalName(signal);
    this.exitedAfterDisconnect = true;
    this.#control.kill(name);
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
