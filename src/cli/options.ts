/**
 * The command line's options, as one table: what `unicluster --help` prints, and what node:util's `parseArgs`
 * is told to read (`cli.ts` calls it; this folder, part of `src/`, imports no runtime module).
 *
 * @module
 */

/** One option of the command line. */
export interface CliOption {
  /** The long name, without its dashes (`workers` for `--workers`). */
  readonly name: string;
  /** The one-letter name, when there is one (`w` for `-w`). */
  readonly short?: string;
  /** How the help shows its value (`<n|auto>`); a flag has none. */
  readonly value?: string;
  /** What it does, in one line of the help. */
  readonly description: string;
}

/** Every option `unicluster` takes, in the order the help lists them. */
export const CLI_OPTIONS: readonly CliOption[] = [
  {
    name: "workers",
    short: "w",
    value: "<n|auto>",
    description: "how many workers (default: auto, one per available CPU)",
  },
  {
    name: "runtime",
    value: "<node|deno|bun>",
    description: "the workers' runtime (default: the one running unicluster)",
  },
  {
    name: "exec-path",
    value: "<file>",
    description: "the workers' runtime executable (default: found on PATH)",
  },
  {
    name: "policy",
    value: "<rr|none|reuseport>",
    description: "how workers share a port (default: rr, round-robin)",
  },
  {
    name: "port",
    value: "<n>",
    description: "port of a fetch-handler module (default: 8000); others get it as PORT",
  },
  {
    name: "host",
    value: "<addr>",
    description: "address of a fetch-handler module (default: 0.0.0.0); others get HOST",
  },
  {
    name: "ready",
    value: "<listening|message>",
    description: "ready when a worker listens, or calls ready() (default: listening)",
  },
  {
    name: "ready-timeout",
    value: "<duration>",
    description: "how long a worker may take to be ready (default: 30s)",
  },
  {
    name: "shutdown-timeout",
    value: "<duration>",
    description: "how long workers may take to finish on shutdown (default: 30s)",
  },
  {
    name: "drain-delay",
    value: "<duration>",
    description: "keep serving this long while /readyz says 503 (default: 0)",
  },
  { name: "no-respawn", description: "do not replace workers that exit" },
  {
    name: "max-memory",
    value: "<size>",
    description: "replace a worker whose resident memory stays over this (512M, 1G)",
  },
  {
    name: "heartbeat-timeout",
    value: "<duration>",
    description: "replace a worker silent this long; 0 turns it off (default: 10s)",
  },
  {
    name: "health-port",
    value: "<n>",
    description: "serve /healthz, /readyz and /metrics on 127.0.0.1 at this port",
  },
  { name: "json", description: "print each event as one JSON object per line" },
  { name: "help", short: "h", description: "print this help" },
  { name: "version", short: "V", description: "print the version" },
];

/** The `options` node:util's `parseArgs` takes for {@link CLI_OPTIONS}. */
export function parseArgsOptions(): Record<string, { type: "string" | "boolean"; short?: string }> {
  const out: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const option of CLI_OPTIONS) {
    out[option.name] = {
      type: option.value === undefined ? "boolean" : "string",
      ...(option.short === undefined ? {} : { short: option.short }),
    };
  }
  return out;
}

/** The option called `name` (long or short, without dashes), if there is one. */
export function findOption(name: string): CliOption | undefined {
  return CLI_OPTIONS.find((option) => option.name === name || option.short === name);
}

/** How an option is written in messages: `--workers <n|auto>`. */
export function optionLabel(option: CliOption): string {
  return option.value === undefined ? `--${option.name}` : `--${option.name} ${option.value}`;
}

/** The text of `unicluster --help`. */
export function usage(): string {
  const rows = CLI_OPTIONS.map((option) => {
    const names = option.short === undefined
      ? `    ${optionLabel(option)}`
      : `-${option.short}, ${optionLabel(option)}`;
    return [names, option.description] as const;
  });
  const width = Math.max(...rows.map(([names]) => names.length));
  return [
    "Usage: unicluster [options] <module> [-- args for the workers]",
    "",
    "Runs <module> in a supervised pool of workers sharing their ports. A module whose default export has a",
    "fetch(request) method is served on --port; any other module is run as it is (it listens itself).",
    "",
    "Options:",
    ...rows.map(([names, description]) => `  ${names.padEnd(width)}  ${description}`),
    "",
    "Durations: 500ms, 10s, 2m. Sizes: 512M, 1G.",
    "Signals: SIGHUP reloads every worker, SIGTERM and SIGINT shut down gracefully, SIGTTIN and SIGTTOU add or",
    "remove a worker.",
    "Under systemd: readiness, reloads and the watchdog go to NOTIFY_SOCKET (with systemd-notify; the unit needs",
    "NotifyAccess=all), and a socket handed over by socket activation (LISTEN_FDS) is served instead of --port.",
  ].join("\n");
}
