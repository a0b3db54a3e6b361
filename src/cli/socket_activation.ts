/**
 * systemd's socket activation, as sd_listen_fds(3) reads it: the listening sockets a service was started with are
 * its file descriptors 3 on, `LISTEN_FDS` of them, when `LISTEN_PID` is its own pid (a child that inherited the
 * variables is not meant).
 *
 * @module
 */

/** The variables socket activation sets; the command line keeps them from its workers. */
export const ACTIVATION_VARIABLES: readonly string[] = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"];

/** The file descriptors of the sockets handed to process `pid`, or none. */
export function activatedSockets(env: Record<string, string | undefined>, pid: number): number[] {
  const count = Number(env.LISTEN_FDS);
  if (env.LISTEN_PID === undefined || Number(env.LISTEN_PID) !== pid) return [];
  if (!Number.isInteger(count) || count < 1) return [];
  return Array.from({ length: count }, (_, i) => 3 + i);
}
