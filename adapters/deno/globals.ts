/**
 * The few parts of the `Deno` namespace the Deno adapter uses, typed locally so that the adapter type-checks under
 * `tsc` (no Deno types) and `deno check` alike, and reached only through {@link denoGlobal}, inside methods: this
 * module has no top-level side effects and loads on Node and Bun too.
 *
 * @module
 */

/** `Deno.permissions.querySync`'s argument. */
export interface DenoPermissionDescriptor {
  /** Permission name: `read`, `write`, `net`, `env`, `run`, `ffi`, `sys`, `import`. */
  name: string;
  /** For `env`: one variable. */
  variable?: string;
  /** For `read`/`write`: one path. */
  path?: string;
  /** For `run`: one program. */
  command?: string;
}

/** `Deno.permissions.querySync`'s answer. */
export interface DenoPermissionStatus {
  /** `granted`, `denied` or `prompt`. */
  readonly state: string;
  /** True when granted with exceptions (e.g. `--allow-net --deny-net=host`). */
  readonly partial?: boolean;
}

/** How a child process ended, as `Deno.ChildProcess.status` resolves. */
export interface DenoCommandStatus {
  /** Whether the code was 0. */
  readonly success: boolean;
  /** Exit code (128 + n after signal n). */
  readonly code: number;
  /** The signal that ended the process, or null. */
  readonly signal: string | null;
}

/** `Deno.ChildProcess`: its stdio getters throw unless that stream was `piped`. */
export interface DenoChildProcess {
  /** Process id. */
  readonly pid: number;
  /** Resolves when the process ends. */
  readonly status: Promise<DenoCommandStatus>;
  /** Web `WritableStream` (piped only). */
  readonly stdin: unknown;
  /** Web `ReadableStream` (piped only). */
  readonly stdout: unknown;
  /** Web `ReadableStream` (piped only). */
  readonly stderr: unknown;
  /** Sends a signal; throws after the process has ended. */
  kill(signal?: string): void;
}

/** One stdio entry as `Deno.Command` takes it. */
export type DenoStdio = "piped" | "inherit" | "null";

/** `Deno.CommandOptions`, the part used here. */
export interface DenoCommandOptions {
  /** Arguments. */
  args: string[];
  /** Working directory. */
  cwd?: string;
  /** Environment. */
  env: Record<string, string>;
  /** Start from an empty environment. */
  clearEnv: boolean;
  /** Standard input. */
  stdin: DenoStdio;
  /** Standard output. */
  stdout: DenoStdio;
  /** Standard error. */
  stderr: DenoStdio;
  /** User id (setuid in the child). */
  uid?: number;
  /** Group id (setgid in the child). */
  gid?: number;
}

/** A `Deno.serve` server. */
export interface DenoHttpServer {
  /** Resolves once the server has shut down. */
  readonly finished: Promise<void>;
  /** The address it listens on. */
  readonly addr: { hostname?: string; port?: number; transport?: string };
  /** Stops accepting, waits for open requests, then closes. */
  shutdown(): Promise<void>;
  /** Lets the server keep the process alive (the default). */
  ref(): void;
  /** Stops the server from keeping the process alive. */
  unref(): void;
}

/** A `Deno.Conn` (here a unix socket's). */
export interface DenoConn {
  /** Reads into `buffer`; the byte count, or null at the end of the stream. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Writes some of `bytes`; the byte count written. */
  write(bytes: Uint8Array): Promise<number>;
  /** Shuts down the writing side (the peer reads the end of the stream). */
  closeWrite(): Promise<void>;
  /** Closes the connection; pending reads fail with `Interrupted`. */
  close(): void;
  /** Lets the connection's pending read keep the process alive (the default). */
  ref(): void;
  /** Stops the connection's pending read from keeping the process alive. */
  unref(): void;
}

/** The `Deno` namespace, as far as this adapter uses it. */
export interface DenoNamespace {
  /** Process id. */
  readonly pid: number;
  /** Script arguments. */
  readonly args: readonly string[];
  /** URL of the main module. */
  readonly mainModule: string;
  /** Build facts; `os` is `linux`, `darwin`, `windows`, ... */
  readonly build: { readonly os: string };
  /** Path of the running `deno` executable. */
  execPath(): string;
  /** Versions; `deno` is this runtime's, as `2.9.6`. */
  readonly version: { readonly deno: string };
  /** Environment access (needs `--allow-env`). */
  readonly env: {
    get(key: string): string | undefined;
    delete(key: string): void;
    toObject(): Record<string, string>;
  };
  /** Permission queries; `querySync` never prompts. */
  readonly permissions: { querySync(descriptor: DenoPermissionDescriptor): DenoPermissionStatus };
  /** File facts (needs `--allow-read`). */
  statSync(path: string): { readonly isFile: boolean };
  /** Reads a text file. */
  readTextFileSync(path: string): string;
  /** Subprocesses. */
  readonly Command: new (command: string, options: DenoCommandOptions) => { spawn(): DenoChildProcess };
  /** Ends the process. */
  exit(code?: number): never;
  /** Listens on a TCP port (needs `--allow-net`); throws `AddrInUse` (code `EADDRINUSE`) when it is taken. */
  listen(options: { hostname: string; port: number }): { close(): void };
  /** Opens a connection (here to a unix socket, needs `--allow-read` and `--allow-write`). */
  connect(options: { transport: "unix"; path: string }): Promise<DenoConn>;
  /** The native HTTP server. */
  serve: (...args: unknown[]) => DenoHttpServer;
  /** Present only with `--unstable-net`. */
  readonly listenDatagram?: unknown;
  /** Deno's error classes. */
  readonly errors: { readonly AddrInUse: new (message: string) => Error };
}

/** The global `Deno` namespace; throws on other runtimes. */
export function denoGlobal(): DenoNamespace {
  const deno = (globalThis as unknown as { Deno?: DenoNamespace }).Deno;
  if (deno === undefined) throw new Error("The Deno adapter runs only on Deno");
  return deno;
}

/** Whether a permission is granted in full (not partly, not with exceptions). Never prompts. */
export function granted(deno: DenoNamespace, descriptor: DenoPermissionDescriptor): boolean {
  try {
    const status = deno.permissions.querySync(descriptor);
    return status.state === "granted" && status.partial !== true;
  } catch {
    return false;
  }
}
