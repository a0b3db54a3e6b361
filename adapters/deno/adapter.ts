/**
 * The Deno adapter. Workers are started with `Deno.Command` and talk to the primary over the socket channel
 * (../ipc/socket/), since `Deno.Command` has no IPC channel; or, on the `child_process` route
 * (`UNICLUSTER_ADAPTER=node`), with Deno's `node:child_process.spawn` and an `ipc` stdio entry, which carries
 * handles. The worker's command line is built in ./command_line.ts (README, "Deno permissions").
 *
 * The module only touches `Deno` inside methods, so it can be imported on Node and Bun.
 *
 * @module
 */

import type {
  Adapter,
  ChildEvents,
  ChildLink,
  HostInfo,
  ParentEvents,
  ParentLink,
  PortOpener,
  ProcessMessagingHooks,
  RuntimeName,
  ServerBridge,
  SpawnRequest,
  WorkerCommand,
  WorkerIdentity,
  WorkerStats,
} from "../../src/contract/mod.ts";
import { unavailable } from "../../src/errors.ts";
import { connectParent } from "../ipc/connect_parent.ts";
import { keepOwnListen } from "../ipc/socket/acceptor.ts";
import { ProcessChildLink } from "../node/child_link.ts";
import { installDgramHooks } from "../servers/dgram_hooks.ts";
import { installNetServerHooks } from "../servers/net_hooks.ts";
import { netPortOpener } from "../servers/net_ports.ts";
import { startHeartbeat } from "../shared/heartbeat.ts";
import { process } from "../shared/host_process.ts";
import { urlModule } from "../shared/lazy_builtin.ts";
import { scriptExists } from "../shared/process_host.ts";
import { DenoChildLink } from "./child_link.ts";
import { denoExecArgv } from "./command_line.ts";
import { takeEarlyChannel } from "./early_channel.ts";
import { denoGlobal, granted } from "./globals.ts";
import { primaryFlags, primarySubcommand } from "./primary_flags.ts";
import { installDenoServeHook } from "./serve_hook.ts";
import { withDenoPortProbe } from "./port_probe.ts";
import { DenoUnixSocket, dialDenoUnixSocket } from "./unix_socket.ts";

/** `Deno.build.os` names that differ from Node's `process.platform`. */
const PLATFORMS: Record<string, string> = { windows: "win32", solaris: "sunos", illumos: "sunos" };

/** A file URL as a path; other specifiers (`https:`, `npm:`, `jsr:`) as they are. */
function modulePath(specifier: string): string {
  return specifier.startsWith("file:") ? urlModule().fileURLToPath(specifier) : specifier;
}

/** Whether a request asks for stdio beyond fds 0-2 (beyond the IPC channel, which either spawner provides). */
function needsExtraFds(request: SpawnRequest): boolean {
  return (request.stdio ?? []).some((entry, fd) =>
    fd > 2 && entry !== "ipc" && entry !== "ignore" && entry !== null && entry !== undefined
  );
}

/** How Deno workers are started: `Deno.Command` (the default) or `node:child_process` (handles pass). */
export type DenoSpawner = "command" | "child_process";

/** The adapter for Deno. */
export class DenoAdapter implements Adapter {
  /** `deno`, or `node` on the `child_process` route. */
  readonly name: RuntimeName;
  #spawner: DenoSpawner;
  #ports: PortOpener | undefined;

  /** An adapter that starts workers with `spawner`. */
  constructor(spawner: DenoSpawner = "command") {
    this.#spawner = spawner;
    this.name = spawner === "command" ? "deno" : "node";
    keepOwnListen();
  }

  /** Facts about this process; the environment is empty without `--allow-env`. */
  host(): HostInfo {
    const deno = denoGlobal();
    // Node's `process.argv`, which programs may change, as Node's setupPrimary() reads it.
    const argv = (globalThis as { process?: { argv?: string[]; execArgv?: string[] } }).process;
    return {
      runtime: "deno",
      execPath: deno.execPath(),
      mainModule: argv?.argv?.[1] ?? modulePath(deno.mainModule),
      args: argv?.argv?.slice(2) ?? [...deno.args],
      execArgv: [...argv?.execArgv ?? []],
      pid: deno.pid,
      platform: PLATFORMS[deno.build.os] ?? deno.build.os,
      env: granted(deno, { name: "env" }) ? deno.env.toObject() : {},
    };
  }

  /** Reads and removes the identity variable; undefined without the permission to read it. */
  takeIdentity(name: string): string | undefined {
    const deno = denoGlobal();
    if (!granted(deno, { name: "env", variable: name })) return undefined;
    const value = deno.env.get(name);
    if (value !== undefined) deno.env.delete(name);
    return value;
  }

  /** This `deno` with the permissions this primary holds in full and its other flags; `node` or `bun`, with none. */
  workerCommand(runtime: RuntimeName): WorkerCommand {
    if (runtime !== "deno") return { execPath: runtime, execArgv: [] };
    const deno = denoGlobal();
    // Deno's process.execArgv is empty, so cluster.settings.execArgv is too (as Node's tests expect); the
    // primary's own flags come with the command instead (see primary_flags.ts).
    return { execPath: deno.execPath(), execArgv: [...denoExecArgv(deno), ...primaryFlags(deno)] };
  }

  /** Whether a script exists; a path this process may not read counts as present (the worker will tell). */
  fileExists(path: string): boolean {
    const deno = denoGlobal();
    return scriptExists(path, (file) => {
      if (!granted(deno, { name: "read", path: file })) return undefined;
      try {
        return deno.statSync(file).isFile;
      } catch {
        return false;
      }
    });
  }

  /**
   * Starts a worker: with `Deno.Command`, or with `node:child_process` on that route and for a worker that needs
   * more file descriptors than fds 0-2 (`stdio: [..., "ipc", "pipe"]`), which `Deno.Command` cannot give. Either way
   * the command line is the same, with this primary's permissions.
   */
  spawn(request: SpawnRequest, events: ChildEvents): ChildLink {
    if (primarySubcommand(denoGlobal()) === "serve") throw servedByDeno();
    if (this.#spawner === "command" && !needsExtraFds(request)) {
      return new DenoChildLink(denoGlobal(), request, events);
    }
    return new ProcessChildLink(request, events, {
      canPassHandles: request.runtime === "deno",
      checkJson: true,
      handleBarrier: true,
      closeOnBrokenPipe: true,
    });
  }

  /** Opens the primary's shared ports with node:net (checking a port is free with Deno.listen). */
  ports(): PortOpener {
    return this.#ports ??= withDenoPortProbe(netPortOpener());
  }

  /** The global `process` (Deno 2's Node-compatible one). */
  currentProcess(): unknown {
    return (globalThis as { process?: unknown }).process;
  }

  /** Connects a worker: over the socket (Deno primary), or the runtime's IPC (a Node or Bun primary). */
  connectParent(identity: WorkerIdentity, events: ParentEvents, hooks: ProcessMessagingHooks): ParentLink {
    return connectParent(
      this.currentProcess(),
      identity,
      events,
      hooks,
      identity.serialization !== "advanced",
      (path, connected, failed) => {
        const early = takeEarlyChannel(path, identity.id);
        if (early !== undefined) connected(new DenoUnixSocket(early), true);
        else dialDenoUnixSocket(path, connected, failed);
      },
    );
  }

  /** Makes node:net servers and `Deno.serve` share their ports. */
  installServerHooks(bridge: ServerBridge): void {
    installNetServerHooks(bridge);
    installDgramHooks(bridge);
    installDenoServeHook(bridge);
  }

  /** Ends this process, as `process.exit` does: its `exit` listeners run (`Deno.exit` would skip them). */
  exit(code: number): void {
    process.exit(code);
  }

  /** Sends this process's stats every `interval` milliseconds. */
  startHeartbeat(interval: number, beat: (stats: WorkerStats) => void): void {
    startHeartbeat(interval, beat);
  }
}

/** A primary started with `deno serve`: Deno serves its default export in this process, and its workers cannot. */
function servedByDeno(): Error {
  return unavailable(
    "A primary started with `deno serve` cannot fork workers: Deno serves the module's default export in the " +
      "primary alone. Start it with `deno run` (the portable serve() shares the port among the workers), or run " +
      "the module with unicluster's command line (cli.ts), which serves a default export on every worker.",
  );
}
