"""Give each example a shape: rows of pixels (N, 784) or (N, 28, 28) into images (N, 1, 28, 28)."""

from __future__ import annotations

import math

from ...errors import ConfigError
from .base import Layer


class Reshape(Layer):
    """(N, ...) -> (N, *shape); backward restores the input's shape. A view when it can be.

    ``Reshape((1, 28, 28))`` puts MNIST's (N, 28, 28) images in front of a Conv2D, which takes
    (N, C, H, W).
    """

    def __init__(self, shape) -> None:
        super().__init__()
        self.shape = tuple(int(d) for d in shape)
        if not self.shape or min(self.shape) < 1:
            raise ConfigError(f"Reshape needs positive sizes, got {shape}")

    @property
    def input_features(self) -> int:
        """Values per example this layer takes (784 for (1, 28, 28))."""
        return math.prod(self.shape)

    def forward(self, x, training=False, rng=None):
        if math.prod(x.shape[1:]) != self.input_features:
            raise ConfigError(
                f"Reshape{self.shape} takes {self.input_features} values per "
                f"example, got shape {x.shape}"
            )
        self._shape = x.shape
        return x.reshape(x.shape[0], *self.shape)

    def backward(self, grad_y, input_grad=True):
        return grad_y.reshape(self._shape)

    def infer(self, x):
        return x.reshape(x.shape[0], *self.shape)

    def config(self):
        return {"shape": list(self.shape)}
