// nnscratch serve: the page. The server computes, the page draws: every number shown here
// comes from the JSON API (see /openapi.json). No framework, no build step: native ES modules,
// this one the entry. docs/architecture.md says how the modules fit and how to add a view.

import { setupAnswers } from "./answers.js";
import { api, whenServerBack } from "./api.js";
import { announce } from "./dom.js";
import { setupDigits } from "./digits.js";
import { setupModels } from "./models.js";
import { setupPad } from "./pad.js";
import { inputChanged } from "./predict.js";
import { setupTraining } from "./training.js";
import { readUrl, setupViews } from "./views.js";

async function start() {
  document.body.dataset.predict = "idle";
  document.body.dataset.view = "idle";
  const wanted = readUrl();
  setupViews(wanted.view);
  setupPad();
  setupAnswers();
  whenServerBack(() => inputChanged(true));  // what was drawn while it was gone is read now
  try {
    const info = await api("/api/models");
    setupModels(info, wanted.models);
    if (info.training) await setupTraining();
    if (info.digits) await setupDigits();
  } catch (error) {
    announce(`The server did not answer: ${error.message}`);
  }
  document.body.dataset.ready = "true";
}

start();
