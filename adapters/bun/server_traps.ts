/**
 * In a Bun worker the servers of `node:net`, `node:http` and `node:dgram` share their ports like every other, but
 * the worker loads those modules only when the program does. Loading one just to hook it costs start-up that a
 * worker serving with `Bun.serve` never needs (measured in a fresh Bun 1.4 process: `node:stream` 3.0-4.5 ms,
 * `node:net` 1.6-2.5 ms after it, `node:dgram` 0.7-1.0 ms, `node:http` 4.1-6.1 ms), and Bun offers no way to see a
 * built-in module's first load (runtime plugins do not see built-ins; `process.moduleLoadList` is empty).
 *
 * What it can see: those modules define their server's `listen` (a UDP socket's `bind`) by assigning it to a
 * prototype whose own prototype is EventEmitter's (Bun 1.4; tests/server_traps.test.ts checks it on the pinned
 * Bun). The primary starts Bun workers with {@link installServerTraps} as a preload, which runs before the
 * worker's first module (a module the program imports before the library included): it puts accessors of those
 * names on `EventEmitter.prototype`, whose setter stores what is assigned as the assignment would have, but on a
 * class's prototype stores a stand-in that, once the library is loaded, puts the method back and has the library
 * hook the class ({@link hookServersAsLoaded}) before the first call goes on. Other classes that assign such a
 * method get it back untouched; a call before the library loads goes to the method as it is. A worker started
 * without the preload (by hand, or by a primary of an older version) hooks all three modules at once, as before.
 *
 * @module
 */

import { hookServer } from "../servers/net_hooks.ts";
import { installDgramHooks } from "../servers/dgram_hooks.ts";
import type { ServerBridge } from "../../src/contract/mod.ts";
import { process } from "../shared/host_process.ts";
import { dgramModule, httpModule, netModule } from "../shared/lazy_builtin.ts";

/** A method a class's prototype was given while the traps were set. */
interface TrappedMethod {
  prototype: Record<string, unknown>;
  name: string;
  original: unknown;
  /** What the prototype was given in its place. */
  standIn: unknown;
  settled: boolean;
}

/** What the preload leaves on `globalThis` under `Symbol.for("unicluster.serverTraps")`. */
interface TrapRegistry {
  /** Every method trapped, in order. */
  trapped: TrappedMethod[];
  /** Set by the library: hooks a prototype, given back its own method, if it is a built-in server's. */
  resolve?: (prototype: Record<string, unknown>, name: string) => void;
  /** Puts the method back and calls `resolve`, once (nothing before `resolve` is set). */
  settle(entry: TrappedMethod): void;
  /** Takes the accessors off `EventEmitter.prototype` (once every kind of server is hooked). */
  release(): void;
}

/**
 * The preload's body. It runs as its own text (see {@link serverTrapsPreload}), so it refers to nothing outside
 * itself.
 */
export function installServerTraps(): void {
  const key = Symbol.for("unicluster.serverTraps");
  const global = globalThis as unknown as Record<symbol, unknown>;
  if (global[key] !== undefined) return;
  const host = (globalThis as unknown as { process: { getBuiltinModule(id: string): unknown } }).process;
  const emitter =
    (host.getBuiltinModule("node:events") as { EventEmitter: { prototype: object } }).EventEmitter;
  const names = ["listen", "bind"];
  const accessors = new Map<string, PropertyDescriptor>();
  const own = (target: object, name: string, value: unknown) =>
    Object.defineProperty(target, name, { value, writable: true, enumerable: true, configurable: true });
  const registry: TrapRegistry = {
    trapped: [],
    resolve: undefined,
    settle(entry) {
      if (entry.settled || registry.resolve === undefined) return;
      entry.settled = true;
      // A program that wrapped the stand-in keeps its wrapper, which the library's hook then wraps.
      if (entry.prototype[entry.name] === entry.standIn) own(entry.prototype, entry.name, entry.original);
      registry.resolve(entry.prototype, entry.name);
    },
    release() {
      for (const [name, accessor] of accessors) {
        const now = Object.getOwnPropertyDescriptor(emitter.prototype, name);
        if (now?.set === accessor.set) delete (emitter.prototype as Record<string, unknown>)[name];
      }
    },
  };
  for (const name of names) {
    const accessor: PropertyDescriptor = {
      configurable: true,
      get: () => undefined,
      set(this: Record<string, unknown>, value: unknown) {
        if (typeof value !== "function" || !Object.hasOwn(this, "constructor")) return own(this, name, value);
        const entry: TrappedMethod = {
          prototype: this,
          name,
          original: value,
          standIn: undefined,
          settled: false,
        };
        entry.standIn = function (this: unknown, ...args: unknown[]) {
          // Called through the prototype, the call goes on to the library's hook once there is one; called by a
          // program's wrapper of it, to the method itself (the hook wraps the wrapper).
          const direct = entry.prototype[name] === entry.standIn;
          registry.settle(entry);
          const method = entry.settled && direct ? entry.prototype[name] : entry.original;
          return (method as (...args: unknown[]) => unknown).apply(this, args);
        };
        registry.trapped.push(entry);
        own(this, name, entry.standIn);
      },
    };
    accessors.set(name, accessor);
    Object.defineProperty(emitter.prototype, name, accessor);
  }
  global[key] = registry;
}

/** How the preload's `data:` URL starts: its text follows in base64. */
const DATA_URL = "data:text/javascript;base64,";

/** The `data:` URL of the preload's text, made once. */
let preloadUrl: string | undefined;

/** The preload that sets the traps, for a Bun worker's command line: `--preload` and a `data:` URL of its text. */
export function serverTrapsPreload(): string[] {
  preloadUrl ??= `${DATA_URL}${btoa(`(${installServerTraps.toString()})();\n`)}`;
  return ["--preload", preloadUrl];
}

/** The runtime flags of a worker of `runtime`: the preload first for a Bun worker, then `execArgv`. */
export function withServerTraps(runtime: string, execArgv: readonly string[]): string[] {
  return runtime === "bun" ? [...serverTrapsPreload(), ...execArgv] : [...execArgv];
}

/** Which built-in server a trapped prototype is, if any; the likelier module is asked first (it is loaded). */
function builtinServer(
  prototype: Record<string, unknown>,
  name: string,
): "net" | "http" | "dgram" | undefined {
  const is = (builtin: object) => builtin === prototype;
  if (name === "bind") return is(dgramModule().Socket.prototype) ? "dgram" : undefined;
  const http = () => is(httpModule().Server.prototype);
  const net = () => is(netModule().Server.prototype);
  if (typeof prototype.closeIdleConnections === "function") {
    return http() ? "http" : net() ? "net" : undefined;
  }
  return net() ? "net" : http() ? "http" : undefined;
}

/**
 * In a Bun worker: hooks the built-in servers as the program loads their modules, when the worker was started with
 * the preload; returns false (and does nothing) when it was not. The preload's flags leave `process.execArgv`, so
 * that the program sees the runtime flags it was given.
 */
export function hookServersAsLoaded(bridge: ServerBridge): boolean {
  const registry = (globalThis as unknown as Record<symbol, TrapRegistry | undefined>)[
    Symbol.for("unicluster.serverTraps")
  ];
  if (registry === undefined) return false;
  dropPreloadFlags();
  const hooked = new Set<string>();
  registry.resolve = (prototype, name) => {
    const kind = builtinServer(prototype, name);
    if (kind === undefined || hooked.has(kind)) return;
    hooked.add(kind);
    if (kind === "dgram") installDgramHooks(bridge);
    else hookServer(prototype, bridge, kind);
    if (hooked.size === 3) registry.release();
  };
  for (const entry of registry.trapped) registry.settle(entry);
  return true;
}

/** Takes `--preload data:...` of the traps out of `process.execArgv`. */
function dropPreloadFlags(): void {
  const argv = process.execArgv;
  const at = argv.findIndex((arg, i) =>
    arg === "--preload" && argv[i + 1]?.startsWith(DATA_URL) === true &&
    atob(argv[i + 1].slice(DATA_URL.length)).includes("unicluster.serverTraps")
  );
  if (at >= 0) argv.splice(at, 2);
}
