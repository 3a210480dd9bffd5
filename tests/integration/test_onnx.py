"""ONNX export: onnxruntime, given the raw pixels our model takes, gives our probabilities to
1e-5 on the MNIST test set, for the presets' networks (weights and BatchNorm buffers moved off
their start, so the probabilities are far from uniform); a layer without an ONNX form is refused
by name; ``nnscratch export`` writes the file from a model file. Every layer type's converter is
checked against onnxruntime by the layer test harness (tests/unit/test_layer_harness.py), on
each example the layer declares."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime
import pytest

from mini_mnist import write_mnist_folder
from nnscratch import __version__
from nnscratch.datasets import load_mnist
from nnscratch.engine.layers import (
    Conv2D,
    Dense,
    Flatten,
    Layer,
    LayerNorm,
    ReLU,
)
from nnscratch.errors import ConfigError, MissingExtra
from nnscratch.model import Sequential
from nnscratch.model.presets import build_model
from nnscratch.onnx import OPSET, OPSETS

TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def mnist_test():
    return load_mnist("test")


def onnx_probabilities(proto: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    """What onnxruntime computes for raw inputs ``x`` (N, ...), as float32."""
    session = onnxruntime.InferenceSession(
        proto.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    (probabilities,) = session.run(["probabilities"], {"input": x.astype(np.float32)})
    return probabilities


def assert_same_probabilities(model: Sequential, proto: onnx.ModelProto, x: np.ndarray):
    ours = model.predict_proba(x)
    theirs = onnx_probabilities(proto, x)
    assert theirs.shape == ours.shape
    assert np.abs(theirs - ours).max() <= TOLERANCE


# --- the presets' networks, weights and buffers moved off their start, on the whole test set ---


def perturbed_preset(preset: str, x: np.ndarray) -> Sequential:
    """A preset's untrained network, every parameter moved by noise of its own spread (a bias
    by 0.1) and every BatchNorm's running mean and variance moved off 0 and 1, then the last
    layer scaled so that the logits of ``x`` spread as a trained model's do (standard deviation
    5): what is exported is the composition of the layers, each weight and buffer read from
    where it is, and the probabilities are far from uniform without training."""
    model = build_model(preset)
    rng = np.random.default_rng(0)
    for layer in model.layers:
        for value in layer.params.values():
            spread = float(value.std()) or 0.1
            value += rng.normal(0, spread, value.shape).astype(value.dtype)
        for name, value in layer.buffers.items():
            if name == "running_mean":
                value += rng.normal(0, 0.5, value.shape).astype(value.dtype)
            else:  # a variance stays positive
                value *= rng.uniform(0.5, 2.0, value.shape).astype(value.dtype)
    logits_spread = float(model.outputs(x).std())
    for value in model.layers[-1].params.values():  # the logits are linear in these
        value *= value.dtype.type(5 / logits_spread)
    return model


@pytest.mark.parametrize("preset", ["mlp", "cnn", "classic", "cnn-bn", "lstm"])
def test_a_presets_network_gives_our_probabilities_in_onnxruntime(preset, mnist_test):
    x_test, _ = mnist_test
    model = perturbed_preset(preset, x_test[:500])
    ours = model.predict_proba(x_test)
    assert ours.max(axis=1).mean() > 0.5  # far from uniform (0.1): an error would show
    proto = model.to_onnx(input_shape=(28, 28))
    assert [
        d.dim_param or d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim
    ] == ["N", 28, 28]
    theirs = onnx_probabilities(proto, x_test)
    assert theirs.shape == ours.shape
    assert np.abs(theirs - ours).max() <= TOLERANCE


@pytest.mark.parametrize("loss", ["binary_cross_entropy", "mean_squared_error"])
def test_other_losses_give_their_probabilities(loss, mnist_test):
    model = Sequential([Flatten(), Dense(784, 10)], loss=loss, input_scale=1 / 255)
    x_test, _ = mnist_test
    assert_same_probabilities(model, model.to_onnx(input_shape=(28, 28)), x_test[:500])


def test_a_float64_model_is_exported_in_float32_and_still_agrees(mnist_test):
    network = [Flatten(), Dense(784, 32), ReLU(), Dense(32, 10)]
    model = Sequential(network, input_scale=1 / 255, dtype="float64")
    x_test, _ = mnist_test
    assert_same_probabilities(model, model.to_onnx(input_shape=(28, 28)), x_test[:500])


def test_the_scikit_learn_estimators_network_exports_with_its_features():
    from sklearn.datasets import load_digits

    from nnscratch.sklearn import NNClassifier

    x, y = load_digits(return_X_y=True)  # 64 features of 0-16, no scaling in the model
    estimator = NNClassifier(hidden=(32,), epochs=5, random_state=0).fit(x, y)
    proto = estimator.model_.to_onnx()
    assert [
        d.dim_param or d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim
    ] == ["N", 64]
    theirs = onnx_probabilities(proto, x)
    assert np.abs(theirs - estimator.predict_proba(x)).max() <= TOLERANCE


# --- refusals ---------------------------------------------------------------------------------


class Square(Layer):
    def forward(self, x, training=False, rng=None):
        return x * x


def test_a_layer_without_an_onnx_form_is_refused_by_name():
    model = Sequential([Flatten(), Dense(784, 10), Square()])
    with pytest.raises(
        ConfigError,
        match=r"layer 2 \(Square\(\)\) has no ONNX form.*"
        r"the exporter knows: AvgPool2D, BatchNorm, Conv2D",
    ):
        model.to_onnx()


def test_an_input_shape_that_does_not_fit_is_refused():
    model = Sequential([Flatten(), Dense(784, 10)])
    with pytest.raises(
        ConfigError,
        match=r"input_shape \(27, 27\) has 729 values, the model "
        r"takes 784",
    ):
        model.to_onnx(input_shape=(27, 27))
    convolutional = Sequential([Conv2D(1, 2, 3), Flatten()])
    with pytest.raises(ConfigError, match="pass input_shape"):
        convolutional.to_onnx()


def test_without_the_onnx_package_the_message_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(MissingExtra, match=r'pip install "nnscratch\[onnx\]"'):
        Sequential([Flatten(), Dense(784, 10)]).to_onnx()


# --- the command ------------------------------------------------------------------------------


def nnscratch(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nnscratch", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_nnscratch_export_writes_a_file_that_takes_raw_pixels(tmp_path, mnist_test):
    data = write_mnist_folder(tmp_path / "mini", train=1500, test=10)
    trained = nnscratch(
        "train",
        "--preset",
        "classic",
        "--epochs",
        "30",
        "--dev-size",
        "100",
        "--data",
        data,
        "--out",
        "m.npz",
        "--quiet",
        cwd=tmp_path,
    )
    assert trained.returncode == 0, trained.stderr
    done = nnscratch("export", "m.npz", "m.onnx", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote m.onnx (ONNX opset {OPSET}, ")
    assert (
        "input (N, 28, 28) float32 raw values, scaled by 1/255 inside the graph; outputs "
        "logits and probabilities (N, 10)"
    ) in done.stdout
    proto = onnx.load(tmp_path / "m.onnx")
    assert {p.key: p.value for p in proto.metadata_props}["preset"] == "classic"
    x_test, _ = mnist_test
    assert_same_probabilities(Sequential.load(tmp_path / "m.npz"), proto, x_test)


@pytest.mark.parametrize(
    "output, message",
    [
        ("m.npz", "OUTPUT m.npz would overwrite the model file MODEL; give another file name"),
        (
            "m.bin",
            "OUTPUT m.bin: the name's ending chooses the format, .onnx (an ONNX file) or "
            ".html (a page that reads digits offline)",
        ),
        ("missing/m.onnx", "OUTPUT missing/m.onnx: the folder missing does not exist"),
    ],
)
def test_nnscratch_export_refuses_an_output_in_one_line(tmp_path, output, message):
    Sequential([Flatten(), Dense(784, 10)]).save(tmp_path / "m.npz")
    done = nnscratch("export", "m.npz", output, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == f"nnscratch: error: {message}\n"


# --- what the file says about itself, its opset and its input's type ---------------------------


def metadata(proto: onnx.ModelProto) -> dict[str, str]:
    return {p.key: p.value for p in proto.metadata_props}


def test_the_file_names_its_producer_labels_and_input():
    model = build_model("mlp")
    proto = model.to_onnx(input_shape=(28, 28))
    assert proto.producer_name == "nnscratch" and proto.producer_version == __version__
    found = metadata(proto)
    assert json.loads(found["labels"]) == [str(digit) for digit in range(10)]
    assert found["input_type"] == "float32"
    assert json.loads(found["input_shape"]) == ["N", 28, 28]
    assert float(found["input_scale"]) == model.input_scale == 1 / 255
    assert found["input_meaning"] == (
        "float32 images of 28x28 grey-scale pixels, each from 0 (the background) to 255 (the "
        "strokes), as in MNIST; the graph multiplies them by 0.00392157 (1/255) first"
    )


def test_a_model_without_scaling_has_no_input_scale_and_says_so():
    model = Sequential([Dense(64, 10)])  # input_scale None: features used as they are
    found = metadata(model.to_onnx())
    assert "input_scale" not in found  # not the string 'None'
    assert found["input_meaning"] == (
        "float32 examples of 64 values, used as they are (the model was trained on them unscaled)"
    )


def test_the_estimators_labels_are_its_classes():
    from sklearn.datasets import load_digits

    from nnscratch.sklearn import NNClassifier

    x, y = load_digits(return_X_y=True)
    names = np.array(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    )
    estimator = NNClassifier(hidden=(16,), epochs=2, random_state=0).fit(x, names[y])
    labels = json.loads(metadata(estimator.model_.to_onnx())["labels"])
    assert labels == list(estimator.classes_)  # column j of the probabilities is labels[j]
    theirs = onnx_probabilities(estimator.model_.to_onnx(), x[:50])
    assert (np.array(labels)[theirs.argmax(axis=1)] == estimator.predict(x[:50])).all()


@pytest.mark.parametrize("opset", list(OPSETS))
@pytest.mark.parametrize("preset", ["cnn-bn", "lstm"])
def test_every_opset_gives_our_probabilities_in_onnxruntime(opset, preset, mnist_test):
    x_test, _ = mnist_test
    model = perturbed_preset(preset, x_test[:200])
    proto = model.to_onnx(input_shape=(28, 28), opset=opset)
    assert [o.version for o in proto.opset_import] == [opset]
    assert_same_probabilities(model, proto, x_test[:500])


def test_a_layer_newer_than_the_opset_is_refused_by_name():
    model = Sequential([Flatten(), Dense(784, 16), LayerNorm(16), Dense(16, 10)])
    assert model.to_onnx(opset=17).opset_import[0].version == 17
    with pytest.raises(ConfigError, match=r"layer 2 \(LayerNorm.*\) needs opset 17 or later"):
        model.to_onnx(opset=16)


@pytest.mark.parametrize("opset", [12, 20, "17", True])
def test_an_opset_outside_those_written_is_refused(opset):
    with pytest.raises(
        ConfigError, match=r"opset .* is not an opset the exporter writes; choose 13 to 19"
    ):
        build_model("mlp").to_onnx(opset=opset)


@pytest.mark.parametrize("preset", ["mlp", "cnn"])
def test_a_uint8_input_takes_pixels_as_image_files_hold_them(preset, mnist_test):
    x_test, _ = mnist_test
    assert x_test.dtype == np.uint8
    model = perturbed_preset(preset, x_test[:200])
    proto = model.to_onnx(input_shape=(28, 28), input_type="uint8")
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.UINT8
    assert metadata(proto)["input_type"] == "uint8"
    session = onnxruntime.InferenceSession(
        proto.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    (theirs,) = session.run(["probabilities"], {"input": x_test})
    assert np.abs(theirs - model.predict_proba(x_test)).max() <= TOLERANCE
    with pytest.raises(
        ConfigError, match="unknown input_type .int8.; choose one of: float32, uint8"
    ):
        model.to_onnx(input_shape=(28, 28), input_type="int8")


def test_nnscratch_export_writes_the_opset_and_input_type_asked_for(tmp_path, mnist_test):
    model = perturbed_preset("cnn", mnist_test[0][:200])
    model.save(tmp_path / "m.npz", preprocessing={"scale": 1 / 255, "image_shape": [28, 28]})
    done = nnscratch(
        "export", "m.npz", "m.onnx", "--opset", "13", "--input-type", "uint8", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("wrote m.onnx (ONNX opset 13, ")
    assert "input (N, 28, 28) uint8 raw values, scaled by 1/255 inside the graph" in done.stdout
    proto = onnx.load(tmp_path / "m.onnx")
    assert proto.opset_import[0].version == 13
    session = onnxruntime.InferenceSession(
        proto.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    x_test = mnist_test[0][:500]
    (theirs,) = session.run(["probabilities"], {"input": x_test})
    assert np.abs(theirs - model.predict_proba(x_test)).max() <= TOLERANCE


@pytest.mark.parametrize(
    "option, message",
    [
        (
            ["--opset", "21"],
            "--opset 21 is not an opset the exporter writes; choose 13 to 19 (default 17)",
        ),
        (["--input-type", "int8"], "unknown --input-type 'int8'; choose one of: float32, uint8"),
    ],
)
def test_nnscratch_export_refuses_an_opset_or_input_type_in_one_line(tmp_path, option, message):
    Sequential([Flatten(), Dense(784, 10)]).save(tmp_path / "m.npz")
    done = nnscratch("export", "m.npz", "m.onnx", *option, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == f"nnscratch: error: {message}\n"
    assert not (tmp_path / "m.onnx").exists()
