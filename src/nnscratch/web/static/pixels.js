// Pictures of arrays: 2-D rows of numbers drawn on a canvas, one pixel per value, and the
// colour scales they are drawn with.

export function grey(v) { return [v, v, v]; }

export function drawPixels(canvas, rows, colour = grey) {
  const context = canvas.getContext("2d");
  if (!rows || !rows.length) {
    canvas.width = canvas.height = 28;
    context.clearRect(0, 0, 28, 28);
    return;
  }
  const height = rows.length, width = rows[0].length;
  canvas.width = width; canvas.height = height;
  const image = context.createImageData(width, height);
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) {
    const [red, green, blue] = colour(rows[r][c]);
    const i = 4 * (r * width + c);
    image.data[i] = red; image.data[i + 1] = green; image.data[i + 2] = blue; image.data[i + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}

export function pixelsCanvas(rows, darkOnLight) {
  const canvas = document.createElement("canvas");
  drawPixels(canvas, rows, darkOnLight ? (v) => [255 - v, 255 - v, 255 - v] : grey);
  return canvas;
}

const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
export function sequential(t) {  // 0..1 -> a viridis colour (dark to light, for activations)
  const x = Math.min(Math.max(t, 0), 1) * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(x), VIRIDIS.length - 2), f = x - i;
  return VIRIDIS[i].map((v, k) => Math.round(v + f * (VIRIDIS[i + 1][k] - v)));
}
export function diverging(t) {  // -1..1 -> blue, white, orange (readable with red-green deficiencies)
  const x = Math.min(Math.max(t, -1), 1);
  const end = x >= 0 ? [179, 88, 6] : [33, 102, 172];
  const a = Math.abs(x);
  return [0, 1, 2].map((k) => Math.round(255 + a * (end[k] - 255)));
}
export const maxAbs = (rows) => rows.flat(Infinity).reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
