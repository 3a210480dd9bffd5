"""The sigmoid, its derivative and binary cross-entropy's gradient against an exact reference.

The reference is computed per element with 50 significant digits (``decimal``), independently
of NumPy, and rounded once to the dtype under test; the code under test must be within a few
units in the last place (ulps) of it on both tails, from z = -745 to 745 in float64 (where
e^-745 is float64's smallest subnormal number) and from -103 to 103 in float32.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

import numpy as np
import pytest

from nnscratch.engine.layers import Sigmoid
from nnscratch.engine.layers.activations import sigmoid_pair
from nnscratch.engine.losses import BinaryCrossEntropy

GRIDS = {
    np.float64: np.concatenate(
        [
            np.linspace(-745, 745, 5961),
            [-744.9, -709.8, -38.5, -30, -1e-300, 1e-300, 30, 38.5, 709.8],
        ]
    ),
    np.float32: np.concatenate([np.linspace(-103, 103, 4121), [-88.7, -1e-30, 1e-30, 88.7]]),
}


def exact(z: float, fn) -> float:
    """``fn(σ, z)`` in 50-digit decimal arithmetic, for the float ``z``."""
    with localcontext() as context:
        context.prec = 50
        z = Decimal(float(z))
        return float(fn(lambda x: 1 / (1 + (-x).exp()), z))


def reference(dtype, fn) -> np.ndarray:
    z = GRIDS[dtype].astype(dtype)
    return np.array([exact(v, fn) for v in z]).astype(dtype)


def ulps(got: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """|got - expected| in units of the last place of ``expected`` (its dtype's spacing)."""
    assert got.dtype == expected.dtype
    return np.abs(got.astype(np.float64) - expected) / np.abs(np.spacing(expected)).astype(
        np.float64
    )  # spacing(-x) = -spacing(x)


def worst(got, expected, dtype):
    errors = ulps(got, expected)
    i = int(errors.argmax())
    return f"{errors[i]:.1f} ulps at z = {GRIDS[dtype][i]:g}: {got[i]!r}, exact {expected[i]!r}"


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_sigmoid_and_one_minus_sigmoid_keep_relative_precision_on_both_tails(dtype):
    z = GRIDS[dtype].astype(dtype)
    a, one_minus_a = sigmoid_pair(z)
    expected_a = reference(dtype, lambda s, x: s(x))
    expected_b = reference(dtype, lambda s, x: s(-x))
    assert ulps(a, expected_a).max() <= 3, worst(a, expected_a, dtype)
    assert ulps(one_minus_a, expected_b).max() <= 3, worst(one_minus_a, expected_b, dtype)
    layer_a = Sigmoid().forward(z.copy())
    assert layer_a.dtype == dtype and layer_a.tobytes() == a.tobytes()


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_sigmoid_derivative_keeps_relative_precision_on_both_tails(dtype):
    z = GRIDS[dtype].astype(dtype)
    layer = Sigmoid()
    layer.forward(z.copy())
    derivative = layer.backward(np.ones_like(z))
    expected = reference(dtype, lambda s, x: s(x) * s(-x))
    assert ulps(derivative, expected).max() <= 5, worst(derivative, expected, dtype)


@pytest.mark.parametrize("target", [0.0, 1.0])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_binary_cross_entropy_gradient_keeps_relative_precision_on_both_tails(dtype, target):
    z = GRIDS[dtype].astype(dtype)
    loss = BinaryCrossEntropy()
    loss.forward(z.copy(), np.full(z.shape, target))
    gradient = loss.backward()
    n = Decimal(z.size)
    expected = reference(
        dtype, lambda s, x: (s(x) - Decimal(target)) / n if target == 0 else -s(-x) / n
    )  # σ(z) - 1 = -σ(-z), exactly
    assert gradient.dtype == dtype
    assert ulps(gradient, expected).max() <= 5, worst(gradient, expected, dtype)


def test_sigmoid_probabilities_of_the_loss_are_the_activation():
    z = GRIDS[np.float64]
    np.testing.assert_array_equal(BinaryCrossEntropy().probabilities(z), sigmoid_pair(z)[0])
