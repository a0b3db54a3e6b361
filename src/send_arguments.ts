/**
 * Parses and checks the arguments of `send(message, handle?, options?, callback?)` as Node does.
 *
 * @module
 */

import { invalidArgType, missingArgs } from "./errors.ts";

/** The arguments of a send, sorted out. */
export interface SendArguments {
  /** The message. */
  message: unknown;
  /** The handle to pass along, if any. */
  handle: unknown;
  /** The options object, if any. */
  options: unknown;
  /** The callback, if any. */
  callback: ((error: Error | null) => void) | undefined;
}

/** Sorts out `send`'s optional arguments and checks the message; throws Node's errors for bad ones. */
export function parseSendArguments(
  message: unknown,
  handle?: unknown,
  options?: unknown,
  callback?: unknown,
): SendArguments {
  if (typeof handle === "function") {
    callback = handle;
    handle = undefined;
    options = undefined;
  } else if (typeof options === "function") {
    callback = options;
    options = undefined;
  }
  if (message === undefined) throw missingArgs("message");
  const kind = typeof message;
  if (kind !== "string" && kind !== "object" && kind !== "number" && kind !== "boolean") {
    throw invalidArgType("message", "one of type string, object, number, or boolean", message);
  }
  if (callback !== undefined && typeof callback !== "function") {
    throw invalidArgType("callback", "of type function", callback);
  }
  if (options !== undefined && options !== null && typeof options !== "object") {
    throw invalidArgType("options", "of type object", options);
  }
  return {
    message,
    handle: handle ?? undefined,
    options,
    callback: callback as ((error: Error | null) => void) | undefined,
  };
}
