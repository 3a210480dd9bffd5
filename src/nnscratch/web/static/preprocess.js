// A drawing in MNIST's form, in the browser: the same numbers as the server's Python
// (nnscratch.datasets.drawing.render_strokes, then pictures.mnist_form_steps), step by step:
// strokes sampled 4 x 4 per pixel, cropped to the ink, scaled to fit 20 x 20 keeping the aspect
// ratio (resampled as Pillow's "F" images are: its coefficients, in float64, each pass stored as
// float32), centre of mass moved to (14, 14). No drawing library: canvas anti-aliasing differs
// from one browser to the next, plain arithmetic does not.

const RASTER_SIDE = 112, MARGIN = 2, SUPERSAMPLE = 4, CROP_LEVEL = 0.1;
const f32 = Math.fround;

// Python's round(): halves to even.
function roundHalfEven(x) {
  const r = Math.round(x);
  return (r - x === 0.5 && r % 2 !== 0) ? r - 1 : r;
}

// Strokes [{points: [[x, y], ...], brush}] on a width x height canvas -> {width, height, data:
// Uint8Array} (light ink on 0), or null when no ink falls on the canvas.
export function renderStrokes(strokes, width, height) {
  if (!strokes.length) return null;
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity, reach = 0;
  for (const stroke of strokes) {
    reach = Math.max(reach, stroke.brush);
    for (const [x, y] of stroke.points) {
      minX = Math.min(minX, x); minY = Math.min(minY, y); maxX = Math.max(maxX, x); maxY = Math.max(maxY, y);
    }
  }
  reach /= 2;
  const low = [Math.max(minX - reach, 0), Math.max(minY - reach, 0)];
  const high = [Math.min(maxX + reach, width), Math.min(maxY + reach, height)];
  if (high[0] <= low[0] || high[1] <= low[1]) return null;
  const scale = Math.min(1, RASTER_SIDE / Math.max(high[0] - low[0], high[1] - low[1]));
  const w = Math.ceil((high[0] - low[0]) * scale) + 2 * MARGIN;
  const h = Math.ceil((high[1] - low[1]) * scale) + 2 * MARGIN;
  const fine = SUPERSAMPLE, fw = w * fine, fh = h * fine;
  const inked = new Uint8Array(fw * fh);
  for (const stroke of strokes) {
    const points = stroke.points.map(([x, y]) => [((x - low[0]) * scale + MARGIN) * fine, ((y - low[1]) * scale + MARGIN) * fine]);
    const radius = stroke.brush * scale / 2 * fine;
    if (points.length === 1) coverSegment(inked, fw, fh, points[0], points[0], radius);
    for (let i = 0; i + 1 < points.length; i++) coverSegment(inked, fw, fh, points[i], points[i + 1], radius);
  }
  const data = new Uint8Array(w * h);
  const edgeLow = [Math.floor(MARGIN - low[0] * scale), Math.floor(MARGIN - low[1] * scale)];
  const edgeHigh = [Math.ceil(MARGIN + (width - low[0]) * scale), Math.ceil(MARGIN + (height - low[1]) * scale)];
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) {
    if (c < edgeLow[0] || r < edgeLow[1] || c >= edgeHigh[0] || r >= edgeHigh[1]) continue;
    let count = 0;
    for (let u = 0; u < fine; u++) for (let v = 0; v < fine; v++) count += inked[(r * fine + u) * fw + c * fine + v];
    data[r * w + c] = Math.floor((count * 255 + (fine * fine >> 1)) / (fine * fine));
  }
  return { width: w, height: h, data };
}

// Marks the points (column + 0.5, row + 0.5) in the segment's capsule, row by row: the x
// interval the capsule holds on each row's line, operation for operation as
// drawing.cover_segments and _row_interval compute it.
function coverSegment(inked, columns, rows, [x0, y0], [x1, y1], r) {
  const first = Math.max(Math.floor(Math.min(y0, y1) - r) - 1, 0);
  const last = Math.min(Math.ceil(Math.max(y0, y1) + r) + 1, rows);
  const dx = x1 - x0, dy = y1 - y0, length2 = dx * dx + dy * dy;
  for (let row = first; row < last; row++) {
    const y = row + 0.5;
    let low = Infinity, high = -Infinity;
    for (const [cx, cy] of [[x0, y0], [x1, y1]]) {
      const h2 = r * r - (y - cy) * (y - cy);
      if (h2 >= 0) { const half = Math.sqrt(h2); low = Math.min(low, cx - half); high = Math.max(high, cx + half); }
    }
    if (length2 > 0) {
      const k = (y - y0) * dy, m = (y - y0) * dx, w = r * Math.sqrt(length2);
      let bandLow, bandHigh, acrossLow, acrossHigh;
      if (dx > 0) { bandLow = x0 + -k / dx; bandHigh = x0 + (length2 - k) / dx; }
      else if (dx < 0) { bandLow = x0 + (length2 - k) / dx; bandHigh = x0 + -k / dx; }
      else if (k >= 0 && k <= length2) { bandLow = -Infinity; bandHigh = Infinity; }
      else { bandLow = Infinity; bandHigh = -Infinity; }
      if (dy > 0) { acrossLow = x0 + (m - w) / dy; acrossHigh = x0 + (m + w) / dy; }
      else if (dy < 0) { acrossLow = x0 + (m + w) / dy; acrossHigh = x0 + (m - w) / dy; }
      else if (Math.abs(m) <= w) { acrossLow = -Infinity; acrossHigh = Infinity; }
      else { acrossLow = Infinity; acrossHigh = -Infinity; }
      bandLow = Math.max(bandLow, acrossLow); bandHigh = Math.min(bandHigh, acrossHigh);
      if (bandLow <= bandHigh) { low = Math.min(low, bandLow); high = Math.max(high, bandHigh); }
    }
    const c0 = Math.max(Math.ceil(low - 0.5), 0), c1 = Math.min(Math.floor(high - 0.5), columns - 1);
    if (c0 <= c1) inked.fill(1, row * columns + c0, row * columns + c1 + 1);
  }
}

function median(values) {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

// A rendered picture (light ink on dark, or dark on light) -> Uint8Array(size * size) in MNIST's
// form, or null when it holds no digit. As pictures.mnist_form_steps.
export function mnistForm(picture, size = 28) {
  const box = Math.max(1, roundHalfEven(size * 20 / 28));
  const { width, height } = picture;
  let grey = Float32Array.from(picture.data);
  const frame = [];
  for (let c = 0; c < width; c++) frame.push(grey[c], grey[(height - 1) * width + c]);
  for (let r = 1; r < height - 1; r++) frame.push(grey[r * width], grey[r * width + width - 1]);
  let frameValues = frame;
  if (median(frame) > 127.5) {
    grey = grey.map((g) => 255 - g);
    frameValues = frame.map((g) => 255 - g);
  }
  const background = median(frameValues);
  const peak = grey.reduce((m, g) => Math.max(m, g), -Infinity);
  if (peak - background < 16) return null;
  const range = f32(peak - background), bg = f32(background);
  const spread = 1.4826 * median(frameValues.map((g) => Math.abs(g - background)));
  const floor = 5 * spread / (peak - background);
  const ink = new Float32Array(width * height);
  let any = false;
  for (let i = 0; i < ink.length; i++) {
    let v = Math.min(Math.max(f32(f32(grey[i] - bg) / range), 0), 1);
    if (v <= floor) v = 0;
    ink[i] = v;
    any ||= v > 0;
  }
  if (!any) return null;
  const rowsWith = (test) => { const out = []; for (let r = 0; r < height; r++) { for (let c = 0; c < width; c++) if (test(ink[r * width + c])) { out.push(r); break; } } return out; };
  const colsWith = (test) => { const out = []; for (let c = 0; c < width; c++) { for (let r = 0; r < height; r++) if (test(ink[r * width + c])) { out.push(c); break; } } return out; };
  const visible = (v) => v > CROP_LEVEL, inked = (v) => v > 0;
  const vr = rowsWith(visible), vc = colsWith(visible);
  const span = (list) => list.length ? list[list.length - 1] - list[0] : 0;
  const digitSize = Math.max(span(vr), span(vc)) + 1;
  const rows = rowsWith(inked), cols = colsWith(inked);
  const ch = rows[rows.length - 1] - rows[0] + 1, cw = cols[cols.length - 1] - cols[0] + 1;
  let cropped = new Float32Array(ch * cw);
  for (let r = 0; r < ch; r++) for (let c = 0; c < cw; c++) cropped[r * cw + c] = ink[(r + rows[0]) * width + c + cols[0]];
  const scale = box / digitSize;
  const nw = Math.max(1, roundHalfEven(cw * scale)), nh = Math.max(1, roundHalfEven(ch * scale));
  let scaled = { width: cw, height: ch, data: cropped };
  if (nw !== cw || nh !== ch) scaled = resize(scaled, nw, nh, scale < 1 ? BOX : BILINEAR);
  return centreByMass(scaled, size);
}

const BOX = { support: 0.5, at: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) };
const BILINEAR = { support: 1, at: (x) => { x = Math.abs(x); return x < 1 ? 1 - x : 0; } };

// Pillow's resampling coefficients (precompute_coeffs in its Resample.c), for one axis.
function coefficients(inSize, outSize, filter) {
  const scale = inSize / outSize, filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale, ss = 1 / filterScale;
  const out = [];
  for (let xx = 0; xx < outSize; xx++) {
    const centre = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(centre - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(centre + support + 0.5), inSize) - xmin;
    const weights = [];
    let total = 0;
    for (let x = 0; x < xmax; x++) { const w = filter.at((x + xmin - centre + 0.5) * ss); weights.push(w); total += w; }
    out.push({ xmin, weights: total !== 0 ? weights.map((w) => w / total) : weights });
  }
  return out;
}

// Pillow's two passes on a float32 image, horizontal then vertical, each stored as float32.
function resize({ width, height, data }, nw, nh, filter) {
  let image = { width, height, data };
  if (nw !== width) {
    const ks = coefficients(width, nw, filter), out = new Float32Array(nw * height);
    for (let r = 0; r < height; r++) ks.forEach(({ xmin, weights }, xx) => {
      let s = 0;
      weights.forEach((w, x) => { s += data[r * width + xmin + x] * w; });
      out[r * nw + xx] = s;
    });
    image = { width: nw, height, data: out };
  }
  if (nh !== height) {
    const src = image.data, ks = coefficients(height, nh, filter), out = new Float32Array(nw * nh);
    ks.forEach(({ xmin, weights }, yy) => {
      for (let c = 0; c < nw; c++) {
        let s = 0;
        weights.forEach((w, y) => { s += src[(xmin + y) * nw + c] * w; });
        out[yy * nw + c] = s;
      }
    });
    image = { width: nw, height: nh, data: out };
  }
  return image;
}

function centreByMass({ width, height, data }, size) {
  // As pictures._centre_by_mass: float64 sums of float32 values, exact in any order.
  const rowSums = new Float64Array(height), colSums = new Float64Array(width);
  let mass = 0, rowMoment = 0, colMoment = 0;
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) {
    const v = data[r * width + c];
    mass += v; rowSums[r] += v; colSums[c] += v;
  }
  rowSums.forEach((sum, r) => { rowMoment += sum * r; });
  colSums.forEach((sum, c) => { colMoment += sum * c; });
  let top = roundHalfEven(size / 2 - rowMoment / mass), left = roundHalfEven(size / 2 - colMoment / mass);
  if (height <= size) top = Math.min(Math.max(top, 0), size - height);
  if (width <= size) left = Math.min(Math.max(left, 0), size - width);
  const field = new Uint8Array(size * size);
  let any = false;
  for (let r = Math.max(top, 0); r < Math.min(top + height, size); r++) {
    for (let c = Math.max(left, 0); c < Math.min(left + width, size); c++) {
      const v = Math.min(Math.max(data[(r - top) * width + c - left], 0), 1);
      field[r * size + c] = roundHalfEven(f32(v * 255));
      any ||= field[r * size + c] > 0;
    }
  }
  return any ? field : null;
}

// Strokes -> the network's 28 x 28 input (Uint8Array, row by row), or null without a digit.
export function drawingToMnist(strokes, width, height, size = 28) {
  const picture = renderStrokes(strokes, width, height);
  return picture ? mnistForm(picture, size) : null;
}
