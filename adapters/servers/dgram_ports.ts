/**
 * The primary's UDP sockets for workers' `dgram` sockets (mode `dgram`), made with `node:dgram`, which Node, Deno
 * and Bun all provide. Datagrams cross the IPC channel base64-encoded.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { DatagramInfo, OpenDatagramPort, ServerRequest } from "../../src/contract/mod.ts";
import { dgramModule } from "../shared/lazy_builtin.ts";

/** Binds a UDP socket for `request`; `onMessage` gets each datagram that arrives on it. */
export function openDatagram(
  request: ServerRequest,
  onMessage: (data: string, rinfo: DatagramInfo) => void,
): Promise<OpenDatagramPort> {
  const socket = dgramModule().createSocket({
    type: request.transport ?? "udp4",
    reuseAddr: request.reuseAddr === true,
    ipv6Only: request.ipv6Only === true,
  });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind({ port: request.port, address: request.address ?? undefined }, () => {
      socket.off("error", reject);
      // Errors once bound (an ICMP "port unreachable" after a send) must not crash the primary.
      socket.on("error", () => {});
      socket.on("message", (message, rinfo) => {
        const { address, family, port, size } = rinfo;
        onMessage(message.toString("base64"), { address, family, port, size });
      });
      const bound = socket.address();
      resolve({
        port: bound.port,
        address: bound.address,
        family: bound.family,
        send(data, port, address, done) {
          socket.send(Buffer.from(data, "base64"), port, address, (error, bytes) => {
            const code = (error as { code?: string } | null)?.code;
            done(error ? { bytes: 0, errno: code ?? "EIO", error: error.message } : { bytes });
          });
        },
        close: () => socket.close(),
      });
    });
  });
}
