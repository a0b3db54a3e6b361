// Part 4, distribution of new connections: requests on new connections (4 at a time) to a 2-worker server that
// answers with the worker's id, counted per worker.

import { countConnections } from "../lib/connections.mjs";
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

export async function benchDist(runtime, results, { settings, checkDeadline, save }) {
  for (const config of distConfigs(runtime)) {
    checkDeadline(`distribution ${runtime} ${config.id}`);
    const sample = { runtime, config: config.id, label: config.label, connections: settings.dist };
    let server;
    try {
      const port = await freshPort();
      server = await startServer(config, port, "id");
      sample.readyLine = server.readyLine;
      const { counts, errors, busiestShare } = await countConnections(port, settings.dist, { lanes: 4 });
      Object.assign(sample, { counts, errors, busiestShare });
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
