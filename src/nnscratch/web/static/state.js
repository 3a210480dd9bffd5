// Every piece of the page's mutable state, in one place: modules read and change it here and
// keep none of their own.

export const state = {
  // models and what is chosen
  models: [], selected: [], unsureBelow: 0.6,
  // the input
  source: { kind: "drawing" },  // or {kind: "pixels", pixels, index, label} or {kind: "picture", file}
  strokes: [], drawing: null,   // drawing: the stroke under the pointer
  picture: null,                // an ImageBitmap or a canvas shown on the pad instead of strokes
  // predictions: one request in flight, the latest input next
  answer: null, version: 0, shownVersion: -1, note: null, showSteps: false,
  inputAt: 0, answerInputAt: 0,  // when the input last changed; when the shown answer's did
  predict: { inFlight: false, pending: false, timer: null, lastSent: -Infinity },
  // the views of "Look inside"
  view: "inside",
  views: { timer: null, version: 0, inside: null, probe: null },
  // the network at a glance: requests asked and drawn, the chosen unit, pointer-to-update log
  network: { inFlight: false, pending: null, asked: 0, drawn: 0, answer: null, pixels: null,
             model: null, selected: null, mathsAsked: 0, updates: 0, log: [] },
  // watching it learn
  training: { choices: null, run: null, history: [], announced: 0, progressTimer: null, can: {},
              statusEvent: 0 },
  // the run scores one drawing, the one a page sent last (see training-live.js)
  live: { version: null, latest: null, watched: null },
  // the server: reachable or not
  server: { gone: false },
};
