// nnscratch serve: the page. The server computes, the page draws: every number shown here
// comes from the JSON API (see /openapi.json). No framework, no build step.

const UNITS = 280;            // the drawing's own coordinates, whatever the canvas's size on screen
const THROTTLE_MS = 90;       // at most one prediction request this often while drawing
const VIEW_DELAY_MS = 160;    // the heavier views wait until drawing pauses
const CLASSES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const TEST_DIGITS = 10000;
// Okabe-Ito, then two greys; lines also differ by dash and carry their digit as a label.
const LINE_COLOURS = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#D55E00", "#0072B2",
  "#CC79A7", "#8C6D00", "#6F6F6F", "#A0A0A0"];
const LINE_DASHES = ["", "", "", "", "", "", "", "", "6 3", "2 3"];
const VIEWS = ["inside", "saliency", "probes"];

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
};
const pct = (p) => `${(100 * p).toFixed(p >= 0.995 || p < 0.001 ? 0 : 1)} %`;
const signed = (x, digits = 3) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(digits)}`;
// Three significant digits, for numbers of any size (gradients of a sure answer are tiny).
const sig = (x) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toPrecision(3)}`;

const state = {
  models: [], selected: [], unsureBelow: 0.6, probes: {},
  source: { kind: "drawing" },  // or {kind: "pixels", pixels, index, label} or {kind: "picture", file}
  strokes: [], drawing: null,   // drawing: the stroke under the pointer
  answer: null, version: 0, shownVersion: -1,
  view: "inside", showSteps: false,
};

// --- the API -----------------------------------------------------------------------------------

async function api(path, body) {
  const options = body === undefined ? {} : body instanceof FormData
    ? { method: "POST", body }
    : body.method ? body
    : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({ detail: response.statusText }));
  if (!response.ok) throw new Error(data.detail || `error ${response.status}`);
  return data;
}

// --- the URL keeps the chosen models and view ----------------------------------------------------

function readUrl() {
  const params = new URLSearchParams(location.search);
  const names = (params.get("models") || "").split(",").filter(Boolean);
  const view = params.get("view");
  return { names, view: VIEWS.includes(view) ? view : "inside" };
}

function writeUrl() {
  const params = new URLSearchParams(location.search);
  params.set("models", state.selected.join(","));
  params.set("view", state.view);
  history.replaceState(null, "", `${location.pathname}?${params}`);
}

// --- drawing -------------------------------------------------------------------------------------

const pad = $("pad");
const padContext = pad.getContext("2d");
let picture = null;  // an ImageBitmap or a canvas shown on the pad instead of strokes

function setupPad() {
  // The backing store follows the screen's pixel density; drawing stays in UNITS.
  const ratio = window.devicePixelRatio || 1;
  const side = Math.round(pad.getBoundingClientRect().width * ratio) || UNITS;
  if (pad.width !== side) { pad.width = side; pad.height = side; }
  padContext.setTransform(side / UNITS, 0, 0, side / UNITS, 0, 0);
  redrawPad();
}

function redrawPad() {
  padContext.fillStyle = "#ffffff";
  padContext.fillRect(0, 0, UNITS, UNITS);
  if (picture) {
    const scale = Math.min(UNITS / picture.width, UNITS / picture.height);
    const w = picture.width * scale, h = picture.height * scale;
    padContext.imageSmoothingEnabled = true;
    padContext.drawImage(picture, (UNITS - w) / 2, (UNITS - h) / 2, w, h);
  }
  for (const stroke of state.strokes) drawStroke(stroke, 0);
  $("pad-hint").hidden = state.strokes.length > 0 || picture !== null;
}

function drawStroke(stroke, from) {
  const points = stroke.points;
  padContext.strokeStyle = padContext.fillStyle = "#111111";
  padContext.lineWidth = stroke.brush;
  padContext.lineCap = padContext.lineJoin = "round";
  if (points.length === 1) {
    padContext.beginPath();
    padContext.arc(points[0][0], points[0][1], stroke.brush / 2, 0, 2 * Math.PI);
    padContext.fill();
    return;
  }
  padContext.beginPath();
  const start = Math.max(from - 1, 0);
  padContext.moveTo(points[start][0], points[start][1]);
  for (let i = start + 1; i < points.length; i++) padContext.lineTo(points[i][0], points[i][1]);
  padContext.stroke();
}

function padPoint(event) {
  // The canvas may be scaled by CSS and drawn on a high-density screen: map the pointer through
  // its box on screen, not its pixel size.
  const box = pad.getBoundingClientRect();
  const x = (event.clientX - box.left) * UNITS / box.width;
  const y = (event.clientY - box.top) * UNITS / box.height;
  return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
}

function startDrawingMode() {
  if (state.source.kind !== "drawing") {
    state.source = { kind: "drawing" };
    picture = null;
    $("source").textContent = "Your drawing.";
  }
}

pad.addEventListener("pointerdown", (event) => {
  if (event.button !== 0 && event.pointerType === "mouse") return;
  event.preventDefault();
  pad.setPointerCapture(event.pointerId);
  startDrawingMode();
  state.drawing = { brush: Number($("brush").value), points: [padPoint(event)], pointer: event.pointerId };
  state.strokes.push(state.drawing);
  redrawPad();
  inputChanged();
});

pad.addEventListener("pointermove", (event) => {
  const stroke = state.drawing;
  if (!stroke || stroke.pointer !== event.pointerId) return;
  const before = stroke.points.length;
  const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
  for (const one of events.length ? events : [event]) stroke.points.push(padPoint(one));
  if (before === 1) redrawPad(); else drawStroke(stroke, before);
  inputChanged();
});

function endStroke(event) {
  if (!state.drawing || state.drawing.pointer !== event.pointerId) return;
  delete state.drawing.pointer;
  state.drawing = null;
  inputChanged();
}
pad.addEventListener("pointerup", endStroke);
pad.addEventListener("pointercancel", endStroke);

$("brush").addEventListener("input", () => { $("brush-value").textContent = $("brush").value; });

$("undo").addEventListener("click", () => {
  if (state.source.kind !== "drawing") { clearAll(); return; }
  state.strokes.pop();
  redrawPad();
  inputChanged();
});

$("clear").addEventListener("click", clearAll);

function clearAll() {
  state.strokes = [];
  state.drawing = null;
  state.source = { kind: "drawing" };
  picture = null;
  $("source").textContent = "Draw with a mouse, a finger or a pen, or drop a picture on the area.";
  redrawPad();
  inputChanged();
}

$("random").addEventListener("click", async () => {
  const index = Math.floor(Math.random() * TEST_DIGITS);
  await useTestDigit(index);
});

async function useTestDigit(index) {
  try {
    const digit = await api(`/api/test-digits/${index}`);
    state.strokes = [];
    state.source = { kind: "pixels", pixels: digit.pixels, index: digit.index, label: digit.label };
    picture = pixelsCanvas(digit.pixels, true);
    $("source").textContent = `MNIST test digit #${digit.index}, labelled ${digit.label}.`;
    redrawPad();
    inputChanged(true);
  } catch (error) { showProblem(error); }
}

function usePicture(file) {
  if (!file) return;
  state.strokes = [];
  state.source = { kind: "picture", file };
  picture = null;
  $("source").textContent = `Picture: ${file.name || "dropped"}.`;
  createImageBitmap(file).then((bitmap) => { picture = bitmap; redrawPad(); })
    .catch(() => { picture = null; redrawPad(); });
  redrawPad();
  inputChanged(true);
}

$("file").addEventListener("change", () => { usePicture($("file").files[0]); $("file").value = ""; });
const dropZone = $("drop-zone");
dropZone.addEventListener("dragover", (event) => { event.preventDefault(); dropZone.classList.add("dragging"); });
dropZone.addEventListener("dragleave", () => dropZone.classList.remove("dragging"));
dropZone.addEventListener("drop", (event) => {
  event.preventDefault();
  dropZone.classList.remove("dragging");
  usePicture(event.dataTransfer && event.dataTransfer.files[0]);
});

// --- predictions, throttled: one request in flight, the latest input next ------------------------

let inFlight = false, pending = false, timer = null, lastSent = -Infinity, viewTimer = null;

function inputChanged(now = false) {
  state.version += 1;
  state.note = null;
  pending = true;
  document.body.dataset.predict = "busy";
  if (now && timer) { clearTimeout(timer); timer = null; }
  if (inFlight || timer) return;
  const wait = now ? 0 : Math.max(0, lastSent + THROTTLE_MS - performance.now());
  timer = setTimeout(sendPredict, wait);
}

function predictBody() {
  const models = state.selected;
  const source = state.source;
  if (source.kind === "picture") {
    const form = new FormData();
    form.append("file", source.file);
    form.append("models", models.join(","));
    form.append("steps", String(state.showSteps));
    return form;
  }
  if (source.kind === "pixels") return { pixels: source.pixels, models };
  return { drawing: { width: UNITS, height: UNITS,
                      strokes: state.strokes.map((s) => ({ brush: s.brush, points: s.points })) },
           models, steps: state.showSteps };
}

async function sendPredict() {
  timer = null;
  if (!pending) return;
  pending = false;
  const version = state.version;
  let answer;
  if ((state.source.kind === "drawing" && state.strokes.length === 0) || state.selected.length === 0) {
    answer = { digit: false, message: state.selected.length ? "draw a digit" : "choose a model",
               input: null, steps: null, answers: [] };
  } else {
    inFlight = true;
    lastSent = performance.now();
    try {
      answer = await api("/api/predict", predictBody());
    } catch (error) {
      inFlight = false;
      if (version >= state.shownVersion) { state.shownVersion = version; showProblem(error); }
      return afterPredict();
    }
    inFlight = false;
  }
  if (version >= state.shownVersion) {
    state.shownVersion = version;
    showAnswer(answer);
  }
  afterPredict();
}

function afterPredict() {
  if (pending) { inputChanged(); return; }
  document.body.dataset.predict = "idle";
  if (!state.drawing) scheduleView();
}

// --- answers ---------------------------------------------------------------------------------

function showAnswer(answer) {
  state.answer = answer;
  $("quick-answer").textContent = answerText(answer);
  const cards = $("answer-cards");
  cards.replaceChildren(...state.selected.map((name) => answerCard(name, answer)));
  drawPixels($("input"), answer.input);
  showSteps();
  // The cleared pad after a digit was added says so, not "draw a digit".
  if (!state.drawing) announce(!answer.digit && state.note ? state.note : answerText(answer));
  inputForTraining(answer);
  updateAddButton();
}

function answerText(answer) {
  if (!answer.digit) return answer.message || "draw a digit";
  return answer.answers.map((a) => a.unsure
    ? `${a.model}: unsure, perhaps ${a.label}, ${Math.round(100 * a.confidence)} %`
    : `${a.model}: ${a.label}, ${Math.round(100 * a.confidence)} %`).join("; ");
}

function announce(text) {
  const region = $("announce");
  if (region.textContent !== text) region.textContent = text;
}

function showProblem(error) {
  state.answer = null;
  $("quick-answer").textContent = `Not read: ${error.message}`;
  $("answer-cards").replaceChildren();
  announce(`Not read: ${error.message}`);
}

function answerCard(name, answer) {
  const info = state.models.find((m) => m.name === name) || {};
  const mine = answer.digit ? answer.answers.find((a) => a.model === name) : null;
  const card = el("article", { class: "card" + (mine ? (mine.unsure ? " unsure" : "") : " blank"),
                               "aria-label": `${name}'s answer` });
  const verdict = mine
    ? el("span", { class: "verdict" + (mine.unsure ? " unsure" : ""),
                   text: mine.unsure ? `${mine.label}?` : String(mine.label) })
    : el("span", { class: "verdict", text: "–" });
  card.append(el("h3", {}, el("span", { text: name }), verdict));
  const about = [info.kind === "conv" ? "convolutional" : "dense",
    info.test_accuracy != null ? `test accuracy ${(100 * info.test_accuracy).toFixed(1)} %` : null]
    .filter(Boolean).join(", ");
  card.append(el("p", { class: "about", text: mine && mine.unsure ? `unsure: ${about}` : about }));
  const list = el("ol", { class: "bars", start: "0" });
  for (const digit of CLASSES) {
    const p = mine ? mine.probabilities[digit] : 0;
    const fill = el("span", { class: "fill" });
    fill.style.width = `${(100 * p).toFixed(1)}%`;
    list.append(el("li", { class: mine && digit === mine.label ? "top" : "" },
      el("span", { class: "digit", text: String(digit) }),
      el("span", { class: "track", "aria-hidden": "true" }, fill),
      el("span", { class: "pct", text: mine ? pct(p) : "" })));
  }
  card.append(list);
  return card;
}

// --- the steps of preprocessing ----------------------------------------------------------------

$("steps-toggle").addEventListener("click", () => {
  state.showSteps = !state.showSteps;
  $("steps-toggle").setAttribute("aria-expanded", String(state.showSteps));
  $("steps-toggle").textContent = state.showSteps ? "Hide the steps" : "Show the steps";
  $("steps").hidden = !state.showSteps;
  if (state.showSteps && state.answer && state.answer.digit && !state.answer.steps) inputChanged(true);
  showSteps();
});

function showSteps() {
  const answer = state.answer;
  if (!state.showSteps) return;
  const steps = answer && answer.steps;
  const note = state.source.kind === "pixels" ? "a test digit is in MNIST's form already" : "";
  drawPixels($("step-cropped"), steps ? steps.cropped : null);
  drawPixels($("step-scaled"), steps ? steps.scaled : null);
  drawPixels($("step-centred"), answer && answer.digit ? answer.input : null);
  $("step-cropped").setAttribute("aria-label", note || "Step 1: the drawing cropped to its ink");
}

// --- pictures of arrays --------------------------------------------------------------------------

function drawPixels(canvas, rows, colour = grey) {
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

function pixelsCanvas(rows, darkOnLight) {
  const canvas = document.createElement("canvas");
  drawPixels(canvas, rows, darkOnLight ? (v) => [255 - v, 255 - v, 255 - v] : grey);
  return canvas;
}

function grey(v) { return [v, v, v]; }

const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
function sequential(t) {  // 0..1 -> a viridis colour (dark to light, for activations)
  const x = Math.min(Math.max(t, 0), 1) * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(x), VIRIDIS.length - 2), f = x - i;
  return VIRIDIS[i].map((v, k) => Math.round(v + f * (VIRIDIS[i + 1][k] - v)));
}
function diverging(t) {  // -1..1 -> blue, white, orange (readable with red-green deficiencies)
  const x = Math.min(Math.max(t, -1), 1);
  const end = x >= 0 ? [179, 88, 6] : [33, 102, 172];
  const a = Math.abs(x);
  return [0, 1, 2].map((k) => Math.round(255 + a * (end[k] - 255)));
}
const maxAbs = (rows) => rows.flat(Infinity).reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;

// --- views ---------------------------------------------------------------------------------------

function setupTabs() {
  const tabs = VIEWS.map((view) => $(`tab-${view}`));
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => selectView(VIEWS[i], true));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1, Home: -i, End: tabs.length - 1 - i }[event.key];
      if (step === undefined) return;
      event.preventDefault();
      const next = (i + step + tabs.length) % tabs.length;
      selectView(VIEWS[next], true);
      tabs[next].focus();
    });
  });
}

function selectView(view, refresh) {
  state.view = view;
  for (const name of VIEWS) {
    const selected = name === view;
    $(`tab-${name}`).setAttribute("aria-selected", String(selected));
    $(`tab-${name}`).tabIndex = selected ? 0 : -1;
    $(`panel-${name}`).hidden = !selected;
  }
  writeUrl();
  if (refresh) scheduleView(0);
}

function scheduleView(delay = VIEW_DELAY_MS) {
  clearTimeout(viewTimer);
  document.body.dataset.view = "busy";
  viewTimer = setTimeout(refreshView, delay);
}

let viewVersion = 0;
async function refreshView() {
  const answer = state.answer;
  const version = ++viewVersion;
  document.body.dataset.view = "busy";
  try {
    if (!answer || !answer.digit) { clearViews(); return; }
    const pixels = answer.input;
    if (state.view === "inside") await showInside(pixels, version);
    else if (state.view === "saliency") await showSaliency(pixels, version);
    else await showProbes(pixels, version);
  } catch (error) {
    if (version === viewVersion) $(`panel-${state.view}`).querySelector(".note, .summary")
      ?.replaceChildren(`Not shown: ${error.message}`);
  } finally {
    if (version === viewVersion) document.body.dataset.view = "idle";
  }
}

function clearViews() {
  $("inside-layers").replaceChildren(el("p", { class: "note", text: "Draw a digit to see inside." }));
  $("unit-detail").replaceChildren();
  $("evidence").replaceChildren();
  drawPixels($("saliency-gradient"), null);
  drawPixels($("saliency-occlusion"), null);
  $("saliency-summary").textContent = "Draw a digit to see which pixels matter.";
  $("probe-charts").replaceChildren();
  drawPixels($("probe-image"), null);
  $("probe-summary").textContent = "Draw a digit to probe it.";
}

function fillModelSelect(select) {
  const keep = select.value;
  select.replaceChildren(...state.selected.map((name) => el("option", { value: name, text: name })));
  if (state.selected.includes(keep)) select.value = keep;
}

// Inside: each hidden layer, then the evidence.
let insideShown = null;  // {model, pixels, answer}: what the unit detail refers to

async function showInside(pixels, version) {
  const model = $("inside-model").value || state.selected[0];
  const inside = await api("/api/inside", { pixels, model });
  if (version !== viewVersion) return;
  insideShown = { model, pixels, inside };
  const blocks = inside.layers.map((layer, n) => layerBlock(layer, n));
  $("inside-layers").replaceChildren(...blocks);
  showEvidence(inside);
  $("unit-detail").replaceChildren();
}

function layerBlock(layer, n) {
  const block = el("div", { class: "layer" });
  const what = layer.kind === "conv"
    ? `${layer.shape[0]} feature maps of ${layer.shape[1]} × ${layer.shape[2]}`
    : `${layer.shape[0]} units`;
  block.append(el("h4", { text: `Layer ${layer.index} (${layer.kind === "conv" ? "convolution" : "dense"}, ${layer.activation}): ${what}` }));
  if (layer.kind === "conv") {
    const top = Math.max(...layer.values.flat(2), 1e-9);
    const maps = el("div", { class: "fmaps", role: "group", "aria-label": `feature maps of layer ${layer.index}` });
    layer.values.forEach((map, unit) => {
      const canvas = el("canvas", { width: String(map[0].length), height: String(map.length) });
      drawPixels(canvas, map, (v) => sequential(v / top));
      const peak = Math.max(...map.flat());
      maps.append(el("button", { type: "button", class: "fmap", "data-layer": String(layer.index),
        "data-unit": String(unit), "aria-label": `map ${unit}, strongest ${peak.toFixed(2)}`,
        onclick: () => showUnit(layer.index, unit) }, canvas, el("span", { text: String(unit) })));
    });
    block.append(maps);
    return block;
  }
  const values = layer.values;
  const columns = Math.ceil(Math.sqrt(values.length * 2));
  const rows = Math.ceil(values.length / columns);
  const top = Math.max(...values, 1e-9);
  const grid = [];
  for (let r = 0; r < rows; r++) grid.push(values.slice(r * columns, (r + 1) * columns)
    .concat(Array(Math.max(0, (r + 1) * columns - values.length)).fill(NaN)));
  const canvas = el("canvas", { class: "units", width: String(columns), height: String(rows),
    role: "img", "aria-label": `activations of the ${values.length} units of layer ${layer.index}` });
  drawPixels(canvas, grid, (v) => Number.isNaN(v) ? [255, 255, 255] : sequential(v / top));
  canvas.style.width = `min(100%, ${columns * 1.1}rem)`;
  canvas.addEventListener("click", (event) => {
    const box = canvas.getBoundingClientRect();
    const c = Math.floor((event.clientX - box.left) / box.width * columns);
    const r = Math.floor((event.clientY - box.top) / box.height * rows);
    const unit = r * columns + c;
    if (unit < values.length) showUnit(layer.index, unit);
  });
  const order = values.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]).slice(0, 6);
  const number = el("input", { type: "number", min: "0", max: String(values.length - 1), value: String(order[0][1]),
    id: `unit-number-${layer.index}` });
  const pick = el("div", { class: "unit-pick" },
    el("span", { text: "Most active:" }),
    ...order.map(([v, i]) => el("button", { type: "button", "data-layer": String(layer.index),
      "data-unit": String(i), onclick: () => showUnit(layer.index, i), text: `#${i} ${v.toFixed(2)}` })),
    el("label", { for: `unit-number-${layer.index}`, text: "unit" }), number,
    el("button", { type: "button", text: "Show", onclick: () => {
      const unit = Math.min(Math.max(Math.round(Number(number.value)), 0), values.length - 1);
      showUnit(layer.index, unit);
    } }));
  block.append(canvas, pick);
  return block;
}

async function showUnit(layer, unit) {
  if (!insideShown) return;
  const { model, pixels } = insideShown;
  document.querySelectorAll("[data-unit][aria-pressed]").forEach((b) => b.removeAttribute("aria-pressed"));
  document.querySelectorAll(`[data-layer="${layer}"][data-unit="${unit}"]`)
    .forEach((b) => b.setAttribute("aria-pressed", "true"));
  const view = await api("/api/unit", { pixels, model, layer, unit });
  const detail = $("unit-detail");
  const tiles = el("div", { class: "tiles" });
  const figure = (rows, colour, caption, small) => {
    const canvas = el("canvas", { class: small ? "small" : "" });
    drawPixels(canvas, rows, colour);
    return el("figure", {}, canvas, el("figcaption", { text: caption }));
  };
  const asGrid = (flat) => {
    const columns = Math.ceil(Math.sqrt(flat.length * 2));
    const grid = [];
    for (let i = 0; i < flat.length; i += columns) grid.push(flat.slice(i, i + columns)
      .concat(Array(Math.max(0, i + columns - flat.length)).fill(0)));
    return grid;
  };
  const images = (array) => view.shape.length === 3 ? array : view.shape.length === 2 ? [array] : [asGrid(array)];
  const wScale = maxAbs(view.weights), pScale = maxAbs(view.products);
  const xScale = Math.max(...view.inputs.flat(Infinity), 1e-9);
  const weights = images(view.weights), products = images(view.products);
  const small = weights.length > 1;
  weights.forEach((w, c) => tiles.append(figure(w, (v) => diverging(v / wScale),
    small ? `w, input ${c}` : "weights w", small)));
  if (view.kind === "dense") images(view.inputs).forEach((x, c) => tiles.append(figure(x,
    (v) => { const g = Math.round(255 * (1 - v / xScale)); return [g, g, g]; }, small ? `x ${c}` : "input x", small)));
  products.forEach((p, c) => tiles.append(figure(p, (v) => diverging(v / pScale),
    small ? (view.kind === "conv" ? `share of input ${c}` : `w·x ${c}`) : "w · x", small)));
  const sum = view.kind === "dense" ? view.preactivation - view.bias : null;
  const formula = view.kind === "dense"
    ? `Layer ${view.layer}, unit ${view.unit}: z = Σ w·x + b = ${sum.toFixed(3)} ${signed(view.bias)} = ${view.preactivation.toFixed(3)}`
    : `Layer ${view.layer}, feature map ${view.unit}: ${view.shape[0]} kernel${view.shape[0] === 1 ? "" : "s"} of ${view.shape[1]} × ${view.shape[2]}, bias ${signed(view.bias)}; each input map's share of the map before its activation`;
  detail.replaceChildren(el("h3", { text: "Weights and weights × input" }),
    el("p", { class: "formula", text: formula }), tiles,
    el("p", { class: "note", text: "Orange: positive, blue: negative; white: zero." }));
}

function showEvidence(inside) {
  const ev = inside.evidence;
  const scale = Math.max(...ev.evidence_for, ...ev.evidence_against.map(Math.abs), 1e-9);
  const top = inside.probabilities.indexOf(Math.max(...inside.probabilities));
  const grid = el("div", { class: "evidence", role: "table", "aria-label": "evidence for each class" });
  for (const c of CLASSES) {
    const bar = el("span", { class: "ev", "aria-hidden": "true" });
    const forBar = el("span", { class: "for" }), againstBar = el("span", { class: "against" });
    forBar.style.left = "50%"; forBar.style.width = `${50 * ev.evidence_for[c] / scale}%`;
    againstBar.style.right = "50%"; againstBar.style.width = `${50 * -ev.evidence_against[c] / scale}%`;
    bar.append(againstBar, forBar, el("span", { class: "zero" }));
    grid.append(
      el("button", { type: "button", "data-layer": String(inside.output_layer), "data-unit": String(c),
        "aria-label": `class ${c}: show its weights`, text: c === top ? `${c} ◀` : String(c),
        onclick: () => showUnit(inside.output_layer, c) }),
      bar,
      el("span", { class: "ev-text", text: `${signed(ev.evidence_for[c], 2)} ${signed(ev.evidence_against[c], 2)} ${signed(ev.bias[c], 2)} = ${ev.logits[c].toFixed(2)}` }));
  }
  $("evidence").replaceChildren(grid);
}

// Saliency: the gradient map and the occlusion map.
async function showSaliency(pixels, version) {
  const model = $("saliency-model").value || state.selected[0];
  const chosen = $("saliency-class").value;
  const body = { pixels, model };
  if (chosen !== "") body.target = Number(chosen);
  const result = await api("/api/saliency", body);
  if (version !== viewVersion) return;
  const ink = pixels.map((row) => row.map((v) => v / 255));
  const overlay = (rows) => {
    const scale = maxAbs(rows);
    return rows.map((row, r) => row.map((v, c) => [v / scale, ink[r][c]]));
  };
  const paint = ([t, a]) => diverging(t).map((v) => Math.round(v * (1 - 0.5 * a)));
  drawPixels($("saliency-gradient"), overlay(result.gradient), paint);
  drawPixels($("saliency-occlusion"), overlay(result.occlusion), paint);
  const extreme = (rows, sign) => {
    let best = { v: 0, r: 0, c: 0 };
    rows.forEach((row, r) => row.forEach((v, c) => { if (sign * v > sign * best.v) best = { v, r, c }; }));
    return best;
  };
  const push = extreme(result.gradient, 1), pull = extreme(result.gradient, -1);
  const drop = extreme(result.occlusion, 1);
  $("saliency-summary").textContent =
    `${result.model}, class ${result.target} (p = ${pct(result.probabilities[result.target])}): ` +
    `strongest push ${sig(push.v)} at row ${push.r}, column ${push.c}; ` +
    `strongest pull ${sig(pull.v)} at row ${pull.r}, column ${pull.c}; ` +
    `blanking around row ${drop.r}, column ${drop.c} lowers p by ${Math.abs(drop.v).toPrecision(3)}.`;
  $("saliency-gradient").setAttribute("aria-label", `Saliency map of class ${result.target}`);
}

// Probes: a slider over one change, the probabilities of every class along its range.
let probeShown = null;

async function showProbes(pixels, version) {
  const kind = $("probe-kind").value;
  const result = await api("/api/probe", { pixels, kind, models: state.selected });
  if (version !== viewVersion) return;
  probeShown = result;
  const slider = $("probe-value");
  const zero = result.values.indexOf(0);
  slider.max = String(result.values.length - 1);
  if (slider.dataset.kind !== kind) { slider.value = String(Math.max(zero, 0)); slider.dataset.kind = kind; }
  $("probe-charts").replaceChildren(...result.curves.map((curve) => probeChart(result, curve)));
  showProbeValue();
}

function showProbeValue() {
  const result = probeShown;
  if (!result) return;
  const i = Number($("probe-value").value);
  const value = result.values[i];
  const unit = { shift_x: " px", shift_y: " px", rotate: "°", thickness: " px", noise: "" }[result.kind];
  $("probe-value-text").textContent = `${value > 0 && result.kind !== "noise" ? "+" : ""}${value}${unit}`;
  $("probe-value").setAttribute("aria-valuetext", $("probe-value-text").textContent);
  drawPixels($("probe-image"), result.images[i]);
  $("probe-summary").textContent = `${result.kind.replace("_", " ")} ${$("probe-value-text").textContent}: ` +
    result.curves.map((curve) => {
      const p = curve.probabilities[i];
      const label = p.indexOf(Math.max(...p));
      return `${curve.model} says ${label} (${pct(p[label])})`;
    }).join(", ");
  document.querySelectorAll(".probe-marker").forEach((line) => {
    const x = line.dataset.x0 * 1 + i * line.dataset.step;
    line.setAttribute("x1", x); line.setAttribute("x2", x);
  });
}

// An SVG element with its attributes, for the probe and training charts.
function svgEl(tag, attrs) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function probeChart(result, curve) {
  const W = 360, H = 200, left = 34, right = 22, top = 8, bottom = 26;
  const n = result.values.length;
  const x = (i) => left + (W - left - right) * (n === 1 ? 0.5 : i / (n - 1));
  const y = (p) => top + (H - top - bottom) * (1 - p);
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, role: "img",
    "aria-label": `${curve.model}: probability of each class against the ${result.kind.replace("_", " ")}; the table below has the numbers` });
  for (const p of [0, 0.5, 1]) {
    svg.append(svgEl("line", { x1: left, x2: W - right, y1: y(p), y2: y(p), stroke: "#d0d4d9" }));
    const label = svgEl("text", { x: left - 4, y: y(p) + 4, "text-anchor": "end" });
    label.textContent = `${p * 100}%`;
    svg.append(label);
  }
  result.values.forEach((v, i) => {
    if (n > 9 && i % 2) return;
    const label = svgEl("text", { x: x(i), y: H - 8, "text-anchor": "middle" });
    label.textContent = String(v);
    svg.append(label);
  });
  for (const c of CLASSES) {
    const series = curve.probabilities.map((p) => p[c]);
    const peak = Math.max(...series);
    const points = series.map((p, i) => `${x(i).toFixed(1)},${y(p).toFixed(1)}`).join(" ");
    svg.append(svgEl("polyline", { points, fill: "none", stroke: LINE_COLOURS[c],
      "stroke-width": peak > 0.2 ? 2.5 : 1.2, "stroke-dasharray": LINE_DASHES[c],
      opacity: peak > 0.05 ? 1 : 0.35, "data-class": String(c) }));
    if (peak > 0.2) {
      const at = series.indexOf(peak);
      const tag = svgEl("text", { x: x(at), y: y(peak) - 4, "text-anchor": "middle",
        "font-weight": "bold", fill: LINE_COLOURS[c] });
      tag.textContent = String(c);
      svg.append(tag);
    }
  }
  svg.append(svgEl("line", { class: "probe-marker", x1: x(0), x2: x(0), y1: top, y2: H - bottom,
    stroke: "#111", "stroke-width": 1.5, "stroke-dasharray": "3 2",
    "data-x0": x(0), "data-step": n === 1 ? 0 : (W - left - right) / (n - 1) }));
  const table = el("table", {},
    el("thead", {}, el("tr", {}, el("th", { text: "value" }), ...CLASSES.map((c) => el("th", { text: String(c) })))),
    el("tbody", {}, ...curve.probabilities.map((p, i) => el("tr", {},
      el("th", { text: String(result.values[i]) }),
      ...p.map((q) => el("td", { text: (100 * q).toFixed(1) }))))));
  return el("div", { class: "chart", "data-model": curve.model },
    el("h4", { text: curve.model }), svg,
    el("details", {}, el("summary", { text: `${curve.model}: the numbers (%)` }), table));
}

// --- watch it learn: a run in the server, its progress as Server-Sent Events --------------------

// Train and dev told apart by colour (Okabe-Ito black and vermilion), dash and marker.
const SERIES = [{ key: "train", label: "train", colour: "#000000", dash: "", marker: "circle" },
                { key: "dev", label: "dev", colour: "#D55E00", dash: "6 3", marker: "square" }];
const ANNOUNCE_EVERY_MS = 5000;  // a screen reader hears the progress at most this often
const training = { choices: null, run: null, history: [], announced: 0, progressTimer: null, can: {} };

async function setupTraining() {
  $("train").hidden = false;
  const status = await api("/api/training");
  training.choices = status.choices;
  fillTuneModels();
  document.querySelectorAll('input[name="train-mode"]')
    .forEach((input) => input.addEventListener("change", modeChanged));
  $("train-preset").addEventListener("change", fillDefaults);
  $("tune-model").addEventListener("change", fillDefaults);
  $("train-form").addEventListener("submit", (event) => { event.preventDefault(); startRun(); });
  $("train-pause").addEventListener("click", () => runCommand("pause"));
  $("train-resume").addEventListener("click", () => runCommand("resume"));
  $("train-stop").addEventListener("click", () => runCommand("stop"));
  $("save-form").addEventListener("submit", (event) => { event.preventDefault(); saveRun(); });
  modeChanged();
  showStatus(status);
  drawLiveCharts();
  openEvents();
}

function trainMode() { return $("mode-tune").checked ? "fine_tune" : "train"; }

function modeChanged() {
  const tune = trainMode() === "fine_tune";
  document.querySelectorAll("#train-form .for-train").forEach((n) => { n.hidden = tune; });
  document.querySelectorAll("#train-form .for-tune").forEach((n) => { n.hidden = !tune; });
  // A fine-tuning trains the model's own network: its layers are not for changing.
  $("train-hidden").readOnly = $("train-dropout").readOnly = tune;
  fillDefaults();
}

function fillTuneModels() {
  const select = $("tune-model"), keep = select.value;
  const names = Object.keys(training.choices.models);
  select.replaceChildren(...names.map((name) => el("option", { value: name, text: name })));
  if (names.includes(keep)) select.value = keep;
  $("mode-tune").disabled = names.length === 0;
}

function fillDefaults() {
  const tune = trainMode() === "fine_tune";
  const fields = tune ? training.choices.models[$("tune-model").value]
    : training.choices.presets[$("train-preset").value];
  if (!fields) return;
  $("train-epochs").value = fields.epochs;
  $("train-epochs-label").textContent = fields.unit === "iteration" ? "Iterations" : "Epochs";
  $("train-lr").value = String(fields.lr);
  $("train-hidden").value = fields.hidden.join(",");
  $("train-optimizer").value = fields.optimizer.toLowerCase();
  $("train-dropout").value = String(fields.dropout);
  $("train-dev").value = fields.dev_size;
  if (tune) {
    $("tune-freeze").replaceChildren(...Array.from({ length: fields.layers }, (_, n) => el("option",
      { value: String(n), text: n === 0 ? "none: every layer learns" : `the first ${n === 1 ? "layer" : `${n} layers`} with weights` })));
  }
}

function runRequest() {
  const number = (id) => Number($(id).value);
  const body = { mode: trainMode(), epochs: number("train-epochs"), lr: Number($("train-lr").value),
                 optimizer: $("train-optimizer").value, dev_size: number("train-dev") };
  if (body.mode === "train") {
    body.preset = $("train-preset").value;
    body.hidden = $("train-hidden").value.split(",").map((v) => v.trim()).filter(Boolean).map(Number);
    body.dropout = number("train-dropout");
  } else {
    body.model = $("tune-model").value;
    body.freeze = number("tune-freeze");
  }
  return body;
}

async function startRun() {
  try {
    showStatus(await api("/api/training/start", runRequest()));
  } catch (error) { sayTraining(`Not started: ${error.message}`); }
}

async function runCommand(command) {
  try {
    showStatus(await api(`/api/training/${command}`, {}));
  } catch (error) { sayTraining(`Not done: ${error.message}`); }
}

function say(id, text) {
  const region = $(id);
  if (region.textContent !== text) region.textContent = text;
}

function showStatus(status) {
  // Answers to requests and the event stream race: a status older than one shown is stale.
  if (status.last_event < (training.statusEvent || 0)) return;
  training.statusEvent = status.last_event;
  training.can = status.can;
  $("train-start").disabled = !status.can.start;
  $("train-pause").disabled = !status.can.pause;
  $("train-resume").disabled = !status.can.resume;
  $("train-stop").disabled = !status.can.stop;
  $("save-form").hidden = !status.can.save;
  // A run that was running and still is speaks through its progress: a status that answers
  // late must not replace that line with "running", nor cancel a progress line waiting.
  const stillRunning = status.state === "running" && document.body.dataset.training === "running";
  document.body.dataset.training = status.state;
  if (status.run) {
    training.run = status.run;
    if (!(stillRunning && training.history.length > 0)) {
      sayTraining(`${status.run.title}: ${status.message || status.state}.`);
    }
  }
}

function openEvents() {
  const source = new EventSource("/api/training/events");
  const on = (kind, handle) => source.addEventListener(kind, (event) => handle(JSON.parse(event.data)));
  on("start", (data) => runStarted(data.run));
  on("plan", (plan) => {
    $("train-plan").textContent = `${plan.resumed ? "Continued" : "Training"}: ${plan.description} ` +
      `On ${plan.train_images.toLocaleString("en")} images of ${plan.data === "bundled MNIST" ? "MNIST" : plan.data}.`;
    if (plan.fine_tune) showBefore(plan.fine_tune);
  });
  on("batch", (batch) => {
    $("train-step").textContent = `epoch ${batch.epoch}: batch ${batch.step} of ${batch.steps}, loss ${batch.loss.toFixed(4)}`;
  });
  on("progress", showProgress);
  on("drawing", (data) => showLiveBars(data.probabilities, data.version));
  on("state", async () => { showStatus(await api("/api/training")); });
  on("done", showDone);
  on("saved", (data) => {
    sayTraining(`Saved as ${data.name} (${data.file}); it is among the models compared above.`);
    modelAdded(data.name);
  });
}

function runStarted(run) {
  training.run = run;
  training.history = [];
  $("train-plan").textContent = run.description;
  $("train-step").textContent = "";
  $("train-result").replaceChildren();
  $("tutorial-lines").replaceChildren();
  $("tutorial-log").hidden = run.unit !== "iteration";
  $("tutorial-log").open = run.unit === "iteration";
  $("weights").replaceChildren();
  $("save-name").value = uniqueName(run.mode === "fine_tune" ? `${run.model}-tuned` : run.preset);
  drawLiveCharts();
  if (state.answer && state.answer.digit) inputForTraining(state.answer);
}

function uniqueName(base) {
  let name = base, n = 2;
  while (state.models.some((m) => m.name === name)) name = `${base}-${n++}`;
  return name;
}

function showProgress(p) {
  training.history.push(p);
  drawLiveCharts();
  if (p.weights) showWeights(p.weights);
  if (p.drawing) showLiveBars(p.drawing, p.drawing_version);
  const unit = training.run ? training.run.unit : "epoch";
  const dev = p.dev_accuracy == null ? "" : `  (dev ${p.dev_accuracy.toFixed(4)})`;
  if (unit === "iteration") {
    $("tutorial-lines").append(el("li", { text: `Iteration ${String(p.epoch).padStart(4)}: accuracy ${p.train_accuracy.toFixed(4)}${dev}` }));
  }
  $("train-step").textContent = "";
  document.body.dataset.progress = String(training.history.length);
  sayProgress(`${unit} ${p.epoch} of ${p.epochs}: accuracy ${pct(p.train_accuracy)}` +
    (p.dev_accuracy == null ? "" : `, dev ${pct(p.dev_accuracy)}`) + `, loss ${p.train_loss.toFixed(3)}.`,
    p.epoch === p.epochs);
}

// A screen reader hears the progress at most every ANNOUNCE_EVERY_MS; progress that comes
// sooner is said when that time is up, so the line shown never stays behind the charts.
function sayProgress(text, last) {
  clearTimeout(training.progressTimer);
  const speak = () => { training.announced = performance.now(); say("train-status", text); };
  const wait = training.announced + ANNOUNCE_EVERY_MS - performance.now();
  if (wait <= 0 || last) speak();
  else training.progressTimer = setTimeout(speak, wait);
}

// What the run says otherwise (its state, a refusal) replaces a progress line still waiting.
function sayTraining(text) {
  clearTimeout(training.progressTimer);
  say("train-status", text);
}

function drawLiveCharts() {
  const rows = training.history;
  const run = training.run;
  const unit = run ? run.unit : "epoch";
  lineChart($("loss-chart"), "loss", rows, (p, key) => p[`${key}_loss`], unit, null);
  lineChart($("accuracy-chart"), "accuracy", rows, (p, key) => p[`${key}_accuracy`], unit, 1);
}

// A line chart of train and dev over the epochs so far, with its numbers in a table.
function lineChart(figure, what, rows, value, unit, top) {
  const W = 360, H = 190, left = 42, right = 12, topPad = 10, bottom = 28;
  const epochs = training.run ? training.run.epochs : 1;
  const values = rows.flatMap((p) => SERIES.map((s) => value(p, s.key))).filter((v) => v != null);
  const high = top != null ? top : Math.max(...values, 1e-9) * 1.05;
  const low = top != null ? Math.max(0, Math.min(...values, 1) - 0.05) : 0;
  const x = (epoch) => left + (W - left - right) * (epochs <= 1 ? 0.5 : (epoch - 1) / (epochs - 1));
  const y = (v) => topPad + (H - topPad - bottom) * (1 - (v - low) / (high - low || 1));
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "data-points": String(rows.length),
    "aria-label": `${what} of train and dev per ${unit}, ${rows.length} so far; the table below has the numbers` });
  for (const t of [0, 0.5, 1]) {
    const v = low + t * (high - low);
    svg.append(svgEl("line", { x1: left, x2: W - right, y1: y(v), y2: y(v), stroke: "#d0d4d9" }));
    const label = svgEl("text", { x: left - 4, y: y(v) + 4, "text-anchor": "end" });
    label.textContent = top != null ? `${Math.round(100 * v)}%` : v.toFixed(2);
    svg.append(label);
  }
  for (const epoch of [1, epochs]) {
    const label = svgEl("text", { x: x(epoch), y: H - 8, "text-anchor": "middle" });
    label.textContent = `${unit} ${epoch}`;
    svg.append(label);
  }
  for (const series of SERIES) {
    const points = rows.filter((p) => value(p, series.key) != null)
      .map((p) => [x(p.epoch), y(value(p, series.key))]);
    if (!points.length) continue;
    svg.append(svgEl("polyline", { points: points.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(" "),
      fill: "none", stroke: series.colour, "stroke-width": 2, "stroke-dasharray": series.dash,
      "data-series": series.key }));
    const [lx, ly] = points[points.length - 1];
    svg.append(series.marker === "circle"
      ? svgEl("circle", { cx: lx, cy: ly, r: 3.5, fill: series.colour })
      : svgEl("rect", { x: lx - 3.5, y: ly - 3.5, width: 7, height: 7, fill: series.colour }));
  }
  const legend = el("p", { class: "legend" }, ...SERIES.map((s) => el("span", { class: `key ${s.key}`, text: s.label })));
  const table = el("table", {},
    el("thead", {}, el("tr", {}, el("th", { text: unit }), ...SERIES.map((s) => el("th", { text: s.label })))),
    el("tbody", {}, ...rows.map((p) => el("tr", {}, el("th", { text: String(p.epoch) }),
      ...SERIES.map((s) => el("td", { text: value(p, s.key) == null ? "–" : value(p, s.key).toFixed(4) }))))));
  figure.replaceChildren(el("figcaption", { text: what === "loss" ? "Loss" : "Accuracy" }), svg, legend,
    el("details", {}, el("summary", { text: `${what}: the numbers` }), table));
}

function showWeights(weights) {
  const [count, height, width] = weights.shape;
  const box = $("weights");
  box.replaceChildren(...weights.values.map((tile, n) => {
    const canvas = el("canvas", { class: "tile", width: String(width), height: String(height) });
    drawPixels(canvas, tile, (v) => diverging(v / 100));
    return canvas;
  }));
  const what = height === width && height < 10 ? `${count} convolution kernels of ${height} × ${width}`
    : `the weights of ${count} hidden units, each as a ${height} × ${width} image`;
  box.setAttribute("aria-label", `The first layer's weights: ${what}`);
}

// The run scores one drawing, the one a page sent last: a page shows the scores of its own
// (the version its request got back) and says so when another page's has taken its place.
const live = { version: null, latest: null };
function showLiveBars(probabilities, version) {
  live.latest = { probabilities, version };
  if (version !== live.version) {
    $("live-bars").replaceChildren();
    $("live-drawing-note").textContent = live.version === null
      ? "Draw a digit above: each update scores it again."
      : "The run now scores a drawing sent from another page; draw here to watch yours again.";
    if (live.version !== null) watched = null;
    return;
  }
  const top = probabilities.indexOf(Math.max(...probabilities));
  $("live-bars").replaceChildren(...CLASSES.map((digit) => {
    const fill = el("span", { class: "fill" });
    fill.style.width = `${(100 * probabilities[digit]).toFixed(1)}%`;
    return el("li", { class: digit === top ? "top" : "" },
      el("span", { class: "digit", text: String(digit) }),
      el("span", { class: "track", "aria-hidden": "true" }, fill),
      el("span", { class: "pct", text: pct(probabilities[digit]) }));
  }));
  $("live-drawing-note").textContent = `The run's network says ${top} (${pct(probabilities[top])}).`;
}

let watched = null;
function inputForTraining(answer) {
  if (!training.run || !answer.digit || answer.input === watched) return;
  watched = answer.input;
  api("/api/training/drawing", { pixels: answer.input }).then((reply) => {
    live.version = reply.version;
    // Its first scores may have come on the event stream before this reply.
    if (live.latest && live.latest.version === reply.version) {
      showLiveBars(live.latest.probabilities, live.latest.version);
    }
  }).catch(() => {});
}

function showBefore(record) {
  $("train-result").replaceChildren(fineTuneTable(record));
}

function fineTuneTable(record) {
  const held = record.held_out;
  const rows = [];
  if (held) rows.push(["held_out", `your held-out digits (${held.split === "test" ? "one in five of each label" : "the dev set"})`, held.count]);
  rows.push(["mnist_test", "MNIST's test set", record.mnist_test.count]);
  const after = record.after || {};
  const cell = (v) => (v == null ? "…" : pct(v));
  return el("table", { class: "before-after" },
    el("caption", { text: `Fine-tuning ${record.from.file.split("/").pop()}: accuracy before and after` }),
    el("thead", {}, el("tr", {}, ...["measured on", "digits", "before", "after"].map((t) => el("th", { text: t })))),
    el("tbody", {}, ...rows.map(([key, what, count]) => el("tr", {}, el("th", { text: what }),
      el("td", { text: count.toLocaleString("en") }), el("td", { text: cell(record.before[key]) }),
      el("td", { text: cell(after[key]) })))));
}

function showDone(done) {
  const m = done.metrics;
  const rows = [["train", m.train_accuracy], ["dev", m.dev_accuracy], ["test", m.test_accuracy]]
    .filter(([, v]) => v != null);
  const parts = [el("table", { class: "metrics" },
    el("caption", { text: `After ${done.epochs} ${training.run ? training.run.unit : "epoch"}s (${done.stopped.replace("_", " ")})` }),
    el("tbody", {}, ...rows.map(([split, v]) => el("tr", {}, el("th", { text: `${split} accuracy` }), el("td", { text: pct(v) })))))];
  if (done.fine_tune) parts.push(fineTuneTable(done.fine_tune));
  $("train-result").replaceChildren(...parts);
}

async function saveRun() {
  try {
    await api("/api/training/save", { name: $("save-name").value });
    $("save-form").hidden = true;
  } catch (error) { sayTraining(`Not saved: ${error.message}`); }
}

// --- your digits ---------------------------------------------------------------------------------

async function setupDigits() {
  $("digits").hidden = false;
  $("label-pick").hidden = false;
  $("label-buttons").replaceChildren(...CLASSES.map((digit) => el("button", {
    type: "button", class: "label", "data-label": String(digit), disabled: "",
    "aria-label": `Add the drawing to your digits as a ${digit}`, text: String(digit),
    onclick: () => addDigit(digit) })));
  $("digits-export").addEventListener("click", exportDigits);
  $("digits-import").addEventListener("change", importDigits);
  await refreshDigits();
}

function updateAddButton() {
  const ready = Boolean(state.answer && state.answer.digit);
  document.querySelectorAll("#label-buttons button").forEach((b) => { b.disabled = !ready; });
}

// Added as what the networks receive (the 28x28 input). A drawing is cleared at once, so the
// next one can start while the server writes this one; it comes back if the add fails.
async function addDigit(label) {
  if (!(state.answer && state.answer.digit)) return;
  const pixels = state.answer.input;
  const drawn = state.source.kind === "drawing" ? state.strokes.slice() : null;
  if (drawn) clearAll();
  try {
    const digit = await api("/api/digits", { pixels, label });
    const set = await refreshDigits();
    say("digits-status", `Added digit #${digit.number}, a ${digit.label}. Your set: ${set.count} digits.`);
    state.note = `Added to your digits as a ${digit.label}; ${set.count} in your set.` +
      (drawn ? " Draw the next." : "");
    announce(state.note);
  } catch (error) {
    if (drawn && !state.strokes.length) { state.strokes = drawn; redrawPad(); inputChanged(true); }
    say("digits-status", `Not added: ${error.message}`);
    announce(`Not added: ${error.message}`);
  }
}

async function refreshDigits() {
  const set = await api("/api/digits");
  const held = new Set(set.held_out);
  $("digit-counts").textContent = set.count
    ? `${set.count} digits: ${set.counts.map((n, d) => `${n} × ${d}`).join(", ")}. Kept in ${set.folder}.`
    : `No digits yet. They are kept in ${set.folder}.`;
  $("gallery").replaceChildren(...set.digits.map((digit) => {
    const canvas = el("canvas", { class: "pixels", width: "28", height: "28", role: "img",
      "aria-label": `digit #${digit.number}, labelled ${digit.label}` });
    drawPixels(canvas, digit.pixels);
    const out = held.has(digit.number);
    return el("figure", { class: "digit-tile" + (out ? " held" : ""), "data-number": String(digit.number) }, canvas,
      el("figcaption", { text: `${digit.label}${out ? " · held out" : ""}` }),
      el("button", { type: "button", class: "remove", "aria-label": `Remove digit #${digit.number}, a ${digit.label}`,
        text: "Remove", onclick: () => removeDigit(digit.number) }));
  }));
  $("digits-export").disabled = set.count === 0;
  if (training.choices) training.choices.digits = set.count;
  updateAddButton();
  return set;
}

async function removeDigit(number) {
  try {
    const removed = await api(`/api/digits/${number}`, { method: "DELETE" });
    const set = await refreshDigits();
    say("digits-status", `Removed digit #${removed.number}, a ${removed.label}. Your set: ${set.count} digits.`);
    const next = document.querySelector("#gallery .remove") || $("digits-export");
    next.focus();
  } catch (error) { say("digits-status", `Not removed: ${error.message}`); }
}

async function exportDigits() {
  try {
    const done = await api("/api/digits/export", {});
    $("export-result").replaceChildren(
      el("p", { text: `Written on this machine: IDX files in ${done.folder} (${done.train} digits to train on, ${done.test} held out as the test split) and ${done.csv}.` }),
      el("p", {}, "Download: ", ...done.files.flatMap((name, i) => [i ? ", " : "",
        el("a", { href: `/api/digits/export/${name}`, download: name, text: name })])),
      el("p", {}, "Fine-tune a model on them from the command line: ", el("code", { text: done.command })));
    say("digits-status", `Exported ${done.train + done.test} digits.`);
  } catch (error) { say("digits-status", `Not exported: ${error.message}`); }
}

async function importDigits() {
  const files = [...$("digits-import").files];
  $("digits-import").value = "";
  if (!files.length) return;
  const form = new FormData();
  for (const file of files) form.append("files", file, file.name);
  try {
    const done = await api("/api/digits/import", form);
    await refreshDigits();
    say("digits-status", `Imported ${done.added} digits. Your set: ${done.count} digits.`);
  } catch (error) { say("digits-status", `Not imported: ${error.message}`); }
}

// --- models --------------------------------------------------------------------------------------

function setupModels(info, wanted) {
  state.models = info.models;
  state.unsureBelow = info.unsure_below;
  const names = info.models.map((m) => m.name);
  state.selected = wanted.filter((n) => names.includes(n));
  if (!state.selected.length) state.selected = names.slice();
  $("models-loading").remove();
  for (const model of info.models) addModelChoice(model);
  const classes = $("saliency-class");
  for (const c of CLASSES) classes.append(el("option", { value: String(c), text: String(c) }));
  modelsChanged();
}

function addModelChoice(model) {
  const box = $("model-choice");
  const input = el("input", { type: "checkbox", id: `model-${model.name}`, value: model.name });
  input.checked = state.selected.includes(model.name);
  input.addEventListener("change", () => {
    const checked = [...box.querySelectorAll("input:checked")].map((i) => i.value);
    if (!checked.length) { input.checked = true; return; }  // one model at least
    state.selected = state.models.map((m) => m.name).filter((n) => checked.includes(n));
    writeUrl();
    modelsChanged();
  });
  box.append(el("label", { for: input.id }, input,
    `${model.name} (${model.kind === "conv" ? "convolutional" : "dense"})`));
}

// A model saved from a training run joins the others, chosen at once.
async function modelAdded(name) {
  const info = await api("/api/models");
  const model = info.models.find((m) => m.name === name);
  if (!model || state.models.some((m) => m.name === name)) return;
  state.models.push(model);
  state.selected.push(name);
  addModelChoice(model);
  writeUrl();
  modelsChanged();
  fillTuneModels();
}

function modelsChanged() {
  fillModelSelect($("inside-model"));
  fillModelSelect($("saliency-model"));
  inputChanged(true);
}

for (const id of ["inside-model", "saliency-model", "saliency-class", "probe-kind"]) {
  $(id).addEventListener("change", () => scheduleView(0));
}
$("probe-value").addEventListener("input", showProbeValue);

async function start() {
  document.body.dataset.predict = "idle";
  document.body.dataset.view = "idle";
  const wanted = readUrl();
  setupTabs();
  selectView(wanted.view, false);
  setupPad();
  window.addEventListener("resize", setupPad);
  clearViews();
  try {
    const info = await api("/api/models");
    setupModels(info, wanted.names);
    if (info.training) await setupTraining();
    if (info.digits) await setupDigits();
  } catch (error) {
    announce(`The server did not answer: ${error.message}`);
  }
  document.body.dataset.ready = "true";
}

start();
