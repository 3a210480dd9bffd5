"""The server under load and abuse (issue 25, defects 4-8): heavy work off the event loop, caps
on what a request may ask for, slow clients timed out, hardening headers on every answer, no
server paths in answers."""

from __future__ import annotations

import threading

import pytest
from fastapi import testclient as fastapi_testclient

from nnscratch.datasets.digitset import DigitSet
from nnscratch.datasets.mnist import load_mnist
from nnscratch.web import answers, schemas
from nnscratch.web.app import create_app
from nnscratch.web.served import ServedModels
from web_models import digit_strokes

# Only a guard against a test that would otherwise hang: every wait below ends on a condition.
DEADLOCK_GUARD = 120


@pytest.fixture(scope="module")
def models(small_models):
    return ServedModels.from_files([small_models["mlp"], small_models["cnn"]])


@pytest.fixture(scope="module")
def seven():
    images, labels = load_mnist("test")
    return images[0]


def drawing_of(image):
    return {"width": 280, "height": 280, "strokes": digit_strokes(image)}


# --- defect 4: drawings render off the event loop, and their size is capped -----------------------


@pytest.mark.parametrize("path, extra", [("/api/predict", {}), ("/api/digits", {"label": 7})])
def test_while_a_drawing_renders_other_requests_are_answered(
    models, seven, tmp_path, monkeypatch, path, extra
):
    rendering, release, rendered = threading.Event(), threading.Event(), threading.Event()
    real = answers.drawing_to_mnist

    def held_render(*args, **kwargs):
        rendering.set()
        release.wait(DEADLOCK_GUARD)
        rendered.set()
        return real(*args, **kwargs)

    monkeypatch.setattr(answers, "drawing_to_mnist", held_render)
    app = create_app(models, digits=DigitSet(tmp_path / "digits"), hosts={"testserver"})
    with fastapi_testclient.TestClient(app) as client:
        answered = {}
        drawing = threading.Thread(
            target=lambda: answered.update(
                drawing=client.post(path, json={"drawing": drawing_of(seven), **extra})
            )
        )
        drawing.start()
        try:
            assert rendering.wait(DEADLOCK_GUARD)
            # On the event loop, the render would hold this answer until it ended.
            other = client.post("/api/predict", json={"pixels": seven.tolist()})
            assert other.status_code == 200, other.text
            assert not rendered.is_set()  # answered while the drawing was still rendering
        finally:
            release.set()
            drawing.join(DEADLOCK_GUARD)
        assert answered["drawing"].status_code == 200, answered["drawing"].text


def stroke(points, brush=10.0):
    return {"brush": brush, "points": points}


@pytest.mark.parametrize(
    "strokes, words",
    [
        ([stroke([[1.0, 2.0]])] * (schemas.MAX_STROKES + 1), ["strokes", "at most 100"]),
        ([stroke([[1.0, 2.0]] * (schemas.MAX_STROKE_POINTS + 1))], ["points", "at most 4000"]),
        ([stroke([[1.0, 2.0]] * 3000)] * 3, ["9,000 points", "at most 8,000"]),
        ([stroke([[1.0, 2.0]], brush=schemas.MAX_BRUSH + 1)], ["brush", "256"]),
    ],
    ids=["strokes", "points-per-stroke", "points-in-all", "brush"],
)
def test_a_drawing_too_large_to_render_quickly_is_refused_saying_what(models, strokes, words):
    with fastapi_testclient.TestClient(create_app(models, hosts={"testserver"})) as client:
        answer = client.post(
            "/api/predict", json={"drawing": {"width": 280, "height": 280, "strokes": strokes}}
        )
    assert answer.status_code == 422, answer.text
    for word in words:
        assert word in answer.json()["detail"], answer.json()


def test_the_schema_states_the_drawing_s_caps(models):
    app = create_app(models, hosts={"testserver"})
    parts = app.openapi()["components"]["schemas"]
    assert parts["Drawing"]["properties"]["strokes"]["maxItems"] == schemas.MAX_STROKES
    assert parts["Stroke"]["properties"]["brush"]["maximum"] == schemas.MAX_BRUSH
    assert parts["Stroke"]["properties"]["points"]["maxItems"] == schemas.MAX_STROKE_POINTS
