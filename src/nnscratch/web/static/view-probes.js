// Robustness probes: a slider over one change of the input (shift, rotation, thickness,
// noise), the probability of every class along its range, one chart per chosen model.

import { api } from "./api.js";
import { $, CLASSES, el, pct, svgEl } from "./dom.js";
import { drawPixels } from "./pixels.js";
import { state } from "./state.js";
import { scheduleView } from "./views.js";

// Okabe-Ito, then two greys; lines also differ by dash and carry their digit as a label.
const LINE_COLOURS = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#D55E00", "#0072B2",
  "#CC79A7", "#8C6D00", "#6F6F6F", "#A0A0A0"];
const LINE_DASHES = ["", "", "", "", "", "", "", "", "6 3", "2 3"];

export default {
  label: "Robustness probes",
  setup() {
    $("probe-kind").addEventListener("change", () => scheduleView(0));
    $("probe-value").addEventListener("input", showProbeValue);
  },
  render,
  clear() {
    $("probe-charts").replaceChildren();
    drawPixels($("probe-image"), null);
    $("probe-summary").textContent = "Draw a digit to probe it.";
  },
};

async function render(pixels, isLatest) {
  const kind = $("probe-kind").value;
  const result = await api("/api/probe", { pixels, kind, models: state.selected });
  if (!isLatest()) return;
  state.views.probe = result;
  const slider = $("probe-value");
  const zero = result.values.indexOf(0);
  slider.max = String(result.values.length - 1);
  if (slider.dataset.kind !== kind) { slider.value = String(Math.max(zero, 0)); slider.dataset.kind = kind; }
  $("probe-charts").replaceChildren(...result.curves.map((curve) => probeChart(result, curve)));
  showProbeValue();
}

function showProbeValue() {
  const result = state.views.probe;
  if (!result) return;
  const i = Number($("probe-value").value);
  const value = result.values[i];
  const unit = { shift_x: " px", shift_y: " px", rotate: "°", thickness: " px", noise: "" }[result.kind];
  $("probe-value-text").textContent = `${value > 0 && result.kind !== "noise" ? "+" : ""}${value}${unit}`;
  $("probe-value").setAttribute("aria-valuetext", $("probe-value-text").textContent);
  drawPixels($("probe-image"), result.images[i]);
  $("probe-summary").textContent = `${result.kind.replace("_", " ")} ${$("probe-value-text").textContent}: ` +
    result.curves.map((curve) => {
      const p = curve.probabilities[i];
      const label = p.indexOf(Math.max(...p));
      return `${curve.model} says ${label} (${pct(p[label])})`;
    }).join(", ");
  document.querySelectorAll(".probe-marker").forEach((line) => {
    const x = line.dataset.x0 * 1 + i * line.dataset.step;
    line.setAttribute("x1", x); line.setAttribute("x2", x);
  });
}

function probeChart(result, curve) {
  const W = 360, H = 200, left = 34, right = 22, top = 8, bottom = 26;
  const n = result.values.length;
  const x = (i) => left + (W - left - right) * (n === 1 ? 0.5 : i / (n - 1));
  const y = (p) => top + (H - top - bottom) * (1 - p);
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, role: "img",
    "aria-label": `${curve.model}: probability of each class against the ${result.kind.replace("_", " ")}; the table below has the numbers` });
  for (const p of [0, 0.5, 1]) {
    svg.append(svgEl("line", { x1: left, x2: W - right, y1: y(p), y2: y(p), stroke: "#d0d4d9" }));
    const label = svgEl("text", { x: left - 4, y: y(p) + 4, "text-anchor": "end", fill: "#4a4f57" });
    label.textContent = `${p * 100}%`;
    svg.append(label);
  }
  result.values.forEach((v, i) => {
    if (n > 9 && i % 2) return;
    const label = svgEl("text", { x: x(i), y: H - 8, "text-anchor": "middle", fill: "#4a4f57" });
    label.textContent = String(v);
    svg.append(label);
  });
  for (const c of CLASSES) {
    const series = curve.probabilities.map((p) => p[c]);
    const peak = Math.max(...series);
    const points = series.map((p, i) => `${x(i).toFixed(1)},${y(p).toFixed(1)}`).join(" ");
    svg.append(svgEl("polyline", { points, fill: "none", stroke: LINE_COLOURS[c],
      "stroke-width": peak > 0.2 ? 2.5 : 1.2, "stroke-dasharray": LINE_DASHES[c],
      opacity: peak > 0.05 ? 1 : 0.35, "data-class": String(c) }));
    if (peak > 0.2) {
      const at = series.indexOf(peak);
      // The digit in ink, haloed in white, over its line: its colour alone would read at
      // 2-3:1 on white for the light ones.
      const tag = svgEl("text", { x: x(at), y: y(peak) - 4, "text-anchor": "middle", class: "line-tag",
        "font-weight": "bold", fill: "#1b1b1b", stroke: "#ffffff", "stroke-width": 3, "paint-order": "stroke" });
      tag.textContent = String(c);
      svg.append(tag);
    }
  }
  svg.append(svgEl("line", { class: "probe-marker", x1: x(0), x2: x(0), y1: top, y2: H - bottom,
    stroke: "#111", "stroke-width": 1.5, "stroke-dasharray": "3 2",
    "data-x0": x(0), "data-step": n === 1 ? 0 : (W - left - right) / (n - 1) }));
  const table = el("table", {},
    el("thead", {}, el("tr", {}, el("th", { text: "value" }), ...CLASSES.map((c) => el("th", { text: String(c) })))),
    el("tbody", {}, ...curve.probabilities.map((p, i) => el("tr", {},
      el("th", { text: String(result.values[i]) }),
      ...p.map((q) => el("td", { text: (100 * q).toFixed(1) }))))));
  return el("div", { class: "chart", "data-model": curve.model },
    el("h3", { text: curve.model }), svg,
    el("details", {}, el("summary", { text: `${curve.model}: the numbers (%)` }), table));
}
