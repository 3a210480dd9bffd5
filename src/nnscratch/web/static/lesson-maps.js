// The explanations measured on the class's logit (/api/attributions): four maps, each with the
// sentence the server sends saying what it shows.
import { el, pct } from "./dom.js";
import { heatmap, num } from "./lesson-draw.js";

export function render(container, answer) {
  const figures = answer.maps.map((map) => {
    const strongest = strongestPixel(map.values);
    return el("figure", { class: "lesson-figure" },
      heatmap(map.values, map.largest || 1, `${map.title} for class ${answer.target}`),
      el("figcaption", {},
        el("strong", { text: map.title }), " ", map.sentence, " ",
        el("span", { class: "lesson-note",
          text: `Strongest at row ${strongest.r}, column ${strongest.c}: ${num(strongest.v)}.` })));
  });
  container.replaceChildren(
    el("p", { class: "lesson-summary", text:
      `${answer.model} explains class ${answer.target} (p = ${pct(answer.probabilities[answer.target])}): ` +
      `its score (logit) is ${num(answer.logit)}, and ${num(answer.blank_logit)} on blank paper.` }),
    el("div", { class: "lesson-maps" }, ...figures));
}

function strongestPixel(rows) {
  let best = { v: 0, r: 0, c: 0 };
  rows.forEach((row, r) => row.forEach((v, c) => {
    if (Math.abs(v) > Math.abs(best.v)) best = { v, r, c };
  }));
  return best;
}
