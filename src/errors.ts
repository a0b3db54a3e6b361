/**
 * Every error unicluster raises, with Node-style `code` properties so callers can tell them apart as they would
 * Node's own. The one errors module of the project: the core and the adapters both import it (it imports nothing).
 *
 * @module
 */

/** An error carrying a Node-style `code`. */
export interface CodedError extends Error {
  /** Node-style error code, such as `ERR_INVALID_ARG_TYPE`. */
  code: string;
}

/** Adds a Node-style `code` to an error (also to errors the runtime raised) and returns it. */
export function withCode<E extends Error>(error: E, code: string): E & CodedError {
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

// --- arguments ---

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

/** `RangeError` with code `ERR_SOCKET_BAD_PORT`, worded as Node words it. */
export function badPort(name: string, port: unknown): RangeError & CodedError {
  return withCode(
    new RangeError(`${name} should be >= 0 and < 65536. Received ${describeReceived(port).slice(9)}.`),
    "ERR_SOCKET_BAD_PORT",
  );
}

// --- the cluster ---

/** `Error` with code `ERR_CLUSTER_NOT_PRIMARY`: a primary-only call made in a worker. */
export function notPrimary(what: string): Error & CodedError {
  return withCode(
    new Error(`${what} can only be called in the primary process; this process is a cluster worker`),
    "ERR_CLUSTER_NOT_PRIMARY",
  );
}

/** `Error` with code `ERR_CLUSTER_NOT_WORKER`: a worker-only call made in the primary. */
export function notWorker(what: string): Error & CodedError {
  return withCode(
    new Error(`${what} can only be called in a cluster worker; this process is the primary`),
    "ERR_CLUSTER_NOT_WORKER",
  );
}

/** `Error` with code `ERR_MODULE_NOT_FOUND`: the script a worker would run is missing. */
export function scriptMissing(exec: string): Error & CodedError {
  return withCode(
    new Error(`Cannot fork: settings.exec "${exec}" does not exist or is not a file`),
    "ERR_MODULE_NOT_FOUND",
  );
}

// --- the channel ---

/** `Error` with code `ERR_IPC_CHANNEL_CLOSED`: a send on a closed channel. */
export function channelClosed(): Error & CodedError {
  return withCode(new Error("Channel closed"), "ERR_IPC_CHANNEL_CLOSED");
}

/** `Error` with code `ERR_FEATURE_UNAVAILABLE_ON_PLATFORM`: the socket channel carries sockets only. */
export function handlesUnsupported(): Error & CodedError {
  return unavailable(
    "The Deno adapter passes only sockets (net.Socket) to its workers, through a relay: Deno.Command gives a " +
      "child no extra file descriptors, so a server handle cannot pass. Let the workers listen themselves, " +
      "or start them with UNICLUSTER_ADAPTER=node.",
  );
}

/** `RangeError` with code `ERR_IPC_FRAME_TOO_LARGE`: a message over the socket channel's frame limit. */
export function messageTooLarge(length: number, limit: number): RangeError & CodedError {
  return withCode(
    new RangeError(`The message is ${length} bytes once encoded; the channel carries at most ${limit}`),
    "ERR_IPC_FRAME_TOO_LARGE",
  );
}

/** `Error` with code `ERR_IPC_FRAME_TOO_LARGE`: the other process declared a frame over the limit. */
export function frameTooLarge(length: number, limit: number): Error & CodedError {
  return withCode(
    new Error(`The other process sent a frame of ${length} bytes; the channel accepts at most ${limit}`),
    "ERR_IPC_FRAME_TOO_LARGE",
  );
}

/** `Error` with code `ERR_IPC_BAD_FRAME`: a frame that could not be decoded. */
export function badFrame(message: string, cause: unknown): Error & CodedError {
  return withCode(new Error(message, { cause }), "ERR_IPC_BAD_FRAME");
}

// --- the runtime ---

/** `Error` with code `ERR_FEATURE_UNAVAILABLE_ON_PLATFORM`: this runtime cannot do what was asked. */
export function unavailable(message: string): Error & CodedError {
  return withCode(new Error(message), "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM");
}

/** `Error` with code `ERR_ACCESS_DENIED`: the primary lacks a permission (Deno). */
export function accessDenied(message: string, cause?: unknown): Error & CodedError {
  return withCode(new Error(message, { cause }), "ERR_ACCESS_DENIED");
}
