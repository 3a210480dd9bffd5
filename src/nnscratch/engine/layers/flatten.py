"""Flatten images (N, C, H, W) or (N, H, W) into rows (N, C·H·W) for a Dense layer."""

from __future__ import annotations

from .base import Layer


class Flatten(Layer):
    """Reshape (N, d1, d2, ...) -> (N, d1·d2·...); backward restores the input's shape.
    A view, never a copy, when the input is contiguous."""

    def forward(self, x, training=False, rng=None):
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_y, input_grad=True):
        return grad_y.reshape(self._shape)

    def infer(self, x):
        return x.reshape(x.shape[0], -1)
