/**
 * Signal names accepted by `worker.kill()`, checked before any process is touched.
 *
 * @module
 */

import { unknownSignal } from "./errors.ts";

/** POSIX signal names and numbers (Linux numbering), as Node's `os.constants.signals` lists them. */
export const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGIOT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGCHLD: 17,
  SIGSTKFLT: 16,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPOLL: 29,
  SIGPWR: 30,
  SIGSYS: 31,
};

/** Turns a signal name or number into a name; throws `ERR_UNKNOWN_SIGNAL` for anything else. */
export function toSignalName(signal: unknown): string {
  if (typeof signal === "string" && signal in SIGNALS) return signal;
  if (typeof signal === "number") {
    const name = Object.keys(SIGNALS).find((key) => SIGNALS[key] === signal);
    if (name) return name;
  }
  throw unknownSignal(signal);
}
