// Inside the network: each hidden layer's output on the digit, a unit's weights and
// weights × input, and the evidence for each class at the output.

import { api } from "./api.js";
import { $, CLASSES, el, shownTitle, signed } from "./dom.js";
import { diverging, drawPixels, maxAbs, sequential } from "./pixels.js";
import { state } from "./state.js";
import { fillModelSelect, scheduleView } from "./views.js";

export default {
  label: "Inside the network",
  setup() { $("inside-model").addEventListener("change", () => scheduleView(0)); },
  modelsChanged() { fillModelSelect($("inside-model")); },
  render,
  clear() {
    $("inside-layers").replaceChildren(el("p", { class: "note", text: "Draw a digit to see inside." }));
    $("unit-detail").replaceChildren();
    $("evidence").replaceChildren();
  },
};

async function render(pixels, isLatest) {
  const model = $("inside-model").value || state.selected[0];
  const inside = await api("/api/inside", { pixels, model });
  if (!isLatest()) return;
  state.views.inside = { model, pixels, inside };  // what the unit detail refers to
  $("inside-layers").replaceChildren(...inside.layers.map(layerBlock));
  showEvidence(inside);
  $("unit-detail").replaceChildren();
}

function layerBlock(layer) {
  const block = el("div", { class: "layer" });
  const what = layer.kind === "conv"
    ? `${layer.shape[0]} feature maps of ${layer.shape[1]} × ${layer.shape[2]}`
    : `${layer.shape[0]} units`;
  block.append(el("h3", { text: `${shownTitle(layer.title)}: ${what}` }));
  if (layer.kind === "conv") {
    const top = Math.max(...layer.values.flat(2), 1e-9);
    const maps = el("div", { class: "fmaps", role: "group", "aria-label": `feature maps of ${shownTitle(layer.title)}` });
    layer.values.forEach((map, unit) => {
      const canvas = el("canvas", { width: String(map[0].length), height: String(map.length) });
      drawPixels(canvas, map, (v) => sequential(v / top));
      const peak = Math.max(...map.flat());
      maps.append(el("button", { type: "button", class: "fmap", "data-layer": String(layer.index),
        "data-unit": String(unit), "aria-label": `map ${unit}, strongest ${peak.toFixed(2)}`,
        onclick: () => showUnit(layer.index, unit) }, canvas, el("span", { text: String(unit) })));
    });
    block.append(maps);
    return block;
  }
  const values = layer.values;
  const columns = Math.ceil(Math.sqrt(values.length * 2));
  const rows = Math.ceil(values.length / columns);
  const top = Math.max(...values, 1e-9);
  const grid = [];
  for (let r = 0; r < rows; r++) grid.push(values.slice(r * columns, (r + 1) * columns)
    .concat(Array(Math.max(0, (r + 1) * columns - values.length)).fill(NaN)));
  const canvas = el("canvas", { class: "units", width: String(columns), height: String(rows),
    role: "img", "aria-label": `activations of the ${values.length} units of ${shownTitle(layer.title)}` });
  drawPixels(canvas, grid, (v) => Number.isNaN(v) ? [255, 255, 255] : sequential(v / top));
  canvas.style.width = `min(100%, ${columns * 1.1}rem)`;
  canvas.addEventListener("click", (event) => {
    const box = canvas.getBoundingClientRect();
    const c = Math.floor((event.clientX - box.left) / box.width * columns);
    const r = Math.floor((event.clientY - box.top) / box.height * rows);
    const unit = r * columns + c;
    if (unit < values.length) showUnit(layer.index, unit);
  });
  const order = values.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]).slice(0, 6);
  const number = el("input", { type: "number", min: "0", max: String(values.length - 1), value: String(order[0][1]),
    id: `unit-number-${layer.index}` });
  const pick = el("div", { class: "unit-pick" },
    el("span", { text: "Most active:" }),
    ...order.map(([v, i]) => el("button", { type: "button", "data-layer": String(layer.index),
      "data-unit": String(i), onclick: () => showUnit(layer.index, i), text: `#${i} ${v.toFixed(2)}` })),
    el("label", { for: `unit-number-${layer.index}`, text: "unit" }), number,
    el("button", { type: "button", text: "Show", onclick: () => {
      const unit = Math.min(Math.max(Math.round(Number(number.value)), 0), values.length - 1);
      showUnit(layer.index, unit);
    } }));
  block.append(canvas, pick);
  return block;
}

async function showUnit(layer, unit) {
  if (!state.views.inside) return;
  const { model, pixels } = state.views.inside;
  $("panel-inside").querySelectorAll("[data-unit][aria-pressed]").forEach((b) => b.removeAttribute("aria-pressed"));
  $("panel-inside").querySelectorAll(`[data-layer="${layer}"][data-unit="${unit}"]`)
    .forEach((b) => b.setAttribute("aria-pressed", "true"));
  const view = await api("/api/unit", { pixels, model, layer, unit });
  const tiles = el("div", { class: "tiles" });
  const figure = (rows, colour, caption, small) => {
    const canvas = el("canvas", { class: small ? "small" : "" });
    drawPixels(canvas, rows, colour);
    return el("figure", {}, canvas, el("figcaption", { text: caption }));
  };
  const asGrid = (flat) => {
    const columns = Math.ceil(Math.sqrt(flat.length * 2));
    const grid = [];
    for (let i = 0; i < flat.length; i += columns) grid.push(flat.slice(i, i + columns)
      .concat(Array(Math.max(0, i + columns - flat.length)).fill(0)));
    return grid;
  };
  const images = (array) => view.shape.length === 3 ? array : view.shape.length === 2 ? [array] : [asGrid(array)];
  const wScale = maxAbs(view.weights), pScale = maxAbs(view.products);
  const xScale = Math.max(...view.inputs.flat(Infinity), 1e-9);
  const weights = images(view.weights), products = images(view.products);
  const small = weights.length > 1;
  weights.forEach((w, c) => tiles.append(figure(w, (v) => diverging(v / wScale),
    small ? `w, input ${c}` : "weights w", small)));
  if (view.kind === "dense") images(view.inputs).forEach((x, c) => tiles.append(figure(x,
    (v) => { const g = Math.round(255 * (1 - v / xScale)); return [g, g, g]; }, small ? `x ${c}` : "input x", small)));
  products.forEach((p, c) => tiles.append(figure(p, (v) => diverging(v / pScale),
    small ? (view.kind === "conv" ? `share of input ${c}` : `w·x ${c}`) : "w · x", small)));
  const sum = view.kind === "dense" ? view.preactivation - view.bias : null;
  const name = shownTitle(state.views.inside.inside.layers.find((l) => l.index === layer)?.title ?? "The output layer");
  const formula = view.kind === "dense"
    ? `${name}, unit ${view.unit}: z = Σ w·x + b = ${sum.toFixed(3)} ${signed(view.bias)} = ${view.preactivation.toFixed(3)}`
    : `${name}, feature map ${view.unit}: ${view.shape[0]} kernel${view.shape[0] === 1 ? "" : "s"} of ${view.shape[1]} × ${view.shape[2]}, bias ${signed(view.bias)}; each input map's share of the map before its activation`;
  $("unit-detail").replaceChildren(el("h3", { text: "Weights and weights × input" }),
    el("p", { class: "formula", text: formula }), tiles,
    el("p", { class: "note", text: "Orange: positive, blue: negative; white: zero." }));
}

function showEvidence(inside) {
  const ev = inside.evidence;
  const scale = Math.max(...ev.evidence_for, ...ev.evidence_against.map(Math.abs), 1e-9);
  const top = inside.probabilities.indexOf(Math.max(...inside.probabilities));
  const list = el("ol", { class: "evidence", "aria-label": "evidence for each class" });
  for (const c of CLASSES) {
    const bar = el("span", { class: "ev", "aria-hidden": "true" });
    const forBar = el("span", { class: "for" }), againstBar = el("span", { class: "against" });
    forBar.style.left = "50%"; forBar.style.width = `${50 * ev.evidence_for[c] / scale}%`;
    againstBar.style.right = "50%"; againstBar.style.width = `${50 * -ev.evidence_against[c] / scale}%`;
    bar.append(againstBar, forBar, el("span", { class: "zero" }));
    list.append(el("li", { class: "ev-row" },
      el("button", { type: "button", "data-layer": String(inside.output_layer), "data-unit": String(c),
        "aria-label": `class ${c}: show its weights`, text: c === top ? `${c} ◀` : String(c),
        onclick: () => showUnit(inside.output_layer, c) }),
      bar,
      el("span", { class: "ev-text", text: `${signed(ev.evidence_for[c], 2)} ${signed(ev.evidence_against[c], 2)} ${signed(ev.bias[c], 2)} = ${ev.logits[c].toFixed(2)}` })));
  }
  $("evidence").replaceChildren(list);
}
