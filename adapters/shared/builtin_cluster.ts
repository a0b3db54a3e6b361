/**
 * Makes the runtime's own `node:cluster` module object drive another cluster: what `require("cluster")` and
 * `import cluster from "node:cluster"` return anywhere in the process then reads and forwards to it. On Node, Bun
 * and Deno that module object is a plain EventEmitter whose properties are all configurable (measured on Node 24
 * and 20, Bun 1.4, Deno 2.9), so each of them is redefined: getters for the state, bound functions for the
 * methods and for EventEmitter's, so that listeners land on the other cluster. Node's named ESM exports
 * (`import { isPrimary } from "node:cluster"`) follow through `module.syncBuiltinESMExports()`; on Bun and Deno
 * that call changes nothing, and which named exports follow is said in the README.
 *
 * @module
 */

import module, { createRequire } from "node:module";
import { listenInProcess } from "./builtin_listen.ts";
import { process } from "./host_process.ts";

/** What the redirect reads of the cluster it forwards to: unicluster's `Cluster` (an EventEmitter). */
export interface ForwardTarget {
  /** True in the primary. */
  readonly isPrimary: boolean;
  /** True in a worker: then the runtime's servers need `_getServer` (see `builtin_listen.ts`). */
  readonly isWorker: boolean;
  /** Read and set through the builtin object. */
  schedulingPolicy: number;
}

/** State read through getters (`schedulingPolicy` is also set through). */
const STATE = [
  "isPrimary",
  "isMaster",
  "isWorker",
  "worker",
  "workers",
  "settings",
  "schedulingPolicy",
  "SCHED_NONE",
  "SCHED_RR",
  "SCHED_REUSEPORT",
  "Worker",
  "_events",
  "_eventsCount",
  "_maxListeners",
] as const;

/** The cluster's methods; after each, Node's named ESM exports are brought up to date (`settings` changes). */
const METHODS = ["fork", "setupPrimary", "setupMaster", "disconnect"] as const;

/** EventEmitter's methods that return the emitter: the redirected ones return the builtin object, as before. */
const CHAINING = [
  "on",
  "once",
  "off",
  "addListener",
  "removeListener",
  "prependListener",
  "prependOnceListener",
  "removeAllListeners",
  "setMaxListeners",
] as const;

/** EventEmitter's methods that return a value. */
const QUERIES = [
  "emit",
  "listeners",
  "rawListeners",
  "listenerCount",
  "eventNames",
  "getMaxListeners",
] as const;

/** Where the redirect leaves its target on the builtin object, so that a second install changes nothing. */
const REDIRECTED = Symbol.for("unicluster.builtinCluster");

/** The runtime's own `node:cluster` module object, without importing it as an ES module (see the README). */
function builtinCluster(): Record<PropertyKey, unknown> {
  const own = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  const loaded = typeof own === "function"
    ? own.call(process, "node:cluster")
    : createRequire(import.meta.url)("node:cluster");
  return loaded as Record<PropertyKey, unknown>;
}

/** Node's named exports of builtins read the module object again; Bun and Deno have the function, doing nothing. */
function syncNamedExports(): void {
  (module as { syncBuiltinESMExports?: () => void }).syncBuiltinESMExports?.();
}

function define(object: object, key: PropertyKey, descriptor: PropertyDescriptor): void {
  Object.defineProperty(object, key, {
    configurable: true,
    enumerable: typeof key === "string",
    ...descriptor,
  });
}

/**
 * Redirects the runtime's own `node:cluster` module object to `target` and returns that object. A second call
 * leaves the first redirect in place and returns the cluster it forwards to.
 */
export function redirectBuiltinCluster<T extends ForwardTarget>(target: T): T {
  const builtin = builtinCluster();
  const earlier = builtin[REDIRECTED];
  if (earlier !== undefined) return earlier as T;
  const source = target as unknown as Record<string, unknown>;
  const call = (name: string, args: unknown[]): unknown =>
    (source[name] as (...args: unknown[]) => unknown).apply(target, args);
  for (const name of STATE) {
    define(builtin, name, {
      get: () => source[name],
      set: (value: unknown) => {
        source[name] = value;
        if (name === "schedulingPolicy") syncNamedExports();
      },
    });
  }
  for (const name of METHODS) {
    define(builtin, name, {
      writable: true,
      value: function (...args: unknown[]): unknown {
        const result = call(name, args);
        syncNamedExports();
        return result;
      },
    });
  }
  for (const name of CHAINING) {
    define(builtin, name, {
      writable: true,
      value: function (...args: unknown[]): unknown {
        call(name, args);
        return builtin;
      },
    });
  }
  for (const name of QUERIES) {
    define(builtin, name, { writable: true, value: (...args: unknown[]) => call(name, args) });
  }
  if (target.isWorker) define(builtin, "_getServer", { writable: true, value: listenInProcess });
  define(builtin, REDIRECTED, { value: target });
  syncNamedExports();
  return target;
}
