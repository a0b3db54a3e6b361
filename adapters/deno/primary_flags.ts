/**
 * The Deno primary's own runtime flags, for its workers: what Node's `process.execArgv` is to Node's workers
 * (`--unstable-kv`, `--config`, `--import-map`, `--lock`, `--node-modules-dir`, `--v8-flags` and the like). Deno
 * does not list them (its `process.execArgv` is empty), so they are read from the process's command line, which
 * Linux gives in `/proc/self/cmdline`: the flags are what stands between `run` and the script, whose arguments
 * (`Deno.args`) end the line.
 *
 * Permissions are not among them: a worker gets the permissions its primary holds in full, and no more
 * (./command_line.ts). Nor are flags that make sense once per machine or once per developer (`--watch`,
 * `--inspect`, `--reload`), nor what every worker gets anyway (`--no-prompt`, `--unstable-net`).
 *
 * @module
 */

import { type DenoNamespace, granted } from "./globals.ts";

/** Flags (with or without `=value`) that a worker does not take from its primary. */
const NOT_CARRIED = [
  /^-(A|R|W|N|E|S|I|P)(=.*)?$/,
  /^--(allow|deny)-/,
  /^--permission-set(=.*)?$/,
  /^--(no-prompt|unstable-net)$/,
  /^--(watch|watch-hmr|hmr|watch-exclude|no-clear-screen)(=.*)?$/,
  /^--inspect(-brk|-wait|-publish-uid)?(=.*)?$/,
  /^(-r|--reload)(=.*)?$/,
];

/**
 * The flags of a `deno run` command line (`argv[0]` the executable, empty entries dropped) whose script got
 * `scriptArgs` arguments; none for another subcommand (`deno test`, `deno serve`) or a line that does not parse.
 */
export function carriedFlags(commandLine: readonly string[], scriptArgs: number): string[] {
  const argv = commandLine.filter((arg, i) => arg !== "" || i < commandLine.length - 1);
  if (argv[1] !== "run") return [];
  const script = argv.length - scriptArgs - 1;
  if (script < 2) return [];
  return argv.slice(2, script).filter((flag) => !NOT_CARRIED.some((pattern) => pattern.test(flag)));
}

/** This Deno process's flags for its workers. */
export function primaryFlags(deno: DenoNamespace): string[] {
  const line = commandLine(deno);
  return line === undefined ? [] : carriedFlags(line, deno.args.length);
}

/** The Deno subcommand this process runs under (`run`, `serve`, `test`...), where the command line is known. */
export function primarySubcommand(deno: DenoNamespace): string | undefined {
  return commandLine(deno)?.[1];
}

let cached: { line: string[] | undefined } | undefined;

/** This process's command line, read once (it does not change); undefined where it cannot be read. */
function commandLine(deno: DenoNamespace): string[] | undefined {
  return (cached ??= { line: readCommandLine(deno) }).line;
}

function readCommandLine(deno: DenoNamespace): string[] | undefined {
  const path = "/proc/self/cmdline";
  // Never prompts: without the permission (or off Linux), the workers get no flags of the primary's.
  if (!granted(deno, { name: "read", path })) return undefined;
  try {
    return deno.readTextFileSync(path).split("\0");
  } catch {
    return undefined;
  }
}
