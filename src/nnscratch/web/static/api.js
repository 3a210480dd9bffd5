// Every request to the server goes through api(): one shape for errors ({"detail": ...}).
// A request that gets no answer at all (the server stopped, the network went) raises the
// banner; the page then asks every few seconds until the server answers, and lowers it.

import { state } from "./state.js";

const RETRY_MS = 2000;
const GONE = "the server is not answering";
const backListeners = [];

export class ServerGone extends Error {}

export async function api(path, body) {
  const options = body === undefined ? {} : body instanceof FormData
    ? { method: "POST", body }
    : body.method ? body
    : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  let response;
  try {
    response = await fetch(path, options);
  } catch {
    serverGone();
    throw new ServerGone(GONE);
  }
  serverBack();
  const data = await response.json().catch(() => ({ detail: response.statusText }));
  if (!response.ok) throw new Error(data.detail || `error ${response.status}`);
  return data;
}

// Called when the server answers again after it was gone (to ask again what it was asked).
export function whenServerBack(listener) { backListeners.push(listener); }

function banner() { return document.getElementById("server-banner"); }

export function serverGone() {
  if (state.server.gone) return;
  state.server.gone = true;
  document.body.dataset.server = "gone";
  banner().hidden = false;
  setTimeout(checkServer, RETRY_MS);
}

function serverBack() {
  if (!state.server.gone) return;
  state.server.gone = false;
  document.body.dataset.server = "up";
  banner().hidden = true;
  for (const listener of backListeners) listener();
}

async function checkServer() {
  if (!state.server.gone) return;
  try {
    const response = await fetch("/api/models");
    if (response.ok) { serverBack(); return; }
  } catch { /* still gone */ }
  setTimeout(checkServer, RETRY_MS);
}
