// Turns the raw results of bench/run.mjs into bench/RESULTS.md (tables, ratios, targets) and bench/results.svg
// (a hand-written SVG bar chart of requests/s per runtime and mechanism). No dependency. The pieces are in
// bench/report/: markdown.mjs (the document) with its sections, and svg.mjs (the chart).

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { markdown } from "./report/markdown.mjs";
import { svg } from "./report/svg.mjs";

export { median } from "./report/stats.mjs";

/** Writes RESULTS.md and results.svg into `dir`. */
export function writeReport(data, dir) {
  writeFileSync(join(dir, "RESULTS.md"), markdown(data));
  writeFileSync(join(dir, "results.svg"), svg(data));
}
