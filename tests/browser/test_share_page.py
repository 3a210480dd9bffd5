"""The exported page (nnscratch export MODEL digit.html) in Chromium, opened from file:// with
every network request blocked: its preprocessing and forward pass against Python's on the same
inputs, for networks holding every layer type and for every preset's network, and drawing on it
with a mouse and with a finger.

The networks are untrained, with weights drawn from a seeded generator large enough that their
probabilities are far from uniform (training is not needed to compare two forward passes). A
drawing's answer on the page is compared with the Python preprocessing and prediction of the
strokes the page recorded, which is what ``nnscratch predict`` gives for the same picture (see
test_drawing.py's test_a_rendered_drawing_saved_as_a_picture_gives_predict_the_same_input)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from browser_pages import UNITS
from nnscratch import (
    GRU,
    LSTM,
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool2D,
    LayerNorm,
    LeakyReLU,
    MaxPool2D,
    ReLU,
    Reshape,
    Sequential,
    Sigmoid,
    Tanh,
)
from nnscratch.datasets import load_mnist
from nnscratch.datasets.drawing import drawing_to_mnist, make_strokes
from nnscratch.engine.layers import LAYER_TYPES
from nnscratch.model import PRESETS, build_model
from nnscratch.web.share import write_page
from web_models import digit_strokes

PROBABILITY_TOLERANCE = 1e-4
EXAMPLES = 6  # MNIST test digits per network


def randomized(model: Sequential, seed: int) -> Sequential:
    """``model`` with every array drawn anew: weights N(0, (4 / sqrt(fan_in))²), three times
    that for the output layer, biases and shifts N(0, 0.5²), scales and running variances
    U(0.5, 1.5)."""
    rng = np.random.default_rng(seed)
    last = max(i for i, layer in enumerate(model.layers) if isinstance(layer, Dense))
    for index, layer in enumerate(model.layers):
        for arrays in (layer.params, layer.buffers):
            for name, array in arrays.items():
                if name in ("gamma", "running_var"):
                    new = rng.uniform(0.5, 1.5, array.shape)
                elif array.ndim == 1 or name == "beta":
                    new = rng.normal(0, 0.5, array.shape)
                else:
                    fan_in = (
                        array.shape[0] if isinstance(layer, Dense) else np.prod(array.shape[1:])
                    )
                    gain = 12 if index == last else 4  # decided answers, even after an LSTM
                    new = rng.normal(0, gain / np.sqrt(fan_in), array.shape)
                arrays[name] = new.astype(array.dtype)
    return model


def layer_networks() -> dict[str, Sequential]:
    """Small networks that together hold every layer type, with strides, paddings, windows that
    leave rows over, batch norm of channels and of features, layer norm over maps and steps."""
    scale = {"input_scale": 1 / 255}
    return {
        "dense": Sequential(
            [
                Flatten(),
                Dense(784, 32),
                LeakyReLU(0.1),
                Dense(32, 24),
                Sigmoid(),
                Dense(24, 16),
                Tanh(),
                Dropout(0.3),
                Dense(16, 10),
            ],
            **scale,
        ),  # fmt: skip
        "conv": Sequential(
            [
                Reshape((1, 28, 28)),
                Conv2D(1, 4, 3, stride=2, padding=1),
                BatchNorm(4),
                ReLU(),
                MaxPool2D(2),
                Conv2D(4, 6, 3, padding="same"),
                AvgPool2D(3),
                Flatten(),
                Dense(24, 10),
            ],
            **scale,
        ),  # fmt: skip
        "global": Sequential(
            [
                Reshape((1, 28, 28)),
                Conv2D(1, 8, 5, stride=3),
                ReLU(),
                LayerNorm([8, 8, 8]),
                GlobalAvgPool2D(),
                BatchNorm(8),
                Dense(8, 10),
            ],
            **scale,
        ),  # fmt: skip
        "recurrent": Sequential(
            [
                Reshape((28, 28)),
                LSTM(28, 12, return_sequences=True),
                LayerNorm(12),
                GRU(12, 10),
                Dense(10, 10),
            ],
            **scale,
        ),  # fmt: skip
    }


NETWORKS = {
    **layer_networks(),
    **{f"preset-{name}": build_model(name) for name in PRESETS},
}


def test_the_networks_hold_every_layer_type():
    held = {layer.name for model in NETWORKS.values() for layer in model.layers}
    assert held == set(LAYER_TYPES)


@pytest.fixture(scope="module")
def mnist():
    images, labels = load_mnist("test")
    return images[:EXAMPLES], labels[:EXAMPLES]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """name -> (model, the page's file), each model randomized and saved as a model file."""
    folder = tmp_path_factory.mktemp("pages")
    pages = {}
    for seed, (name, model) in enumerate(NETWORKS.items()):
        randomized(model, seed)
        model.save(folder / f"{name}.npz", preset=name)
        write_page(folder / f"{name}.npz", folder / f"{name}.html")
        pages[name] = (Sequential.load(folder / f"{name}.npz"), folder / f"{name}.html")
    return pages


@pytest.fixture(scope="module")
def blocked(browser):
    """A browser context in which every request but file: is aborted and recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    attempted = []

    def block(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            attempted.append(route.request.url)
            route.abort()

    context.route("**/*", block)
    yield context, attempted
    context.close()


@pytest.fixture(scope="module")
def pages(blocked, exported):
    """name -> the exported page, opened once from file:// in the blocked context."""
    context, attempted = blocked
    opened, errors = {}, []
    for name, (_, path) in exported.items():
        page = context.new_page()
        page.on("pageerror", lambda error, name=name: errors.append(f"{name}: {error}"))
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-ready='true']", state="attached")
        opened[name] = page
    yield opened
    assert not errors, errors
    assert not attempted, f"the pages asked for {attempted}"


def test_the_route_catches_requests_and_the_pages_make_none(blocked, pages):
    context, attempted = blocked
    assert len(pages) == len(NETWORKS) and not attempted
    control = context.new_page()  # the blocking works: a page that does ask is caught
    with pytest.raises(Exception, match="ERR_FAILED"):
        control.goto("http://127.0.0.1:9/")
    control.close()
    assert attempted == ["http://127.0.0.1:9/"]
    attempted.clear()


def drawings(images) -> list[dict]:
    """Drawings of every shape preprocess.js must follow: MNIST digits traced row by row, and
    slanted, curved, dotted and off-canvas strokes of several brushes."""
    circle = [[140 + 70 * np.cos(t), 120 + 90 * np.sin(t)] for t in np.linspace(0, 6.2, 40)]
    traced = [
        {"width": UNITS, "height": UNITS, "strokes": digit_strokes(image)} for image in images
    ]
    return [
        *traced,
        {"width": UNITS, "height": UNITS, "strokes": [
            {"brush": 22, "points": [[60.3, 40.1], [200.7, 41.9], [90.2, 250.6]]},
            {"brush": 14, "points": [[100, 150], [180, 149.5]]}]},
        {"width": UNITS, "height": UNITS, "strokes": [
            {"brush": 31, "points": [[round(x, 1), round(y, 1)] for x, y in circle]},
            {"brush": 9, "points": [[140, 120]]}]},
        {"width": UNITS, "height": UNITS, "strokes": [
            {"brush": 40, "points": [[250, 20], [300, 140], [250, 260]]}]},
        {"width": 100, "height": 60, "strokes": [
            {"brush": 3, "points": [[10, 50], [12, 10], [30, 30], [31.5, 31]]}]},
    ]  # fmt: skip


def test_the_28x28_input_from_the_same_strokes_is_python_s(pages, mnist):
    page = pages["dense"]  # the same preprocessing on every page
    for drawing in drawings(mnist[0]):
        strokes, width, height = drawing["strokes"], drawing["width"], drawing["height"]
        python = drawing_to_mnist(make_strokes(strokes, width, height), width, height).field
        script = "([s, w, h]) => window.nnscratchShare.drawingToMnist(s, w, h)"
        page_field = np.array(page.evaluate(script, [strokes, width, height])).reshape(28, 28)
        difference = np.abs(page_field.astype(int) - python.astype(int))
        assert difference.max() <= 1, (drawing, difference.max())


@pytest.mark.parametrize("name", list(NETWORKS))
def test_the_probabilities_are_python_s(pages, exported, mnist, name):
    model, _ = exported[name]
    fields = [
        drawing_to_mnist(
            make_strokes(d["strokes"], d["width"], d["height"]), d["width"], d["height"]
        ).field
        for d in drawings(mnist[0][:2])
    ]
    images = np.concatenate([mnist[0], np.stack(fields)])
    expected = model.predict_proba(images)
    script = "(images) => images.map((pixels) => window.nnscratchShare.probabilities(pixels))"
    got = np.array(pages[name].evaluate(script, images.reshape(len(images), -1).tolist()))
    np.testing.assert_allclose(got, expected, rtol=0, atol=PROBABILITY_TOLERANCE)
    assert expected.max(axis=1).mean() > 0.5, "probabilities too near uniform to tell anything"


SETTLED = """() => document.body.dataset.points === String(window.nnscratchShare.strokes()
    .reduce((n, stroke) => n + stroke.points.length, 0))"""


def recorded_answer(page, model) -> tuple[int, int]:
    """The page's answer to its whole drawing, and Python's for the strokes it recorded."""
    page.wait_for_function(SETTLED)
    page.wait_for_selector("body[data-digit]", state="attached")
    strokes = page.evaluate("() => window.nnscratchShare.strokes()")
    field = drawing_to_mnist(make_strokes(strokes, UNITS, UNITS), UNITS, UNITS).field
    return int(page.get_attribute("body", "data-digit")), int(model.predict(field[None])[0])


def on_screen(page, x, y):
    box = page.locator("#pad").bounding_box()
    return box["x"] + x * box["width"] / UNITS, box["y"] + y * box["height"] / UNITS


@pytest.mark.parametrize("name", list(NETWORKS))
def test_drawing_with_a_mouse_gives_the_class_python_gives(pages, exported, mnist, name):
    page, (model, _) = pages[name], exported[name]
    page.bring_to_front()  # a page behind others gets no animation frames, where answers run
    page.click("#clear")
    page.locator("#pad").scroll_into_view_if_needed()
    for stroke in digit_strokes(mnist[0][1]):
        page.mouse.move(*on_screen(page, *stroke["points"][0]))
        page.mouse.down()
        for x, y in stroke["points"][1:]:
            page.mouse.move(*on_screen(page, x, y), steps=3)
        page.mouse.up()
    shown, python = recorded_answer(page, model)
    assert shown == python
    assert page.inner_text("#verdict") == str(python)
    assert page.locator("#network-figure .net-layer").count() >= 2  # the glance is drawn


def test_a_finger_draws_on_a_phone(browser, exported, mnist):
    model, path = exported["preset-cnn"]
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort(),
    )
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-ready='true']", state="attached")
    page.locator("#pad").scroll_into_view_if_needed()
    cdp = context.new_cdp_session(page)
    for stroke in digit_strokes(mnist[0][0]):
        points = stroke["points"]
        x, y = on_screen(page, *points[0])
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]}
        )
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            for t in (0.5, 1.0):
                x, y = on_screen(page, x0 + t * (x1 - x0), y0 + t * (y1 - y0))
                cdp.send(
                    "Input.dispatchTouchEvent",
                    {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]},
                )
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    assert page.evaluate("window.nnscratchShare.strokes().length") == len(
        digit_strokes(mnist[0][0])
    )
    shown, python = recorded_answer(page, model)
    assert shown == python
    context.close()
