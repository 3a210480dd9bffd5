"""The lessons' endpoints through FastAPI's TestClient: maps on the logit with their sentences,
one unit's maths, one step of learning whose numbers are the engine's gradients and which
leaves the served model as it was; answers bounded in size; every bad request a 4xx with a
message."""

from __future__ import annotations

import numpy as np
import pytest

from nnscratch import explain
from nnscratch.datasets import load_mnist

MAX_ANSWER_BYTES = 1_000_000


@pytest.fixture(scope="module")
def digit():
    images, labels = load_mnist("test")
    return images[0], int(labels[0])


def assert_problem(response, status, *words):
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail
    for word in words:
        assert word in detail, detail


@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_the_maps_are_the_libraries_with_a_sentence_each(client, models, digit, name):
    image, _ = digit
    response = client.post("/api/attributions", json={"pixels": image.tolist(), "model": name})
    assert response.status_code == 200, response.text
    answer = response.json()
    found = explain.attributions(models.get(name).model, image)
    assert answer["target"] == found.target
    assert [m["name"] for m in answer["maps"]] == list(explain.MAP_SENTENCES)
    for sent in answer["maps"]:
        assert sent["sentence"] == explain.MAP_SENTENCES[sent["name"]]
        expected = found.maps()[sent["name"]]
        np.testing.assert_allclose(sent["values"], expected, rtol=1e-3, atol=1e-6)
        assert sent["largest"] == pytest.approx(np.abs(expected).max())
    assert answer["logit"] == pytest.approx(found.logits[found.target])


def test_a_units_maths_adds_up_and_names_the_layers(client, digit):
    image, _ = digit
    response = client.post(
        "/api/unit-maths", json={"pixels": image.tolist(), "model": "mlp", "layer": 1, "unit": 4}
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    total = sum(t["product"] for t in answer["terms"]) + answer["rest"] + answer["bias"]
    assert total == pytest.approx(answer["z"], rel=1e-4, abs=1e-4)
    assert answer["title"] == "Dense 784->48, ReLU"
    assert [layer["title"] for layer in answer["layers"]] == [
        "Dense 784->48, ReLU",
        "Dense 48->10, softmax",
    ]
    assert answer["tutorial"][0]["shapes"]["W1"] == [48, 784]
    assert answer["ours"][0]["shapes"]["W1"] == [784, 48]
    output = client.post(
        "/api/unit-maths", json={"pixels": image.tolist(), "model": "mlp", "layer": 3, "unit": 7}
    ).json()
    assert sum(output["softmax"]["probabilities"]) == pytest.approx(1, abs=1e-5)
    conv = client.post(
        "/api/unit-maths",
        json={"pixels": image.tolist(), "model": "cnn", "layer": 1, "unit": 2, "position": [5, 9]},
    ).json()
    assert conv["kind"] == "conv" and conv["position"] == [5, 9]
    assert conv["receptive_field"] == [5, 9, 9, 13]  # 5x5 kernel, no padding


@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_one_step_gives_the_engines_gradients_and_leaves_the_served_model_alone(
    client, models, digit, name
):
    image, label = digit
    model = models.get(name).model
    kept = model.get_weights()
    wrong = (label + 1) % 10
    response = client.post(
        "/api/one-step",
        json={"pixels": image.tolist(), "model": name, "label": wrong, "learning_rate": 0.5},
    )
    assert response.status_code == 200, response.text
    assert len(response.content) < MAX_ANSWER_BYTES
    answer = response.json()
    twin = model.converted(model.dtype)
    logits = twin.forward(twin.prepare(image[None]))
    twin.loss.forward(logits, np.array([wrong]))
    twin.backward(twin.loss.backward())
    sent = {q["name"]: q for q in answer["backward"]}
    for n, index in enumerate(explain.weighted_layers(model), start=1):
        grad = twin.layers[index].grads["W"]
        summary = sent[f"dW{n}"]
        assert summary["shape"] == list(grad.shape)
        assert summary["max"] == pytest.approx(grad.max(), rel=1e-5)
        top = summary["largest"][0]
        assert top["value"] == pytest.approx(grad[tuple(top["where"])], rel=1e-5)
        assert np.abs(grad).max() == pytest.approx(abs(top["value"]), rel=1e-5)
    assert answer["after"][wrong] > answer["before"][wrong]
    for key, value in model.get_weights().items():
        np.testing.assert_array_equal(value, kept[key])
    first = next(q for q in answer["backward"] if q["name"] == "dW1")
    if name == "mlp":  # dW1 (784, 48): too large to send whole, sent as pictures of 28x28
        assert first["values"] is None
        assert np.shape(first["tiles"]) == (10, 28, 28)
    else:  # the kernels' dW1 (4, 1, 5, 5): sent whole
        assert np.shape(first["values"]) == (4, 1, 5, 5)


@pytest.mark.parametrize(
    "path, extra, status, words",
    [
        ("/api/attributions", {"model": "nope"}, 422, ["unknown model 'nope'"]),
        ("/api/attributions", {"model": "mlp", "target": 10}, 422, ["class 10 does not exist"]),
        ("/api/unit-maths", {"model": "mlp", "layer": 2, "unit": 0}, 422, ["not a Dense"]),
        ("/api/unit-maths", {"model": "mlp", "layer": 1, "unit": 48}, 422, ["unit 48"]),
        (
            "/api/unit-maths",
            {"model": "cnn", "layer": 1, "unit": 0, "position": [30, 0]},
            422,
            ["outside the 24x24"],
        ),
        ("/api/unit-maths", {"model": "mlp", "layer": 1, "unit": 0, "top": 0}, 422, ["top"]),
        ("/api/one-step", {"model": "mlp", "label": 10}, 422, ["label 10 does not exist"]),
        ("/api/one-step", {"model": "mlp", "label": 1, "learning_rate": 0}, 422, ["learning_rate"]),
        ("/api/one-step", {"model": "mlp", "label": 1, "rate": 1}, 422, ["rate"]),
    ],
)
def test_a_request_that_cannot_be_used_gets_a_4xx_saying_why(
    client, digit, path, extra, status, words
):
    response = client.post(path, json={"pixels": digit[0].tolist(), **extra})
    assert_problem(response, status, *words)


@pytest.mark.parametrize("path", ["/api/attributions", "/api/unit-maths", "/api/one-step"])
def test_pixels_of_the_wrong_shape_or_broken_json_are_refused(client, path):
    body = {"pixels": [[0] * 27] * 28, "model": "mlp", "layer": 1, "unit": 0, "label": 1}
    if path != "/api/unit-maths":
        body = {k: v for k, v in body.items() if k not in ("layer", "unit")}
    if path != "/api/one-step":
        body.pop("label")
    assert_problem(client.post(path, json=body), 422, "28 rows of 28 values")
    assert_problem(
        client.post(path, content=b"{", headers={"content-type": "application/json"}), 400
    )
