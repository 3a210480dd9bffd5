// The answers: one card per chosen model with its ten probabilities, the spoken summary, and
// the steps of preprocessing that made the 28x28 input.

import { $, announce, barItems, el } from "./dom.js";
import { updateAddButton } from "./digits.js";
import { drawPixels } from "./pixels.js";
import { inputChanged } from "./predict.js";
import { state } from "./state.js";
import { inputForTraining } from "./training-live.js";

export function setupAnswers() {
  $("steps-toggle").addEventListener("click", toggleSteps);
}

export function showAnswer(answer) {
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

export function showProblem(error) {
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
    info.test_accuracy != null ? `test accuracy ${(100 * info.test_accuracy).toFixed(1)}\u00a0%` : null,
    info.held_out_accuracy != null ? `your held-out digits ${(100 * info.held_out_accuracy).toFixed(1)}\u00a0%` : null]
    .filter(Boolean).join(", ");
  card.append(el("p", { class: "about", text: mine && mine.unsure ? `unsure: ${about}` : about }));
  card.append(el("ol", { class: "bars", start: "0" },
    ...barItems(mine ? mine.probabilities : null, mine ? mine.label : null)));
  return card;
}

function toggleSteps() {
  state.showSteps = !state.showSteps;
  $("steps-toggle").setAttribute("aria-expanded", String(state.showSteps));
  $("steps-toggle").textContent = state.showSteps ? "Hide the steps" : "Show the steps";
  $("steps").hidden = !state.showSteps;
  if (state.showSteps && state.answer && state.answer.digit && !state.answer.steps) inputChanged(true);
  showSteps();
}

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
