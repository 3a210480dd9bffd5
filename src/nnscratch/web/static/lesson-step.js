// One step of learning on your drawing (/api/one-step): the forward pass, the loss, every
// backward quantity and the update W ← W − α·dW, each as numbers or small pictures with its
// shapes (ours and the tutorial's), and the ten probabilities before and after.
import { el, pct } from "./dom.js";
import { asRows, heatmap, num, shape } from "./lesson-draw.js";
import { maxAbs } from "./pixels.js";

export function render(container, answer) {
  container.replaceChildren(
    el("p", { class: "lesson-summary", text:
      `True label ${answer.label}, α = ${answer.learning_rate}: the loss −log p(${answer.label}) goes from ` +
      `${num(answer.loss)} to ${num(answer.loss_after)} after one step (on a copy: ${answer.model} itself is unchanged).` }),
    probabilities(answer),
    stage("Forward pass", answer.forward),
    stage("Backward pass", answer.backward),
    stage("After the update W ← W − α·dW", answer.updated),
    changes(answer));
}

function probabilities(answer) {
  const head = el("tr", {}, ...["class", "before", "after"].map((t) => el("th", { scope: "col", text: t })));
  const rows = answer.before.map((p, c) => el("tr", c === answer.label ? { class: "lesson-chosen" } : {},
    el("th", { scope: "row", text: String(c) }), el("td", { text: pct(p) }), el("td", { text: pct(answer.after[c]) })));
  return el("table", { class: "lesson-probabilities" },
    el("caption", { text: "The probabilities before and after one step" }),
    el("thead", {}, head), el("tbody", {}, ...rows));
}

function stage(title, quantities) {
  return el("section", { class: "lesson-stage", "aria-label": title },
    el("h3", { text: title }), el("div", { class: "lesson-quantities" }, ...quantities.map(quantity)));
}

function quantity(q) {
  const label = `${q.name}, ${q.title}`;
  const pictures = [];
  if (q.tiles) {
    const scale = maxAbs(q.tiles);
    q.tiles.forEach((tile, i) => pictures.push(heatmap(tile, scale, `${q.name}: ${q.tiles_of} ${i}`)));
  } else if (q.overview) {
    pictures.push(heatmap(q.overview, maxAbs(q.overview), `${q.name}, averaged over blocks`));
  } else if (q.values) {
    const rows = asRows(q.values);
    pictures.push(heatmap(rows, maxAbs(rows), label));
  }
  const largest = q.largest.slice(0, 3).map((e) => `${q.name}[${e.where.join(", ")}] = ${num(e.value)}`).join("; ");
  // A quantity drawn as tiles (a weight matrix as one picture per unit) takes a row of its own:
  // beside a short one it would leave a tall gap under that.
  return el("figure", { class: q.tiles ? "lesson-quantity lesson-tiled" : "lesson-quantity" },
    el("div", { class: "lesson-pictures" }, ...pictures),
    el("figcaption", {},
      el("strong", { text: q.name }), ` ${q.title}. Ours ${shape(q.shape)}, the tutorial's ${shape(q.tutorial_shape)}; ` +
      `from ${num(q.min)} to ${num(q.max)}, mean |·| ${num(q.mean_abs)}. Largest: ${largest}.`));
}

function changes(answer) {
  const head = el("tr", {}, ...["parameter", "before", "gradient", "after"].map((t) => el("th", { scope: "col", text: t })));
  const rows = answer.changes.map((c) => el("tr", {},
    el("th", { scope: "row", text: `${c.name}[${c.where.join(", ")}]` }),
    el("td", { text: num(c.before) }), el("td", { text: num(c.gradient) }), el("td", { text: num(c.after) })));
  return el("table", { class: "lesson-changes" },
    el("caption", { text: `The largest moves: after = before − ${answer.learning_rate} × gradient` }),
    el("thead", {}, head), el("tbody", {}, ...rows));
}
