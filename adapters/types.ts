/**
 * The adapter interface: what a runtime must provide so that the runtime-free core can run a cluster on it.
 *
 * An adapter spawns worker processes, carries messages (and, where it can, socket handles) between the
 * primary and its workers, and gives the core the few facts about the running process that it needs.
 * Adapters import nothing from the core; the core reaches the runtime only through this interface.
 *
 * @module
 */

/** The runtimes unicluster runs on. */
export type RuntimeName = "node" | "deno" | "bun";

/** How messages are encoded on the IPC channel, as in Node's `child_process`. */
export type Serialization = "json" | "advanced";

/** One entry of a child's stdio configuration, as `child_process.spawn` accepts it. */
export type StdioEntry = "pipe" | "inherit" | "ignore" | "ipc" | number | null | undefined;

/** Everything an adapter needs to start one worker process. */
export interface SpawnRequest {
  /** The runtime the worker runs on. */
  runtime: RuntimeName;
  /** The executable to start (`node`, `deno`, `bun` or an absolute path). */
  execPath: string;
  /** Arguments for the runtime, before the script (for Deno, `run` and its permission flags). */
  execArgv: readonly string[];
  /** The script the worker runs. */
  exec: string;
  /** Arguments for the script. */
  args: readonly string[];
  /** Working directory; undefined means the primary's. */
  cwd: string | undefined;
  /** The complete environment of the worker. */
  env: Record<string, string>;
  /** Pipe the worker's stdio to the primary instead of inheriting it. */
  silent: boolean;
  /** Explicit stdio entries for fds 0-2 (and more); the IPC entry is added by the adapter. */
  stdio: readonly StdioEntry[] | undefined;
  /** Message encoding on the channel. */
  serialization: Serialization;
  /** User id for the worker process. */
  uid: number | undefined;
  /** Group id for the worker process. */
  gid: number | undefined;
  /** Hide the console window on Windows. */
  windowsHide: boolean;
  /** Name of the environment variable that carries the worker's identity. */
  identityVariable: string;
  /** The worker's identity; the adapter adds what the worker needs to reach its channel, then stores it as JSON. */
  identity: WorkerIdentity;
}

/** What a worker learns about itself from its identity variable. */
export interface WorkerIdentity {
  /** The worker's id, unique within the primary. */
  id: number;
  /** How the worker reaches its primary: the runtime's own IPC (`process`) or an adapter socket (`socket`). */
  channel?: "process" | "socket";
  /** For `socket`: the socket path (abstract names start with a NUL character). */
  path?: string;
  /** For `socket`: the token the worker presents first. */
  token?: string;
  /** Message encoding on the channel. */
  serialization?: Serialization;
  /** Adapter-specific extras. */
  [key: string]: unknown;
}

/** Callbacks an adapter calls for one child process. */
export interface ChildEvents {
  /** The process started; `pid` is known. */
  spawn(): void;
  /** A message (and maybe a handle) arrived from the child. */
  message(message: unknown, handle: unknown): void;
  /** The IPC channel closed. Called once. */
  disconnect(): void;
  /** The process ended, reported as Node reports it: `(code, null)` or `(null, signal)`. Called once. */
  exit(code: number | null, signal: string | null): void;
  /** Something failed that is not a message or an exit (spawn failure, a send error without callback). */
  error(error: Error): void;
}

/** Readable and writable ends of a silent child's stdio, as the runtime gives them. */
export interface ChildStdio {
  /** The child's standard input, or null. */
  stdin: unknown;
  /** The child's standard output, or null. */
  stdout: unknown;
  /** The child's standard error, or null. */
  stderr: unknown;
}

/** The primary's end of one worker process. */
export interface ChildLink extends ChildStdio {
  /** Process id, once spawned. */
  readonly pid: number | undefined;
  /** Exit code, or null while running or when a signal ended it. */
  readonly exitCode: number | null;
  /** Signal that ended the process, or null. */
  readonly signalCode: string | null;
  /** Whether the IPC channel is open. */
  readonly connected: boolean;
  /** Whether `send` accepts a socket or server handle on this link. */
  readonly canPassHandles: boolean;
  /**
   * Sends a message (and optionally a handle). Returns false when the message was queued behind others,
   * as Node's `subprocess.send` does. The callback runs once the message is handed to the channel, with an error
   * if it could not be sent.
   */
  send(message: unknown, handle: unknown, callback: (error: Error | null) => void): boolean;
  /** Closes the IPC channel. */
  disconnect(): void;
  /** Sends a signal; returns false if the process could not be signalled (already dead). */
  kill(signal: string): boolean;
}

/** Callbacks for the worker's end of the channel. */
export interface ParentEvents {
  /** A message (and maybe a handle) arrived from the primary. */
  message(message: unknown, handle: unknown): void;
  /** The channel to the primary closed. Called once. */
  disconnect(): void;
}

/** The worker's end of the channel to its primary. */
export interface ParentLink {
  /** Whether the channel is open. */
  readonly connected: boolean;
  /** Sends a message to the primary; see {@link ChildLink.send}. */
  send(message: unknown, handle: unknown, callback: (error: Error | null) => void): boolean;
  /** Closes the channel. */
  disconnect(): void;
}

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
  /** Runtime arguments that start this script again the same way (for Deno: `run` plus the permissions held). */
  execArgv: string[];
  /** Process id. */
  pid: number;
  /** Operating system, as Node's `process.platform` names it. */
  platform: string;
  /** The process's environment, as a plain object. */
  env: Record<string, string>;
}

/** Hooks the core gives an adapter so that `process.send` and `process.on("message")` work in a worker. */
export interface ProcessMessagingHooks {
  /** Whether a message is internal to unicluster (user listeners never see those). */
  isInternal(message: unknown): boolean;
  /** Sends a user message to the primary, as `process.send` does. */
  send(message: unknown, handle: unknown, options: unknown, callback: unknown): boolean;
  /** Closes the channel, as `process.disconnect` does. */
  disconnect(): void;
  /** Whether the channel is open, for `process.connected`. */
  connected(): boolean;
}

/** A runtime adapter. */
export interface Adapter {
  /** Adapter name (`node`, `bun`, `deno`). */
  readonly name: RuntimeName;
  /** Whether this adapter can pass socket and server handles between processes. */
  readonly canPassHandles: boolean;
  /** Facts about this process. */
  host(): HostInfo;
  /** The runtime arguments that start a script on `runtime` from this primary (Deno permissions included). */
  execArgvFor(runtime: RuntimeName): string[];
  /** The executable for `runtime` (this process's own when it is the same runtime). */
  execPathFor(runtime: RuntimeName): string;
  /** Whether a script path exists (used to refuse a fork of a missing file). Non-path specifiers count as present. */
  fileExists(path: string): boolean;
  /** The global `process` object of this runtime, which becomes `cluster.worker.process` in a worker. */
  currentProcess(): unknown;
  /** Reads and removes the worker identity variable; undefined in a primary. */
  takeIdentity(name: string): string | undefined;
  /** Starts a worker process. Throws synchronously for a request the adapter cannot honour. */
  spawn(request: SpawnRequest, events: ChildEvents): ChildLink;
  /** Connects a worker to its primary. Messages sent before the connection is up are queued. */
  connectParent(identity: WorkerIdentity, events: ParentEvents): ParentLink;
  /**
   * Makes `process.send`, `process.on("message")`, `process.connected` and `process.disconnect` behave in a worker.
   * Returns the function that hands a user message to the process's `message` listeners; nothing else reaches them.
   */
  installProcessMessaging(hooks: ProcessMessagingHooks): (message: unknown, handle: unknown) => void;
  /**
   * Makes servers created in a worker share their port through the primary (node:net servers and the runtime's
   * native server). Called once in each worker.
   */
  installServerHooks(bridge: ServerBridge): void;
  /** The primary's side of port sharing: opens shared listeners on this runtime. */
  listeners(): ListenerFactory;
  /** Ends this process. */
  exit(code: number): void;
}

/** How a shared port reaches a worker's server. */
export type SharingMode = "rr" | "none" | "reuseport";

/** A worker's request to listen, as the primary keys it. */
export interface ServerRequest {
  /** `address:port:addressType:fd` (plus the path for unix sockets), as Node keys shared handles. */
  key: string;
  /** Host address, or null for any. */
  address: string | null;
  /** Port (0: let the first listen choose); -1 for a unix socket. */
  port: number;
  /** 4, 6, or -1 for a unix socket. */
  addressType: number;
  /** File descriptor to listen on, or -1. */
  fd: number;
  /** Unix socket path. */
  path?: string;
  /** A node:net server, or the runtime's native server (`Deno.serve`, `Bun.serve`). */
  server: "net" | "native";
  /** Listen backlog, if given. */
  backlog?: number;
  /** Listen on IPv6 only. */
  ipv6Only?: boolean;
}

/** The primary's answer to a {@link ServerRequest}. */
export interface ServerReply {
  /** How the worker gets its connections. */
  mode: SharingMode;
  /** The port to bind (reuseport; 0 means "choose one, then report it") or the shared port (rr, none). */
  port: number;
  /** The address the primary's listener is bound to (modes `rr` and `none`). */
  address?: string;
  /** `IPv4` or `IPv6`, for that address. */
  family?: string;
  /** The shared listening handle (mode `none`). */
  handle?: unknown;
  /** Error code when the primary could not listen (`EADDRINUSE`, ...). */
  errno?: string;
  /** Error message when the primary could not listen. */
  error?: string;
}

/** The address a server reports, as Node's `listening` event gives it. */
export interface ServerAddress {
  /** Host address, or null. */
  address: string | null;
  /** Port, or -1 for a unix socket. */
  port: number;
  /** 4, 6, or -1 for a unix socket. */
  addressType: number;
  /** File descriptor, or -1. */
  fd: number;
  /** Unix socket path, where there is one. */
  path?: string;
  /** How the port is shared. */
  mode?: SharingMode;
}

/** A server in a worker, as the core tracks it so that `worker.disconnect()` can close it first. */
export interface TrackedServer {
  /** Closes the server; the callback runs once it stopped accepting. */
  close(callback: () => void): void;
}

/** What the core gives an adapter's server hooks in a worker. */
export interface ServerBridge {
  /** Asks the primary how to listen. */
  query(request: ServerRequest): Promise<ServerReply>;
  /** Tells the primary the server is listening (emits `listening`), and which port a port-0 listen chose. */
  listening(key: string, address: ServerAddress): void;
  /** Tells the primary a server closed or failed to bind. */
  closed(key: string): void;
  /** Registers a server; returns the function that unregisters it. */
  track(server: TrackedServer): () => void;
  /** Routes connections the primary hands over for `key` (mode `rr`) to a listener. */
  onConnection(key: string, listener: ((socket: unknown) => void) | undefined): void;
}

/** A listening socket the primary owns (modes `rr` and `none`). */
export interface SharedListener {
  /** The port it listens on. */
  readonly port: number;
  /** The address it listens on. */
  readonly address: string;
  /** `IPv4` or `IPv6`. */
  readonly family: string;
  /** The handle to send to workers (mode `none`). */
  readonly handle: unknown;
  /** Stops listening. */
  close(): void;
}

/** The primary's side of port sharing on one runtime. */
export interface ListenerFactory {
  /** Whether this runtime can make a listening handle that the primary holds without accepting (mode `none`). */
  readonly canShareHandles: boolean;
  /** Whether node:net servers can bind with SO_REUSEPORT here. */
  readonly canReusePort: boolean;
  /**
   * Opens a listening socket. With `onConnection` it accepts (paused) connections for round-robin; without, it
   * makes a handle that only workers accept on. Rejects with the runtime's error (with `code`, e.g. `EADDRINUSE`).
   */
  open(
    request: ServerRequest,
    onConnection: ((socket: unknown) => void) | undefined,
  ): Promise<SharedListener>;
}
