"""The classic tutorial's six known bugs, each shown on its own code and absent from ours.

Every test runs one check twice: on ``tutorial_reference`` (the tutorial's algorithm, bugs
included), where the check must fail, and on nnscratch, where it must pass. A check that
passed on the tutorial's code would prove nothing.
"""

from __future__ import annotations

import numpy as np
import pytest

import tutorial_reference as tutorial
from nnscratch import Dense, ReLU, Sequential
from nnscratch.datasets import load_mnist
from nnscratch.engine.gradcheck import numerical_gradient, relative_error
from nnscratch.engine.losses import SoftmaxCrossEntropy
from nnscratch.model import PRESETS
from nnscratch.usecases.train import train_recipe

TOL = 1e-6


def tutorial_network(seed: int) -> Sequential:
    """The tutorial's 784-10-10 network in float64, weights and biases U(-0.5, 0.5)."""
    layers = [
        Dense(784, 10, init="tutorial", bias_init="tutorial"),
        ReLU(),
        Dense(10, 10, init="tutorial", bias_init="tutorial"),
    ]
    return Sequential(layers, dtype="float64", seed=seed)


def our_gradients(model: Sequential, x_rows: np.ndarray, y: np.ndarray) -> dict:
    """dW1, db1, dW2, db2 of the mean loss, in the tutorial's column layout."""
    loss = model.loss
    loss.forward(model.forward(x_rows, training=True), y)
    model.backward(loss.backward())
    first, second = model.layers[0].grads, model.layers[2].grads
    return {
        "dW1": first["W"].T.copy(),
        "db1": first["b"][:, None].copy(),
        "dW2": second["W"].T.copy(),
        "db2": second["b"][:, None].copy(),
    }


def tutorial_gradients(model: Sequential, x_rows: np.ndarray, y: np.ndarray) -> dict:
    """The tutorial's backward_prop on the same weights (columns: X is (784, m))."""
    W1, b1 = model.layers[0].params["W"].T, model.layers[0].params["b"][:, None]
    W2, b2 = model.layers[2].params["W"].T, model.layers[2].params["b"][:, None]
    X = x_rows.T
    Z1, A1, Z2, A2 = tutorial.forward_prop(W1, b1, W2, b2, X)
    dW1, db1, dW2, db2 = tutorial.backward_prop(Z1, A1, Z2, A2, W1, W2, X, y)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def true_bias_gradients(model: Sequential, x_rows: np.ndarray, y: np.ndarray) -> dict:
    """Central differences of the mean cross-entropy over this batch, for b1 and b2."""
    loss = SoftmaxCrossEntropy()

    def mean_loss():
        return loss.forward(model.forward(x_rows), y)

    return {
        "db1": numerical_gradient(mean_loss, model.layers[0].params["b"])[:, None],
        "db2": numerical_gradient(mean_loss, model.layers[2].params["b"])[:, None],
    }


@pytest.fixture(scope="module")
def digits():
    """200 real MNIST training images as float64 rows in [0, 1], with their labels."""
    x, y = load_mnist("train")
    return x[:200].reshape(200, -1) / 255.0, y[:200].astype(np.int64)


def check_bias_gradient(gradients, model, x, y):
    grads, truth = gradients(model, x, y), true_bias_gradients(model, x, y)
    for name in ("db1", "db2"):
        assert np.shape(grads[name]) == (10, 1), f"{name} is {np.shape(grads[name])}, not per unit"
        assert relative_error(grads[name], truth[name]) < TOL


def test_bug1_bias_gradient_is_one_number_per_unit(digits):
    x, y = digits
    model = tutorial_network(seed=1)
    tutorial.m = len(x)  # isolate bug 1: the tutorial's m is right for this batch
    with pytest.raises(AssertionError, match="not per unit"):
        check_bias_gradient(tutorial_gradients, model, x, y)
    check_bias_gradient(our_gradients, model, x, y)


def check_batch_scaling(gradients, model, x, y):
    """Gradients of a 50-example batch equal those of that batch's mean loss."""
    batch_x, batch_y = x[:50], y[:50]
    grads = gradients(model, batch_x, batch_y)
    loss = SoftmaxCrossEntropy()
    W2 = model.layers[2].params["W"]
    true_dW2 = numerical_gradient(lambda: loss.forward(model.forward(batch_x), batch_y), W2)
    assert relative_error(grads["dW2"], true_dW2.T) < TOL


def test_bug2_gradients_are_scaled_by_the_batch_not_the_dataset(digits):
    x, y = digits
    model = tutorial_network(seed=2)
    tutorial.m = len(x)  # the tutorial divides by the data file's row count, 200
    with pytest.raises(AssertionError):
        check_batch_scaling(tutorial_gradients, model, x, y)
    check_batch_scaling(our_gradients, model, x, y)


def check_large_logits(probabilities):
    logits = np.array([[1000.0, 999.0, -5.0], [0.0, 800.0, 800.0]])
    with np.errstate(all="ignore"):
        p = probabilities(logits)
    assert np.isfinite(p).all()
    # exp(1000) / (exp(1000) + exp(999)) = 1 / (1 + e^-1)
    np.testing.assert_allclose(p[0, :2], [1 / (1 + np.exp(-1)), 1 / (1 + np.exp(1))])
    np.testing.assert_allclose(p[1], [0.0, 0.5, 0.5])


def test_bug3_softmax_is_stable_on_large_logits():
    with pytest.raises(AssertionError):
        check_large_logits(lambda z: tutorial.softmax(z.T).T)  # the tutorial's is by column
    check_large_logits(SoftmaxCrossEntropy().probabilities)
    loss = SoftmaxCrossEntropy()
    assert loss.forward(np.array([[1000.0, 0.0, -1000.0]]), np.array([0])) == pytest.approx(0.0)


def check_one_hot_width(output_gradient):
    """A batch whose labels are all below 5, on a 10-class network."""
    p = np.full((4, 10), 0.1)
    y = np.array([0, 3, 4, 1])
    expected = p.copy()
    expected[np.arange(4), y] -= 1
    assert output_gradient(p, y).shape == (4, 10)
    np.testing.assert_allclose(output_gradient(p, y), expected)


def test_bug4_one_hot_width_is_the_number_of_classes():
    def tutorials(p, y):
        return (p.T - tutorial.one_hot(y)).T  # dZ2 = A2 - one_hot(Y)

    def ours(p, y):
        loss = SoftmaxCrossEntropy()
        loss.forward(np.log(p), y)  # logits whose softmax is p
        return loss.backward() * len(y)  # undo the 1/N to compare with A2 - onehot

    with pytest.raises((AssertionError, ValueError)):  # (10, 4) - (5, 4) does not broadcast
        check_one_hot_width(tutorials)
    check_one_hot_width(ours)


def test_bug5_test_images_come_from_the_test_set(digits):
    x_train, y_train = load_mnist("train")
    x_test, y_test = load_mnist("test")
    # The tutorial's "test prediction" hands back a training image and label.
    tutorial.X_train, tutorial.Y_train = x_train[:5].reshape(5, -1).T / 255.0, y_train[:5]
    model = tutorial_network(seed=5)
    W1, b1 = model.layers[0].params["W"].T, model.layers[0].params["b"][:, None]
    W2, b2 = model.layers[2].params["W"].T, model.layers[2].params["b"][:, None]
    image, _, label = tutorial.test_prediction(3, W1, b1, W2, b2)
    assert np.array_equal(image[:, 0], x_train[3].reshape(-1) / 255.0)  # the bug, shown
    # Ours: the test split is MNIST's 10,000 test images, none of them a training image.
    assert x_test.shape == (10_000, 28, 28)
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    train_rows = {row.tobytes() for row in x_train[:, 8:20, 8:20]}
    assert not any(row.tobytes() in train_rows for row in x_test[:200, 8:20, 8:20])


def test_bug6_a_seed_repeats_a_run_bit_for_bit(digits):
    x, y = load_mnist("train")
    x, y = x[:1500], y[:1500]
    np.random.seed(None)  # the tutorial has no seed to pass: two runs differ
    tutorial.load_data(np.column_stack([y, x.reshape(len(x), -1)]), dev_size=500)
    first = tutorial.gradient_descent(tutorial.X_train, tutorial.Y_train, 0.1, 3)
    second = tutorial.gradient_descent(tutorial.X_train, tutorial.Y_train, 0.1, 3)
    assert not np.array_equal(first[0], second[0])

    preset = PRESETS["classic"].with_overrides(epochs=5, dev_size=500)

    def weights(seed):
        run = train_recipe(preset.with_overrides(seed=seed), x, y)
        return run.model.get_weights()

    a, b, c = weights(7), weights(7), weights(8)
    assert all(np.array_equal(a[name], b[name]) for name in a)
    assert not np.array_equal(a["layers.1.W"], c["layers.1.W"])
