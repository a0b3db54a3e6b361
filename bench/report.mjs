// Turns the raw results of bench/run.mjs into bench/RESULTS.md (tables, ratios, targets), bench/results.svg
// (a hand-written SVG bar chart of requests/s per runtime and mechanism) and, when the run has the scaling part,
// bench/scaling.svg (cost against worker count). No dependency. The pieces are in bench/report/: markdown.mjs (the
// document) with its sections, svg.mjs and scaling_svg.mjs (the charts).

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { markdown } from "./report/markdown.mjs";
import { scalingSvg } from "./report/scaling_svg.mjs";
import { svg } from "./report/svg.mjs";

export { median } from "./report/stats.mjs";

/**
 * Writes RESULTS.md and results.svg into `dir`, and scaling.svg when the data has scaling samples (results from
 * before that part leave an existing scaling.svg as it is).
 */
export function writeReport(data, dir) {
  writeFileSync(join(dir, "RESULTS.md"), markdown(data));
  writeFileSync(join(dir, "results.svg"), svg(data));
  const scaling = scalingSvg(data);
  if (scaling) writeFileSync(join(dir, "scaling.svg"), scaling);
}
