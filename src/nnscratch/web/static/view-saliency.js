// Saliency: which pixels matter for a class, by the gradient and by occlusion.

import { api } from "./api.js";
import { $, CLASSES, el, pct, sig } from "./dom.js";
import { diverging, drawPixels, maxAbs } from "./pixels.js";
import { state } from "./state.js";
import { fillModelSelect, scheduleView } from "./views.js";

export default {
  label: "Saliency",
  setup() {
    const classes = $("saliency-class");
    for (const c of CLASSES) classes.append(el("option", { value: String(c), text: String(c) }));
    for (const id of ["saliency-model", "saliency-class"]) $(id).addEventListener("change", () => scheduleView(0));
  },
  modelsChanged() { fillModelSelect($("saliency-model")); },
  render,
  clear() {
    drawPixels($("saliency-gradient"), null);
    drawPixels($("saliency-occlusion"), null);
    $("saliency-summary").textContent = "Draw a digit to see which pixels matter.";
  },
};

async function render(pixels, isLatest) {
  const model = $("saliency-model").value || state.selected[0];
  const chosen = $("saliency-class").value;
  const body = { pixels, model };
  if (chosen !== "") body.target = Number(chosen);
  const result = await api("/api/saliency", body);
  if (!isLatest()) return;
  const ink = pixels.map((row) => row.map((v) => v / 255));
  const overlay = (rows) => {
    const scale = maxAbs(rows);
    return rows.map((row, r) => row.map((v, c) => [v / scale, ink[r][c]]));
  };
  const paint = ([t, a]) => diverging(t).map((v) => Math.round(v * (1 - 0.5 * a)));
  drawPixels($("saliency-gradient"), overlay(result.gradient), paint);
  drawPixels($("saliency-occlusion"), overlay(result.occlusion), paint);
  const extreme = (rows, sign) => {
    let best = { v: 0, r: 0, c: 0 };
    rows.forEach((row, r) => row.forEach((v, c) => { if (sign * v > sign * best.v) best = { v, r, c }; }));
    return best;
  };
  const push = extreme(result.gradient, 1), pull = extreme(result.gradient, -1);
  const drop = extreme(result.occlusion, 1);
  $("saliency-summary").textContent =
    `${result.model}, class ${result.target} (p = ${pct(result.probabilities[result.target])}): ` +
    `strongest push ${sig(push.v)} at row ${push.r}, column ${push.c}; ` +
    `strongest pull ${sig(pull.v)} at row ${pull.r}, column ${pull.c}; ` +
    `blanking around row ${drop.r}, column ${drop.c} lowers p by ${Math.abs(drop.v).toPrecision(3)}.`;
  $("saliency-gradient").setAttribute("aria-label", `Saliency map of class ${result.target}`);
}
