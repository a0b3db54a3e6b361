// Requests on new connections, as the distribution, scaling and start-up parts send them: one GET each, and a
// counter of which worker (its answer) took each of many.

import http from "node:http";

/**
 * GET / on 127.0.0.1:`port` on a new connection (`Connection: close`); resolves with the status and the trimmed
 * body, rejects on any error or after `timeoutMs`.
 */
export function getOnce(port, timeoutMs = 10_000) {
  return new Promise((resolvePromise, reject) => {
    const req = http.get(
      {
        host: "127.0.0.1",
        port,
        path: "/",
        agent: false,
        headers: { connection: "close" },
        timeout: timeoutMs,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (c) => body += c).on(
          "end",
          () => resolvePromise({ status: res.statusCode, body: body.trim() }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

/**
 * Sends `total` requests, each on a new connection, `lanes` at a time, for at most `limitMs`; resolves with the
 * answers per worker id (the body), the failures, how many were sent and the busiest worker's share of the
 * answers (null when none answered).
 */
export async function countConnections(port, total, { lanes = 8, limitMs = Infinity } = {}) {
  const counts = {};
  let errors = 0;
  let next = 0;
  const end = Date.now() + limitMs;
  const lane = async () => {
    while (next < total && Date.now() < end) {
      next++;
      try {
        const { body } = await getOnce(port);
        counts[body] = (counts[body] ?? 0) + 1;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  const answered = Object.values(counts).reduce((a, b) => a + b, 0);
  return {
    counts,
    errors,
    sent: next,
    busiestShare: answered ? Math.max(...Object.values(counts)) / answered : null,
  };
}
