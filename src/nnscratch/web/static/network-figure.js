// The network at a glance drawn from an answer (/api/network's, or glance.js's on an exported
// page): the input's pixels, each layer with weights as a column of units or feature maps, and
// the strongest contributions as edges. ``chooser``: {selected() -> {layer, unit} or null,
// select(layer, unit)}, what choosing a unit does.

import { el, pct, say, shownTitle, svgEl } from "./dom.js";
import { drawPixels, sequential } from "./pixels.js";

export function drawNetwork(figure, answer, pixels, chooser) {
  const focused = document.activeElement?.closest?.("#network-figure [data-unit]");
  const keep = focused ? `[data-layer="${focused.dataset.layer}"][data-unit="${focused.dataset.unit}"]` : null;
  const input = el("canvas", { class: "net-input", width: "28", height: "28", role: "img",
    "aria-label": "the 28 by 28 pixels the network receives" });
  drawPixels(input, pixels);
  const columns = [column(answer.input.title, input),
    ...answer.layers.map((layer) => column(layer.title, layer.kind === "conv" ? maps(layer, chooser) : units(layer, chooser)))];
  const edges = svgEl("svg", { class: "net-edges", "aria-hidden": "true" });
  figure.replaceChildren(edges, ...columns);
  drawEdges(figure, edges, answer);
  markSelected(figure, chooser.selected());
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

function node(chooser, layer, unit, colour, ...content) {
  const text = unitText(layer, unit);
  const button = el("button", { type: "button", id: `net-${layer.index}-${unit}`, class: `net-unit ${layer.kind === "conv" ? "net-map" : "net-node"}`,
    "data-layer": String(layer.index), "data-unit": String(unit), "aria-pressed": "false",
    "aria-label": `${text}. Show its maths`, title: text,
    onclick: () => chooser.select(layer, unit), onfocus: () => say("network-focus", text),
    onpointerenter: () => say("network-focus", text) }, ...content);
  if (colour) {
    button.style.background = `rgb(${colour.join(",")})`;
    button.style.color = readableOn(colour);
  }
  return button;
}

function units(layer, chooser) {
  const top = layer.output ? 1 : Math.max(...layer.values, 1e-9);
  const list = el("div", { class: "net-units", role: "group", "aria-label": shownTitle(layer.title) },
    ...layer.shown.map((unit) => node(chooser, layer, unit, sequential(layer.values[unit] / top),
      layer.output ? String(unit) : "")));
  const more = layer.units - layer.shown.length;
  if (more > 0) list.append(el("span", { class: "net-more", text: `+${more} more` }));
  return list;
}

function maps(layer, chooser) {
  const top = Math.max(...layer.values.flat(2), 1e-9);
  return el("div", { class: `net-maps${layer.units > 4 ? " two" : ""}`, role: "group", "aria-label": shownTitle(layer.title) },
    ...layer.values.map((map, unit) => {
      const canvas = el("canvas", {});
      drawPixels(canvas, map, (v) => sequential(v / top));
      return node(chooser, layer, unit, null, canvas);
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

// Marks the chosen unit ({layer, unit} or null) as pressed.
export function markSelected(figure, chosen) {
  for (const button of figure.querySelectorAll("[data-unit]")) {
    const on = chosen !== null && Number(button.dataset.layer) === chosen.layer && Number(button.dataset.unit) === chosen.unit;
    button.setAttribute("aria-pressed", String(on));
  }
}
