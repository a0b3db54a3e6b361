// bench/results.svg: a hand-written SVG bar chart of requests/s per runtime and mechanism, one panel per HTTP mode.

import { configsOf, httpStats, labelOf } from "./http_data.mjs";
import { k, MODES, RUNTIME_NAMES } from "./stats.mjs";

const COLORS = {
  "uc-native": "#1f5fa8",
  "uc-http": "#6fa8dc",
  "nc-http": "#e69138",
  reuseport: "#38a169",
  "deno-serve": "#8e6cbf",
  single: "#8c8c8c",
  "single-http": "#cccccc",
};
const LEGEND = {
  "uc-native": "unicluster + native server (Bun.serve / Deno.serve)",
  "uc-http": "unicluster + node:http",
  "nc-http": "the runtime's own node:cluster + node:http",
  reuseport: "hand-written SO_REUSEPORT processes, native server",
  "deno-serve": "deno serve --parallel",
  single: "one process, native server (node:http on Node)",
  "single-http": "one process, node:http",
};

/** Short bar labels. */
function shortLabel(data, runtime, config) {
  const line = data.http.find((s) =>
    s.runtime === runtime && s.config === config && s.readyLine?.includes("mode=")
  )
    ?.readyLine;
  const mode = line ? ` ${line.replace(/^.*mode=/, "").split(",")[0]}` : "";
  const names = {
    "uc-native": "unicluster",
    "uc-http": `uc node:http${mode}`,
    "uc-http-reuseport": "uc node:http reuseport",
    "nc-http": "node:cluster",
    reuseport: "hand-written",
    "deno-serve": "deno serve",
    single: "1 process",
    "single-http": "1 process node:http",
  };
  return names[config] ?? config;
}

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function svg(data) {
  const runtimes = Object.keys(RUNTIME_NAMES).filter((r) => configsOf(data, r).length > 0);
  const kinds = data.kinds ?? {};
  const barW = 28;
  const gap = 7;
  const groupGap = 46;
  const left = 80;
  const panelH = 220;
  const top = 82;
  const labelsH = 118;
  const groups = runtimes.map((r) => configsOf(data, r));
  const plotW = groups.reduce((a, g) => a + g.length * (barW + gap) + groupGap, 0);
  const width = Math.max(820, left + 20 + plotW);
  const usedKinds = Object.keys(LEGEND).filter((kind) =>
    runtimes.some((r) => Object.values(kinds[r] ?? {}).includes(kind))
  );
  const legendRows = Math.ceil(usedKinds.length / 2);
  const panelSpan = panelH + labelsH + 34;
  const height = top + 2 * panelSpan + legendRows * 20 + 10;
  const out = [];
  const title = "unicluster: HTTP hello world, 2 workers, requests/s (median; whiskers: min-max)";
  const subtitle = `${data.machine.nproc} cores, ${data.machine.cpuModel}; wrk -t${data.settings.threads} ` +
    `-c${data.settings.connections} -d${data.settings.duration}s on 127.0.0.1, ${data.settings.reps} runs each; ` +
    `${data.started.slice(0, 10)}`;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${
      esc(title)
    }</text>`,
    `<text x="${width / 2}" y="43" text-anchor="middle" fill="#555">${esc(subtitle)}</text>`,
  );
  ["keepalive", "close"].forEach((mode, p) => {
    const y0 = top + p * panelSpan;
    const values = data.http.filter((s) => s.mode === mode && !s.error).map((s) => s.rps);
    const maxV = Math.max(1, ...values);
    const step = niceStep(maxV / 5);
    const yMax = Math.ceil(maxV / step) * step;
    const y = (v) => y0 + panelH - (v / yMax) * panelH;
    out.push(`<text x="${left}" y="${y0 - 14}" font-size="13" font-weight="bold">${esc(MODES[mode])}</text>`);
    for (let v = 0; v <= yMax + 1e-9; v += step) {
      out.push(
        `<line x1="${left}" x2="${width - 16}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" ` +
          `stroke="${v === 0 ? "#333" : "#e3e3e3"}"/>`,
        `<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#555">` +
          `${v === 0 ? "0" : `${Math.round(v / 1000)}k`}</text>`,
      );
    }
    let x = left + 18;
    runtimes.forEach((runtime, g) => {
      const start = x;
      for (const config of groups[g]) {
        const st = httpStats(data, runtime, config, mode);
        const color = COLORS[kinds[runtime]?.[config]] ?? "#444";
        const cx = x + barW / 2;
        if (Number.isFinite(st.median)) {
          const tip =
            `${RUNTIME_NAMES[runtime]}, ${labelOf(data, runtime, config)}: ${Math.round(st.median)} req/s ` +
            `(${Math.round(st.min)}-${Math.round(st.max)})`;
          out.push(
            `<rect x="${x}" y="${y(st.median).toFixed(1)}" width="${barW}" height="${
              (y0 + panelH - y(st.median)).toFixed(1)
            }" fill="${color}"><title>${esc(tip)}</title></rect>`,
            `<line x1="${cx}" x2="${cx}" y1="${y(st.min).toFixed(1)}" y2="${
              y(st.max).toFixed(1)
            }" stroke="#222"/>`,
            `<line x1="${cx - 4}" x2="${cx + 4}" y1="${y(st.min).toFixed(1)}" y2="${
              y(st.min).toFixed(1)
            }" stroke="#222"/>`,
            `<line x1="${cx - 4}" x2="${cx + 4}" y1="${y(st.max).toFixed(1)}" y2="${
              y(st.max).toFixed(1)
            }" stroke="#222"/>`,
            `<text x="${cx}" y="${(y(st.max) - 4).toFixed(1)}" text-anchor="middle" font-size="9.5">${
              k(st.median)
            }</text>`,
          );
        }
        const ly = y0 + panelH + 10;
        out.push(
          `<text x="${cx + 3}" y="${ly}" text-anchor="end" font-size="10" fill="#333" ` +
            `transform="rotate(-50 ${cx + 3} ${ly})">${esc(shortLabel(data, runtime, config))}</text>`,
        );
        x += barW + gap;
      }
      out.push(
        `<text x="${(start + x - gap) / 2}" y="${
          y0 + panelH + labelsH
        }" text-anchor="middle" font-size="13" ` +
          `font-weight="bold">${esc(RUNTIME_NAMES[runtime])}</text>`,
      );
      x += groupGap;
    });
  });
  const ly = top + 2 * panelSpan - 10;
  usedKinds.forEach((kind, i) => {
    const lx = left + (i % 2) * ((width - left) / 2);
    const yy = ly + Math.floor(i / 2) * 20;
    out.push(
      `<rect x="${lx}" y="${yy - 10}" width="14" height="12" fill="${COLORS[kind]}"/>`,
      `<text x="${lx + 20}" y="${yy}">${esc(LEGEND[kind])}</text>`,
    );
  });
  out.push("</svg>", "");
  return out.join("\n");
}

function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}
