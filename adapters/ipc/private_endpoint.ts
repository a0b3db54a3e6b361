/**
 * Local endpoints that no network reaches: the socket channel's acceptor listens on one, and so does a worker's
 * round-robin server (which takes its connections from the primary, never from the network). A Linux abstract
 * socket (`\0unicluster-...`, never on disk, and open to every local user: the acceptor asks for the channel's
 * token, and the round-robin server closes whatever connects to it directly); a named pipe on Windows; elsewhere a
 * socket file in a fresh 0700 directory, removed with the endpoint or when the process exits.
 *
 * @module
 */

import { join } from "node:path";
import { process } from "../shared/host_process.ts";
import { fsModule, osModule } from "../shared/lazy_builtin.ts";

/** Endpoints made by this process so far: with the pid, what makes each name unique among live processes. */
let made = 0;

/** A path to listen on, and how to clean it up. */
export interface PrivateEndpoint {
  /** The path (abstract names start with a NUL character). */
  path: string;
  /** Removes what the endpoint left on disk (nothing for abstract sockets and pipes). */
  remove(): void;
}

/**
 * A new private endpoint; `tag` goes into its name (`unicluster-<tag>-<pid>-<n>`). The name needs to be unique,
 * not secret: Linux lists abstract names in /proc/net/unix for every user, so what keeps other users out is the
 * channel's token (see socket/acceptor.ts). No random bytes, then: Web Crypto's first use costs a worker about 4 ms
 * of start-up on Node.
 */
export function makePrivateEndpoint(tag: string): PrivateEndpoint {
  const name = `unicluster-${tag}-${process.pid}-${++made}`;
  if (process.platform === "linux") return { path: `\0${name}`, remove: () => {} };
  if (process.platform === "win32") return { path: `\\\\.\\pipe\\${name}`, remove: () => {} };
  // mkdtemp makes the directory 0700: only this user can reach the socket inside.
  const fs = fsModule();
  const dir = fs.mkdtempSync(join(osModule().tmpdir(), "unicluster-"));
  const remove = () => {
    process.off("exit", remove);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", remove);
  return { path: join(dir, "ipc.sock"), remove };
}
