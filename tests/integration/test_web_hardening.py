"""The server under load and abuse (issue 25, defects 4-8): heavy work off the event loop, caps
on what a request may ask for, slow clients timed out, hardening headers on every answer, no
server paths in answers."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest
import uvicorn
from fastapi import testclient as fastapi_testclient

from nnscratch.datasets.digitset import DigitSet
from nnscratch.datasets.mnist import load_mnist
from nnscratch.web import answers, launch, schemas, slow_clients
from nnscratch.web.app import create_app
from nnscratch.web.hardening import SECURITY_HEADERS
from nnscratch.web.live import LiveTraining
from nnscratch.web.served import ServedModel, ServedModels
from web_models import digit_strokes

# Only a guard against a test that would otherwise hang: every wait below ends on a condition.
DEADLOCK_GUARD = 120


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


# --- defect 5: slow clients, hardening headers, no server paths -----------------------------------


class QuickDeadline(slow_clients.TimedH11Protocol):
    request_seconds = 0.5  # what serve gives 30 s: the test waits on the close, not the clock


@pytest.fixture(scope="module")
def served_with_serve_s_settings(models):
    """The application on a free loopback port, with serve's own uvicorn settings."""
    sock = launch.bind("127.0.0.1", 0)
    config = launch._config(create_app(models, hosts={"127.0.0.1"}), http=QuickDeadline)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    assert wait_until(lambda: server.started or not thread.is_alive()) and server.started
    yield sock.getsockname()[1]
    server.should_exit = True
    thread.join(DEADLOCK_GUARD)
    sock.close()


def wait_until(condition) -> bool:
    deadline = time.monotonic() + DEADLOCK_GUARD
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_serve_times_out_slow_clients_with_uvicorn_s_settings_and_its_own_deadline(models):
    config = launch._config(create_app(models, hosts={"127.0.0.1"}))
    config.load()
    assert issubclass(config.http_protocol_class, slow_clients.TimedH11Protocol)
    assert config.http_protocol_class.request_seconds == slow_clients.REQUEST_SECONDS
    assert config.timeout_keep_alive and config.limit_concurrency


@pytest.mark.parametrize(
    "sent",
    [
        b"",
        b"GET /api/models HTTP/1.1\r\nHost: 127.0.0.1\r\n",
        b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b'Content-Length: 1000\r\n\r\n{"pixels": [',
    ],
    ids=["nothing", "part-of-the-head", "part-of-the-body"],
)
def test_a_client_that_sends_part_of_a_request_is_closed_by_the_server(
    served_with_serve_s_settings, sent
):
    with socket.create_connection(("127.0.0.1", served_with_serve_s_settings)) as client:
        client.sendall(sent)
        client.settimeout(DEADLOCK_GUARD)  # only a guard: the server closes it much sooner
        assert client.recv(4096) == b""  # the end of the stream: closed without an answer


def test_a_request_that_arrives_whole_is_answered(served_with_serve_s_settings, seven):
    url = f"http://127.0.0.1:{served_with_serve_s_settings}"
    with httpx.Client(base_url=url, timeout=DEADLOCK_GUARD) as client:
        assert client.get("/api/models").status_code == 200
        answer = client.post("/api/predict", json={"pixels": seven.tolist()})
        assert answer.status_code == 200, answer.text


@pytest.fixture
def keeping(models, tmp_path):
    """A server that keeps digits and trains, its folders under ``tmp_path``."""
    digits = DigitSet(tmp_path / "data" / "digits")
    live = LiveTraining(tmp_path / "data" / "runs", models, digits=digits)
    app = create_app(models, live=live, digits=digits, hosts={"testserver"})
    with fastapi_testclient.TestClient(app) as client:
        yield client, digits
    live.close()
    live.join()


def test_every_answer_carries_the_hardening_headers(keeping, seven):
    client, _ = keeping
    client.post("/api/digits", json={"pixels": seven.tolist(), "label": 7})
    client.post("/api/digits/export")
    answers_of = {
        "page": client.get("/"),
        "json": client.get("/api/models"),
        "download": client.get("/api/digits/export/digits.csv"),
        "not found": client.get("/api/nothing"),
        "invalid": client.post("/api/predict", json={"pixels": "no"}),
        "other host": client.get("/api/models", headers={"host": "evil.example"}),
        "other site": client.post("/api/training/stop", headers={"origin": "http://x.example"}),
        "too large": client.post("/api/predict", content=b"x", headers={"content-length": "9e9"}),
        "wrong method": client.put("/api/models"),
    }
    for what, answer in answers_of.items():
        for header, value in SECURITY_HEADERS.items():
            assert answer.headers.get(header) == value, (what, answer.status_code, header)


def test_no_answer_shows_a_path_of_the_server(keeping, seven, tmp_path, small_models):
    client, digits = keeping
    shown = [
        client.post("/api/digits", json={"pixels": seven.tolist(), "label": 7}),
        client.get("/api/digits"),
        client.post("/api/digits/export"),
        client.get("/api/models"),
        client.get("/api/training"),
    ]
    (digits.folder / "digit-000009-label-3.png").write_bytes(b"not a png")  # damaged
    shown.append(client.get("/api/digits"))
    assert shown[-1].status_code == 422 and "digits/digit-000009" in shown[-1].text
    assert shown[2].json()["folder"] == "digits/export/idx"
    for answer in shown:
        for folder in {str(tmp_path), str(tmp_path.resolve()), str(small_models["mlp"].parent)}:
            assert folder not in answer.text, answer.text


# --- defect 8: the schema says exactly what each endpoint takes ---------------------------------


@pytest.mark.parametrize(
    "path, body, words",
    [
        ("/api/predict", {"pixels": [[True] * 28] * 28}, ["pixels", "not true or false"]),
        ("/api/predict", {"pixels": [[0] * 28] * 28, "steps": 1}, ["steps", "boolean"]),
        ("/api/attributions", {"model": "mlp", "target": False}, ["target", "not true or false"]),
        ("/api/unit", {"model": "mlp", "layer": True, "unit": 0}, ["layer"]),
        ("/api/training/start", {"preset": "mlp", "freeze": False}, ["freeze"]),
        ("/api/training/start", {"preset": "mlp", "epochs": True}, ["epochs"]),
    ],
)
def test_true_and_false_are_not_numbers_and_numbers_are_not_booleans(
    keeping, seven, path, body, words
):
    client, _ = keeping
    if path in ("/api/attributions", "/api/unit"):
        body = {**body, "pixels": seven.tolist()}
    answer = client.post(path, json=body)
    assert answer.status_code == 422, answer.text
    for word in words:
        assert word in answer.json()["detail"], answer.json()


@pytest.mark.parametrize(
    "method, path, allow",
    [
        ("OPTIONS", "/api/digits", "GET, POST"),
        ("PUT", "/api/digits/export", "POST"),
        ("DELETE", "/api/digits/export", "POST"),  # not digit "export"
        ("DELETE", "/api/digits/import", "POST"),
        ("GET", "/api/digits/3", "DELETE"),
        ("GET", "/api/predict", "POST"),
    ],
)
def test_a_method_a_path_does_not_take_gets_405_listing_those_it_takes(
    keeping, method, path, allow
):
    client, _ = keeping
    answer = client.request(method, path)
    assert answer.status_code == 405, answer.text
    assert answer.headers.get_list("allow") == [allow]


def test_the_schema_bounds_a_class_by_the_served_models(keeping, seven):
    client, _ = keeping
    target = client.get("/openapi.json").json()["components"]["schemas"]["AttributionsRequest"][
        "properties"
    ]["target"]
    assert {"type": "integer", "minimum": 0, "maximum": 9} in target["anyOf"]


# --- defect 11, the server's part: what a model file's metadata says cannot break an answer ----


def test_metadata_of_the_wrong_type_is_left_out_of_the_models_answer(small_models):
    served = ServedModels.from_files([small_models["mlp"]])
    model = next(iter(served)).model
    model.metadata.update(
        {"preset": 5, "metrics": [0.9], "architecture": "three layers", "preprocessing": [28]}
    )
    with fastapi_testclient.TestClient(create_app(served, hosts={"testserver"})) as client:
        answer = client.get("/api/models")
    assert answer.status_code == 200, answer.text
    described = answer.json()["models"][0]
    assert described["preset"] is None and described["test_accuracy"] is None
    assert [row["type"] for row in described["layers"]] == [
        row["type"] for row in model.architecture((28, 28))
    ]


@pytest.mark.parametrize("shape", ["big", [28], [28, True], [28, 1e9], {"h": 28}])
def test_an_image_shape_that_is_not_two_sizes_stops_serve_at_start_saying_so(small_models, shape):
    from nnscratch.errors import ModelFileError
    from nnscratch.model import Sequential

    model = Sequential.load(small_models["mlp"])
    model.metadata["preprocessing"] = {"image_shape": shape}
    with pytest.raises(ModelFileError, match="mlp.npz: its metadata's preprocessing.image_shape"):
        ServedModels([ServedModel("mlp", model, file="mlp.npz")])


def test_a_float_tiff_with_a_nan_pixel_is_refused_not_a_server_error(models):
    # The reader's own check (datasets/pictures.py, issue 25 defect 11, from the command line's
    # side) refuses it; the server answers its message.
    import io

    import numpy as np
    from PIL import Image

    values = np.zeros((28, 28), np.float32)
    values[8:20, 12:16] = 200
    values[3, 3] = np.nan
    picture = io.BytesIO()
    Image.fromarray(values, mode="F").save(picture, format="TIFF")
    with fastapi_testclient.TestClient(
        create_app(models, hosts={"testserver"}), raise_server_exceptions=False
    ) as client:
        answer = client.post("/api/predict", files={"file": ("nan.tiff", picture.getvalue())})
    assert answer.status_code == 422, answer.text
    assert "NaN" in answer.json()["detail"], answer.json()
