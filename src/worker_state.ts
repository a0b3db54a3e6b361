/**
 * A worker's life as one explicit state machine.
 *
 * The states are Node's `worker.state` values. Every event the API emits about a worker's life comes from a row
 * of {@link TRANSITIONS}; a cause with no row for the current state is a bug, and {@link nextState} throws.
 *
 * @module
 */

/** The states of a worker, as Node's `worker.state` names them. */
export type WorkerState = "none" | "online" | "listening" | "disconnected" | "dead";

/** What can happen to a worker. */
export type TransitionCause =
  /** The worker object was created and its process spawned. */
  | "fork"
  /** The worker said it is running. */
  | "online"
  /** A server in the worker is listening. */
  | "listening"
  /** The IPC channel closed. */
  | "disconnect"
  /** The process ended. */
  | "exit";

/** The events a transition emits (on the worker, and on the cluster with the worker as first argument). */
export type LifeEvent = "fork" | "online" | "listening" | "disconnect" | "exit";

/** One row of the table: in `from`, `cause` leads to `to` and emits `emits`. */
export interface Transition {
  /** The states this row applies in. */
  from: readonly WorkerState[];
  /** What happened. */
  cause: TransitionCause;
  /** The state after. */
  to: WorkerState | "same";
  /** The event it emits. */
  emits: LifeEvent;
}

const ALIVE: readonly WorkerState[] = ["none", "online", "listening"];

/**
 * The complete table. `exit` may come before `disconnect` (a process can die before its channel is seen to close),
 * so a dead worker still takes `disconnect`, and stays dead.
 */
export const TRANSITIONS: readonly Transition[] = [
  { from: ["none"], cause: "fork", to: "same", emits: "fork" },
  { from: ["none"], cause: "online", to: "online", emits: "online" },
  { from: ["online", "listening"], cause: "listening", to: "listening", emits: "listening" },
  { from: ALIVE, cause: "disconnect", to: "disconnected", emits: "disconnect" },
  { from: ["dead"], cause: "disconnect", to: "same", emits: "disconnect" },
  { from: [...ALIVE, "disconnected"], cause: "exit", to: "dead", emits: "exit" },
];

/** The error thrown for a cause that has no row for the current state. */
export class IllegalTransitionError extends Error {
  /** Always `ERR_CLUSTER_ILLEGAL_TRANSITION`. */
  readonly code: string = "ERR_CLUSTER_ILLEGAL_TRANSITION";
  /** The state the worker was in. */
  readonly state: WorkerState;
  /** What happened (named `trigger`, since `Error.cause` means something else). */
  readonly trigger: TransitionCause;
  /** Builds the error. */
  constructor(state: WorkerState, trigger: TransitionCause) {
    super(`Illegal worker transition: "${trigger}" in state "${state}"`);
    this.name = "IllegalTransitionError";
    this.state = state;
    this.trigger = trigger;
  }
}

/** Looks up the row for `cause` in `state`; throws {@link IllegalTransitionError} when there is none. */
export function nextState(state: WorkerState, cause: TransitionCause): { to: WorkerState; emits: LifeEvent } {
  for (const row of TRANSITIONS) {
    if (row.cause === cause && row.from.includes(state)) {
      return { to: row.to === "same" ? state : row.to, emits: row.emits };
    }
  }
  throw new IllegalTransitionError(state, cause);
}

/** Whether `cause` is legal in `state`. */
export function canTransition(state: WorkerState, cause: TransitionCause): boolean {
  return TRANSITIONS.some((row) => row.cause === cause && row.from.includes(state));
}
