// What the lesson views share: building elements, numbers as text, arrays as small pictures.
// Standalone (no import from app.js): the page's own helpers are being split into modules.

export const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
};

// Four significant digits with a true minus sign: gradients of a sure answer are tiny numbers.
export function num(x) {
  // trailing zeros go from the mantissa only: 1.200e-10 reads 1.2e-10, not 1.2e-1
  const [mantissa, exponent] = Math.abs(x).toPrecision(4).split("e");
  const trimmed = mantissa.includes(".") ? mantissa.replace(/\.?0+$/, "") : mantissa;
  return (x < 0 ? "−" : "") + trimmed + (exponent ? `e${exponent}` : "");
}
export const pct = (p) => `${(100 * p).toFixed(p >= 0.995 || p < 0.001 ? 0 : 1)}\u00a0%`;
export const shape = (dims) => `(${dims.join(", ")})`;
export const maxAbs = (values) =>
  [values].flat(Infinity).reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;

// -1..1 -> blue, white, orange (as the page's saliency view; readable with red-green deficiencies).
export function diverging(t) {
  const x = Math.min(Math.max(t, -1), 1);
  const end = x >= 0 ? [179, 88, 6] : [33, 102, 172];
  return [0, 1, 2].map((k) => Math.round(255 + Math.abs(x) * (end[k] - 255)));
}

// rows (a 2-D array) as a canvas, each value coloured against ±scale; CSS sets the drawn size.
export function heatmap(rows, scale, label) {
  const canvas = el("canvas", { role: "img", "aria-label": label, class: "lesson-map" });
  const height = rows.length, width = rows[0].length;
  canvas.width = width; canvas.height = height;
  const context = canvas.getContext("2d");
  const image = context.createImageData(width, height);
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) {
    const [red, green, blue] = diverging(rows[r][c] / scale);
    const i = 4 * (r * width + c);
    image.data.set([red, green, blue, 255], i);
  }
  context.putImageData(image, 0, 0);
  // Drawn at a whole number of screen pixels per value, about 112 px on its longer side.
  const zoom = Math.max(1, Math.floor(112 / Math.max(width, height)));
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
