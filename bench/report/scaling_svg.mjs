// bench/scaling.svg: a hand-written SVG line chart of the scaling part, one panel per figure (time to listening,
// the primary's CPU and memory, memory and CPU per worker, broadcast round trip) against the worker count, one line per
// runtime and implementation (colour: runtime; solid with dots: unicluster from its sources, dotted with
// triangles: unicluster's npm build, dashed with squares: the runtime's own node:cluster, dash-dotted with hollow
// circles: the control, node:cluster whose workers load unicluster's code).

import { FIGURES, IMPLEMENTATIONS, implementationsOf, series, workerCounts } from "./scaling.mjs";
import { RUNTIME_NAMES } from "./stats.mjs";

const COLORS = { node: "#38a169", bun: "#c05621", deno: "#1f5fa8" };
const DASH = {
  uc: "",
  "uc-npm": ' stroke-dasharray="2 3"',
  nc: ' stroke-dasharray="6 4"',
  "nc-load": ' stroke-dasharray="8 3 2 3"',
};
const NAMES = {
  uc: "unicluster (sources)",
  "uc-npm": "unicluster (npm build)",
  nc: "its own node:cluster",
  "nc-load": "node:cluster loading unicluster",
};

/**
 * A point's marker: a dot (sources), a triangle (npm build), a hollow square (node:cluster) or a hollow circle
 * (the control), with a tooltip.
 */
function marker(config, cx, cy, color, tip) {
  const title = `<title>${esc(tip)}</title>`;
  if (config === "uc") return `<circle cx="${cx}" cy="${cy}" r="3.5" fill="${color}">${title}</circle>`;
  if (config === "nc-load") {
    return `<circle cx="${cx}" cy="${cy}" r="3.5" fill="#fff" stroke="${color}" stroke-width="1.5">${title}</circle>`;
  }
  if (config === "uc-npm") {
    const [x, y] = [Number(cx), Number(cy)];
    const points = [[x, y - 4.5], [x + 4, y + 3], [x - 4, y + 3]].map((p) =>
      p.map((v) => v.toFixed(1)).join(",")
    );
    return `<polygon points="${points.join(" ")}" fill="${color}">${title}</polygon>`;
  }
  return `<rect x="${cx - 3.5}" y="${cy - 3.5}" width="7" height="7" fill="#fff" stroke="${color}" ` +
    `stroke-width="1.5">${title}</rect>`;
}

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

const tick = (v) => (v >= 1000 ? `${(v / 1000).toFixed(v % 1000 ? 1 : 0)}k` : String(Number(v.toFixed(2))));

/** One panel at (x0, y0): axes, grid, and a line per runtime and implementation. */
function panel(data, figure, runtimes, x0, y0, w, h, out) {
  const lines = runtimes.flatMap((runtime) =>
    IMPLEMENTATIONS.map((config) => ({ runtime, config, points: series(data, runtime, config, figure) }))
  ).filter((l) => l.points.length > 0);
  const counts = [...new Set(runtimes.flatMap((r) => workerCounts(data, r)))].sort((a, b) => a - b);
  const xMax = Math.max(1, ...counts);
  const yRaw = Math.max(0, ...lines.flatMap((l) => l.points.map(([, y]) => y)));
  const step = niceStep(Math.max(yRaw, 1e-6) / 4);
  const yMax = Math.max(step, Math.ceil(yRaw / step) * step);
  const x = (n) => x0 + (n / xMax) * w;
  const y = (v) => y0 + h - (v / yMax) * h;
  out.push(`<text x="${x0}" y="${y0 - 10}" font-size="12" font-weight="bold">${esc(figure.name)}</text>`);
  if (lines.length === 0) {
    out.push(`<text x="${x0 + w / 2}" y="${y0 + h / 2}" text-anchor="middle" fill="#888">no data</text>`);
    return;
  }
  for (let v = 0; v <= yMax + 1e-9; v += step) {
    out.push(
      `<line x1="${x0}" x2="${x0 + w}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" ` +
        `stroke="${v === 0 ? "#333" : "#e3e3e3"}"/>`,
      `<text x="${x0 - 5}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#555">${tick(v)}</text>`,
    );
  }
  for (const n of counts) {
    out.push(
      `<line x1="${x(n).toFixed(1)}" x2="${x(n).toFixed(1)}" y1="${y0 + h}" y2="${
        y0 + h + 4
      }" stroke="#333"/>`,
      `<text x="${x(n).toFixed(1)}" y="${y0 + h + 16}" text-anchor="middle" fill="#555">${n}</text>`,
    );
  }
  out.push(`<text x="${x0 + w / 2}" y="${y0 + h + 30}" text-anchor="middle" fill="#555">workers</text>`);
  for (const l of lines) {
    const color = COLORS[l.runtime];
    const path = l.points.map(([n, v], i) => `${i ? "L" : "M"}${x(n).toFixed(1)},${y(v).toFixed(1)}`).join(
      " ",
    );
    out.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"${DASH[l.config]}/>`);
    for (const [n, v] of l.points) {
      const tip = `${RUNTIME_NAMES[l.runtime]}, ${NAMES[l.config]}, ${n} workers: ${
        figure.fmt(v)
      } ${figure.unit}`;
      out.push(marker(l.config, x(n).toFixed(1), y(v).toFixed(1), color, tip));
    }
  }
}

/** The chart as SVG text; an empty string when the data has no scaling samples. */
export function scalingSvg(data) {
  const runtimes = Object.keys(RUNTIME_NAMES).filter((r) =>
    (data.scaling ?? []).some((s) => s.runtime === r)
  );
  if (runtimes.length === 0) return "";
  const [cols, w, h, gapX, gapY, left, top] = [3, 250, 170, 95, 90, 70, 92];
  const rows = Math.ceil(FIGURES.length / cols);
  const width = left + cols * w + (cols - 1) * gapX + 30;
  const legendTop = top + rows * h + (rows - 1) * gapY + 62;
  const legendRows = Math.max(...runtimes.map((r) => implementationsOf(data, r).length));
  const height = legendTop + legendRows * 22 + 10;
  const set = data.settings.scaling ?? {};
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ` +
    `${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">` +
    `unicluster: the cost of each added worker (node:http workers on one port; medians)</text>`,
    `<text x="${width / 2}" y="43" text-anchor="middle" fill="#555">${
      esc(
        `${data.machine.nproc} cores, ${data.machine.cpuModel}; ${set.reps ?? 1} run(s) per point, ` +
          `broadcast: median of ${set.rounds ?? "several"} rounds; ${data.started.slice(0, 10)}`,
      )
    }</text>`,
  ];
  FIGURES.forEach((figure, i) => {
    const x0 = left + (i % cols) * (w + gapX);
    const y0 = top + Math.floor(i / cols) * (h + gapY);
    panel(data, figure, runtimes, x0, y0, w, h, out);
  });
  // The legend: a column per runtime, a row per implementation measured on it.
  runtimes.forEach((r, i) => {
    implementationsOf(data, r).forEach((c, j) => {
      const lx = left + i * (w + gapX);
      const yy = legendTop + j * 22;
      const name = `${RUNTIME_NAMES[r]}, ${NAMES[c]}`;
      out.push(
        `<line x1="${lx}" x2="${lx + 34}" y1="${yy}" y2="${yy}" stroke="${COLORS[r]}" stroke-width="2"${
          DASH[c]
        }/>`,
        marker(c, (lx + 17).toFixed(1), yy.toFixed(1), COLORS[r], name),
        `<text x="${lx + 42}" y="${yy + 4}">${esc(name)}</text>`,
      );
    });
  });
  out.push("</svg>", "");
  return out.join("\n");
}
