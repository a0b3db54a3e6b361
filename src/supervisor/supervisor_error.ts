/**
 * How a supervisor gives up: the error its `started` promise rejects with and its `fatal` event carries, and the
 * exit codes of a primary it ends.
 *
 * @module
 */

/** Exit codes of a primary whose supervisor gives up. */
export const SUPERVISOR_EXIT = {
  /** No worker ever became ready: the app cannot start. */
  cannotStart: 3,
  /** A crash loop left no worker serving. */
  crashLoop: 4,
} as const;

/** Why a supervisor gave up, with what the last failed worker wrote to stderr. */
export class SupervisorError extends Error {
  /** The exit code the primary ends with. */
  readonly exitCode: number;
  /** The last lines the failed worker wrote to stderr. */
  readonly stderr: string[];
  /** Builds the error. */
  constructor(message: string, exitCode: number, stderr: string[]) {
    super(message);
    this.name = "SupervisorError";
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}
