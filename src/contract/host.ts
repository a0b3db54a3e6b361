/**
 * The contract between the core and a runtime adapter, part 1: what the core knows about the process it runs in.
 *
 * @module
 */

/** The runtimes unicluster runs on. */
export type RuntimeName = "node" | "deno" | "bun";

/** Facts about the running process that the core needs to fork copies of it. */
export interface HostInfo {
  /** The runtime this process runs on. */
  runtime: RuntimeName;
  /** Absolute path of this process's executable. */
  execPath: string;
  /** The main module (script) of this process, as a path. */
  mainModule: string;
  /** Arguments given to the script. */
  args: string[];
  /** The runtime's own `process.execArgv`: the flags a worker of the same runtime inherits by default. */
  execArgv: string[];
  /** Process id. */
  pid: number;
  /** Operating system, as Node's `process.platform` names it. */
  platform: string;
  /** The process's environment, as a plain object. */
  env: Record<string, string>;
}

/** How a worker on some runtime is started from this process: the executable and the runtime arguments. */
export interface WorkerCommand {
  /** The executable (this process's own for the same runtime, else the runtime's name, found on PATH). */
  execPath: string;
  /** What every worker on that runtime needs before its own flags (Deno: `run` and the primary's permissions). */
  execArgv: string[];
}
