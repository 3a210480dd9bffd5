// The maths with your numbers (/api/unit-maths): one unit's z = Σ wᵢaᵢ + b with its largest
// terms, the rest, the bias, the activation; at the output the softmax of the actual logits;
// the equations with shapes in the tutorial's notation (examples as columns) and ours (rows).
import { el, pct } from "./dom.js";
import { num, shape } from "./lesson-draw.js";

export function render(container, answer) {
  const where = answer.kind === "conv"
    ? `feature map ${answer.unit} at row ${answer.position[0]}, column ${answer.position[1]} ` +
      `(its window: rows ${answer.receptive_field[0]}–${answer.receptive_field[1]}, ` +
      `columns ${answer.receptive_field[2]}–${answer.receptive_field[3]} of the layer's input)`
    : `unit ${answer.unit} of ${answer.units}`;
  container.replaceChildren(
    el("h3", { text: `${answer.title}: ${where}` }),
    sumTable(answer),
    el("p", { class: "lesson-result", text: activationText(answer) }),
    answer.softmax ? softmaxTable(answer) : "",
    el("div", { class: "lesson-notations" },
      notation("The tutorial's notation (examples as columns)", answer.tutorial),
      notation("Ours (examples as rows)", answer.ours)));
}

function placeText(where, kind) {
  if (where.length === 2) return `pixel (row ${where[0]}, column ${where[1]})`;
  if (where.length === 3) return `${kind === "conv" ? "input map" : "map"} ${where[0]}, row ${where[1]}, column ${where[2]}`;
  return `unit ${where[0]} of the layer below`;
}

function sumTable(answer) {
  const head = el("tr", {}, ...["input", "wᵢ", "aᵢ", "wᵢ·aᵢ"].map((t) => el("th", { scope: "col", text: t })));
  const rows = answer.terms.map((t) => el("tr", {},
    el("th", { scope: "row", text: placeText(t.where, answer.kind) }),
    el("td", { text: num(t.weight) }), el("td", { text: num(t.input) }), el("td", { text: num(t.product) })));
  const line = (label, value) => el("tr", {},
    el("th", { scope: "row", colspan: "3", text: label }), el("td", { text: num(value) }));
  return el("table", { class: "lesson-sum" },
    el("caption", { text: `z = Σ wᵢaᵢ + b, the ${answer.terms.length} largest terms first` }),
    el("thead", {}, head),
    el("tbody", {}, ...rows,
      line(`the other ${answer.rest_count} terms, summed`, answer.rest),
      line("b, the bias", answer.bias),
      line("z, the sum", answer.z)));
}

function activationText(answer) {
  if (answer.activation === "softmax")
    return `Output ${answer.unit}: logit z = ${num(answer.z)}; softmax gives p = ${pct(answer.value)}.`;
  if (answer.activation === "none") return `No activation follows: the unit's output is z = ${num(answer.z)}.`;
  return `${answer.activation}(z) = ${answer.activation}(${num(answer.z)}) = ${num(answer.value)}.`;
}

function softmaxTable(answer) {
  const { logits, probabilities } = answer.softmax;
  const top = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - top));
  const total = exps.reduce((a, b) => a + b, 0);
  const head = el("tr", {}, ...["class", "logit z", "exp(z − max z)", "p = exp / Σ"].map((t) => el("th", { scope: "col", text: t })));
  const rows = logits.map((z, c) => el("tr", c === answer.unit ? { class: "lesson-chosen" } : {},
    el("th", { scope: "row", text: String(c) }), el("td", { text: num(z) }),
    el("td", { text: num(exps[c]) }), el("td", { text: pct(probabilities[c]) })));
  return el("table", { class: "lesson-softmax" },
    el("caption", { text: `Softmax of the actual logits (Σ exp = ${num(total)})` }),
    el("thead", {}, head), el("tbody", {}, ...rows));
}

function notation(title, lines) {
  return el("section", { class: "lesson-notation", "aria-label": title },
    el("h4", { text: title }),
    ...lines.map((line) => el("p", {},
      el("code", { text: line.equation }), " ",
      el("span", { text: Object.entries(line.shapes).map(([name, dims]) => `${name} ${shape(dims)}`).join(", ") }))));
}
