// The page `nnscratch export MODEL digit.html` writes: one network, read in the browser with no
// server. Draw a digit: the same MNIST preprocessing as the server's (preprocess.js), the forward
// pass (forward.js), the ten probabilities and the network at a glance (glance.js, drawn by the
// served page's network-figure.js). The network's description and numbers are in the page
// (#network, #weights); window.nnscratchShare lets a script or a test run them on inputs of its
// own.

import { $, barItems, say } from "./dom.js";
import { arraysOf, forward } from "./forward.js";
import { glanceAnswer } from "./glance.js";
import { drawNetwork, markSelected } from "./network-figure.js";
import { drawPixels } from "./pixels.js";
import { drawingToMnist } from "./preprocess.js";
import { drawStroke, fitCanvas, padPoint, UNITS } from "./strokes.js";

const shared = JSON.parse($("network").textContent);
const network = shared.network;
const numbers = decodeNumbers($("weights").textContent.trim());
const arrays = arraysOf(network, numbers);
// While the pen is down the glance (the slow part of an answer: a hundred DOM elements) is
// redrawn at most this often; the bars follow every frame, and the glance the pen's lifting.
const GLANCE_EVERY_MS = 250;
const strokes = [];
let glanceAt = -Infinity;
let drawing = null, scheduled = false, selected = null, answers = 0;
const chooser = {
  selected: () => selected,
  select(layer, unit) {
    selected = { layer: layer.index, unit };
    markSelected($("network-figure"), selected);
    say("network-focus", `${layer.title}: unit ${unit} chosen`);
  },
};

function decodeNumbers(text) {
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer);
}

// One example's raw numbers (e.g. 784 pixels 0-255) -> forward()'s result.
function run(pixels) {
  return forward(network, arrays, pixels, shared.input_shape);
}

function pixelRows(field) {
  return Array.from({ length: 28 }, (_, r) => Array.from(field.slice(r * 28, r * 28 + 28)));
}

function show() {
  scheduled = false;
  const field = drawingToMnist(strokes, UNITS, UNITS);
  const body = document.body;
  // What this answer read, for a script waiting on the latest drawing's answer.
  body.dataset.points = String(strokes.reduce((n, stroke) => n + stroke.points.length, 0));
  drawPixels($("input"), field ? pixelRows(field) : null);
  if (!field) {
    $("bars").replaceChildren(...barItems(null, null));
    $("verdict").textContent = "–";
    say("announce", strokes.length ? "No digit read: draw a larger mark." : "Draw a digit.");
    $("network-figure").replaceChildren();
    delete body.dataset.digit;
    return;
  }
  const pass = run(field);
  const p = pass.probabilities, top = p.indexOf(Math.max(...p));
  $("bars").replaceChildren(...barItems(p, top));
  $("verdict").textContent = String(top);
  if (!drawing) say("announce", `Read as ${top}, ${(100 * p[top]).toFixed(1)} % sure.`);
  if (shared.glance.length && (!drawing || performance.now() - glanceAt >= GLANCE_EVERY_MS)) {
    glanceAt = performance.now();
    const scale = network.input_scale ?? 1;
    const input = Float32Array.from(field, (v) => v * Math.fround(scale));
    drawNetwork($("network-figure"), glanceAnswer(shared.glance, arrays, pass, input), pixelRows(field), chooser);
  }
  answers += 1;
  body.dataset.digit = String(top);
  body.dataset.answers = String(answers);
}

function schedule() {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(show);
}

function redraw() {
  const canvas = $("pad"), ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, UNITS, UNITS);
  for (const stroke of strokes) drawStroke(ctx, stroke, 0);
  $("pad-hint").hidden = strokes.length > 0;
}

function setup() {
  const canvas = $("pad");
  const fit = () => { fitCanvas(canvas); redraw(); };
  fit();
  window.addEventListener("resize", fit);
  canvas.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 && event.pointerType === "mouse") return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    drawing = { brush: Number($("brush").value), points: [padPoint(canvas, event)], pointer: event.pointerId };
    strokes.push(drawing);
    redraw();
    schedule();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing || drawing.pointer !== event.pointerId) return;
    const before = drawing.points.length;
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    for (const one of events.length ? events : [event]) drawing.points.push(padPoint(canvas, one));
    drawStroke(canvas.getContext("2d"), drawing, before);
    schedule();
  });
  const end = (event) => {
    if (!drawing || drawing.pointer !== event.pointerId) return;
    delete drawing.pointer;
    drawing = null;
    schedule();
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  $("brush").addEventListener("input", () => { $("brush-value").textContent = $("brush").value; });
  $("undo").addEventListener("click", () => { strokes.pop(); redraw(); schedule(); });
  $("clear").addEventListener("click", () => { strokes.length = 0; redraw(); schedule(); });
  show();
  document.body.dataset.ready = "true";
}

window.nnscratchShare = {
  drawingToMnist: (list, width, height) => { const f = drawingToMnist(list, width, height); return f && Array.from(f); },
  probabilities: (pixels) => run(pixels).probabilities,
  strokes: () => strokes.map((s) => ({ points: s.points, brush: s.brush })),
};
setup();
