"""The JSON API of `nnscratch serve`: what it answers, that it agrees with `nnscratch predict`,
that every bad input gets a 4xx with a message (never a 500), and that parallel requests get
the answers one request alone gets."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from fastapi import testclient as fastapi_testclient
from PIL import Image

from live_servers import running
from nnscratch import explain
from nnscratch.datasets import load_mnist
from nnscratch.datasets.drawing import make_strokes, render_strokes
from nnscratch.usecases.predict import predict_files
from nnscratch.web.app import create_app
from web_models import digit_strokes

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def digits():
    images, labels = load_mnist("test")
    return images[:40], labels[:40]


def drawing_of(image):
    return {"width": 280, "height": 280, "strokes": digit_strokes(image)}


def assert_problem(response, status, *words):
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail
    for word in words:
        assert word in detail, detail


# --- answers ---------------------------------------------------------------------------------


def test_models_lists_each_served_model_and_what_the_page_needs(client):
    answer = client.get("/api/models").json()
    assert [(m["name"], m["kind"]) for m in answer["models"]] == [("mlp", "dense"), ("cnn", "conv")]
    assert answer["image_shape"] == [28, 28] and answer["classes"] == 10
    assert answer["probes"]["rotate"][0] == -60 and 0 in answer["probes"]["noise"]
    assert all(m["file"].endswith(".npz") and "/" not in m["file"] for m in answer["models"])


def test_a_picture_gets_the_same_input_and_probabilities_as_from_predict(client, small_models):
    for picture in ("seven.png", "four.jpg"):
        path = EXAMPLES / picture
        with open(path, "rb") as handle:
            answer = client.post("/api/predict", files={"file": (picture, handle)}).json()
        for given in answer["answers"]:
            expected = predict_files(small_models[given["model"]], [path])
            np.testing.assert_array_equal(np.array(answer["input"]), expected.images[0])
            assert given["probabilities"] == expected.probabilities[0].tolist()
            assert given["label"] == expected.labels[0]


def test_a_drawing_gets_what_predict_gives_the_same_drawing_saved_as_a_png(
    client, small_models, digits, tmp_path
):
    image = digits[0][0]
    answer = client.post("/api/predict", json={"drawing": drawing_of(image)}).json()
    path = tmp_path / "drawing.png"
    Image.fromarray(render_strokes(make_strokes(digit_strokes(image), 280, 280), 280, 280)).save(
        path
    )
    # `nnscratch predict` as a user runs it, on the drawing as a picture file.
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "nnscratch",
            "predict",
            str(small_models["mlp"]),
            str(path),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    predicted = json.loads(run.stdout)["predictions"][0]
    mlp = next(a for a in answer["answers"] if a["model"] == "mlp")
    assert mlp["label"] == predicted["label"]
    np.testing.assert_allclose(mlp["probabilities"], predicted["probabilities"], rtol=1e-12)


def test_pixels_are_taken_as_they_are(client, models, digits):
    images, labels = digits
    answer = client.post("/api/predict", json={"pixels": images[3].tolist(), "models": ["cnn"]})
    answer = answer.json()
    assert [a["model"] for a in answer["answers"]] == ["cnn"]
    expected = models.get("cnn").model.predict_proba(images[3][None])[0]
    np.testing.assert_allclose(answer["answers"][0]["probabilities"], expected, rtol=1e-6)
    assert answer["input"] == images[3].tolist() and answer["steps"] is None


def test_steps_are_sent_when_asked(client, digits):
    answer = client.post(
        "/api/predict", json={"drawing": drawing_of(digits[0][1]), "steps": True}
    ).json()
    scaled = np.array(answer["steps"]["scaled"])
    assert max(scaled.shape) in (20, 21) and np.array(answer["steps"]["cropped"]).max() == 255


def test_an_empty_drawing_or_blank_pixels_say_draw_a_digit_not_a_guess(client):
    for body in (
        {"drawing": {"width": 280, "height": 280, "strokes": []}},
        {"pixels": [[0] * 28] * 28},
        {
            "drawing": {
                "width": 280,
                "height": 280,
                "strokes": [{"brush": 10, "points": [[400, 400]]}],
            }
        },
    ):
        answer = client.post("/api/predict", json=body).json()
        assert answer == {
            "digit": False,
            "message": "draw a digit",
            "input": None,
            "steps": None,
            "answers": [],
        }


def test_unsure_marks_every_answer_whose_top_probability_is_low(client, monkeypatch, digits):
    from nnscratch.web import answers

    noise = np.random.default_rng(0).integers(0, 256, (4, 28, 28))
    inputs = [image.tolist() for image in (*noise, *digits[0][:4])]
    unsure_below = client.get("/api/models").json()["unsure_below"]
    for pixels in inputs:
        for given in client.post("/api/predict", json={"pixels": pixels}).json()["answers"]:
            assert given["unsure"] == (given["confidence"] < unsure_below)
            assert given["confidence"] == max(given["probabilities"])
    # The threshold decides: above every confidence, all answers are unsure; at 0, none is.
    for threshold, unsure in ((1.01, True), (0.0, False)):
        monkeypatch.setattr(answers, "UNSURE_BELOW", threshold)
        for pixels in inputs:
            answer = client.post("/api/predict", json={"pixels": pixels}).json()
            assert [a["unsure"] for a in answer["answers"]] == [unsure, unsure]


def test_the_inside_unit_attributions_and_probe_views_are_explain_s(client, models, digits):
    image = digits[0][2]
    cnn = models.get("cnn").model
    inside = client.post("/api/inside", json={"pixels": image.tolist(), "model": "cnn"}).json()
    expected = explain.look_inside(cnn, image)
    assert [layer["index"] for layer in inside["layers"]] == [
        layer.index for layer in expected.layers
    ]
    np.testing.assert_allclose(inside["layers"][0]["values"], expected.layers[0].values, atol=1e-3)
    np.testing.assert_allclose(inside["evidence"]["logits"], expected.logits, atol=1e-3)
    unit = client.post(
        "/api/unit",
        json={
            "pixels": image.tolist(),
            "model": "cnn",
            "layer": inside["layers"][1]["index"],
            "unit": 3,
        },
    ).json()
    assert unit["kind"] == "conv" and unit["shape"][0] == inside["layers"][0]["shape"][0]
    maps = client.post(
        "/api/attributions", json={"pixels": image.tolist(), "model": "mlp", "target": 4}
    ).json()
    expected_maps = explain.attributions(models.get("mlp").model, image, 4).maps()
    assert maps["target"] == 4
    assert [m["name"] for m in maps["maps"]] == list(expected_maps)
    for shown, wanted in zip(maps["maps"], expected_maps.values(), strict=True):
        np.testing.assert_allclose(shown["values"], wanted, rtol=1e-3, atol=1e-6)
    probe = client.post("/api/probe", json={"pixels": image.tolist(), "kind": "shift_x"}).json()
    assert [c["model"] for c in probe["curves"]] == ["mlp", "cnn"]
    assert len(probe["images"]) == len(probe["values"]) == len(probe["curves"][0]["probabilities"])
    np.testing.assert_array_equal(probe["images"][probe["values"].index(0)], image)


def test_a_test_digit_comes_with_its_index_and_label(client, digits):
    answer = client.get("/api/test-digits/7").json()
    assert answer["index"] == 7 and answer["label"] == digits[1][7]
    assert answer["pixels"] == digits[0][7].tolist()


def test_the_page_and_its_files_come_from_the_package_and_nothing_else(client):
    page = client.get("/")
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for name, kind in (("app.js", "text/javascript"), ("app.css", "text/css")):
        assert client.get(f"/static/{name}").headers["content-type"].startswith(kind)
    assert "http" not in client.get("/static/app.css").text  # no web fonts, no CDN
    assert "//" not in page.text.replace("http://www.w3.org", "")
    # Only those files: no path a client names reaches the disk.
    for name in ("..%2Fapp.py", "index.html%00", "../__init__.py", "served.py"):
        assert client.get(f"/static/{name}").status_code == 404
    assert client.get("/docs").status_code == 404  # FastAPI's docs page loads a CDN's scripts


# --- bad input: a 4xx with a message, never a 500 -----------------------------------------------


def test_a_body_over_the_limit_is_refused_from_its_declared_length(client):
    response = client.post(
        "/api/predict",
        content=b"{" + b" " * (5 << 20) + b"}",
        headers={"content-type": "application/json"},
    )
    assert_problem(response, 413, "larger than 4 MB")


def test_a_chunked_body_over_the_limit_is_refused_without_reading_it_all(models):
    # A real server: FastAPI's test client reads a streamed body whole before the app sees it.
    import select
    import socket

    chunk = b" " * 65536
    with running(create_app(models, max_body=1 << 20)) as port:
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(
            b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
            b"application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        sent, answer = 0, b""
        while sent < 400 and not answer:  # up to 26 MB offered, 64 kB a chunk
            try:
                client.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += 1
            if select.select([client], [], [], 0)[0]:
                answer = client.recv(65536)
        client.settimeout(10)
        while b"}" not in answer:  # the headers and the JSON body may come apart
            more = client.recv(65536)
            if not more:
                break
            answer += more
        client.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"larger than 1 MB" in body
    assert sent < 200  # answered long before the 26 MB were sent: the rest was never read


def test_a_file_that_is_not_a_picture_is_refused(client):
    response = client.post("/api/predict", files={"file": ("seven.png", b"GIF89a but no")})
    assert_problem(response, 422, "the uploaded picture", "not a picture")


def png_claiming(width, height):
    """A small PNG whose header claims width x height pixels (a decompression bomb)."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * (width + 1) * 16)  # a few rows; the rest would be inflated
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_refused_from_its_header(client):
    # 25 megapixels: our limit refuses it; 2.5 gigapixels: Pillow's own, sooner. Neither is
    # decoded (the file holds a few rows).
    response = client.post("/api/predict", files={"file": ("bomb.png", png_claiming(5000, 5000))})
    assert_problem(
        response, 422, "the uploaded picture", "5000x5000", "larger than 12,000,000 pixels"
    )
    response = client.post("/api/predict", files={"file": ("bomb.png", png_claiming(50000, 50000))})
    assert_problem(response, 422, "the uploaded picture", "larger than 12,000,000 pixels")


def test_a_damaged_picture_is_refused(client):
    data = (EXAMPLES / "seven.png").read_bytes()
    response = client.post("/api/predict", files={"file": ("cut.png", data[: len(data) // 2])})
    assert_problem(response, 422, "the uploaded picture")


def test_a_blank_picture_is_no_digit(client):
    buffer = io.BytesIO()
    Image.new("L", (50, 50), 255).save(buffer, "PNG")
    answer = client.post("/api/predict", files={"file": ("white.png", buffer.getvalue())}).json()
    assert answer["digit"] is False and answer["answers"] == []
    assert answer["message"] == (
        "the uploaded picture: holds no digit (the picture is blank or has no contrast)"
    )


@pytest.mark.parametrize(
    "pixels, words",
    [
        ([], ["pixels must be 28 rows of 28 values", "got 0 rows"]),
        ([[0] * 28] * 27, ["28 rows of 28", "got 27 rows"]),
        ([[0] * 27] * 28, ["28 rows of 28", "got 28 rows of 27 values"]),
        ([[0] * 28] * 27 + [[0] * 3], ["got 28 rows of 3/28 values"]),
        ([[0] * 28], ["got 1 row of 28 values"]),
        ([[0] * 28] * 28 + [[0] * 28], ["got 29 rows"]),
        ([[0, 0]] * 65, ["pixels", "at most 64"]),
        ([[256] + [0] * 27] * 28, ["pixels.0.0", "less than or equal to 255"]),
        ([[-1] + [0] * 27] * 28, ["pixels.0.0", "greater than or equal to 0"]),
        ([[0.5] + [0] * 27] * 28, ["pixels.0.0", "integer"]),
        ([["a"] + [0] * 27] * 28, ["pixels.0.0", "integer"]),
        ([1, 2, 3], ["pixels.0", "valid array"]),
    ],
)
def test_a_wrong_array_is_refused_saying_what_is_wrong(client, pixels, words):
    assert_problem(client.post("/api/predict", json={"pixels": pixels}), 422, *words)


@pytest.mark.parametrize(
    "body",
    [
        b'{"pixels": [[NaN' + b", 0" * 27 + b"]" + b", [" + b"0, " * 27 + b"0]" * 27 + b"]}",
        b'{"drawing": {"width": 280, "height": 280, '
        b'"strokes": [{"brush": 9, "points": [[1, NaN]]}]}}',
        b'{"drawing": {"width": 280, "height": 280, '
        b'"strokes": [{"brush": Infinity, "points": [[1, 2]]}]}}',
    ],
)
def test_nan_and_infinity_are_refused(client, body):
    response = client.post(
        "/api/predict", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code in (400, 422) and response.json()["detail"]


@pytest.mark.parametrize(
    "body, status, words",
    [
        (b'{"pixels": [[0, 0', 400, ["malformed JSON"]),
        (b"", 400, ["malformed JSON"]),
        (b"[1, 2]", 422, ["body"]),
        (b"{}", 422, ["exactly one of drawing or pixels"]),
        (
            b'{"pixels": [[0]], "drawing": {"width": 1, "height": 1, "strokes": []}}',
            422,
            ["exactly one of drawing or pixels"],
        ),
        (b'{"pixels": [[0]], "path": "/etc/passwd"}', 422, ["path", "xtra"]),
        (
            b'{"drawing": {"width": 280, "height": 280, '
            b'"strokes": [{"brush": 0, "points": [[1, 2]]}]}}',
            422,
            ["brush"],
        ),
        (b'{"drawing": {"width": 0, "height": 280, "strokes": []}}', 422, ["drawing.width"]),
        (
            b'{"drawing": {"width": 280, "height": 280, "strokes": [{"brush": 9, "points": []}]}}',
            422,
            ["points"],
        ),
    ],
)
def test_malformed_json_and_wrong_fields_are_refused(client, body, status, words):
    response = client.post(
        "/api/predict", content=body, headers={"content-type": "application/json"}
    )
    assert_problem(response, status, *words)


def test_an_unknown_model_is_refused_and_no_model_is_loaded_from_a_path(client, small_models):
    for name in ("resnet", str(small_models["mlp"]), "../mlp"):
        response = client.post("/api/predict", json={"pixels": [[0] * 28] * 28, "models": [name]})
        assert_problem(response, 422, "unknown model", "this server has: mlp, cnn")
    response = client.post("/api/inside", json={"pixels": [[0] * 28] * 28, "model": "x.npz"})
    assert_problem(response, 422, "unknown model")


def test_other_content_types_and_forms_without_a_file_are_refused(client):
    assert_problem(
        client.post("/api/predict", content=b"7", headers={"content-type": "text/plain"}),
        415,
        "application/json",
        "multipart/form-data",
    )
    assert_problem(client.post("/api/predict", content=b"7"), 415)
    assert_problem(
        client.post("/api/predict", data={"models": "mlp"}, files={"other": ("a.png", b"x")}),
        422,
        "unknown form field",
    )
    assert_problem(client.post("/api/predict", files={"models": (None, "mlp")}), 422, "'file'")
    with open(EXAMPLES / "seven.png", "rb") as handle:
        assert_problem(
            client.post("/api/predict", files={"file": ("s.png", handle)}, data={"steps": "maybe"}),
            422,
            "steps",
        )
    response = client.post(
        "/api/predict",
        content=b"--x\r\nbroken",
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert 400 <= response.status_code < 500


def test_views_refuse_layers_units_classes_and_probes_that_do_not_exist(client):
    pixels = load_mnist("test")[0][0].tolist()
    assert_problem(
        client.post("/api/unit", json={"pixels": pixels, "model": "mlp", "layer": 2, "unit": 0}),
        404,  # what the request names does not exist
        "layer 2 is a ReLU",
    )
    assert_problem(
        client.post("/api/unit", json={"pixels": pixels, "model": "mlp", "layer": 1, "unit": 4000}),
        404,
        "unit 4000 does not exist",
    )
    assert_problem(
        client.post("/api/attributions", json={"pixels": pixels, "model": "mlp", "target": 12}),
        422,
        "class 12",
    )
    assert_problem(client.post("/api/probe", json={"pixels": pixels, "kind": "zoom"}), 422, "kind")
    assert_problem(client.get("/api/test-digits/10000"), 422, "index")
    assert_problem(client.get("/api/test-digits/seven"), 422, "index")


# --- concurrency ---------------------------------------------------------------------------------


def test_parallel_requests_get_the_answers_of_requests_made_one_at_a_time(models, digits):
    """Layers cache what forward saw (and attributions read those caches going backward), so two
    requests sharing a model's layers would mix their answers. Many requests at once, each
    checked against the same request made alone, on a real server over loopback."""
    import httpx

    images = digits[0]
    requests = []
    for i, image in enumerate(images[:24]):
        requests.append(("/api/predict", {"drawing": drawing_of(image)}))
        requests.append(("/api/predict", {"pixels": image.tolist()}))
        requests.append(
            ("/api/attributions", {"pixels": image.tolist(), "model": ("mlp", "cnn")[i % 2]})
        )
        requests.append(
            ("/api/unit", {"pixels": image.tolist(), "model": "cnn", "layer": 4, "unit": i % 8})
        )
    app = create_app(models, hosts={"testserver", "127.0.0.1"})
    with fastapi_testclient.TestClient(app) as alone:
        expected = [alone.post(path, json=body).json() for path, body in requests]

    with (
        running(app) as port,
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http,
    ):

        def ask(n):
            path, body = requests[n % len(requests)]
            return n % len(requests), http.post(path, json=body).json()

        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(ask, range(3 * len(requests))))
    assert len(answers) == 3 * len(requests)
    for n, answer in answers:
        assert answer == expected[n], requests[n][0]


def test_a_form_field_sent_twice_is_refused(client):
    picture = io.BytesIO()
    Image.new("L", (28, 28)).save(picture, format="PNG")
    sent = client.post(
        "/api/predict",
        files=[("file", ("a.png", picture.getvalue(), "image/png"))],
        data={"steps": ["true", "false"]},
    )
    assert sent.status_code == 422
    assert "'steps' is sent more than once" in sent.json()["detail"]
