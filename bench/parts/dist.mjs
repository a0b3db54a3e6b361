// Part 4, distribution of new connections: requests on new connections (4 at a time) to a 2-worker server that
// answers with the worker's id, counted per worker.

import http from "node:http";
import { stopGroup } from "../lib/groups.mjs";
import { freshPort, httpConfigs, startServer } from "../lib/servers.mjs";
import { errorText, outcome } from "../lib/results.mjs";

function distConfigs(runtime) {
  const wanted = {
    node: ["uc-http", "uc-http-reuseport", "nc-http"],
    bun: ["uc-http", "uc-native", "reuseport", "nc-http"],
    deno: ["uc-http", "uc-native", "reuseport", "deno-serve", "nc-http"],
  }[runtime];
  const all = httpConfigs(runtime);
  return wanted.map((id) => all.find((c) => c.id === id));
}

function getOnce(port) {
  return new Promise((resolvePromise, reject) => {
    const req = http.get(
      { host: "127.0.0.1", port, path: "/", agent: false, headers: { connection: "close" }, timeout: 10_000 },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (c) => body += c).on("end", () => resolvePromise(body.trim()));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

export async function benchDist(runtime, results, { settings, checkDeadline, save }) {
  for (const config of distConfigs(runtime)) {
    checkDeadline(`distribution ${runtime} ${config.id}`);
    const sample = { runtime, config: config.id, label: config.label, connections: settings.dist };
    let server;
    try {
      const port = await freshPort();
      server = await startServer(config, port, "id");
      sample.readyLine = server.readyLine;
      const counts = {};
      let errors = 0;
      let next = 0;
      const lane = async () => {
        while (next < settings.dist) {
          next++;
          try {
            const id = await getOnce(port);
            counts[id] = (counts[id] ?? 0) + 1;
          } catch {
            errors++;
          }
        }
      };
      await Promise.all(Array.from({ length: 4 }, lane));
      sample.counts = counts;
      sample.errors = errors;
      const answered = Object.values(counts).reduce((a, b) => a + b, 0);
      sample.busiestShare = answered ? Math.max(...Object.values(counts)) / answered : null;
    } catch (error) {
      sample.error = errorText(error);
    } finally {
      if (server) sample.forcedKill = await stopGroup(server.pgid);
    }
    results.dist.push(sample);
    console.log(
      `  dist ${runtime} ${config.id.padEnd(18)} ` +
        outcome(
          sample,
          () =>
            `${JSON.stringify(sample.counts)} busiest ${(sample.busiestShare * 100).toFixed(1)}%${
              sample.errors ? `, ${sample.errors} errors` : ""
            }`,
        ),
    );
    save(results);
  }
}
