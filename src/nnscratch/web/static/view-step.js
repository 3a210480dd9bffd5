// One step of learning on your drawing: choose its true label (by default the model's answer)
// and a learning rate α; the server takes one step of gradient descent on a copy of the model
// (/api/one-step; the served model never changes) and lesson-step.js shows the forward pass, the
// loss, every backward quantity with its shapes, the update and the ten probabilities before and
// after. The choices live in the controls themselves, so the view keeps no state of its own.

import { api } from "./api.js";
import { $, CLASSES, el } from "./dom.js";
import { render as renderStep } from "./lesson-step.js";
import { state } from "./state.js";
import { fillModelSelect, scheduleView } from "./views.js";

const DEFAULT_RATE = "0.1";
const MAX_RATE = 100;  // as the server's MAX_LEARNING_RATE

export default {
  label: "One step of learning",
  build(panel) {
    panel.append(
      el("div", { class: "controls step-controls" },
        el("label", { for: "step-model", text: "Model" }), el("select", { id: "step-model" }),
        el("label", { for: "step-label", text: "True label" }),
        el("select", { id: "step-label" }, el("option", { value: "", text: "the model's answer" }),
          ...CLASSES.map((c) => el("option", { value: String(c), text: String(c) }))),
        el("label", { for: "step-rate", text: "Learning rate α" }),
        el("input", { id: "step-rate", type: "text", inputmode: "decimal", value: DEFAULT_RATE,
                      "aria-describedby": "step-note" })),
      el("p", { class: "note", id: "step-note", text:
        "One step of gradient descent on your drawing alone, W ← W − α·dW, on a copy of the model: " +
        "the model you draw for is not changed. The tutorial's names: X the input, Z a layer's sum, " +
        "A its activation, Y the true label as one-hot, dZ, dW, db the gradients of the loss." }),
      el("p", { class: "summary", id: "step-summary" }),
      el("div", { id: "step-result" }));
  },
  setup() {
    for (const id of ["step-model", "step-label", "step-rate"]) $(id).addEventListener("change", () => scheduleView(0));
  },
  modelsChanged() { fillModelSelect($("step-model")); },
  render,
  clear() {
    $("step-result").replaceChildren();
    $("step-summary").textContent = "Draw a digit to take one step of learning on it.";
  },
};

async function render(pixels, isLatest) {
  const model = $("step-model").value || state.selected[0];
  const rate = Number($("step-rate").value.trim().replace(",", "."));
  if (!(rate > 0 && rate <= MAX_RATE)) {
    $("step-result").replaceChildren();
    $("step-summary").textContent = `The learning rate must be a number above 0 and at most ${MAX_RATE}.`;
    return;
  }
  const answered = state.answer.answers.find((a) => a.model === model);
  const chosen = $("step-label").value;
  const label = chosen === "" ? answered.label : Number(chosen);
  $("step-label").options[0].textContent = `the model's answer (${answered.label})`;
  const result = await api("/api/one-step", { pixels, model, label, learning_rate: rate });
  if (!isLatest()) return;
  $("step-summary").textContent = "";
  renderStep($("step-result"), result);
}
