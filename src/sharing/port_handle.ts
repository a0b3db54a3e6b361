/**
 * What every sharing mode's handle offers the registry (as Node's `RoundRobinHandle` and `SharedHandle` share
 * `add`/`remove`): one shared port, the workers that listen on it, and what each new worker is told.
 *
 * @module
 */

import type { OpenPort, PortOpener, ServerReply, ServerRequest, SharingMode } from "../contract/sharing.ts";

/** One shared port in one mode. `W` is the worker type (any object; tests use plain ones). */
export interface PortHandle<W> {
  /** How this port is shared. */
  readonly mode: SharingMode;
  /** Adds a worker; resolves with what it is told (an `errno` when the port could not be opened: not added). */
  add(worker: W): Promise<ServerReply>;
  /** Removes a worker; returns true when none is left and the handle has closed its port. */
  remove(worker: W): boolean;
  /** A worker reports the port it bound (only reuse-port handles care: a port-0 listen chooses the port). */
  bound(worker: W, port: number): void;
  /**
   * The worker has been sent its reply. Round-robin hands it connections only from then on: one sent before would
   * reach it before the reply, when it has no server for it yet, and be refused.
   */
  replied?(worker: W): void;
  /**
   * The worker was asked to go: it gets nothing more from the port, but keeps what it needs to finish (a UDP
   * worker's datagrams in flight still go out) until it is removed. Handles without it remove the worker at once.
   */
  retire?(worker: W): void;
}

/** A port the primary opens itself (round-robin and shared handle): opening, failure, and closing when empty. */
export class PrimaryPort {
  /** Settles once the port is open (with it) or failed (with the reply that says why). */
  readonly opened: Promise<OpenPort | ServerReply>;
  #port: OpenPort | undefined;
  #closed = false;

  /** Opens `request` with `opener`; `onConnection` makes it accept (round-robin). */
  constructor(
    mode: SharingMode,
    request: ServerRequest,
    opener: PortOpener,
    onConnection?: (socket: unknown) => void,
  ) {
    this.opened = opener.open(request, onConnection).then(
      (port) => {
        this.#port = port;
        // Every worker may have left while the socket opened.
        if (this.#closed) port.close();
        return port;
      },
      (error: { code?: string; message?: string }): ServerReply => ({
        mode,
        port: request.port,
        errno: error?.code ?? "EADDRINUSE",
        error: error?.message ?? String(error),
      }),
    );
  }

  /** Closes the port now, or as soon as it has opened. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#port?.close();
  }
}

/** Whether an outcome of {@link PrimaryPort.opened} is a failure reply. */
export function isFailure(outcome: OpenPort | ServerReply): outcome is ServerReply {
  return (outcome as ServerReply).errno !== undefined;
}
