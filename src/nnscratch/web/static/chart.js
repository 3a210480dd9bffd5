// Line charts in SVG, each with its numbers in a table beside it: training's loss and
// accuracy per epoch (train and dev).

import { el, svgEl } from "./dom.js";

// Train and dev told apart by colour (Okabe-Ito black and vermilion), dash and marker.
export const SERIES = [{ key: "train", label: "train", colour: "#000000", dash: "", marker: "circle" },
                       { key: "dev", label: "dev", colour: "#D55E00", dash: "6 3", marker: "square" }];

// A line chart of train and dev over the epochs so far, with its numbers in a table.
// value(row, key) picks a number of a row; top: the axis's fixed top (1 for accuracy) or null.
export function lineChart(figure, { what, rows, value, unit, epochs, top }) {
  const W = 360, H = 190, left = 42, right = 12, topPad = 10, bottom = 28;
  const values = rows.flatMap((p) => SERIES.map((s) => value(p, s.key))).filter((v) => v != null);
  const high = top != null ? top : Math.max(...values, 1e-9) * 1.05;
  const low = top != null ? Math.max(0, Math.min(...values, 1) - 0.05) : 0;
  const x = (epoch) => left + (W - left - right) * (epochs <= 1 ? 0.5 : (epoch - 1) / (epochs - 1));
  const y = (v) => topPad + (H - topPad - bottom) * (1 - (v - low) / (high - low || 1));
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "data-points": String(rows.length),
    "aria-label": `${what} of train and dev per ${unit}, ${rows.length} so far; the table below has the numbers` });
  for (const t of [0, 0.5, 1]) {
    const v = low + t * (high - low);
    svg.append(svgEl("line", { x1: left, x2: W - right, y1: y(v), y2: y(v), stroke: "#d0d4d9" }));
    const label = svgEl("text", { x: left - 4, y: y(v) + 4, "text-anchor": "end" });
    label.textContent = top != null ? `${Math.round(100 * v)}%` : v.toFixed(2);
    svg.append(label);
  }
  for (const epoch of [1, epochs]) {
    const label = svgEl("text", { x: x(epoch), y: H - 8, "text-anchor": "middle" });
    label.textContent = `${unit} ${epoch}`;
    svg.append(label);
  }
  for (const series of SERIES) {
    const points = rows.filter((p) => value(p, series.key) != null)
      .map((p) => [x(p.epoch), y(value(p, series.key))]);
    if (!points.length) continue;
    svg.append(svgEl("polyline", { points: points.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(" "),
      fill: "none", stroke: series.colour, "stroke-width": 2, "stroke-dasharray": series.dash,
      "data-series": series.key }));
    const [lx, ly] = points[points.length - 1];
    svg.append(series.marker === "circle"
      ? svgEl("circle", { cx: lx, cy: ly, r: 3.5, fill: series.colour })
      : svgEl("rect", { x: lx - 3.5, y: ly - 3.5, width: 7, height: 7, fill: series.colour }));
  }
  const legend = el("p", { class: "legend" }, ...SERIES.map((s) => el("span", { class: `key ${s.key}`, text: s.label })));
  const table = el("table", {},
    el("thead", {}, el("tr", {}, el("th", { text: unit }), ...SERIES.map((s) => el("th", { text: s.label })))),
    el("tbody", {}, ...rows.map((p) => el("tr", {}, el("th", { text: String(p.epoch) }),
      ...SERIES.map((s) => el("td", { text: value(p, s.key) == null ? "–" : value(p, s.key).toFixed(4) }))))));
  figure.replaceChildren(el("figcaption", { text: what === "loss" ? "Loss" : "Accuracy" }), svg, legend,
    el("details", {}, el("summary", { text: `${what}: the numbers` }), table));
}
