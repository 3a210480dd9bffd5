// Predictions, throttled: one request in flight, the latest input next. Whatever changes the
// input calls inputChanged(); the answer is shown only if no newer one has been.

import { api } from "./api.js";
import { showAnswer, showProblem } from "./answers.js";
import { UNITS } from "./strokes.js";
import { state } from "./state.js";
import { liveView, scheduleView } from "./views.js";

const THROTTLE_MS = 90;  // at most one prediction request this often while drawing

export function inputChanged(now = false) {
  const predict = state.predict;
  state.version += 1;
  state.inputAt = performance.now();
  state.note = null;
  predict.pending = true;
  document.body.dataset.predict = "busy";
  if (now && predict.timer) { clearTimeout(predict.timer); predict.timer = null; }
  if (predict.inFlight || predict.timer) return;
  const wait = now ? 0 : Math.max(0, predict.lastSent + THROTTLE_MS - performance.now());
  predict.timer = setTimeout(sendPredict, wait);
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
  const predict = state.predict;
  predict.timer = null;
  if (!predict.pending) return;
  predict.pending = false;
  const version = state.version;
  const inputAt = state.inputAt;
  let answer;
  if ((state.source.kind === "drawing" && state.strokes.length === 0) || state.selected.length === 0) {
    answer = { digit: false, message: state.selected.length ? "draw a digit" : "choose a model",
               input: null, steps: null, answers: [] };
  } else {
    predict.inFlight = true;
    predict.lastSent = performance.now();
    try {
      answer = await api("/api/predict", predictBody());
    } catch (error) {
      predict.inFlight = false;
      if (version >= state.shownVersion) { state.shownVersion = version; showProblem(error); }
      return afterPredict();
    }
    predict.inFlight = false;
  }
  if (version >= state.shownVersion) {
    state.shownVersion = version;
    state.answerInputAt = inputAt;
    showAnswer(answer);
    if (state.drawing) liveView();
  }
  afterPredict();
}

function afterPredict() {
  if (state.predict.pending) { inputChanged(); return; }
  document.body.dataset.predict = "idle";
  if (!state.drawing) scheduleView();
}
