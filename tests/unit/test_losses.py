"""The bare losses' contracts: SoftmaxCrossEntropy refuses bad labels itself (fit and evaluate
check them too, but the loss is public), and every backward can be called again."""

from __future__ import annotations

import numpy as np
import pytest

from nnscratch.engine.losses import LOSSES, SoftmaxCrossEntropy, softmax
from nnscratch.errors import ConfigError, DataError


def logits(n=5, classes=4, dtype=np.float32):
    return np.random.default_rng(0).standard_normal((n, classes)).astype(dtype)


BAD_LABELS = [
    (dtype, label, index)
    for dtype in (np.int64, np.int8, np.uint8)
    for label, index in ((-1, 2), (4, 0), (7, 4), (-128, 1))
    if label >= 0 or np.dtype(dtype).kind == "i"
]


@pytest.mark.parametrize(("dtype", "label", "index"), BAD_LABELS)
def test_a_label_outside_the_classes_is_refused_naming_it_its_index_and_the_range(
    dtype, label, index
):
    y = np.array([1, 0, 3, 2, 1], dtype=dtype)
    y[index] = label
    with pytest.raises(DataError) as caught:
        SoftmaxCrossEntropy().forward(logits(), y)
    assert str(caught.value) == (
        f"label {label} at index {index} is outside 0-3 (4 classes, one per logit)"
    )


@pytest.mark.parametrize(
    "labels",
    [
        np.array([0.0, 1.0, 2.0, 3.0, 1.0]),  # floats
        np.array([True, False, True, False, True]),
        np.array([[0], [1], [2], [3], [1]]),  # (N, 1)
        np.array([0, 1, 2]),
    ],  # too few
    ids=["float", "bool", "column", "too-few"],
)
def test_labels_that_are_not_n_integers_are_refused(labels):
    with pytest.raises(
        DataError,
        match=r"takes 5 integer labels, one per row of logits "
        r"\(shape \(5,\)\); got shape",
    ):
        SoftmaxCrossEntropy().forward(logits(), labels)


def test_every_label_in_range_is_accepted_at_both_ends():
    loss = SoftmaxCrossEntropy()
    z = logits(4, 3, np.float64)
    value = loss.forward(z, np.array([0, 2, 2, 0]))
    p = softmax(z)
    assert value == pytest.approx(-np.mean(np.log(p[[0, 1, 2, 3], [0, 2, 2, 0]])), rel=1e-12)


@pytest.mark.parametrize("name", list(LOSSES))
def test_backward_is_repeatable(name):
    loss = LOSSES[name]()
    z = logits(6, 3, np.float64)
    targets = (
        np.array([0, 2, 1, 1, 0, 2])
        if name == "softmax_cross_entropy"
        else np.random.default_rng(1).random((6, 3))
    )
    loss.forward(z, targets)
    first = loss.backward().copy()
    second = loss.backward()
    np.testing.assert_array_equal(second, first)
    if name == "softmax_cross_entropy":
        onehot = np.eye(3)[targets]
        np.testing.assert_allclose(first, (softmax(z) - onehot) / 6, rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("smoothing", [0.1, 0.35])
def test_label_smoothing_is_cross_entropy_against_the_smoothed_target(smoothing):
    z, y = logits(6, 4, np.float64), np.array([0, 3, 1, 1, 2, 0])
    target = (1 - smoothing) * np.eye(4)[y] + smoothing / 4
    loss = SoftmaxCrossEntropy(label_smoothing=smoothing)
    value = loss.forward(z, y)
    assert value == pytest.approx(-np.mean(np.sum(target * np.log(softmax(z)), axis=1)), rel=1e-12)
    gradient = loss.backward()
    np.testing.assert_allclose(gradient, (softmax(z) - target) / 6, rtol=1e-12, atol=1e-15)
    # and the gradient is the loss's: central differences of forward
    h, numeric = 1e-6, np.empty_like(z)
    for index in np.ndindex(z.shape):
        up, down = z.copy(), z.copy()
        up[index] += h
        down[index] -= h
        numeric[index] = (loss.forward(up, y) - loss.forward(down, y)) / (2 * h)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-9)
    plain = SoftmaxCrossEntropy()
    plain.forward(z, y)
    assert not np.allclose(gradient, plain.backward())


@pytest.mark.parametrize("smoothing", [-0.1, 1.0, float("nan"), "0.1"])
def test_a_label_smoothing_outside_zero_to_one_is_refused(smoothing):
    with pytest.raises(ConfigError, match="label_smoothing must be"):
        SoftmaxCrossEntropy(label_smoothing=smoothing)
