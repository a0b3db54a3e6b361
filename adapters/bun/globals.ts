/**
 * The few parts of the `Bun` global the Bun adapter uses, typed locally (as `deno/globals.ts` does for Deno) so
 * that the adapter type-checks under `tsc` and `deno check` without Bun's types, and reached only inside
 * functions: the module loads on Node and Deno too.
 *
 * @module
 */

/** The part of a Bun subprocess the adapter uses. */
export interface BunSubprocess {
  /** Process id. */
  readonly pid: number;
  /** Standard input when piped (a `FileSink`). */
  readonly stdin: unknown;
  /** Standard output when piped (a web `ReadableStream`). */
  readonly stdout: unknown;
  /** Standard error when piped (a web `ReadableStream`). */
  readonly stderr: unknown;
  /** Every stdio entry by fd (extra pipes as file descriptor numbers). */
  readonly stdio?: readonly unknown[];
  /** Sends a message (and maybe a handle) over the IPC channel. */
  send(message: unknown, handle?: unknown): boolean;
  /** Closes the IPC channel. */
  disconnect(): void;
  /** Sends a signal. */
  kill(signal?: string): void;
}

/** `Bun.spawn`'s options, the part the adapter uses. */
export interface BunSpawnOptions {
  /** The command line. */
  cmd: string[];
  /** Working directory. */
  cwd?: string;
  /** Environment. */
  env: Record<string, string>;
  /** Stdio entries. */
  stdio: unknown[];
  /** `json` or `advanced`. */
  serialization: string;
  /** Receives IPC messages. */
  ipc(message: unknown, subprocess: BunSubprocess, handle?: unknown): void;
  /** The IPC channel closed. */
  onDisconnect(): void;
  /** The process ended. */
  onExit(subprocess: BunSubprocess, exitCode: number | null, signalCode: string | number | null): void;
  /** User id. */
  uid?: number;
  /** Group id. */
  gid?: number;
  /** Hide the console window on Windows. */
  windowsHide?: boolean;
}

/** A `Bun.serve` server, the part the hook uses. */
export interface BunServer {
  /** The port it listens on. */
  readonly port: number;
  /** The host name it listens on. */
  readonly hostname: string;
  /** Stops it. */
  stop(closeActiveConnections?: boolean): unknown;
}

/** `Bun.serve`'s options, the part the hook reads. */
export interface BunServeOptions {
  /** Port. */
  port?: number | string;
  /** Host name. */
  hostname?: string;
  /** Unix socket path. */
  unix?: string;
  /** Bind with SO_REUSEPORT. */
  reusePort?: boolean;
  /** Anything else, passed through. */
  [key: string]: unknown;
}

/** The `Bun` global, as far as the adapter uses it. */
export interface BunGlobal {
  /** Path of the main module. */
  main: string;
  /** Starts a subprocess. */
  spawn(options: BunSpawnOptions): BunSubprocess;
  /** The native HTTP server. */
  serve(options: BunServeOptions): BunServer;
}

/** The global `Bun`; throws on other runtimes. */
export function bun(): BunGlobal {
  const global = (globalThis as unknown as { Bun?: BunGlobal }).Bun;
  if (global === undefined) throw new Error("The Bun adapter runs only on Bun");
  return global;
}
