/**
 * The contract between the core and a runtime adapter, part 4: sharing server ports. A worker's server asks the
 * primary through a {@link ServerBridge}; the primary opens what it shares through a {@link PortOpener}.
 *
 * @module
 */

/**
 * How a shared port reaches a worker's server: `rr`, the primary accepts and hands connections over; `none`, the
 * primary shares its listening handle and workers accept; `reuseport`, each worker binds with SO_REUSEPORT;
 * `dgram`, the primary holds a UDP socket, hands each datagram to a worker in turn and sends what workers send.
 */
export type SharingMode = "rr" | "none" | "reuseport" | "dgram";

/** A worker's request to listen, as the primary keys it. */
export interface ServerRequest {
  /** `address:port:addressType:fd` (the path for unix sockets), as Node keys shared handles. */
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
  /**
   * The server is fastest when it binds the port itself (`Deno.serve`, `Bun.serve`, Bun's `node:http`): it gets
   * SO_REUSEPORT whatever the policy, except on a unix socket path, which only round-robin can share.
   */
  prefersReusePort: boolean;
  /** The server bound the port before asking (a native server with a fixed port): nothing is checked first. */
  bound?: boolean;
  /** Listen backlog, if given. */
  backlog?: number;
  /** Listen on IPv6 only. */
  ipv6Only?: boolean;
  /** A UDP socket (`dgram`): its type. Absent for TCP servers and unix sockets. */
  transport?: "udp4" | "udp6";
  /** For UDP: bind with SO_REUSEADDR. */
  reuseAddr?: boolean;
}

/** Where a datagram came from, as node:dgram's `message` event gives it (`rinfo`). */
export interface DatagramInfo {
  /** Sender address. */
  address: string;
  /** `IPv4` or `IPv6`. */
  family: string;
  /** Sender port. */
  port: number;
  /** Size of the datagram in bytes. */
  size: number;
}

/** What a datagram send ended with: the bytes sent, or the error's code and message. */
export interface DatagramSent {
  /** Bytes sent. */
  bytes: number;
  /** Error code, when the send failed. */
  errno?: string;
  /** Error message, when the send failed. */
  error?: string;
}

/** A UDP socket the primary holds for its workers (mode `dgram`). Datagrams travel base64-encoded. */
export interface OpenDatagramPort {
  /** The port it is bound to. */
  readonly port: number;
  /** The address it is bound to. */
  readonly address: string;
  /** `IPv4` or `IPv6`. */
  readonly family: string;
  /** Sends a datagram (base64) to `port` at `address`. */
  send(data: string, port: number, address: string, done: (result: DatagramSent) => void): void;
  /** Closes the socket. */
  close(): void;
}

/** The primary's answer to a {@link ServerRequest}. */
export interface ServerReply {
  /** How the worker gets its connections. */
  mode: SharingMode;
  /** The port to bind (reuseport; 0 means "choose one, then report it") or the shared port (rr, none). */
  port: number;
  /** The address the primary's socket is bound to (modes `rr` and `none`). */
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
  /** 4, 6, or -1 for a unix socket; `udp4` or `udp6` for a UDP socket. */
  addressType: number | "udp4" | "udp6";
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
  /**
   * Asks the primary how to listen. Sets `request.key` to the key the port is shared under (the worker's index of
   * this listen appended, as Node counts them); the later calls for this server take that key.
   */
  query(request: ServerRequest): Promise<ServerReply>;
  /** Tells the primary the server is listening (emits `listening`), and which port a port-0 listen chose. */
  listening(key: string, address: ServerAddress): void;
  /** Tells the primary a server closed or failed to bind. */
  closed(key: string): void;
  /** Registers a server; returns the function that unregisters it. */
  track(server: TrackedServer): () => void;
  /**
   * Routes connections the primary hands over for `key` (mode `rr`) to `accept`, which returns whether the server
   * took the connection (a refused one goes to another worker); undefined stops routing.
   */
  onConnection(key: string, accept: ((socket: unknown) => boolean) | undefined): void;
  /** Routes datagrams (base64) the primary hands over for `key` (mode `dgram`); undefined stops routing. */
  onDatagram(key: string, receive: ((data: string, rinfo: DatagramInfo) => void) | undefined): void;
  /** Sends a datagram (base64) through the primary's socket for `key` (mode `dgram`). */
  sendDatagram(key: string, data: string, port: number, address: string): Promise<DatagramSent>;
}

/** A listening socket the primary owns (modes `rr` and `none`). */
export interface OpenPort {
  /** The port it listens on (-1 for a unix socket). */
  readonly port: number;
  /** The address it listens on. */
  readonly address: string;
  /** `IPv4`, `IPv6` or `unix`. */
  readonly family: string;
  /** The handle to send to workers (mode `none`). */
  readonly handle: unknown;
  /** Stops listening. */
  close(): void;
}

/** The primary's side of port sharing on one runtime. */
export interface PortOpener {
  /** Whether this runtime can make a listening handle that the primary holds without accepting (mode `none`). */
  readonly canShareHandles: boolean;
  /** Whether node:net servers can bind with SO_REUSEPORT here. */
  readonly canReusePort: boolean;
  /**
   * Opens a listening socket. With `onConnection` it accepts (paused) connections for round-robin; without, it
   * makes a handle that only workers accept on. Rejects with the runtime's error (with `code`, e.g. `EADDRINUSE`).
   */
  open(request: ServerRequest, onConnection: ((socket: unknown) => void) | undefined): Promise<OpenPort>;
  /**
   * Checks that nothing else holds a fixed port before workers share it with SO_REUSEPORT: binds it alone for a
   * moment, and rejects with the runtime's error (`EADDRINUSE`) when it cannot.
   */
  probe(request: ServerRequest): Promise<void>;
  /**
   * Binds a UDP socket for a `dgram` request; `onMessage` gets each datagram (base64). Rejects with the runtime's
   * error (with `code`).
   */
  openDatagram(
    request: ServerRequest,
    onMessage: (data: string, rinfo: DatagramInfo) => void,
  ): Promise<OpenDatagramPort>;
}
