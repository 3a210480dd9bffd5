// Small helpers shared by every module: elements, numbers as text, live regions.

export const CLASSES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

export const $ = (id) => document.getElementById(id);

// An element with its attributes ("class", "text", "onEVENT" handled specially) and children.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

// An SVG element with its attributes, for the charts.
export function svgEl(tag, attrs) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

// A percentage with a no-break space, so "97.9 %" never splits between the number and its sign.
export const pct = (p) => `${(100 * p).toFixed(p >= 0.995 || p < 0.001 ? 0 : 1)}\u00a0%`;
export const signed = (x, digits = 3) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(digits)}`;
// Three significant digits, for numbers of any size (gradients of a sure answer are tiny).
export const sig = (x) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toPrecision(3)}`;

// A layer's name from the server ("Dense 784->48, ReLU") as the page writes it: with an arrow,
// which a line never breaks the way it breaks "->" at its hyphen.
export const shownTitle = (title) => title.replaceAll("->", "→");

// A live region's text, set only when it changes (a screen reader would repeat it otherwise).
export function say(id, text) {
  const region = $(id);
  if (region.textContent !== text) region.textContent = text;
}

export function announce(text) { say("announce", text); }

// Ten bars, one per class, as list items; without probabilities, empty bars.
export function barItems(probabilities, top) {
  return CLASSES.map((digit) => {
    const p = probabilities ? probabilities[digit] : 0;
    const fill = el("span", { class: "fill" });
    fill.style.width = `${(100 * p).toFixed(1)}%`;
    return el("li", { class: probabilities && digit === top ? "top" : "" },
      el("span", { class: "digit", text: String(digit) }),
      el("span", { class: "track", "aria-hidden": "true" }, fill),
      el("span", { class: "pct", text: probabilities ? pct(p) : "" }));
  });
}
