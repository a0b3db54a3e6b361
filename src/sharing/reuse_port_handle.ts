/**
 * SO_REUSEPORT (as Bun's `ReusePortHandle.ts`): each worker binds the port itself and the kernel spreads the
 * connections (Linux). The primary holds no socket. A fixed port is first checked to be free (the port opener's
 * `probe`), so that the workers get EADDRINUSE, as under Node, when another program holds it. For a port-0 listen,
 * the primary makes every worker bind the same port: the first one binds port 0 and reports the port it got
 * (`bound`), the others wait for that report. If the chooser leaves before reporting, the next waiting worker
 * chooses.
 *
 * @module
 */

import type { PortOpener, ServerReply, ServerRequest, SharingMode } from "../contract/sharing.ts";
import type { PortHandle } from "./port_handle.ts";

/** One shared port in `reuseport` mode. */
export class ReusePortHandle<W> implements PortHandle<W> {
  /** Always `reuseport`. */
  readonly mode: SharingMode = "reuseport";
  #workers = new Set<W>();
  /** Workers waiting for the chooser's report: they keep the handle alive. */
  #waiting = 0;
  #port: number | undefined;
  #chooser: { worker: W; reported: Promise<void>; settle: () => void } | undefined;

  /** The check of a fixed port (none for port 0), or its failure. */
  #free: Promise<ServerReply | undefined>;

  /** A handle for `request`; a fixed port is checked at once (`checkFree` false: the server bound it already). */
  constructor(request: ServerRequest, opener: PortOpener, checkFree: boolean) {
    if (request.port !== 0) this.#port = request.port;
    this.#free = request.port === 0 || !checkFree ? Promise.resolve(undefined) : opener.probe(request).then(
      () => undefined,
      (error: { code?: string; message?: string }): ServerReply => ({
        mode: "reuseport",
        port: request.port,
        errno: error?.code ?? "EADDRINUSE",
        error: error?.message ?? String(error),
      }),
    );
  }

  /** Adds a worker: it binds the known port, or chooses one (port 0, first worker), or waits for the chooser. */
  async add(worker: W): Promise<ServerReply> {
    this.#waiting++;
    const failure = await this.#free;
    if (failure !== undefined) {
      this.#waiting--;
      return failure;
    }
    while (this.#port === undefined && this.#chooser !== undefined) await this.#chooser.reported;
    this.#waiting--;
    this.#workers.add(worker);
    if (this.#port !== undefined) return { mode: "reuseport", port: this.#port };
    let settle!: () => void;
    const reported = new Promise<void>((resolve) => settle = resolve);
    this.#chooser = { worker, reported, settle };
    return { mode: "reuseport", port: 0 };
  }

  /** Removes a worker; a chooser that leaves lets the next waiting worker choose. */
  remove(worker: W): boolean {
    this.#workers.delete(worker);
    if (this.#chooser?.worker === worker) this.#release();
    return this.#workers.size === 0 && this.#waiting === 0;
  }

  /** The chooser reports the port it bound. */
  bound(worker: W, port: number): void {
    if (this.#port !== undefined || this.#chooser?.worker !== worker) return;
    this.#port = port;
    this.#release();
  }

  #release(): void {
    const chooser = this.#chooser;
    this.#chooser = undefined;
    chooser?.settle();
  }
}
