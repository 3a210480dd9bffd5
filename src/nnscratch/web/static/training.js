// Watch it learn: a run in the server started, paused, continued and stopped from the form, its
// progress arriving as Server-Sent Events and drawn as it comes.

import { api } from "./api.js";
import { lineChart } from "./chart.js";
import { $, el, pct, say } from "./dom.js";
import { modelAdded } from "./models.js";
import { state } from "./state.js";
import { inputForTraining, saveRun, showBefore, showDone, showLiveBars, showMistakes, showWeights,
  uniqueName } from "./training-live.js";

const ANNOUNCE_EVERY_MS = 5000;  // a screen reader hears the progress at most this often

export async function setupTraining() {
  const training = state.training;
  $("train").hidden = false;
  const status = await api("/api/training");
  training.choices = status.choices;
  fillTuneModels();
  document.querySelectorAll('input[name="train-mode"]')
    .forEach((input) => input.addEventListener("change", modeChanged));
  $("train-preset").addEventListener("change", fillDefaults);
  $("tune-model").addEventListener("change", fillDefaults);
  $("train-form").addEventListener("submit", (event) => { event.preventDefault(); askBeforeStarting(); });
  $("train-confirm-start").addEventListener("click", () => answerConfirm(true));
  $("train-confirm-keep").addEventListener("click", () => answerConfirm(false));
  $("train-pause").addEventListener("click", () => runCommand("pause"));
  $("train-resume").addEventListener("click", () => runCommand("resume"));
  $("train-step-one").addEventListener("click", () => runCommand("step"));
  $("train-stop").addEventListener("click", () => runCommand("stop"));
  $("save-form").addEventListener("submit", (event) => { event.preventDefault(); saveRun(); });
  modeChanged();
  if (status.run && status.state !== "idle") showRunSettings(status.run);
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

export function fillTuneModels() {
  const select = $("tune-model"), keep = select.value;
  const names = Object.keys(state.training.choices.models);
  select.replaceChildren(...names.map((name) => el("option", { value: name, text: name })));
  if (names.includes(keep)) select.value = keep;
  $("mode-tune").disabled = names.length === 0;
}

function fillDefaults() {
  const choices = state.training.choices;
  const tune = trainMode() === "fine_tune";
  const fields = tune ? choices.models[$("tune-model").value] : choices.presets[$("train-preset").value];
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

// The form shows the settings of the run there is (a page opened or reloaded during it).
function showRunSettings(run) {
  const tune = run.mode === "fine_tune";
  $(tune ? "mode-tune" : "mode-train").checked = true;
  if (tune) $("tune-model").value = run.model; else $("train-preset").value = run.preset;
  modeChanged();
  const fields = run.settings;
  $("train-epochs").value = fields.epochs;
  $("train-lr").value = String(fields.lr);
  $("train-hidden").value = fields.hidden.join(",");
  $("train-optimizer").value = fields.optimizer.toLowerCase();
  $("train-dropout").value = String(fields.dropout);
  $("train-dev").value = fields.dev_size;
  if (tune) $("tune-freeze").value = String(run.freeze);
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

// A paused run is left behind by a new one (it can no longer continue): Start asks first.
function askBeforeStarting() {
  const paused = ["paused", "interrupted"].includes(document.body.dataset.training);
  if (!paused || !state.training.run) { startRun(); return; }
  $("train-confirm-text").textContent = `The run "${state.training.run.title}" is paused. A new ` +
    "run leaves it behind: it can no longer continue. Start a new run anyway?";
  $("train-confirm").hidden = false;
  $("train-confirm-keep").focus();
}

function answerConfirm(start) {
  $("train-confirm").hidden = true;
  $("train-start").focus();
  if (start) startRun();
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

function showStatus(status) {
  const training = state.training;
  // Answers to requests and the event stream race: a status older than one shown is stale.
  if (status.last_event < training.statusEvent) return;
  training.statusEvent = status.last_event;
  training.can = status.can;
  $("train-start").disabled = !status.can.start;
  $("train-pause").disabled = !status.can.pause;
  $("train-resume").disabled = !status.can.resume;
  // One iteration at a time: a full-batch run's (the tutorial's), while it is paused.
  $("train-step-one").hidden = !(status.run && status.run.unit === "iteration");
  $("train-step-one").disabled = !status.can.step;
  $("train-stop").disabled = !status.can.stop;
  $("save-form").hidden = !status.can.save;
  // A run that was running and still is speaks through its progress: a status that answers
  // late must not replace that line with "running", nor cancel a progress line waiting.
  const stillRunning = status.state === "running" && document.body.dataset.training === "running";
  document.body.dataset.training = status.state;
  if (status.state !== "running") $("train-step").textContent = "";  // no batch is under way
  if (status.run) {
    training.run = status.run;
    if (!(stillRunning && training.history.length > 0)) {
      sayTraining(`${status.run.title}: ${status.message || status.state}.`);
    }
  }
}

function openEvents() {
  const source = new EventSource("/api/training/events");
  // The stream breaks when the server goes: a request then finds out, and raises the banner.
  source.addEventListener("error", () => { api("/api/models").catch(() => {}); });
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
  const training = state.training;
  training.run = run;
  training.history = [];
  $("train-plan").textContent = run.description;
  $("train-step").textContent = "";
  $("train-result").replaceChildren();
  $("tutorial-lines").replaceChildren();
  $("tutorial-log").hidden = run.unit !== "iteration";
  $("tutorial-log").open = run.unit === "iteration";
  $("weights").replaceChildren();
  showMistakes(null);
  $("save-name").value = uniqueName(run.mode === "fine_tune" ? `${run.model}-tuned` : run.preset);
  drawLiveCharts();
  if (state.answer && state.answer.digit) inputForTraining(state.answer);
}

function drawLiveCharts() {
  const { history: rows, run } = state.training;
  const unit = run ? run.unit : "epoch", epochs = run ? run.epochs : 1;
  lineChart($("loss-chart"), { what: "loss", rows, value: (p, key) => p[`${key}_loss`], unit, epochs });
  lineChart($("accuracy-chart"), { what: "accuracy", rows, value: (p, key) => p[`${key}_accuracy`], unit, epochs });
}

function showProgress(p) {
  const training = state.training;
  training.history.push(p);
  drawLiveCharts();
  if (p.weights) showWeights(p.weights);
  if (p.mistakes !== undefined) showMistakes(p.mistakes);
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

// The status line follows every epoch, in step with the charts; a screen reader hears the
// progress at most every ANNOUNCE_EVERY_MS, the latest line when that time is up.
function sayProgress(text, last) {
  const training = state.training;
  say("train-status", text);
  clearTimeout(training.progressTimer);
  const speak = () => { training.announced = performance.now(); say("train-announce", text); };
  const wait = training.announced + ANNOUNCE_EVERY_MS - performance.now();
  if (wait <= 0 || last) speak();
  else training.progressTimer = setTimeout(speak, wait);
}

// What the run says otherwise (its state, a refusal) is shown and said at once, replacing a
// progress announcement still waiting.
export function sayTraining(text) {
  clearTimeout(state.training.progressTimer);
  say("train-status", text);
  say("train-announce", text);
}
