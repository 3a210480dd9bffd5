// The network at a glance, lit while you draw (/api/network): the input's 28 × 28 pixels, then
// each layer with weights as a column named in words ("Dense 784->48, ReLU"): a convolution's
// feature maps as pictures, a dense layer's units as nodes (the most active of a wide layer and
// "+N more"), the strongest contributions w·a into each unit as edges. Hover or focus says a
// unit's value; choosing a unit or an output shows its maths with your numbers (lesson-maths.js).
//
// While the pen is down the view is given each new answer (live), one request in flight and the
// latest input next, drawn at the next animation frame: drawing never waits for it.

import { api } from "./api.js";
import { $, el, pct, say, shownTitle, svgEl } from "./dom.js";
import { render as renderMaths } from "./lesson-maths.js";
import { drawPixels, sequential } from "./pixels.js";
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
  const figure = $("network-figure");
  const focused = document.activeElement?.closest?.("#network-figure [data-unit]");
  const keep = focused ? `[data-layer="${focused.dataset.layer}"][data-unit="${focused.dataset.unit}"]` : null;
  const input = el("canvas", { class: "net-input", width: "28", height: "28", role: "img",
    "aria-label": "the 28 by 28 pixels the network receives" });
  drawPixels(input, pixels);
  const columns = [column(answer.input.title, input),
    ...answer.layers.map((layer) => column(layer.title, layer.kind === "conv" ? maps(layer) : units(layer)))];
  const edges = svgEl("svg", { class: "net-edges", "aria-hidden": "true" });
  figure.replaceChildren(edges, ...columns);
  drawEdges(figure, edges, answer);
  markSelected();
  if (keep) figure.querySelector(keep)?.focus();
}

function column(title, ...content) {
  return el("div", { class: "net-layer" }, el("h3", { text: shownTitle(title) }), ...content);
}

function unitText(layer, unit) {
  const value = layer.values[unit];
  if (layer.output) return `${shownTitle(layer.title)}: output ${unit}, p = ${pct(value)}`;
  if (layer.kind === "conv") {
    const peak = Math.max(...layer.values[unit].flat());
    return `${shownTitle(layer.title)}: feature map ${unit}, strongest ${peak.toFixed(3)}`;
  }
  return `${shownTitle(layer.title)}: unit ${unit} = ${value.toFixed(3)}`;
}

function node(layer, unit, colour, ...content) {
  const text = unitText(layer, unit);
  const button = el("button", { type: "button", id: `net-${layer.index}-${unit}`, class: `net-unit ${layer.kind === "conv" ? "net-map" : "net-node"}`,
    "data-layer": String(layer.index), "data-unit": String(unit), "aria-pressed": "false",
    "aria-label": `${text}. Show its maths`, title: text,
    onclick: () => select(layer, unit), onfocus: () => say("network-focus", text),
    onpointerenter: () => say("network-focus", text) }, ...content);
  if (colour) {
    button.style.background = `rgb(${colour.join(",")})`;
    button.style.color = readableOn(colour);
  }
  return button;
}

function units(layer) {
  const top = layer.output ? 1 : Math.max(...layer.values, 1e-9);
  const list = el("div", { class: "net-units", role: "group", "aria-label": shownTitle(layer.title) },
    ...layer.shown.map((unit) => node(layer, unit, sequential(layer.values[unit] / top),
      layer.output ? String(unit) : "")));
  const more = layer.units - layer.shown.length;
  if (more > 0) list.append(el("span", { class: "net-more", text: `+${more} more` }));
  return list;
}

function maps(layer) {
  const top = Math.max(...layer.values.flat(2), 1e-9);
  return el("div", { class: `net-maps${layer.units > 4 ? " two" : ""}`, role: "group", "aria-label": shownTitle(layer.title) },
    ...layer.values.map((map, unit) => {
      const canvas = el("canvas", {});
      drawPixels(canvas, map, (v) => sequential(v / top));
      return node(layer, unit, null, canvas);
    }));
}

// Black or white text, whichever is further from the node's colour (WCAG's contrast ratio).
function readableOn([r, g, b]) {
  const linear = (c) => { const s = c / 255; return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; };
  const lum = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  return (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) ? "#000" : "#fff";
}

// Edges drawn between the centres of what they join, in the figure's own coordinates.
function drawEdges(figure, svg, answer) {
  const box = figure.getBoundingClientRect();
  svg.setAttribute("width", String(box.width));
  svg.setAttribute("height", String(box.height));
  const centre = (element) => {
    const b = element.getBoundingClientRect();
    return [b.left + b.width / 2 - box.left, b.top + b.height / 2 - box.top];
  };
  const input = figure.querySelector(".net-input").getBoundingClientRect();
  const strongest = Math.max(...answer.layers.flatMap((l) => l.edges.map((e) => Math.abs(e[2]))), 1e-9);
  answer.layers.forEach((layer, i) => {
    const below = answer.layers[i - 1];
    for (const [source, target, value] of layer.edges) {
      const to = figure.querySelector(`[data-layer="${layer.index}"][data-unit="${target}"]`);
      let from;
      if (layer.source === "pixel") {
        const row = Math.floor(source / 28), col = source % 28;
        from = [input.left + (col + 0.5) * input.width / 28 - box.left, input.top + (row + 0.5) * input.height / 28 - box.top];
      } else {
        const element = figure.querySelector(`[data-layer="${below.index}"][data-unit="${source}"]`);
        if (!element) continue;
        from = centre(element);
      }
      if (!to) continue;
      const [x2, y2] = centre(to);
      const share = Math.abs(value) / strongest;
      svg.append(svgEl("line", { x1: from[0], y1: from[1], x2, y2,
        class: value >= 0 ? "push" : "pull", "stroke-width": (0.5 + 3 * share).toFixed(2),
        "stroke-opacity": (0.25 + 0.75 * share).toFixed(2) }));
    }
  });
}

function select(layer, unit) {
  state.network.selected = { layer: layer.index, unit };
  markSelected();
  showMaths();
}

function markSelected() {
  const chosen = state.network.selected;
  for (const button of $("network-figure").querySelectorAll("[data-unit]")) {
    const on = chosen !== null && Number(button.dataset.layer) === chosen.layer && Number(button.dataset.unit) === chosen.unit;
    button.setAttribute("aria-pressed", String(on));
  }
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
