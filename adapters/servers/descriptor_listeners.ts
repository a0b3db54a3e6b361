/**
 * The primary's listening sockets given by file descriptor (`listen({ fd })` in a worker: the primary's descriptor,
 * as in Node; systemd's socket activation hands them over as fd 3 on). Each stays open for the life of the
 * process once used: closing it would close the descriptor, which no later listen could open again (after every
 * worker crashed, say). While no worker takes connections, they wait, paused, as they would in the kernel's queue.
 *
 * @module
 */

import type net from "node:net";
import { netModule } from "../shared/lazy_builtin.ts";
import type { OpenPort } from "../../src/contract/mod.ts";

/** At most this many connections wait for a worker; more are closed. */
const MAX_WAITING = 1024;

interface DescriptorListener {
  server: net.Server;
  address: OpenPort["address"];
  port: number;
  family: string;
  take: ((socket: unknown) => void) | undefined;
  waiting: net.Socket[];
}

const listeners = new Map<number, Promise<DescriptorListener>>();

/** Accepts (paused) connections on descriptor `fd` for `onConnection`, until the returned port is closed. */
export function listenOnDescriptor(fd: number, onConnection: (socket: unknown) => void): Promise<OpenPort> {
  let opened = listeners.get(fd);
  if (opened === undefined) {
    listeners.set(fd, opened = open(fd));
    opened.catch(() => listeners.delete(fd));
  }
  return opened.then((listener) => {
    listener.take = onConnection;
    for (const socket of listener.waiting.splice(0)) onConnection(socket);
    return {
      port: listener.port,
      address: listener.address,
      family: listener.family,
      handle: undefined,
      close: () => {
        if (listener.take === onConnection) listener.take = undefined;
      },
    };
  });
}

function open(fd: number): Promise<DescriptorListener> {
  return new Promise((resolve, reject) => {
    const server = netModule().createServer({ pauseOnConnect: true }, (socket) => {
      if (listener.take !== undefined) return listener.take(socket);
      if (listener.waiting.length < MAX_WAITING) listener.waiting.push(socket);
      else socket.destroy();
    });
    const listener: DescriptorListener = {
      server,
      address: "",
      port: -1,
      family: "",
      take: undefined,
      waiting: [],
    };
    server.once("error", reject);
    server.listen({ fd }, () => {
      server.off("error", reject);
      // Errors after listening (EMFILE on accept) must not crash the primary; the listener keeps going.
      server.on("error", () => {});
      const bound = server.address();
      if (typeof bound === "object" && bound !== null) {
        Object.assign(listener, { address: bound.address, port: bound.port, family: bound.family });
      } else Object.assign(listener, { address: String(bound), family: "unix" });
      resolve(listener);
    });
  });
}
