/**
 * `process.send`, `process.on("message")`, `process.connected` and `process.disconnect` in a worker, on any runtime.
 *
 * Internal messages share the channel with user messages. Node and Deno dispatch a channel message through
 * `process.emit`, Bun does not, so filtering `emit` is not enough: instead every `message` listener a user adds to
 * `process` is wrapped so that it only runs while its {@link DeliveryGate} is open, which happens only when the
 * core hands a user message over through `deliver`.
 *
 * @module
 */

import type { ProcessMessagingHooks } from "../../src/contract/mod.ts";

type Listener = (...args: unknown[]) => unknown;
type Emitter = Record<string, unknown> & { emit(event: string, ...args: unknown[]): boolean };

/** Open while a user message is being handed to `process` listeners (the channel's own listener skips it then). */
export interface DeliveryGate {
  /** Whether a delivery is under way. */
  open: boolean;
}

const ADDERS = ["on", "addListener", "once", "prependListener", "prependOnceListener"] as const;
const REMOVERS = ["off", "removeListener"] as const;

/**
 * Installs the worker's process messaging on `proc` (the global `process`), gated by `gate`. Returns the function
 * that delivers a user message to the `message` listeners. `onRuntimeSet` hears what the runtime's own channel
 * code assigns to `process.connected`, which reads from the hooks from now on.
 */
export function installProcessMessaging(
  proc: unknown,
  hooks: ProcessMessagingHooks,
  gate: DeliveryGate,
  onRuntimeSet?: (connected: boolean) => void,
): (message: unknown, handle: unknown) => void {
  const target = proc as Emitter;
  const wrappers = new WeakMap<Listener, Listener>();
  const wrap = (listener: Listener): Listener => {
    let wrapper = wrappers.get(listener);
    if (wrapper === undefined) {
      wrapper = function (this: unknown, ...args: unknown[]) {
        if (gate.open) return listener.apply(this, args);
      };
      wrappers.set(listener, wrapper);
    }
    return wrapper;
  };
  // A one-time listener is added as a lasting one that removes itself when a delivery reaches it: the runtime's
  // own once() would spend it on the first message the channel emits, an internal one included (Bun's does).
  const oneTime = new WeakMap<Listener, Listener>();
  const once = (listener: Listener): Listener => {
    const wrapper = function (this: unknown, ...args: unknown[]) {
      if (!gate.open) return;
      (target.removeListener as (event: string, listener: Listener) => unknown).call(
        target,
        "message",
        listener,
      );
      return listener.apply(this, args);
    };
    oneTime.set(listener, wrapper);
    return wrapper;
  };
  const adders = Object.fromEntries(ADDERS.map((name) => [name, target[name]])) as Record<
    (typeof ADDERS)[number],
    (event: string, listener: Listener) => unknown
  >;
  for (const name of ADDERS) {
    const spent = name === "once" || name === "prependOnceListener";
    const lasting = name === "prependOnceListener" ? adders.prependListener : adders.on;
    target[name] = function (this: unknown, event: string, listener: Listener) {
      if (event !== "message" || typeof listener !== "function") {
        return adders[name].call(this, event, listener);
      }
      return spent
        ? lasting.call(this, event, once(listener))
        : adders[name].call(this, event, wrap(listener));
    };
  }
  for (const name of REMOVERS) {
    const original = target[name] as (event: string, listener: Listener) => unknown;
    target[name] = function (this: unknown, event: string, listener: Listener) {
      if (event !== "message") return original.call(this, event, listener);
      const once = oneTime.get(listener);
      oneTime.delete(listener);
      return original.call(this, event, once ?? wrappers.get(listener) ?? listener);
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
  return (message, handle) => {
    gate.open = true;
    try {
      target.emit("message", message, handle);
    } finally {
      gate.open = false;
    }
  };
}
