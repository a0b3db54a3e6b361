/**
 * Errors with Node-style `code` properties, so callers can tell them apart as they would Node's own.
 *
 * @module
 */

/** An error carrying a Node-style `code`. */
export interface CodedError extends Error {
  /** Node-style error code, such as `ERR_INVALID_ARG_TYPE`. */
  code: string;
}

function withCode<E extends Error>(error: E, code: string): E & CodedError {
  Object.defineProperty(error, "code", { value: code, enumerable: true, writable: true, configurable: true });
  return error as E & CodedError;
}

/** Describes a received value the way Node's error messages do. */
export function describeReceived(value: unknown): string {
  if (value === null) return "Received null";
  if (value === undefined) return "Received undefined";
  if (typeof value === "function") return `Received function ${value.name || "<anonymous>"}`;
  if (typeof value === "object") {
    const name = (value as { constructor?: { name?: string } }).constructor?.name;
    return name ? `Received an instance of ${name}` : "Received an object";
  }
  let shown = String(value);
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  if (typeof value === "string") shown = `'${shown}'`;
  return `Received type ${typeof value} (${shown})`;
}

/** `TypeError` with code `ERR_INVALID_ARG_TYPE`: a value of the wrong type. */
export function invalidArgType(name: string, expected: string, actual: unknown): TypeError & CodedError {
  return withCode(
    new TypeError(`The "${name}" argument must be ${expected}. ${describeReceived(actual)}`),
    "ERR_INVALID_ARG_TYPE",
  );
}

/** `TypeError` with code `ERR_INVALID_ARG_VALUE`: a value of the right type but not allowed. */
export function invalidArgValue(name: string, value: unknown, reason: string): TypeError & CodedError {
  let shown: string;
  try {
    shown = typeof value === "string" ? `'${value}'` : JSON.stringify(value) ?? String(value);
  } catch {
    shown = String(value);
  }
  return withCode(
    new TypeError(`The argument '${name}' ${reason}. Received ${shown}`),
    "ERR_INVALID_ARG_VALUE",
  );
}

/** `TypeError` with code `ERR_MISSING_ARGS`. */
export function missingArgs(name: string): TypeError & CodedError {
  return withCode(new TypeError(`The "${name}" argument must be specified`), "ERR_MISSING_ARGS");
}

/** `TypeError` with code `ERR_UNKNOWN_SIGNAL`. */
export function unknownSignal(signal: unknown): TypeError & CodedError {
  return withCode(new TypeError(`Unknown signal: ${String(signal)}`), "ERR_UNKNOWN_SIGNAL");
}

/** `Error` with code `ERR_IPC_CHANNEL_CLOSED`: a send on a closed channel. */
export function channelClosed(): Error & CodedError {
  return withCode(new Error("Channel closed"), "ERR_IPC_CHANNEL_CLOSED");
}

/** `Error` with code `ERR_CLUSTER_NOT_PRIMARY`: a primary-only call made in a worker. */
export function notPrimary(what: string): Error & CodedError {
  return withCode(
    new Error(`${what} can only be called in the primary process; this process is a cluster worker`),
    "ERR_CLUSTER_NOT_PRIMARY",
  );
}

/** Adds a code to an existing error (for errors the runtime raised). */
export function codeError<E extends Error>(error: E, code: string): E & CodedError {
  return withCode(error, code);
}
