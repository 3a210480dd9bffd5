// The network at a glance, lit while you draw (/api/network): the input's 28 × 28 pixels, then
// each layer with weights as a column named in words ("Dense 784->48, ReLU"): a convolution's
// feature maps as pictures, a dense layer's units as nodes (the most active of a wide layer and
// "+N more"), the strongest contributions w·a into each unit as edges. Hover or focus says a
// unit's value; choosing a unit or an output shows its maths with your numbers (lesson-maths.js).
//
// While the pen is down the view is given each new answer (live), one request in flight and the
// latest input next, drawn at the next animation frame: drawing never waits for it.

import { api } from "./api.js";
import { $, el, say } from "./dom.js";
import { render as renderMaths } from "./lesson-maths.js";
import { drawNetwork, markSelected } from "./network-figure.js";
import { state } from "./state.js";
import { fillModelSelect, scheduleView } from "./views.js";

const LOG_SIZE = 200;  // pointer-to-update times kept for measuring (docs/web.md)
const HINT = "Draw a digit: the network lights up as you draw.";

export default {
  label: "The network",
  build,
  setup() { $("network-model").addEventListener("change", () => { state.network.selected = null; scheduleView(0); }); },
  modelsChanged() { fillModelSelect($("network-model")); },
  render,
  live,
  clear() {
    state.network.answer = null;
    $("network-figure").replaceChildren(el("p", { class: "note", text: HINT }));
    $("network-maths").replaceChildren();
    say("network-focus", "");
  },
};

function build(panel) {
  panel.append(
    el("div", { class: "controls" },
      el("label", { for: "network-model", text: "Model" }), " ", el("select", { id: "network-model" })),
    el("div", { id: "network-figure", class: "net" }),
    el("p", { id: "network-focus", class: "summary net-focus", role: "status", "aria-live": "polite" }),
    el("p", { class: "note", text: "Brighter is more active. Lines: the strongest contributions " +
      "w·a into each unit shown, orange raising it, blue lowering it. Choose a unit or an output " +
      "to see how it is computed from your drawing." }),
    el("div", { id: "network-maths", class: "detail net-maths" }));
}

// After a pause in drawing (views.js): the glance, and the chosen unit's maths for this drawing.
async function render(pixels, isLatest) {
  await update(pixels, isLatest);
  if (isLatest() && state.network.selected) await showMaths();
}

// While drawing: one request in flight, the latest pixels next.
function live(pixels) {
  const net = state.network;
  if (net.inFlight) { net.pending = pixels; return; }
  net.inFlight = true;
  update(pixels, () => true).catch(() => { /* the next answer tries again */ }).finally(() => {
    net.inFlight = false;
    const next = net.pending;
    net.pending = null;
    if (next && state.drawing) live(next);
  });
}

async function update(pixels, isLatest) {
  const net = state.network;
  const model = $("network-model").value || state.selected[0];
  const asked = ++net.asked;
  const inputAt = state.answerInputAt;
  // the chosen unit is drawn whatever its value, so it stays marked while the drawing changes
  const chosen = net.selected && net.model === model ? [net.selected.layer, net.selected.unit] : null;
  const answer = await api("/api/network", { pixels, model, keep: chosen });
  if (!isLatest() || asked < net.drawn) return;  // a newer glance is already shown
  net.drawn = asked;
  await new Promise((done) => requestAnimationFrame(done));
  if (asked < net.drawn) return;
  Object.assign(net, { answer, pixels, model });
  const start = performance.now();
  draw(answer, pixels);
  net.updates += 1;
  const at = performance.now();
  net.log.push({ inputAt, at, drawMs: at - start });  // drawMs: the main thread's share
  if (net.log.length > LOG_SIZE) net.log.shift();
  $("network-figure").dataset.updates = String(net.updates);
}

function draw(answer, pixels) {
  drawNetwork($("network-figure"), answer, pixels, CHOOSER);
}

const CHOOSER = { selected: () => state.network.selected, select };

function select(layer, unit) {
  state.network.selected = { layer: layer.index, unit };
  markSelected($("network-figure"), state.network.selected);
  showMaths();
}

async function showMaths() {
  const net = state.network;
  const chosen = net.selected;
  if (!chosen || !net.answer) return;
  const asked = ++net.mathsAsked;
  const box = $("network-maths");
  try {
    const answer = await api("/api/unit-maths", { pixels: net.pixels, model: net.model,
                                                 layer: chosen.layer, unit: chosen.unit });
    if (asked === net.mathsAsked) renderMaths(box, answer);
  } catch (error) {
    if (asked === net.mathsAsked) box.replaceChildren(el("p", { class: "note", text: `Not shown: ${error.message}` }));
  }
}
