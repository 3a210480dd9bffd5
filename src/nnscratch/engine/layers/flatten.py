"""Flatten images (N, C, H, W) or (N, H, W) into rows (N, C·H·W) for a Dense layer."""

from __future__ import annotations

import math

import numpy as np

from .base import Example, Layer, from_forward


class Flatten(Layer):
    """Reshape (N, d1, d2, ...) -> (N, d1·d2·...); backward restores the input's shape.
    A view, never a copy, when the input is contiguous."""

    examples = (Example({}, (3, 4, 5)),)

    def __init__(self) -> None:
        super().__init__()
        self._shape: tuple[int, ...] | None = None

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """(d1, d2, ...) -> (d1·d2·...,)."""
        return (math.prod(input_shape),)

    def forward(
        self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """(N, d1, d2, ...) -> (N, d1·d2·...), keeping the input's shape for backward."""
        self._shape = x.shape
        return self.infer(x)

    def backward(self, grad_y: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """(N, d1·d2·...) -> (N, d1, d2, ...)."""
        return grad_y.reshape(from_forward(self._shape, self))

    def infer(self, x: np.ndarray) -> np.ndarray:
        """(N, d1, d2, ...) -> (N, d1·d2·...)."""
        return x.reshape(x.shape[0], -1)
