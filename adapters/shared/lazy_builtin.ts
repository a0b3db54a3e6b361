/**
 * Built-in modules that only some processes need, loaded on first use: every static import is paid by every
 * worker at start-up, before it can say `online`. Measured per module on Bun 1.4: `node:child_process` 7 ms (only
 * a primary spawns), `node:dns` 5 ms (only a listen on a host name resolves one), `node:fs`, `node:url` and
 * `node:os` together about 2 ms (only a primary checks scripts and makes directories); `node:v8` 0.25 ms on Node 24
 * and Bun (only the socket channel's `advanced` serialization uses it). `node:http` on Node 24: 2 ms
 * this way against 20 ms imported from an ES module, whose facade of it reads its lazy properties, which load the
 * fetch implementation (a worker that serves with it pays that anyway; one that uses `node:net`, `Deno.serve` or
 * CommonJS does not). On Bun, a worker that serves with `Bun.serve` loads none of the server modules either
 * (../bun/server_traps.ts): measured in a fresh Bun 1.4 process, `node:stream` 3.0-4.5 ms, `node:net` 1.6-2.5 ms
 * after it, `node:dgram` 0.7-1.0 ms and `node:http` 4.1-6.1 ms.
 *
 * @module
 */

import { process } from "./host_process.ts";

/** The runtime's built-in module `id` (Node 20.16+, Bun, Deno: `process.getBuiltinModule`). */
function builtin<T>(id: string): T {
  return (process as unknown as { getBuiltinModule(id: string): T }).getBuiltinModule(id);
}

/** `node:child_process`. */
export function childProcessModule(): typeof import("node:child_process") {
  return builtin("node:child_process");
}

/** `node:dns`. */
export function dnsModule(): typeof import("node:dns") {
  return builtin("node:dns");
}

/** `node:fs`. */
export function fsModule(): typeof import("node:fs") {
  return builtin("node:fs");
}

/** `node:os`. */
export function osModule(): typeof import("node:os") {
  return builtin("node:os");
}

/** `node:url`. */
export function urlModule(): typeof import("node:url") {
  return builtin("node:url");
}

/** `node:http`. */
export function httpModule(): typeof import("node:http") {
  return builtin("node:http");
}

let net: typeof import("node:net") | undefined;

/** `node:net` (kept: connections and sockets ask for it again and again). */
export function netModule(): typeof import("node:net") {
  return net ??= builtin<typeof import("node:net")>("node:net");
}

let dgram: typeof import("node:dgram") | undefined;

/** `node:dgram`. */
export function dgramModule(): typeof import("node:dgram") {
  return dgram ??= builtin<typeof import("node:dgram")>("node:dgram");
}

let stream: typeof import("node:stream") | undefined;

/** `node:stream` (kept: `serve()` asks for it per request). */
export function streamModule(): typeof import("node:stream") {
  return stream ??= builtin<typeof import("node:stream")>("node:stream");
}

/** `node:v8`. */
export function v8Module(): typeof import("node:v8") {
  return builtin("node:v8");
}
