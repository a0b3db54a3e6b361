/**
 * The one place that builds a Deno worker's command line, whoever the primary is.
 *
 * A Deno worker gets the permissions its primary holds in full, and never more (README, "Deno permissions"):
 * Deno's API cannot list partial grants (`--allow-net=127.0.0.1:8000`) nor grants with exceptions, so those are
 * not passed on. It also gets `--no-prompt`, and `--unstable-net` (a feature flag, not a permission: workers'
 * `Deno.serve` and `Deno.listen` bind with `reusePort`). A Node or Bun primary holds every permission, so its
 * Deno workers get `--allow-all`.
 *
 * @module
 */

import type { RuntimeName, SpawnRequest } from "../../src/contract/mod.ts";
import { accessDenied } from "../../src/errors.ts";
import { earlyChannelArgs } from "./early_channel.ts";
import { type DenoNamespace, granted } from "./globals.ts";

/** The permissions passed on to Deno workers when the primary holds them in full. */
const PERMISSIONS = ["read", "write", "net", "env", "run", "ffi", "sys", "import"] as const;

/** The runtime arguments for a Deno worker of a Deno primary: the permissions it holds in full. */
export function denoExecArgv(deno: DenoNamespace): string[] {
  const allowed = PERMISSIONS.filter((name) => granted(deno, { name })).map((name) => `--allow-${name}`);
  return ["run", ...allowed, "--no-prompt", "--unstable-net"];
}

/** What a worker on `runtime` needs before its own flags, from a Node or Bun primary (which holds everything). */
export function processExecArgv(runtime: RuntimeName): string[] {
  return runtime === "deno" ? ["run", "--allow-all", "--no-prompt", "--unstable-net"] : [];
}

/** Whether runtime arguments already let a Deno worker read environment variable `name`. */
export function readsVariable(execArgv: readonly string[], name: string): boolean {
  const listed = (value: string) => value.split(",").includes(name);
  let allowed = false;
  for (const arg of execArgv) {
    if (arg === "-A" || arg === "--allow-all" || arg === "-E" || arg === "--allow-env") allowed = true;
    else if (arg.startsWith("--allow-env=") && listed(arg.slice("--allow-env=".length))) allowed = true;
    else if (arg.startsWith("-E=") && listed(arg.slice(3))) allowed = true;
    else if (arg === "--deny-env" || (arg.startsWith("--deny-env=") && listed(arg.slice(11)))) return false;
  }
  return allowed;
}

/**
 * A Deno primary's final arguments for a worker, made sure to let it read its identity variable: a worker that
 * cannot would take itself for a primary and fork workers of its own. Call it after
 * {@link checkWorkerPermissions}, which makes sure this primary holds that grant (a worker gets no more).
 */
export function withIdentityGrant(request: SpawnRequest): string[] {
  const argv = [...request.execArgv];
  if (request.runtime !== "deno" || readsVariable(argv, request.identityVariable)) return argv;
  argv.splice(argv[0] === "run" ? 1 : 0, 0, `--allow-env=${request.identityVariable}`);
  return argv;
}

/**
 * A Deno worker's arguments with what connects its channel before its main module runs (./early_channel.ts), for
 * `deno run` only; unchanged for other runtimes, and for a Deno that cannot.
 */
export function withEarlyChannel(deno: DenoNamespace, request: SpawnRequest, argv: string[]): string[] {
  if (request.runtime !== "deno" || argv[0] !== "run") return argv;
  return ["run", ...earlyChannelArgs(deno, request.execPath, request.identityVariable), ...argv.slice(1)];
}

/**
 * Checks, before anything starts, that this Deno primary may start a worker of `request` over the socket channel:
 * it runs the worker (`--allow-run`), lets it read its identity (`--allow-env`, for a Deno worker), and opens the
 * channel's unix socket (unrestricted `--allow-net`). Throws one `ERR_ACCESS_DENIED` naming every flag missing.
 */
export function checkWorkerPermissions(deno: DenoNamespace, request: SpawnRequest): void {
  const missing: string[] = [];
  if (!granted(deno, { name: "run", command: request.execPath })) missing.push("--allow-run");
  const readsIdentity = request.runtime !== "deno" ||
    readsVariable(request.execArgv, request.identityVariable) ||
    granted(deno, { name: "env", variable: request.identityVariable });
  if (!readsIdentity) missing.push("--allow-env");
  if (!granted(deno, { name: "net" })) missing.push("--allow-net");
  if (missing.length === 0) return;
  throw accessDenied(
    `A Deno primary needs --allow-run, --allow-env and unrestricted --allow-net to start workers (the workers ` +
      `talk to it over a unix socket, which Deno counts as net access); this one lacks ${
        missing.join(", ")
      }. ` +
      "Run it with those flags, or with -A.",
  );
}
