// The drawing pad: strokes in the drawing's own coordinates (UNITS), whatever the canvas's size
// on screen; a test digit or a dropped picture shown instead of strokes.

import { showProblem } from "./answers.js";
import { api } from "./api.js";
import { $ } from "./dom.js";
import { pixelsCanvas } from "./pixels.js";
import { inputChanged } from "./predict.js";
import { state } from "./state.js";
import { drawStroke, fitCanvas, padPoint, UNITS } from "./strokes.js";

const TEST_DIGITS = 10000;
const HINT = "Draw with a mouse, a finger or a pen, or drop a picture on the area.";

function pad() { return $("pad"); }
function context() { return pad().getContext("2d"); }

export function setupPad() {
  fitPad();
  window.addEventListener("resize", fitPad);
  const canvas = pad();
  canvas.addEventListener("pointerdown", pointerDown);
  canvas.addEventListener("pointermove", pointerMove);
  canvas.addEventListener("pointerup", endStroke);
  canvas.addEventListener("pointercancel", endStroke);
  $("brush").addEventListener("input", () => { $("brush-value").textContent = $("brush").value; });
  $("undo").addEventListener("click", undo);
  $("clear").addEventListener("click", clearAll);
  $("random").addEventListener("click", () => useTestDigit(Math.floor(Math.random() * TEST_DIGITS)));
  $("file").addEventListener("change", () => { usePicture($("file").files[0]); $("file").value = ""; });
  const dropZone = $("drop-zone");
  dropZone.addEventListener("dragover", (event) => { event.preventDefault(); dropZone.classList.add("dragging"); });
  dropZone.addEventListener("dragleave", () => dropZone.classList.remove("dragging"));
  dropZone.addEventListener("drop", (event) => {
    event.preventDefault();
    dropZone.classList.remove("dragging");
    usePicture(event.dataTransfer && event.dataTransfer.files[0]);
  });
}

function fitPad() {
  fitCanvas(pad());
  redrawPad();
}

export function redrawPad() {
  const ctx = context();
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, UNITS, UNITS);
  const picture = state.picture;
  if (picture) {
    const scale = Math.min(UNITS / picture.width, UNITS / picture.height);
    const w = picture.width * scale, h = picture.height * scale;
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(picture, (UNITS - w) / 2, (UNITS - h) / 2, w, h);
  }
  for (const stroke of state.strokes) drawStroke(ctx, stroke, 0);
  $("pad-hint").hidden = state.strokes.length > 0 || picture !== null;
}

function startDrawingMode() {
  if (state.source.kind !== "drawing") {
    state.source = { kind: "drawing" };
    state.picture = null;
    $("source").textContent = "Your drawing.";
  }
}

function pointerDown(event) {
  if (event.button !== 0 && event.pointerType === "mouse") return;
  event.preventDefault();
  pad().setPointerCapture(event.pointerId);
  startDrawingMode();
  state.drawing = { brush: Number($("brush").value), points: [padPoint(pad(), event)], pointer: event.pointerId };
  state.strokes.push(state.drawing);
  redrawPad();
  inputChanged();
}

function pointerMove(event) {
  const stroke = state.drawing;
  if (!stroke || stroke.pointer !== event.pointerId) return;
  const before = stroke.points.length;
  const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
  for (const one of events.length ? events : [event]) stroke.points.push(padPoint(pad(), one));
  if (before === 1) redrawPad(); else drawStroke(context(), stroke, before);
  inputChanged();
}

function endStroke(event) {
  if (!state.drawing || state.drawing.pointer !== event.pointerId) return;
  delete state.drawing.pointer;
  state.drawing = null;
  inputChanged();
}

function undo() {
  if (state.source.kind !== "drawing") { clearAll(); return; }
  state.strokes.pop();
  redrawPad();
  inputChanged();
}

export function clearAll() {
  state.strokes = [];
  state.drawing = null;
  state.source = { kind: "drawing" };
  state.picture = null;
  $("source").textContent = HINT;
  redrawPad();
  inputChanged();
}

// Strokes taken back after they were cleared (an add that failed puts the drawing back).
export function restoreStrokes(strokes) {
  state.strokes = strokes;
  redrawPad();
  inputChanged(true);
}

async function useTestDigit(index) {
  try {
    const digit = await api(`/api/test-digits/${index}`);
    state.strokes = [];
    state.source = { kind: "pixels", pixels: digit.pixels, index: digit.index, label: digit.label };
    state.picture = pixelsCanvas(digit.pixels, true);
    $("source").textContent = `MNIST test digit #${digit.index}, labelled ${digit.label}.`;
    redrawPad();
    inputChanged(true);
  } catch (error) { showProblem(error); }
}

function usePicture(file) {
  if (!file) return;
  state.strokes = [];
  state.source = { kind: "picture", file };
  state.picture = null;
  $("source").textContent = `Picture: ${file.name || "dropped"}.`;
  createImageBitmap(file).then((bitmap) => { state.picture = bitmap; redrawPad(); })
    .catch(() => { state.picture = null; redrawPad(); });
  redrawPad();
  inputChanged(true);
}
