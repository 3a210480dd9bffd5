"""Average pooling: over non-overlapping windows, and over the whole image."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import ConfigError
from .base import IMAGES, Example, Layer, from_forward
from .pooling import WindowPool, window_offsets


class AvgPool2D(WindowPool):
    """The mean of each ``k×k`` window, windows side by side (stride ``k``), as PyTorch's
    ``nn.AvgPool2d(k)``.

    ``y[n, c, i, j] = (1/k²) Σ_{u, v < k} x[n, c, k·i + u, k·j + v]``

    Shapes: (N, C, H, W) -> (N, C, H // k, W // k); rows or columns left over when H or W is
    not a multiple of k are dropped (they get a zero gradient). Backward: each input of a
    window gets 1/k² of the window's output gradient, ``dx[n, c, k·i + u, k·j + v] =
    dy[n, c, i, j] / k²``. Both passes are k·k strided operations over the whole batch, each
    array in the input's memory layout (a convolution's: the batch last, see :mod:`.scratch`),
    so neither transposes. No parameters.
    """

    # windows that leave a row and a column over
    examples = (Example({"pool_size": 3}, (2, 7, 8)),)

    def forward(
        self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """(N, C, H, W) -> (N, C, H // k, W // k), in the input's memory layout."""
        self._check(x.shape)
        self._x = x  # for its shape and memory layout, which dx takes
        return self.infer(x)

    def infer(self, x: np.ndarray) -> np.ndarray:
        """(N, C, H, W) -> (N, C, H // k, W // k), nothing kept."""
        k = self.pool_size
        windows = window_offsets(x, self.pool_size)
        y = next(windows).copy(order="K")  # keep the input's memory layout (see Conv2D)
        for view in windows:
            y += view
        y *= y.dtype.type(1 / (k * k))
        result: np.ndarray = y
        return result

    def backward(self, grad_y: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Gradients: dy (N, C, H // k, W // k) -> dx (N, C, H, W), 1/k² of each window's
        gradient to each of its inputs."""
        k = self.pool_size
        dx = np.zeros_like(
            from_forward(self._x, self), dtype=grad_y.dtype
        )  # the input's memory layout
        share = grad_y * grad_y.dtype.type(1 / (k * k))
        for view in window_offsets(dx, self.pool_size):
            view[...] = share
        return dx

    def config(self) -> dict[str, Any]:
        """The constructor's argument, pool_size."""
        return {"pool_size": self.pool_size}


class GlobalAvgPool2D(Layer):
    """The mean of each channel over the whole image, as PyTorch's
    ``nn.AdaptiveAvgPool2d(1)`` followed by a flatten.

    ``y[n, c] = (1/(H·W)) Σ_{i, j} x[n, c, i, j]``

    Shapes: (N, C, H, W) -> (N, C). Backward: ``dx[n, c, i, j] = dy[n, c] / (H·W)``, laid out
    in memory as the input was. No parameters.
    """

    keeps_size = False  # it takes images of any size
    takes = IMAGES
    examples = (Example({}, (3, 4, 5)),)

    def __init__(self) -> None:
        super().__init__()
        self._x: np.ndarray | None = None

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """(C, H, W) -> (C,)."""
        self._check((1, *input_shape))
        return (input_shape[0],)

    def _check(self, shape: tuple[int, ...]) -> None:
        if len(shape) != 4:
            raise ConfigError(f"GlobalAvgPool2D expects images (N, C, H, W), got {shape}")

    def forward(
        self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """(N, C, H, W) -> (N, C), keeping x's shape and layout for backward."""
        self._check(x.shape)
        self._x = x  # for its shape and memory layout, which dx takes
        return self.infer(x)

    def infer(self, x: np.ndarray) -> np.ndarray:
        """(N, C, H, W) -> (N, C), the mean of each channel."""
        y: np.ndarray = x.mean(axis=(2, 3))
        return y

    def backward(self, grad_y: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Gradients: dy (N, C) -> dx (N, C, H, W), 1/(H·W) of each channel's gradient
        everywhere."""
        x = from_forward(self._x, self)
        h, w = x.shape[2:]
        dx = np.empty_like(x, dtype=grad_y.dtype)  # the input's memory layout
        dx[...] = (grad_y * grad_y.dtype.type(1 / (h * w)))[:, :, None, None]
        return dx
