// The served models: a checkbox each in the masthead, the chosen ones in the URL.

import { api } from "./api.js";
import { $, el } from "./dom.js";
import { inputChanged } from "./predict.js";
import { state } from "./state.js";
import { fillTuneModels } from "./training.js";
import { modelsChangedInViews, writeUrl } from "./views.js";

export function setupModels(info, wanted) {
  state.models = info.models;
  state.unsureBelow = info.unsure_below;
  const names = info.models.map((m) => m.name);
  state.selected = wanted.filter((n) => names.includes(n));
  if (!state.selected.length) state.selected = names.slice();
  $("models-loading").remove();
  for (const model of info.models) addModelChoice(model);
  modelsChanged();
}

function addModelChoice(model) {
  const box = $("model-choice");
  const input = el("input", { type: "checkbox", id: `model-${model.name}`, value: model.name });
  input.checked = state.selected.includes(model.name);
  input.addEventListener("change", () => {
    const checked = [...box.querySelectorAll("input:checked")].map((i) => i.value);
    if (!checked.length) { input.checked = true; return; }  // one model at least
    state.selected = state.models.map((m) => m.name).filter((n) => checked.includes(n));
    writeUrl();
    modelsChanged();
  });
  box.append(el("label", { for: input.id }, input,
    `${model.name} (${model.kind === "conv" ? "convolutional" : "dense"})`));
}

// A model saved from a training run joins the others, chosen at once.
export async function modelAdded(name) {
  const info = await api("/api/models");
  const model = info.models.find((m) => m.name === name);
  if (!model || state.models.some((m) => m.name === name)) return;
  state.models.push(model);
  state.selected.push(name);
  addModelChoice(model);
  writeUrl();
  modelsChanged();
  fillTuneModels();
}

function modelsChanged() {
  modelsChangedInViews();
  inputChanged(true);
}
