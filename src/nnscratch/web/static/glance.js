// The network at a glance computed in the browser, as /api/network answers it
// (nnscratch.explain.glance): each layer with weights, its values after its activation
// (softmax at the output), the units shown (a wide dense layer's most active) and the strongest
// contributions w·a into each. ``plan``: what the exporter worked out once in Python for each
// such layer ({index, number, title, kind, units, after, output}).

const SHOWN_UNITS = 12, EDGES_PER_UNIT = 3;

// Indices sorted by key, largest first, ties in index order (NumPy's stable argsort of -key).
const byLargest = (count, key) => Array.from({ length: count }, (_, i) => i).sort((a, b) => key(b) - key(a) || a - b);

function mostActive(values) {
  if (values.length <= SHOWN_UNITS) return values.map((_, i) => i);
  return byLargest(values.length, (i) => values[i]).slice(0, SHOWN_UNITS).sort((a, b) => a - b);
}

// pass: forward()'s result; input: the scaled input's numbers.
export function glanceAnswer(plan, arrays, pass, input) {
  const layers = [];
  for (const step of plan) {
    const out = pass.outputs[step.after];
    const flat = step.output && step.softmax ? pass.probabilities : Array.from(out.data);
    if (step.kind === "conv") {
      const [maps, height, width] = out.shape, values = [];
      for (let m = 0; m < maps; m++) {
        values.push(Array.from({ length: height }, (_, r) => flat.slice((m * height + r) * width, (m * height + r + 1) * width)));
      }
      layers.push({ ...step, values, shown: values.map((_, i) => i), source: "", edges: [] });
      continue;
    }
    const shown = mostActive(flat);
    const previous = layers[layers.length - 1];
    const inputs = step.index === 0 ? input : pass.outputs[step.index - 1].data;
    const W = arrays[step.index].W, outputs = W.shape[1];
    const fromMaps = previous !== undefined && previous.kind === "conv";
    const drawn = previous !== undefined && !fromMaps ? new Set(previous.shown) : null;
    const perMap = fromMaps ? inputs.length / previous.units : 1;
    const edges = [];
    for (const unit of shown) {
      const sources = new Float64Array(fromMaps ? previous.units : inputs.length);
      for (let j = 0; j < inputs.length; j++) {
        const term = inputs[j] * W.data[j * outputs + unit];
        if (fromMaps) sources[Math.floor(j / perMap)] += term;
        else if (!drawn || drawn.has(j)) sources[j] = term;
      }
      for (const j of byLargest(sources.length, (i) => Math.abs(sources[i])).slice(0, EDGES_PER_UNIT)) {
        if (sources[j] !== 0) edges.push([j, unit, sources[j]]);
      }
    }
    const source = !previous ? "pixel" : fromMaps ? "map" : "unit";
    layers.push({ ...step, values: flat, shown, source, edges });
  }
  return { input: { title: "Input 28x28 pixels", shape: [28, 28] }, layers };
}
