"""ONNX export: onnxruntime, given the raw pixels our model takes, gives our probabilities to
1e-5 on the MNIST test set, for the presets' networks (weights and BatchNorm buffers moved off
their start, so the probabilities are far from uniform); a layer without an ONNX form is refused
by name; ``nnscratch export`` writes the file from a model file. Every layer type's converter is
checked against onnxruntime by the layer test harness (tests/unit/test_layer_harness.py), on
each example the layer declares."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import onnx
import onnxruntime
import pytest

from mini_mnist import write_mnist_folder
from nnscratch.datasets import load_mnist
from nnscratch.engine.layers import (
    Conv2D,
    Dense,
    Flatten,
    Layer,
    ReLU,
)
from nnscratch.errors import ConfigError, MissingExtra
from nnscratch.model import Sequential
from nnscratch.model.presets import build_model
from nnscratch.onnx import OPSET

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
        ("m.bin", "OUTPUT m.bin: an ONNX file has a name ending in .onnx, like m.onnx"),
        ("missing/m.onnx", "OUTPUT missing/m.onnx: the folder missing does not exist"),
    ],
)
def test_nnscratch_export_refuses_an_output_in_one_line(tmp_path, output, message):
    Sequential([Flatten(), Dense(784, 10)]).save(tmp_path / "m.npz")
    done = nnscratch("export", "m.npz", output, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == f"nnscratch: error: {message}\n"
