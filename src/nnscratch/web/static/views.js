// The views of "Look inside", chosen by tabs. Each view is a module exporting
//   { label, setup(), render(pixels, isLatest), clear(), build?(panel) }
// and one line of VIEWS below: the tabs, their arrow keys and the URL's view= follow from it.
// A view whose panel is not in index.html builds it (build(panel) fills an empty tab panel).

import { $, el } from "./dom.js";
import { state } from "./state.js";
import inside from "./view-inside.js";
import network from "./view-network.js";
import probes from "./view-probes.js";
import saliency from "./view-saliency.js";
import step from "./view-step.js";

export const VIEWS = { network, inside, saliency, probes, step };

const VIEW_DELAY_MS = 160;  // the heavier views wait until drawing pauses
const names = () => Object.keys(VIEWS);

export function readUrl() {
  const params = new URLSearchParams(location.search);
  const models = (params.get("models") || "").split(",").filter(Boolean);
  const view = params.get("view");
  return { models, view: names().includes(view) ? view : names()[0] };
}

export function writeUrl() {
  const params = new URLSearchParams(location.search);
  params.set("models", state.selected.join(","));
  params.set("view", state.view);
  history.replaceState(null, "", `${location.pathname}?${params}`);
}

export function setupViews(view) {
  const list = $("view-tabs");
  const tabs = names().map((name, i) => {
    const tab = el("button", { type: "button", role: "tab", id: `tab-${name}`,
      "aria-controls": `panel-${name}`, "aria-selected": "false", tabindex: "-1", text: VIEWS[name].label });
    tab.addEventListener("click", () => selectView(name, true));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1, Home: -i, End: names().length - 1 - i }[event.key];
      if (step === undefined) return;
      event.preventDefault();
      const next = (i + step + names().length) % names().length;
      selectView(names()[next], true);
      tabs[next].focus();
    });
    return tab;
  });
  list.replaceChildren(...tabs);
  let after = list;
  for (const name of names()) {
    let panel = $(`panel-${name}`);
    if (!panel) {
      panel = el("div", { role: "tabpanel", id: `panel-${name}`, "aria-labelledby": `tab-${name}`,
                          class: "view", hidden: "" });
      after.after(panel);
      VIEWS[name].build(panel);
    }
    after = panel;
    VIEWS[name].setup();
  }
  selectView(view, false);
  clearViews();
}

export function selectView(view, refresh) {
  state.view = view;
  for (const name of names()) {
    const selected = name === view;
    $(`tab-${name}`).setAttribute("aria-selected", String(selected));
    $(`tab-${name}`).tabIndex = selected ? 0 : -1;
    $(`panel-${name}`).hidden = !selected;
  }
  writeUrl();
  if (refresh) scheduleView(0);
}

export function scheduleView(delay = VIEW_DELAY_MS) {
  clearTimeout(state.views.timer);
  document.body.dataset.view = "busy";
  state.views.timer = setTimeout(refreshView, delay);
}

async function refreshView() {
  state.views.timer = null;
  const answer = state.answer;
  const version = ++state.views.version;
  const isLatest = () => version === state.views.version;
  document.body.dataset.view = "busy";
  try {
    if (!answer || !answer.digit) { clearViews(); return; }
    await VIEWS[state.view].render(answer.input, isLatest);
  } catch (error) {
    if (isLatest()) $(`panel-${state.view}`).querySelector(".note, .summary")
      ?.replaceChildren(`Not shown: ${error.message}`);
  } finally {
    // Idle only if no newer refresh is waiting on its timer: one may be, for a newer answer.
    if (isLatest() && state.views.timer === null) document.body.dataset.view = "idle";
  }
}

// While the pen is down, a view that keeps up with it (one with live(pixels)) gets each answer.
export function liveView() {
  const view = VIEWS[state.view];
  if (view.live && state.answer && state.answer.digit) view.live(state.answer.input);
}

export function clearViews() {
  for (const view of Object.values(VIEWS)) view.clear();
}

// A <select> of the chosen models, keeping its choice while it is still among them.
export function fillModelSelect(select) {
  const keep = select.value;
  select.replaceChildren(...state.selected.map((name) => el("option", { value: name, text: name })));
  if (state.selected.includes(keep)) select.value = keep;
}

// The chosen models changed: every view's model picker follows.
export function modelsChangedInViews() {
  for (const view of Object.values(VIEWS)) view.modelsChanged?.();
}
