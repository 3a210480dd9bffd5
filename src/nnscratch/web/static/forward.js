// The forward pass of a network in evaluation mode, one example at a time, from the maths each
// layer's Python docstring states (src/nnscratch/engine/layers/): dropout is the identity and
// batch normalisation uses its running statistics. A value is {shape, data}: one example's
// shape (no batch axis) and its numbers in row-major order, Float32Array. Sums are taken in
// float64 and stored as float32.
//
// A network is {layers: [{type, config, arrays: {name: {shape, offset}}}], loss, input_scale}
// with every array's numbers in one Float32Array (offset: where its numbers start).

const size = (shape) => shape.reduce((a, b) => a * b, 1);
const value = (shape, data) => ({ shape, data: data || new Float32Array(size(shape)) });
const map = (x, f) => value(x.shape, x.data.map(f));
const sigmoid = (z) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

function dense({ W, b }, x) {
  const [inputs, outputs] = W.shape, y = value([outputs]);
  for (let j = 0; j < outputs; j++) {
    let s = b.data[j];
    for (let i = 0; i < inputs; i++) s += x.data[i] * W.data[i * outputs + j];
    y.data[j] = s;
  }
  return y;
}

// y[o, i, j] = b[o] + Σ_c Σ_u Σ_v W[o, c, u, v] · x_pad[c, s·i + u, s·j + v]
function conv2d({ W, b }, x, config) {
  const [outC, inC, k] = W.shape, [, height, width] = x.shape;
  const s = config.stride, p = config.padding === "same" ? (k - 1) / 2 : config.padding;
  const ho = Math.floor((height + 2 * p - k) / s) + 1, wo = Math.floor((width + 2 * p - k) / s) + 1;
  const y = value([outC, ho, wo]);
  for (let o = 0; o < outC; o++) for (let i = 0; i < ho; i++) for (let j = 0; j < wo; j++) {
    let sum = b.data[o];
    for (let c = 0; c < inC; c++) for (let u = 0; u < k; u++) {
      const row = s * i + u - p;
      if (row < 0 || row >= height) continue;
      for (let v = 0; v < k; v++) {
        const col = s * j + v - p;
        if (col >= 0 && col < width) sum += W.data[((o * inC + c) * k + u) * k + v] * x.data[(c * height + row) * width + col];
      }
    }
    y.data[(o * ho + i) * wo + j] = sum;
  }
  return y;
}

// k x k windows side by side; rows and columns left over are dropped.
function pool(x, k, combine) {
  const [channels, height, width] = x.shape, ho = Math.floor(height / k), wo = Math.floor(width / k);
  const y = value([channels, ho, wo]);
  for (let c = 0; c < channels; c++) for (let i = 0; i < ho; i++) for (let j = 0; j < wo; j++) {
    const window = [];
    for (let u = 0; u < k; u++) for (let v = 0; v < k; v++) window.push(x.data[(c * height + k * i + u) * width + k * j + v]);
    y.data[(c * ho + i) * wo + j] = combine(window);
  }
  return y;
}

// One scale and shift per feature (the first axis): y = γ (x - mean) / sqrt(var + eps) + β.
function batchNorm({ gamma, beta, running_mean: mean, running_var: variance }, x, config) {
  const features = x.shape[0], per = x.data.length / features, y = value(x.shape);
  for (let f = 0; f < features; f++) {
    const scale = gamma.data[f] / Math.sqrt(variance.data[f] + config.eps);
    const shift = beta.data[f] - mean.data[f] * scale;
    for (let i = f * per; i < (f + 1) * per; i++) y.data[i] = x.data[i] * scale + shift;
  }
  return y;
}

// Each group of the last prod(shape) values normalised by its own mean and variance.
function layerNorm({ gamma, beta }, x, config) {
  const d = size(config.shape), y = value(x.shape);
  for (let start = 0; start < x.data.length; start += d) {
    let mean = 0, variance = 0;
    for (let i = 0; i < d; i++) mean += x.data[start + i];
    mean /= d;
    for (let i = 0; i < d; i++) variance += (x.data[start + i] - mean) ** 2;
    const inv = 1 / Math.sqrt(variance / d + config.eps);
    for (let i = 0; i < d; i++) y.data[start + i] = (x.data[start + i] - mean) * inv * gamma.data[i] + beta.data[i];
  }
  return y;
}

// rows (gates·H) of W (rows, n) times v (n), plus b: the share of every gate at once.
function affine(W, v, b, offset = 0) {
  const [rows, n] = W.shape, out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = b.data[r];
    for (let i = 0; i < n; i++) s += W.data[r * n + i] * v[offset + i];
    out[r] = s;
  }
  return out;
}

// LSTM, gates i, f, g, o in the rows of W_ih and W_hh (PyTorch's order):
// c_t = f ⊙ c_{t-1} + i ⊙ g, h_t = o ⊙ tanh(c_t), h_0 = c_0 = 0.
function lstmStep(p, x, t, h, c) {
  const H = h.length, u = affine(p.W_ih, x.data, p.b_ih, t * x.shape[1]), v = affine(p.W_hh, h, p.b_hh);
  for (let j = 0; j < H; j++) {
    const i = sigmoid(u[j] + v[j]), f = sigmoid(u[H + j] + v[H + j]);
    const g = Math.tanh(u[2 * H + j] + v[2 * H + j]), o = sigmoid(u[3 * H + j] + v[3 * H + j]);
    c[j] = f * c[j] + i * g;
    h[j] = o * Math.tanh(c[j]);
  }
}

// GRU, gates r, z, n: n = tanh(u_n + r ⊙ v_n), h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}.
function gruStep(p, x, t, h) {
  const H = h.length, u = affine(p.W_ih, x.data, p.b_ih, t * x.shape[1]), v = affine(p.W_hh, h, p.b_hh);
  for (let j = 0; j < H; j++) {
    const r = sigmoid(u[j] + v[j]), z = sigmoid(u[H + j] + v[H + j]);
    const n = Math.tanh(u[2 * H + j] + r * v[2 * H + j]);
    h[j] = (1 - z) * n + z * h[j];
  }
}

function recurrent(step, arrays, x, config) {
  const steps = x.shape[0], H = config.hidden_size, h = new Float64Array(H), c = new Float64Array(H);
  const all = value([steps, H]);
  for (let t = 0; t < steps; t++) {
    step(arrays, x, t, h, c);
    all.data.set(h, t * H);
  }
  return config.return_sequences ? all : value([H], Float32Array.from(h));
}

export const LAYERS = {
  Dense: dense,
  Conv2D: conv2d,
  ReLU: (p, x) => map(x, (v) => Math.max(v, 0)),
  LeakyReLU: (p, x, config) => map(x, (v) => (v > 0 ? v : config.alpha * v)),
  Sigmoid: (p, x) => map(x, sigmoid),
  Tanh: (p, x) => map(x, Math.tanh),
  Dropout: (p, x) => x,
  Flatten: (p, x) => value([x.data.length], x.data),
  Reshape: (p, x, config) => value(config.shape, x.data),
  MaxPool2D: (p, x, config) => pool(x, config.pool_size, (w) => Math.max(...w)),
  AvgPool2D: (p, x, config) => pool(x, config.pool_size, (w) => w.reduce((a, b) => a + b, 0) / w.length),
  GlobalAvgPool2D: (p, x) => {
    const [channels, height, width] = x.shape, area = height * width, y = value([channels]);
    for (let c = 0; c < channels; c++) y.data[c] = x.data.subarray(c * area, (c + 1) * area).reduce((a, b) => a + b, 0) / area;
    return y;
  },
  BatchNorm: batchNorm,
  LayerNorm: layerNorm,
  LSTM: (p, x, config) => recurrent(lstmStep, p, x, config),
  GRU: (p, x, config) => recurrent(gruStep, p, x, config),
};

// The probabilities the network's loss turns its outputs into (Loss.probabilities).
function probabilities(loss, outputs) {
  if (loss === "softmax_cross_entropy") {
    const top = Math.max(...outputs), e = outputs.map((z) => Math.exp(z - top));
    const total = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / total);
  }
  return loss === "binary_cross_entropy" ? outputs.map(sigmoid) : outputs;
}

// The network's arrays as values, layer by layer.
export function arraysOf(network, numbers) {
  return network.layers.map((layer) => Object.fromEntries(Object.entries(layer.arrays || {}).map(
    ([name, { shape, offset }]) => [name, value(shape, numbers.subarray(offset, offset + size(shape)))])));
}

// Raw inputs (one example's numbers, e.g. 784 pixels 0-255) of shape inputShape -> {outputs:
// every layer's value, probabilities: Array}.
export function forward(network, arrays, pixels, inputShape) {
  const scale = network.input_scale;
  let x = value(inputShape, Float32Array.from(pixels, (v) => (scale === null ? v : v * Math.fround(scale))));
  const outputs = [];
  network.layers.forEach((layer, i) => {
    const run = LAYERS[layer.type];
    if (!run) throw new Error(`this page has no forward pass for a ${layer.type} layer`);
    x = run(arrays[i], x, layer.config);
    outputs.push(x);
  });
  return { outputs, probabilities: probabilities(network.loss, Array.from(x.data)) };
}
