/**
 * `process.send`, `process.on("message")`, `process.connected` and `process.disconnect` in a worker, on any runtime.
 *
 * Internal messages share the channel with user messages. Every `message` listener a user adds to `process` is
 * wrapped so that it skips them (the core says which they are: {@link ProcessMessagingHooks.isInternal}): the
 * runtime's channel then hands user messages to the user's listeners itself, in one dispatch, and internal ones
 * reach nobody but the channel's own listener. A channel the runtime does not dispatch (the socket channel of a
 * Deno primary) hands user messages over with the function this module returns.
 *
 * @module
 */

import type { ProcessMessagingHooks } from "../../src/contract/mod.ts";

type Listener = (...args: unknown[]) => unknown;
type Emitter = Record<string, unknown> & { emit(event: string, ...args: unknown[]): boolean };
type Adder = (event: string, listener: Listener) => unknown;

const ADDERS = ["on", "addListener", "once", "prependListener", "prependOnceListener"] as const;
const REMOVERS = ["off", "removeListener"] as const;

/**
 * Installs the worker's process messaging on `proc` (the global `process`). Returns the function that hands a
 * user message to the `message` listeners. `onRuntimeSet` hears what the runtime's own channel code assigns to
 * `process.connected`, which reads from the hooks from now on.
 */
export function installProcessMessaging(
  proc: unknown,
  hooks: ProcessMessagingHooks,
  onRuntimeSet?: (connected: boolean) => void,
): (message: unknown, handle: unknown) => void {
  const target = proc as Emitter;
  const lasting = new WeakMap<Listener, Listener>();
  const wrap = (listener: Listener): Listener => {
    let wrapper = lasting.get(listener);
    if (wrapper === undefined) {
      wrapper = function (this: unknown, ...args: unknown[]) {
        if (!hooks.isInternal(args[0])) return listener.apply(this, args);
      };
      lasting.set(listener, wrapper);
    }
    return wrapper;
  };
  // A one-time listener is added as a lasting one that removes itself at the first user message: the runtime's
  // own once() would spend it on the first message of any kind (Bun's calls no patched method on the way).
  const oneTime = new WeakMap<Listener, Listener>();
  const once = (listener: Listener): Listener => {
    const wrapper = function (this: unknown, ...args: unknown[]) {
      if (hooks.isInternal(args[0])) return;
      (target.removeListener as Adder).call(target, "message", listener);
      return listener.apply(this, args);
    };
    oneTime.set(listener, wrapper);
    return wrapper;
  };
  const adders = Object.fromEntries(ADDERS.map((name) => [name, target[name]])) as Record<
    (typeof ADDERS)[number],
    Adder
  >;
  for (const name of ADDERS) {
    const spent = name === "once" || name === "prependOnceListener";
    const add = name === "prependOnceListener"
      ? adders.prependListener
      : name === "once"
      ? adders.on
      : adders[name];
    target[name] = function (this: unknown, event: string, listener: Listener) {
      if (event !== "message" || typeof listener !== "function") {
        return adders[name].call(this, event, listener);
      }
      return add.call(this, event, spent ? once(listener) : wrap(listener));
    };
  }
  for (const name of REMOVERS) {
    const original = target[name] as Adder;
    target[name] = function (this: unknown, event: string, listener: Listener) {
      if (event !== "message") return original.call(this, event, listener);
      const spent = oneTime.get(listener);
      oneTime.delete(listener);
      return original.call(this, event, spent ?? lasting.get(listener) ?? listener);
    };
  }
  target.send = (message: unknown, handle?: unknown, options?: unknown, callback?: unknown) =>
    hooks.send(message, handle, options, callback);
  target.disconnect = () => hooks.disconnect();
  // The runtime's own channel code assigns `process.connected` (Node and Deno, as it closes the channel); pass that
  // on, and answer from the hooks.
  Object.defineProperty(target, "connected", {
    get: () => hooks.connected(),
    set: (value: unknown) => onRuntimeSet?.(value === true),
    configurable: true,
  });
  return (message, handle) => void target.emit("message", message, handle);
}
