"""Element-wise activations. Each caches what its derivative needs and nothing more."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import checks
from ...errors import ConfigError
from .base import Example, Layer, from_forward


class ReLU(Layer):
    """a = max(z, 0); da/dz = 1 where z > 0, else 0."""

    is_activation = True
    examples = (Example({}, (6,)),)

    def __init__(self) -> None:
        super().__init__()
        self._a: np.ndarray | None = None

    def forward(
        self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """Any shape -> the same shape, max(x, 0)."""
        # Keep the output, not a mask: the next layer holds it anyway, and prediction (which
        # never goes backward) then pays for no mask.
        # --8<-- [start:relu-forward] (shown in docs/tutorial.md)
        a: np.ndarray = np.maximum(x, 0)
        # --8<-- [end:relu-forward]
        self._a = a
        return a

    def backward(self, grad_y: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dL/da -> dL/dz, of the input's shape (``grad_y`` overwritten)."""
        # grad_y is consumed: zero it where the unit was off (a = 0 exactly where z <= 0).
        # --8<-- [start:relu-backward] (shown in docs/tutorial.md)
        np.multiply(grad_y, from_forward(self._a, self) > 0, out=grad_y)
        # --8<-- [end:relu-backward]
        return grad_y

    def infer(self, x: np.ndarray) -> np.ndarray:
        """Any shape -> the same shape, max(x, 0), nothing kept."""
        a: np.ndarray = np.maximum(x, 0)
        return a


class LeakyReLU(Layer):
    """a = z where z > 0, else alpha·z; da/dz = 1 or alpha."""

    is_activation = True
    examples = (Example({"alpha": 0.3}, (6,)), Example({}, (2, 3)))

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = checks.real("LeakyReLU alpha", alpha, low=0, high=1, high_open=True)
        self._slope: np.ndarray | None = None

    def forward(
        self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """Any shape -> the same shape, keeping the slope of each value for backward."""
        slope = np.where(x > 0, 1.0, self.alpha).astype(x.dtype, copy=False)
        self._slope = slope
        a: np.ndarray = x * slope
        return a

    def backward(self, grad_y: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dL/da -> dL/dz, of the input's shape (``grad_y`` overwritten)."""
        np.multiply(grad_y, from_forward(self._slope, self), out=grad_y)
        return grad_y

    def config(self) -> dict[str, Any]:
        """The constructor's argument, alpha."""
        return {"alpha": self.alpha}


def _sigmoid_parts(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """E = e^-|z|, in (0, 1], and σ(|z|) = 1 / (1 + e), in [1/2, 1]: new arrays like z.

    Everything else follows without a difference of nearly equal numbers: σ(-|z|) = e·σ(|z|),
    σ(z) σ(-z) = e·σ(|z|)². e never overflows, so the small values keep their relative
    precision down to where e^-|z| itself underflows (|z| > 745 in float64, 103 in float32).
    """
    e = np.abs(z)
    np.negative(e, out=e)
    np.exp(e, out=e)
    large = e + 1
    np.reciprocal(large, out=large)
    return e, large


def _sigmoid_of(sign_of: np.ndarray, e: np.ndarray, large: np.ndarray) -> np.ndarray:
    """σ(z) for z of the sign of ``sign_of``: σ(|z|) where z >= 0, e·σ(|z|) where z < 0.

    Written as σ(|z|)·max(e, [z >= 0]): the same numbers as np.where would pick, at a
    fraction of its cost on randomly signed z (where it mispredicts every other branch)."""
    factor = np.greater_equal(sign_of, 0, out=np.empty_like(e))  # 1.0 or 0.0
    np.maximum(factor, e, out=factor)
    factor *= large
    result: np.ndarray = factor
    return result


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^-z), to a few ulps of relative precision on both tails (where
    (1 + tanh(z/2)) / 2 loses it below z = -10 and is 0 below -38 in float64); never
    overflows. Shapes: any -> the shape and dtype of z."""
    return _sigmoid_of(z, *_sigmoid_parts(z))


def sigmoid_pair(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """σ(z) and σ(-z) = 1 - σ(z), each to a few ulps of relative precision on both tails (1 - σ(z)
    computed as such would lose it where σ(z) is close to 1). Shapes: any -> two arrays like z.
    """
    e, large = _sigmoid_parts(z)
    return _sigmoid_of(z, e, large), _sigmoid_of(np.negative(z), e, large)


class Sigmoid(Layer):
    """a = σ(z) = 1 / (1 + e^-z); da/dz = a (1 - a) = σ(z) σ(-z) = e^-|z| σ(|z|)².

    The derivative is computed in the last form (see :func:`sigmoid`): on the a ≈ 1 tail,
    1 - a would be a difference of nearly equal numbers and lose its precision.
    """

    is_activation = True
    examples = (Example({}, (6,)),)

    def __init__(self) -> None:
        super().__init__()
        self._da: np.ndarray | None = None

    def forward(
        self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """Any shape -> the same shape, σ(x), keeping da/dz for backward."""
        e, large = _sigmoid_parts(x)
        a = _sigmoid_of(x, e, large)
        e *= large
        e *= large
        self._da = e  # da/dz, kept instead of a: backward is then one multiplication
        return a

    def backward(self, grad_y: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dL/da -> dL/dz, of the input's shape (``grad_y`` overwritten)."""
        grad_y *= from_forward(self._da, self)
        return grad_y


class Tanh(Layer):
    """a = tanh(z); da/dz = 1 - a²."""

    is_activation = True
    examples = (Example({}, (6,)),)

    def __init__(self) -> None:
        super().__init__()
        self._a: np.ndarray | None = None

    def forward(
        self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """Any shape -> the same shape, tanh(x), kept for backward."""
        a: np.ndarray = np.tanh(x)
        self._a = a
        return a

    def backward(self, grad_y: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dL/da -> dL/dz, of the input's shape (``grad_y`` overwritten)."""
        a = from_forward(self._a, self)
        grad_y *= 1 - a * a
        return grad_y


ACTIVATIONS: dict[str, type[Layer]] = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
}


def get_activation(name: str) -> Layer:
    """A new activation layer by name: relu, leaky_relu, sigmoid or tanh."""
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        valid = ", ".join(ACTIVATIONS)
        raise ConfigError(f"unknown activation {name!r}; choose one of: {valid}") from None
