"""Max pooling over non-overlapping windows."""

from __future__ import annotations

import numpy as np

from ...errors import ConfigError
from .base import Layer


class MaxPool2D(Layer):
    """The largest value of each ``k×k`` window, windows side by side (stride ``k``).

    ``y[n, c, i, j] = max_{u, v < k} x[n, c, k·i + u, k·j + v]``

    Shapes: (N, C, H, W) -> (N, C, H // k, W // k); rows or columns left over when H or W is not
    a multiple of k are dropped (they get a zero gradient). Backward sends each output's gradient
    to the one input that was the maximum (the first, in window order, when several tie), so the
    gradient is that of the function actually computed.

    Both passes loop over the k·k offsets of a window, each a strided array operation over the
    whole batch: no copy of the windows, no loop over examples.
    """

    keeps_size = False  # it takes images of any size

    def __init__(self, pool_size: int = 2) -> None:
        super().__init__()
        if int(pool_size) < 1:
            raise ConfigError(f"MaxPool2D pool_size must be positive, got {pool_size}")
        self.pool_size = int(pool_size)

    def _offsets(self, x: np.ndarray):
        """The k·k strided views x[:, :, u::k, v::k], each cropped to (H // k, W // k)."""
        k = self.pool_size
        h_out, w_out = x.shape[2] // k, x.shape[3] // k
        for u in range(k):
            for v in range(k):
                yield (u, v), x[:, :, u:u + k * h_out:k, v:v + k * w_out:k]

    def forward(self, x: np.ndarray, training: bool = False,
                rng: np.random.Generator | None = None) -> np.ndarray:
        k = self.pool_size
        if x.ndim != 4 or x.shape[2] < k or x.shape[3] < k:
            raise ConfigError(f"MaxPool2D({k}) expects images (N, C, H, W) of at least "
                              f"{k}x{k}, got {x.shape}")
        views = self._offsets(x)
        _, first = next(views)
        y = first.copy(order="K")  # keep the input's memory layout (see Conv2D)
        for _, view in views:
            np.maximum(y, view, out=y)
        self._x, self._y = x, y
        return y

    def backward(self, grad_y: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        x, y = self._x, self._y
        dx = np.zeros_like(x, dtype=grad_y.dtype)
        routed = np.zeros(y.shape, dtype=bool)  # outputs whose gradient has found its input
        unrouted = np.empty_like(routed)
        k, h_out, w_out = self.pool_size, y.shape[2], y.shape[3]
        for (u, v), view in self._offsets(x):
            winner = np.equal(view, y)
            winner &= np.logical_not(routed, out=unrouted)
            routed |= winner
            np.multiply(grad_y, winner, out=dx[:, :, u:u + k * h_out:k, v:v + k * w_out:k])
        return dx

    def config(self) -> dict:
        return {"pool_size": self.pool_size}
