"""Give each example a shape: rows of pixels (N, 784) or (N, 28, 28) into images (N, 1, 28, 28)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ...errors import ConfigError
from .base import Example, Layer, from_forward


class Reshape(Layer):
    """(N, ...) -> (N, *shape); backward restores the input's shape. A view when it can be.

    ``Reshape((1, 28, 28))`` puts MNIST's (N, 28, 28) images in front of a Conv2D, which takes
    (N, C, H, W).
    """

    examples = (
        Example({"shape": [4, 3]}, (12,)),
        Example({"shape": [1, 4, 3]}, (3, 4)),
    )

    def __init__(self, shape: Iterable[int]) -> None:
        super().__init__()
        self.shape = tuple(int(d) for d in shape)
        if not self.shape or min(self.shape) < 1:
            raise ConfigError(f"Reshape needs positive sizes, got {shape}")
        # Values per example this layer takes (784 for (1, 28, 28)).
        self.input_features = math.prod(self.shape)
        self._shape: tuple[int, ...] | None = None

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Any shape of prod(shape) values -> ``shape``."""
        self._check((1, *input_shape))
        return self.shape

    def _check(self, shape: tuple[int, ...]) -> None:
        if math.prod(shape[1:]) != self.input_features:
            raise ConfigError(
                f"Reshape{self.shape} takes {self.input_features} values per "
                f"example, got shape {shape}"
            )

    def forward(
        self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """(N, ...) -> (N, *shape), keeping the input's shape for backward."""
        self._check(x.shape)
        self._shape = x.shape
        return self.infer(x)

    def backward(self, grad_y: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """(N, *shape) -> the input's shape."""
        return grad_y.reshape(from_forward(self._shape, self))

    def infer(self, x: np.ndarray) -> np.ndarray:
        """(N, ...) -> (N, *shape)."""
        return x.reshape(x.shape[0], *self.shape)

    def config(self) -> dict[str, Any]:
        """The constructor's argument, shape (a list)."""
        return {"shape": list(self.shape)}
