// What a run shows besides its charts: the first layer's weights, the drawing scored by the
// network as it learns, a fine-tuning's accuracy before and after, the result, saving it.

import { api } from "./api.js";
import { $, barItems, el, pct } from "./dom.js";
import { diverging, drawPixels } from "./pixels.js";
import { state } from "./state.js";
import { sayTraining } from "./training.js";

export function showWeights(weights) {
  const [count, height, width] = weights.shape;
  const box = $("weights");
  box.replaceChildren(...weights.values.map((tile) => {
    const canvas = el("canvas", { class: "tile", width: String(width), height: String(height) });
    drawPixels(canvas, tile, (v) => diverging(v / 100));
    return canvas;
  }));
  const what = height === width && height < 10 ? `${count} convolution kernels of ${height} × ${width}`
    : `the weights of ${count} hidden units, each as a ${height} × ${width} image`;
  box.setAttribute("aria-label", `The first layer's weights: ${what}`);
}

// The dev images the network gets wrong now, the surest mistakes first (the server sends a
// dozen at most), each with its true label and the network's guess.
export function showMistakes(mistakes) {
  if (!mistakes) {
    $("mistakes").replaceChildren();
    $("mistakes-note").textContent = "Each update shows the dev images the network gets wrong.";
    return;
  }
  const { count, of, shown } = mistakes;
  $("mistakes-note").textContent = count === 0 ? `No mistake on the ${of.toLocaleString("en")} dev images.`
    : `${count.toLocaleString("en")} of ${of.toLocaleString("en")} dev images wrong now` +
      (count > shown.length ? `; the ${shown.length} it is surest of:` : ":");
  $("mistakes").replaceChildren(...shown.map((m) => {
    const canvas = el("canvas", { class: "pixels", width: "28", height: "28", role: "img",
      "aria-label": `dev image ${m.index}: a ${m.label} read as ${m.guess}, ${pct(m.confidence)}` });
    drawPixels(canvas, m.pixels);
    return el("figure", { class: "digit-tile mistake", "data-index": String(m.index) }, canvas,
      el("figcaption", { text: `${m.label} → ${m.guess}` }));
  }));
}

// The run scores one drawing, the one a page sent last: a page shows the scores of its own
// (the version its request got back) and says so when another page's has taken its place.
export function showLiveBars(probabilities, version) {
  const live = state.live;
  live.latest = { probabilities, version };
  if (version !== live.version) {
    $("live-bars").replaceChildren();
    $("live-drawing-note").textContent = live.version === null
      ? "Draw a digit above: each update scores it again."
      : "The run now scores a drawing sent from another page; draw here to watch yours again.";
    if (live.version !== null) live.watched = null;
    return;
  }
  const top = probabilities.indexOf(Math.max(...probabilities));
  $("live-bars").replaceChildren(...barItems(probabilities, top));
  $("live-drawing-note").textContent = `The run's network says ${top} (${pct(probabilities[top])}).`;
}

export function inputForTraining(answer) {
  const live = state.live;
  if (!state.training.run || !answer.digit || answer.input === live.watched) return;
  live.watched = answer.input;
  api("/api/training/drawing", { pixels: answer.input }).then((reply) => {
    live.version = reply.version;
    // Its first scores may have come on the event stream before this reply.
    if (live.latest && live.latest.version === reply.version) {
      showLiveBars(live.latest.probabilities, live.latest.version);
    }
  }).catch(() => {});
}

export function showBefore(record) {
  $("train-result").replaceChildren(fineTuneTable(record));
}

function fineTuneTable(record) {
  const held = record.held_out;
  const rows = [];
  if (held) rows.push(["held_out", `your held-out digits (${held.split === "test" ? "one in five of your digits" : "the dev set"})`, held.count]);
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

export function showDone(done) {
  const m = done.metrics;
  const rows = [["train", m.train_accuracy], ["dev", m.dev_accuracy], ["test", m.test_accuracy]]
    .filter(([, v]) => v != null);
  const unit = state.training.run ? state.training.run.unit : "epoch";
  const parts = [el("table", { class: "metrics" },
    el("caption", { text: `After ${done.epochs} ${unit}s (${done.stopped.replace("_", " ")})` }),
    el("tbody", {}, ...rows.map(([split, v]) => el("tr", {}, el("th", { text: `${split} accuracy` }), el("td", { text: pct(v) })))))];
  if (done.fine_tune) parts.push(fineTuneTable(done.fine_tune));
  $("train-result").replaceChildren(...parts);
}

export async function saveRun() {
  try {
    await api("/api/training/save", { name: $("save-name").value });
    $("save-form").hidden = true;
  } catch (error) { sayTraining(`Not saved: ${error.message}`); }
}

export function uniqueName(base) {
  let name = base, n = 2;
  while (state.models.some((m) => m.name === name)) name = `${base}-${n++}`;
  return name;
}
