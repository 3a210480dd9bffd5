// Your digits: drawings added under their label, kept by the server, removed, exported as IDX
// and CSV, imported; a fine-tuning measures itself on the ones held out.

import { api } from "./api.js";
import { $, announce, CLASSES, el, say } from "./dom.js";
import { clearAll, restoreStrokes } from "./pad.js";
import { drawPixels } from "./pixels.js";
import { state } from "./state.js";

export async function setupDigits() {
  $("digits").hidden = false;
  $("label-pick").hidden = false;
  $("label-buttons").replaceChildren(...CLASSES.map((digit) => el("button", {
    type: "button", class: "label", "data-label": String(digit), disabled: "",
    "aria-label": `Add the drawing to your digits as a ${digit}`, text: String(digit),
    onclick: () => addDigit(digit) })));
  $("digits-export").addEventListener("click", exportDigits);
  $("digits-import").addEventListener("change", importDigits);
  $("digits-more").addEventListener("click", showMore);
  await refreshDigits();
}

export function updateAddButton() {
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
    if (!digit.added) throw new Error(digit.message);
    // The answer holds the set's new figures: one tile is added, nothing fetched again.
    showFigures(digit);
    if (loaded === digit.count - 1) {
      $("gallery").append(tile(digit, new Set(digit.held_out)));
      loaded += 1;
    }
    markHeldOut(digit.held_out);
    say("digits-status", `Added digit #${digit.number}, a ${digit.label}. Your set: ${digit.count} digits.`);
    state.note = `Added to your digits as a ${digit.label}; ${digit.count} in your set.` +
      (drawn ? " Draw the next." : "");
    announce(state.note);
  } catch (error) {
    if (drawn && !state.strokes.length) restoreStrokes(drawn);
    say("digits-status", `Not added: ${error.message}`);
    announce(`Not added: ${error.message}`);
  }
}

const PAGE = 200;  // digits fetched at a time: a set of thousands loads as the user asks
let loaded = 0;  // digits shown in the gallery, the first ones added

function tile(digit, held) {
  const canvas = el("canvas", { class: "pixels", width: "28", height: "28", role: "img",
    "aria-label": `digit #${digit.number}, labelled ${digit.label}` });
  drawPixels(canvas, digit.pixels);
  const out = held.has(digit.number);
  return el("figure", { class: "digit-tile" + (out ? " held" : ""), "data-number": String(digit.number) }, canvas,
    el("figcaption", { text: `${digit.label}${out ? " · held out" : ""}` }),
    el("button", { type: "button", class: "remove", "aria-label": `Remove digit #${digit.number}, a ${digit.label}`,
      text: "Remove", onclick: () => removeDigit(digit.number) }));
}

function markHeldOut(numbers) {
  const held = new Set(numbers);
  document.querySelectorAll("#gallery .digit-tile").forEach((figure) => {
    const out = held.has(Number(figure.dataset.number));
    figure.classList.toggle("held", out);
    const caption = figure.querySelector("figcaption");
    caption.textContent = caption.textContent.replace(" · held out", "") + (out ? " · held out" : "");
  });
}

function showFigures(set) {
  $("digit-counts").textContent = set.count
    ? `${set.count} digits: ${set.counts.map((n, d) => `${n} × ${d}`).join(", ")}. Kept in the server's data folder.`
    : "No digits yet. They are kept in the server's data folder.";
  $("digits-export").disabled = set.count === 0;
  if (state.training.choices) state.training.choices.digits = set.count;
  updateAddButton();
  const more = $("digits-more");
  more.hidden = loaded >= set.count;
  more.textContent = `Show ${Math.min(PAGE, set.count - loaded)} more of ${set.count - loaded} not shown`;
}

// The gallery from its start: its first page (and as many as were shown before).
async function refreshDigits() {
  const wanted = Math.max(PAGE, loaded);
  const set = await api(`/api/digits?offset=0&limit=${wanted}`);
  const held = new Set(set.held_out);
  $("gallery").replaceChildren(...set.digits.map((digit) => tile(digit, held)));
  loaded = set.digits.length;
  showFigures(set);
  return set;
}

async function showMore() {
  try {
    const set = await api(`/api/digits?offset=${loaded}&limit=${PAGE}`);
    const held = new Set(set.held_out);
    $("gallery").append(...set.digits.map((digit) => tile(digit, held)));
    loaded += set.digits.length;
    showFigures(set);
  } catch (error) { say("digits-status", `Not shown: ${error.message}`); }
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
      el("p", { text: `Written in the server's data folder: IDX files in ${done.folder} (${done.train} digits to train on, ${done.test} held out as the test split) and ${done.csv}.` }),
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
    const skipped = done.already_there ? ` ${done.already_there} were in your set already.` : "";
    say("digits-status", `Imported ${done.added} digits.${skipped} Your set: ${done.count} digits.`);
  } catch (error) { say("digits-status", `Not imported: ${error.message}`); }
}
