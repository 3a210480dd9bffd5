// Which pixels matter for a class, measured on the class's score (its logit) so that the maps do
// not go blank when the answer is sure: the gradient, gradient × input, integrated gradients and
// occlusion (/api/attributions), each with the server's sentence saying what it shows.

import { api } from "./api.js";
import { $, CLASSES, el } from "./dom.js";
import { render as renderMaps } from "./lesson-maps.js";
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
    $("saliency-maps").replaceChildren();
    $("saliency-summary").textContent = "Draw a digit to see which pixels matter.";
  },
};

async function render(pixels, isLatest) {
  const model = $("saliency-model").value || state.selected[0];
  const chosen = $("saliency-class").value;
  const body = { pixels, model };
  if (chosen !== "") body.target = Number(chosen);
  const result = await api("/api/attributions", body);
  if (!isLatest()) return;
  renderMaps($("saliency-maps"), result);
  $("saliency-summary").textContent =
    "Blue to orange: lowers to raises the class's score; the colours of each map are scaled to its own largest value.";
}
