"""Element-wise activations. Each caches what its derivative needs and nothing more."""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from .base import Layer


class ReLU(Layer):
    """a = max(z, 0); da/dz = 1 where z > 0, else 0."""

    def forward(self, x, training=False):
        # Keep the output, not a mask: the next layer holds it anyway, and prediction (which
        # never goes backward) then pays for no mask.
        self._a = np.maximum(x, 0)
        return self._a

    def backward(self, grad_y, input_grad=True):
        # grad_y is consumed: zero it where the unit was off (a = 0 exactly where z <= 0).
        return np.multiply(grad_y, self._a > 0, out=grad_y)


class LeakyReLU(Layer):
    """a = z where z > 0, else alpha·z; da/dz = 1 or alpha."""

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        if not 0.0 <= alpha < 1.0:
            raise ConfigError(f"LeakyReLU alpha must be in [0, 1), got {alpha}")
        self.alpha = float(alpha)

    def forward(self, x, training=False):
        self._slope = np.where(x > 0, 1.0, self.alpha).astype(x.dtype, copy=False)
        return x * self._slope

    def backward(self, grad_y, input_grad=True):
        return np.multiply(grad_y, self._slope, out=grad_y)

    def config(self):
        return {"alpha": self.alpha}


class Sigmoid(Layer):
    """a = 1 / (1 + e^-z), computed as (1 + tanh(z/2)) / 2, which never overflows;
    da/dz = a (1 - a)."""

    def forward(self, x, training=False):
        a = np.tanh(x * 0.5)
        a += 1
        a *= 0.5
        self._a = a
        return a

    def backward(self, grad_y, input_grad=True):
        a = self._a
        grad_y *= a
        grad_y *= 1 - a
        return grad_y


class Tanh(Layer):
    """a = tanh(z); da/dz = 1 - a²."""

    def forward(self, x, training=False):
        self._a = np.tanh(x)
        return self._a

    def backward(self, grad_y, input_grad=True):
        grad_y *= 1 - self._a * self._a
        return grad_y


ACTIVATIONS = {"relu": ReLU, "leaky_relu": LeakyReLU, "sigmoid": Sigmoid, "tanh": Tanh}


def get_activation(name: str) -> Layer:
    """A new activation layer by name: relu, leaky_relu, sigmoid or tanh."""
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        valid = ", ".join(ACTIVATIONS)
        raise ConfigError(f"unknown activation {name!r}; choose one of: {valid}") from None
