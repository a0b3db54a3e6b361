// Explanations of missed targets: measured facts of this run, then what would close the gap.

import { NOTES } from "../notes.mjs";
import {
  compare,
  configsOf,
  cpuOf,
  cpuPerRequest,
  httpStats,
  labelOf,
  listenersOf,
  listenersText,
} from "./http_data.mjs";
import { k, pct, ratio, RUNTIME_NAMES } from "./stats.mjs";

const NATIVE = { bun: "Bun.serve", deno: "Deno.serve", node: "node:http" };

/** Why a target was missed, from the measurements of this run (plus notes written while building the bench). */
export function explain(data, target, mode) {
  const { runtime, a, b, min } = target;
  const name = RUNTIME_NAMES[runtime];
  const c = compare(data, runtime, a, b, mode);
  const la = labelOf(data, runtime, a);
  const lb = labelOf(data, runtime, b);
  const out = [];
  if (c.pairs.max >= min) {
    out.push(
      `Not a clear miss: the per-repetition ratios reach the target in some repetitions (${
        ratio(c.pairs.min)
      }-` +
        `${ratio(c.pairs.max)}); the spread of this machine is larger than the gap.`,
    );
  }
  out.push(
    `Measured: CPU in the measured window (median, % of one core) ${la}: primary ` +
      `${pct(cpuOf(data, runtime, a, mode, "primary"))}, workers ${
        pct(cpuOf(data, runtime, a, mode, "workers"))
      }; ` +
      `${lb}: primary ${pct(cpuOf(data, runtime, b, mode, "primary"))}, workers ` +
      `${pct(cpuOf(data, runtime, b, mode, "workers"))}. Server CPU per response ${
        cpuPerRequest(data, runtime, a, mode)
      } ` +
      `µs vs ${cpuPerRequest(data, runtime, b, mode)} µs. Listening sockets on the port: ${la}: ` +
      `${listenersText(data, runtime, a)}; ${lb}: ${listenersText(data, runtime, b)}.`,
  );
  if (target.id === "native-vs-reuseport") {
    out.push(
      `Both run the same server with SO_REUSEPORT in two worker processes; unicluster's primary idles while ` +
        `requests flow (CPU above) and the per-response CPU is what it is for the hand-written cluster, so there is ` +
        `no unicluster cost to remove; what is left is the machine's run-to-run spread.`,
    );
  } else if (target.id === "native-vs-nodecluster") {
    const native = httpStats(data, runtime, "single", mode);
    const nodeHttp = httpStats(data, runtime, "single-http", mode);
    const vsReuseport = compare(data, runtime, a, "reuseport", mode).ratio;
    out.push(
      `The two servers on their own, one process each: ${NATIVE[runtime]} ${
        k(native.median)
      } req/s vs node:http ` +
        `${k(nodeHttp.median)} req/s = ${ratio(native.median / nodeHttp.median)}; CPU per response ` +
        `${cpuPerRequest(data, runtime, "single", mode)} vs ${
          cpuPerRequest(data, runtime, "single-http", mode)
        } µs. ` +
        `${name}'s node:http is a layer over its native server, so a cluster of the native server can only gain ` +
        `about this factor over a node:cluster that spreads connections without a bottleneck.`,
    );
    const l = listenersOf(data, runtime, b);
    if (l && l.primary === 0 && l.workers > 0) {
      out.push(
        `${name}'s node:cluster has no such bottleneck: its workers hold the listening sockets themselves ` +
          `(SO_REUSEPORT), its primary uses ${
            pct(cpuOf(data, runtime, b, mode, "primary"))
          } CPU, and its connections ` +
          `never pass through the primary. The 2x target assumes a node:cluster that accepts in the primary.`,
      );
    } else if (l) {
      out.push(
        `${name}'s node:cluster accepts in its primary (listening sockets above) and hands each connection to a ` +
          `worker; with keep-alive that happens once per connection (its primary then idles), so ` +
          `what remains is the per-request cost of node:http against ${NATIVE[runtime]} (above).`,
      );
    }
    out.push(
      `unicluster's ${NATIVE[runtime]} cluster is ${
        ratio(vsReuseport)
      } of the hand-written SO_REUSEPORT cluster in ` +
        `the same run, so unicluster costs nothing measurable here. What would close it: nothing in unicluster; it ` +
        `takes a faster node:http in ${name} (or applications moving from node:http to ${
          NATIVE[runtime]
        } or ` +
        "unicluster's `serve()`).",
    );
  } else if (target.id === "http-vs-nodecluster") {
    const acceptor = (l) => !l ? "unknown" : l.primary > 0 ? "primary" : "workers";
    const [ua, ub] = [acceptor(listenersOf(data, runtime, a)), acceptor(listenersOf(data, runtime, b))];
    const alt = configsOf(data, runtime).includes("uc-http-reuseport")
      ? ` unicluster's SCHED_REUSEPORT lets the workers accept: ` +
        `${ratio(compare(data, runtime, "uc-http-reuseport", b, mode).ratio)} of ${lb} in this run.`
      : "";
    if (ua === "workers" && ub === "workers") {
      out.push(
        `Both let each worker accept on its own SO_REUSEPORT socket (listening sockets above): the same node:http ` +
          `runs the same way in both, so the gap is the run-to-run spread.`,
      );
    } else if (ua === "primary" && ub === "primary") {
      out.push(
        `Both accept in the primary and hand connections to the workers (round-robin)` +
          (mode === "keepalive"
            ? `; with keep-alive that happens once per connection and the primaries idle, so the figures compare ` +
              `node:http in the workers, which spend about the same CPU per response (above).`
            : `; the CPU per response above is what each costs.${alt}`),
      );
    } else {
      out.push(`Connections are accepted by the ${ua} for unicluster and by the ${ub} for ${lb}.${alt}`);
    }
  }
  const notes = NOTES.explanations[`${target.id}:${runtime}:${mode}`];
  if (notes) out.push(notes);
  return out;
}
