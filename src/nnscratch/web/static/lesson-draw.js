// What the lesson views share: numbers as text, arrays as small pictures. Elements, percentages
// and colour scales come from the page's own modules (dom.js, pixels.js).

import { el } from "./dom.js";
import { diverging, drawPixels } from "./pixels.js";

// Four significant digits with a true minus sign: gradients of a sure answer are tiny numbers.
export function num(x) {
  // trailing zeros go from the mantissa only: 1.200e-10 reads 1.2e-10, not 1.2e-1
  const [mantissa, exponent] = Math.abs(x).toPrecision(4).split("e");
  const trimmed = mantissa.includes(".") ? mantissa.replace(/\.?0+$/, "") : mantissa;
  return (x < 0 ? "−" : "") + trimmed + (exponent ? `e${exponent}` : "");
}
export const shape = (dims) => `(${dims.join(", ")})`;

// rows (a 2-D array) as a canvas, each value coloured against ±scale; CSS sets the drawn size.
export function heatmap(rows, scale, label) {
  const canvas = el("canvas", { role: "img", "aria-label": label, class: "lesson-map" });
  drawPixels(canvas, rows, (v) => diverging(v / scale));
  const height = rows.length, width = rows[0].length;
  // Drawn at a whole number of screen pixels per value, about 112 px on its longer side; a
  // narrow matrix (48x10 weights) is widened to about 40 px, up to 224 px on its longer side.
  const long = Math.max(width, height), short = Math.min(width, height);
  let zoom = Math.max(1, Math.floor(112 / long));
  if (short > 1) zoom = Math.max(zoom, Math.min(Math.ceil(40 / short), Math.floor(224 / long)));
  canvas.style.width = `${width * zoom}px`;
  canvas.style.height = `${height * zoom}px`;
  canvas.style.imageRendering = "pixelated";
  canvas.style.margin = "2px";
  return canvas;
}

// Any array (1-D to 4-D) as 2-D rows: leading axes are flattened, and one long row (a hidden
// layer's 32 or 512 units) is wrapped into a near-square block, padded with zeros.
export function asRows(values) {
  if (!Array.isArray(values[0])) return wrap(values);
  if (!Array.isArray(values[0][0])) return values.length === 1 ? wrap(values[0]) : values;
  return values.flatMap((part) => asRows(part));
}

function wrap(row) {
  if (row.length <= 16) return [row];
  const width = Math.ceil(Math.sqrt(row.length));
  const rows = [];
  for (let i = 0; i < row.length; i += width) {
    const part = row.slice(i, i + width);
    rows.push(part.concat(new Array(width - part.length).fill(0)));
  }
  return rows;
}
