// Line charts in SVG, each with its numbers in a table beside it: training's loss and
// accuracy per epoch (train and dev). The axes come from the data: ticks at round numbers over
// the range the values span, a logarithmic loss axis when the losses span a decade or more,
// tick labels with as many decimals as it takes to tell them apart, and no axes at all before
// there is a value to put on them.

import { el, svgEl } from "./dom.js";

// Train and dev told apart by colour (Okabe-Ito black and vermilion), dash and marker.
export const SERIES = [{ key: "train", label: "train", colour: "#000000", dash: "", marker: "circle" },
                       { key: "dev", label: "dev", colour: "#D55E00", dash: "6 3", marker: "square" }];

const GRID = "#d0d4d9";
const LABEL = "#4a4f57";  // 7.9:1 on white

// Round ticks (1, 2 or 5 times a power of ten apart) covering [low, high], about `count` of them.
export function linearTicks(low, high, count = 4) {
  if (!(high > low)) {  // one value: a small range around it
    const pad = Math.abs(low) * 0.1 || 0.01;
    low -= pad; high += pad;
  }
  const rough = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) || 10 * power;
  const first = Math.floor(low / step + 1e-9) * step, last = Math.ceil(high / step - 1e-9) * step;
  const ticks = [];
  for (let v = first; v <= last + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return { low: first, high: last, ticks, step };
}

// Ticks of a logarithmic axis over [low, high] (both > 0): the powers of ten, with 2 and 5
// times them where the range spans fewer than three decades.
export function logTicks(low, high) {
  const from = Math.floor(Math.log10(low) + 1e-9), to = Math.ceil(Math.log10(high) - 1e-9);
  const multiples = to - from < 3 ? [1, 2, 5] : [1];
  const ticks = [];
  for (let e = from; e <= to; e++) {
    for (const m of multiples) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v >= 10 ** from && v <= 10 ** to) ticks.push(v);
    }
  }
  return { low: 10 ** from, high: 10 ** to, ticks };
}

// Labels for ticks, with the fewest decimals (from `decimals` up) that keep them all distinct.
export function tickLabels(ticks, format, decimals = 0) {
  for (let d = decimals; d < 12; d++) {
    const labels = ticks.map((v) => format(v, d));
    if (new Set(labels).size === labels.length) return labels;
  }
  return ticks.map((v) => format(v, 12));
}

const plain = (v, d) => (v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential(Math.max(d - 3, 0)) : v.toFixed(d));
const percent = (v, d) => `${(100 * v).toFixed(d)}%`;
const decimalsOf = (step) => Math.max(0, -Math.floor(Math.log10(step) + 1e-9));

// The y axis of a chart: {scale(v) -> 0..1, ticks, labels, log}.
export function yAxis(values, kind) {
  const lowest = Math.min(...values), highest = Math.max(...values);
  if (kind === "loss" && lowest > 0 && highest / lowest >= 10) {
    const { low, high, ticks } = logTicks(lowest, highest);
    const scale = (v) => (Math.log10(v) - Math.log10(low)) / (Math.log10(high) - Math.log10(low));
    // One significant digit says a power of ten (or 2 or 5 times one) exactly.
    const labels = ticks.map((v) => (v >= 1e-3 ? String(Number(v.toPrecision(1))) : v.toExponential(0)));
    return { scale, ticks, labels, log: true };
  }
  let { low, high, ticks, step } = linearTicks(lowest, highest);
  if (kind === "accuracy") {  // an accuracy lives in [0, 1]
    ticks = ticks.filter((v) => v >= 0 && v <= 1);
    low = Math.max(low, 0); high = Math.min(high, 1);
    return { scale: (v) => (v - low) / (high - low || 1), ticks,
             labels: tickLabels(ticks, percent, Math.max(decimalsOf(step) - 2, 0)), log: false };
  }
  return { scale: (v) => (v - low) / (high - low || 1), ticks,
           labels: tickLabels(ticks, plain, decimalsOf(step)), log: false };
}

// A line chart of train and dev over the epochs so far, with its numbers in a table.
// what: "loss" or "accuracy"; value(row, key) picks a number of a row; epochs: the run's length.
export function lineChart(figure, { what, rows, value, unit, epochs }) {
  const caption = el("figcaption", { text: what === "loss" ? "Loss" : "Accuracy" });
  const values = rows.flatMap((p) => SERIES.map((s) => value(p, s.key))).filter((v) => v != null);
  if (!values.length) {
    figure.replaceChildren(caption, el("p", { class: "note empty-chart",
      text: `No ${what} yet: it is drawn once the first ${unit} is measured.` }));
    return;
  }
  const W = 360, H = 190, left = 50, right = 14, topPad = 10, bottom = 30;
  const axis = yAxis(values, what);
  const x = (epoch) => left + (W - left - right) * (epochs <= 1 ? 0.5 : (epoch - 1) / (epochs - 1));
  const y = (v) => topPad + (H - topPad - bottom) * (1 - axis.scale(v));
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "data-points": String(rows.length),
    "data-scale": axis.log ? "log" : "linear",
    "aria-label": `${what} of train and dev per ${unit}, ${rows.length} so far` +
      `${axis.log ? ", on a logarithmic scale" : ""}; the table below has the numbers` });
  axis.ticks.forEach((v, i) => {
    svg.append(svgEl("line", { x1: left, x2: W - right, y1: y(v), y2: y(v), stroke: GRID }));
    const label = svgEl("text", { class: "tick y", x: left - 4, y: y(v) + 4, "text-anchor": "end", fill: LABEL });
    label.textContent = axis.labels[i];
    svg.append(label);
  });
  const xTicks = [1, ...linearTicks(1, Math.max(epochs, 1), 4).ticks
    .filter((e) => e > 1 && e <= epochs && Number.isInteger(e))];
  for (const epoch of xTicks) {
    const label = svgEl("text", { class: "tick x", x: x(epoch), y: H - 14, "text-anchor": "middle", fill: LABEL });
    label.textContent = String(epoch);
    svg.append(label);
  }
  const title = svgEl("text", { x: left + (W - left - right) / 2, y: H - 1, "text-anchor": "middle", fill: LABEL });
  title.textContent = unit;
  svg.append(title);
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
      ...SERIES.map((s) => el("td", { text: value(p, s.key) == null ? "–" : value(p, s.key).toPrecision(4) }))))));
  figure.replaceChildren(caption, svg, legend, el("details", {}, el("summary", { text: `${what}: the numbers` }), table));
}
