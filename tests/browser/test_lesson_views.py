"""The lessons' views (static/lesson-*.js) in headless Chromium, before the page wires them in:
a harness page on the server's own origin, under the page's content security policy, imports
each module, asks the API for a test digit and renders the answer. What they show must be the
API's numbers, and the one-step view's the engine's backward pass for the same image and label
(to the four significant digits shown)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from browser_pages import wait_until
from live_servers import start_app
from nnscratch import explain
from nnscratch.datasets import load_mnist
from nnscratch.web.app import SECURITY_HEADERS, create_app
from nnscratch.web.served import ServedModels

STATIC = Path(__file__).resolve().parents[2] / "src" / "nnscratch" / "web" / "static"
LABEL = 2
HARNESS = """<!doctype html><html lang="en">
<head><meta charset="utf-8"><title>lessons</title></head><body><main>
<section id="maps"></section><section id="maths"></section><section id="step"></section></main>
<script type="module" src="/lesson-harness/harness.js"></script></body></html>"""
HARNESS_JS = """
import * as maps from "/lesson-harness/lesson-maps.js";
import * as maths from "/lesson-harness/lesson-maths.js";
import * as step from "/lesson-harness/lesson-step.js";
const query = new URLSearchParams(location.search);
const model = query.get("model");
const digit = await (await fetch("/api/test-digits/0")).json();
const post = async (path, body) => (await fetch(path, { method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ pixels: digit.pixels, model, ...body }) })).json();
maps.render(document.getElementById("maps"), await post("/api/attributions", {}));
maths.render(document.getElementById("maths"),
  await post("/api/unit-maths", { layer: Number(query.get("layer")), unit: 1 }));
step.render(document.getElementById("step"),
  await post("/api/one-step", { label: LABEL, learning_rate: 0.5 }));
document.body.dataset.ready = "true";
""".replace("LABEL", str(LABEL))
NUMBER = re.compile(r"^−?\d")


@pytest.fixture(scope="module")
def models(small_models):
    return ServedModels.from_files([small_models["mlp"], small_models["cnn"]])


@pytest.fixture(scope="module")
def server(models):
    served = start_app(create_app(models))
    yield served.url
    served.stop()


def fulfil(route):
    name = route.request.url.rsplit("/", 1)[-1].split("?")[0]
    headers = dict(SECURITY_HEADERS)
    if name == "page.html":
        route.fulfill(body=HARNESS, content_type="text/html", headers=headers)
    elif name == "harness.js":
        route.fulfill(body=HARNESS_JS, content_type="text/javascript", headers=headers)
    else:
        route.fulfill(path=STATIC / name, content_type="text/javascript", headers=headers)


def value(text: str) -> float:
    return float(text.replace("−", "-").replace("\u00a0%", ""))


@pytest.mark.parametrize("name, layer", [("mlp", 1), ("cnn", 4)])
def test_the_views_show_the_apis_and_the_engines_numbers(browser, server, models, name, layer):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.route("**/lesson-harness/**", fulfil)
    page.goto(f"{server}/lesson-harness/page.html?model={name}&layer={layer}")
    wait_until(lambda: page.locator("body[data-ready='true']").count() or errors)
    assert not errors, errors
    image = load_mnist("test")[0][0]
    model = models.get(name).model

    # The maps: four pictures, each with the sentence that says what it shows.
    captions = page.locator("#maps figcaption").all_inner_texts()
    assert len(captions) == 4 and page.locator("#maps canvas").count() == 4
    for caption, sentence in zip(captions, explain.MAP_SENTENCES.values(), strict=True):
        assert sentence in caption
    # The digit is answered surely; the maps of its ink still show something, on the ink.
    assert model.predict_proba(image[None])[0].max() > 0.99
    for caption in captions[1:3]:  # gradient x input, integrated gradients
        r, c, strongest = re.search(r"row (\d+), column (\d+): (\S+)\.$", caption).groups()
        assert image[int(r), int(c)] > 0 and abs(value(strongest)) > 0.05, caption

    # The unit's maths: its rows add up to the z the library computes.
    maths = explain.unit_maths(model, image, layer, 1)
    cells = page.locator("#maths table.lesson-sum td").all_inner_texts()
    assert value(cells[-1]) == pytest.approx(maths.z, rel=1e-3, abs=1e-4)
    shown_products = [value(c) for c in cells[2 : 3 * len(maths.terms) : 3]]  # w, a, w·a
    wanted = [t.product for t in maths.terms]
    np.testing.assert_allclose(shown_products, wanted, rtol=1e-3, atol=1e-6)

    # One step: the gradients shown are the engine's backward pass for this image and label.
    twin = model.converted(model.dtype)
    logits = twin.forward(twin.prepare(image[None]))
    twin.loss.forward(logits, np.array([LABEL]))
    twin.backward(twin.loss.backward())
    rows = page.locator("#step table.lesson-changes tbody tr").all()
    assert rows
    numbers = {f"W{n}": i for n, i in enumerate(explain.weighted_layers(model), start=1)}
    numbers |= {f"b{n}": i for n, i in enumerate(explain.weighted_layers(model), start=1)}
    for row in rows:
        head = row.locator("th").inner_text()
        which, where = re.fullmatch(r"(\w+)\[([\d, ]+)\]", head).groups()
        index = tuple(int(n) for n in where.split(","))
        grad = twin.layers[numbers[which]].grads[which[0]][index]
        before, shown, after = (value(t) for t in row.locator("td").all_inner_texts())
        assert shown == pytest.approx(grad, rel=1e-3, abs=1e-9), head
        assert after == pytest.approx(before - 0.5 * shown, rel=1e-3, abs=1e-6), head
    probabilities = page.locator("#step table.lesson-probabilities tbody tr").all()
    assert len(probabilities) == 10
    before, after = (value(t) for t in probabilities[LABEL].locator("td").all_inner_texts())
    assert after >= before
    assert page.locator("#step canvas").count() > 0
    context.close()
