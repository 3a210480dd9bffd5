"""One step of learning on one image: its numbers are the engine's backward pass (equal to the
gradients Sequential.backward leaves for the same image and label), for the classic 784-10-10
network they are the tutorial's formulas computed directly in float64, the update is
W - alpha dW, and the model given never changes."""

from __future__ import annotations

import numpy as np
import pytest

from nnscratch import explain
from nnscratch.datasets import load_mnist
from nnscratch.errors import ConfigError
from nnscratch.model import PRESETS, build_model, get_preset
from small_nets import classic, conv_net

LABEL, RATE = 3, 0.1


@pytest.fixture(scope="module")
def digit():
    return load_mnist("test")[0][0]


def conv_model():
    return conv_net(two_convs=False, hidden=16)


def by_name(quantities):
    return {q.name: q for q in quantities}


def engine_gradients(model, digit, label):
    """The gradients Sequential.backward leaves in a copy, for one image and its label."""
    twin = model.converted(model.dtype)
    logits = twin.forward(twin.prepare(digit[None]), training=False)
    twin.loss.forward(logits, np.array([label]))
    twin.backward(twin.loss.backward())
    return twin


@pytest.mark.parametrize("make", [classic, conv_model])
def test_the_steps_gradients_are_the_engines_and_its_update_is_w_minus_alpha_dw(make, digit):
    model = make()
    kept = model.get_weights()
    step = explain.one_step(model, digit, LABEL, RATE)
    twin = engine_gradients(model, digit, LABEL)
    backward, updated = by_name(step.backward), by_name(step.updated)
    for n, index in enumerate(explain.weighted_layers(model), start=1):
        for key in "Wb":
            grad = twin.layers[index].grads[key]
            np.testing.assert_array_equal(backward[f"d{key}{n}"].values, grad)
            np.testing.assert_allclose(
                updated[f"{key}{n}"].values,
                model.layers[index].params[key] - np.float32(RATE) * grad,
                rtol=1e-6,
                atol=1e-7,
            )
    for name, value in model.get_weights().items():  # the model given is as it was
        np.testing.assert_array_equal(value, kept[name])
    np.testing.assert_allclose(step.before, model.predict_proba(digit[None])[0], rtol=1e-5)
    assert step.after[LABEL] > step.before[LABEL]  # one step towards the true label
    assert step.loss_after < step.loss


def test_for_the_classic_network_the_numbers_are_the_tutorials_formulas(digit):
    model = classic()
    step = explain.one_step(model, digit, LABEL, RATE)
    forward, backward = by_name(step.forward), by_name(step.backward)
    # The tutorial's notation, examples as columns, in float64 from the float32 weights.
    W1 = model.layers[1].params["W"].T.astype(np.float64)  # (10, 784)
    b1 = model.layers[1].params["b"].astype(np.float64)[:, None]  # (10, 1)
    W2 = model.layers[3].params["W"].T.astype(np.float64)
    b2 = model.layers[3].params["b"].astype(np.float64)[:, None]
    X = digit.reshape(784, 1) / 255.0
    Y = np.zeros((10, 1))
    Y[LABEL] = 1
    m = 1
    Z1 = W1 @ X + b1
    A1 = np.maximum(Z1, 0)
    Z2 = W2 @ A1 + b2
    A2 = np.exp(Z2 - Z2.max()) / np.exp(Z2 - Z2.max()).sum()
    dZ2 = A2 - Y
    dW2 = dZ2 @ A1.T / m
    db2 = dZ2.sum(axis=1, keepdims=True) / m
    dZ1 = (W2.T @ dZ2) * (Z1 > 0)
    dW1 = dZ1 @ X.T / m
    db1 = dZ1.sum(axis=1, keepdims=True) / m
    expected = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
    expected_backward = {"dZ2": dZ2, "dA1": W2.T @ dZ2, "dZ1": dZ1}
    expected_backward |= {"dW2": dW2, "db2": db2, "dW1": dW1, "db1": db1}
    for table, wanted in ((forward, expected), (backward, expected_backward)):
        for name, value in wanted.items():
            q = table[name]
            assert q.tutorial_shape == value.shape, name
            ours = q.values.T if q.values.ndim == 2 else q.values[:, None]
            np.testing.assert_allclose(ours, value, rtol=1e-4, atol=1e-6, err_msg=name)
    assert step.loss == pytest.approx(-np.log(A2[LABEL, 0]), rel=1e-5)
    assert [q.name for q in step.forward] == ["X", "Z1", "A1", "Z2", "A2"]
    assert [q.name for q in step.backward] == ["dZ2", "dA1", "dZ1", "dW2", "db2", "dW1", "db1"]


def test_a_convolutions_counterparts_are_named_and_shaped(digit):
    step = explain.one_step(conv_model(), digit, LABEL, RATE)
    forward, backward = by_name(step.forward), by_name(step.backward)
    assert forward["Z1"].values.shape == (1, 3, 24, 24)
    assert forward["Z1"].tutorial_shape == (3, 24, 24, 1)
    assert "MaxPool2D1" in forward and "dMaxPool2D1" in backward
    assert backward["dW1"].values.shape == backward["dW1"].tutorial_shape == (3, 1, 5, 5)
    assert forward["Z1"].title == "Conv 5x5, 1->3 maps, ReLU"
    # The engine pools before the ReLU (they commute): A1 comes pooled, and says why.
    assert forward["A1"].values.shape == (1, 3, 12, 12)
    assert "pools before the ReLU" in forward["A1"].title
    assert "pools before the ReLU" in forward["MaxPool2D1"].title
    assert "pools before" not in forward["Z2"].title


@pytest.mark.parametrize(
    "label, rate, words",
    [(10, 0.1, "label 10 does not exist"), (1, 0.0, "learning rate"), (1, 1e9, "learning rate")],
)
def test_a_label_or_rate_that_cannot_be_used_is_refused(digit, label, rate, words):
    with pytest.raises(ConfigError, match=words):
        explain.one_step(classic(), digit, label, rate)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_layer_of_every_preset_gets_a_name_of_its_own(preset):
    names = explain.quantity_names(build_model(get_preset(preset)))
    assert len(set(names.values())) == len(names), names
