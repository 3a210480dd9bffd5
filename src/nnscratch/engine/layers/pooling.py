"""Max pooling over non-overlapping windows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ... import checks
from ...errors import ConfigError
from .activations import ReLU
from .base import IMAGES, Example, Layer, from_forward


def window_offsets(x: np.ndarray, k: int) -> Iterator[np.ndarray]:
    """The k·k strided views x[:, :, u::k, v::k] of images (N, C, H, W), each cropped to
    (H // k, W // k), in window order: the value at offset (u, v) of every k x k window."""
    h_out, w_out = x.shape[2] // k, x.shape[3] // k
    for u in range(k):
        for v in range(k):
            yield x[:, :, u : u + k * h_out : k, v : v + k * w_out : k]


class WindowPool(Layer):
    """What pooling over ``k×k`` windows side by side (stride ``k``) shares: the window size,
    the shape rule (C, H, W) -> (C, H // k, W // k) and its check. No parameters."""

    keeps_size = False  # it takes images of any size
    takes = IMAGES

    def __init__(self, pool_size: int = 2) -> None:
        super().__init__()
        self.pool_size = checks.whole(f"{self.name} pool_size", pool_size, low=1)
        self._x: np.ndarray | None = None  # the input of the last forward pass, for backward

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """(C, H, W) -> (C, H // k, W // k)."""
        self._check((1, *input_shape))
        c, height, width = input_shape
        return c, height // self.pool_size, width // self.pool_size

    def _check(self, shape: tuple[int, ...]) -> None:
        k = self.pool_size
        if len(shape) != 4 or shape[2] < k or shape[3] < k:
            raise ConfigError(
                f"{self.name}({k}) expects images (N, C, H, W) of at least {k}x{k}, got {shape}"
            )


class MaxPool2D(WindowPool):
    """The largest value of each ``k×k`` window, windows side by side (stride ``k``).

    ``y[n, c, i, j] = max_{u, v < k} x[n, c, k·i + u, k·j + v]``

    Shapes: (N, C, H, W) -> (N, C, H // k, W // k); rows or columns left over when H or W is not
    a multiple of k are dropped (they get a zero gradient). Backward sends each output's gradient
    to the one input that was the maximum (the first, in window order, when several tie), so the
    gradient is that of the function actually computed.

    Both passes loop over the k·k offsets (u, v) of a window, each a strided array operation over
    the whole batch: no copy of the windows, no loop over examples. Training also records which
    offset won each window (``winner``, one byte per output, not a mask the size of the input),
    so backward is two passes per offset: pick the outputs that offset won, and write their
    gradient into its slice of ``dx``. Every array takes the input's memory layout (the batch
    last, from a convolution: see :mod:`.scratch`), so no pass transposes.
    """

    # windows that leave a row over
    examples = (Example({"pool_size": 2}, (2, 5, 4)),)

    def __init__(self, pool_size: int = 2) -> None:
        super().__init__(pool_size)
        self._winner: np.ndarray | None = None

    def forward(
        self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """(N, C, H, W) -> (N, C, H // k, W // k), in the input's memory layout."""
        self._check(x.shape)
        self._x = x
        if training:
            y, self._winner = self._max_and_winner(x)
            return y
        self._winner = None  # backward after a prediction (a gradient check) finds it then
        views = window_offsets(x, self.pool_size)
        maxima: np.ndarray = next(views).copy(order="K")  # keep the input's memory layout
        for view in views:
            np.maximum(maxima, view, out=maxima)
        return maxima

    def _max_and_winner(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The maxima y and, for each, the offset (in window order) of the first input equal to
        it: a running maximum where a later offset wins only when strictly larger."""
        views = window_offsets(x, self.pool_size)
        y = next(views).copy(order="K")
        winner = np.zeros_like(y, dtype=np.uint8 if self.pool_size**2 <= 256 else np.uint16)
        larger = np.empty_like(y, dtype=bool)
        offset = np.empty_like(winner)
        for index, view in enumerate(views, start=1):
            np.greater(view, y, out=larger)
            np.maximum(y, view, out=y)
            # winner <- index where larger: the indices only grow, so a maximum does it, and
            # without np.copyto(where=), which is several times slower
            np.multiply(larger, winner.dtype.type(index), out=offset)
            np.maximum(winner, offset, out=winner)
        return y, winner

    def backward(self, grad_y: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Gradients: dy (N, C, H // k, W // k) -> dx (N, C, H, W), each window's gradient
        to its maximum."""
        x, winner, k = from_forward(self._x, self), self._winner, self.pool_size
        if winner is None:
            winner = self._winner = self._max_and_winner(x)[1]
        dx = np.empty_like(x, dtype=grad_y.dtype)
        h_used, w_used = k * winner.shape[2], k * winner.shape[3]
        dx[:, :, h_used:] = 0  # the rows and columns no window covers
        dx[:, :, :h_used, w_used:] = 0
        won = np.empty_like(winner, dtype=bool)
        if axis_order(grad_y) != axis_order(winner):
            # (from a Flatten) one transposing copy, rather than k·k transposing passes
            grad_y = copy_like(grad_y, winner)
        for index, view in enumerate(window_offsets(dx, self.pool_size)):
            np.equal(winner, index, out=won)
            np.multiply(grad_y, won, out=view)
        return dx

    def config(self) -> dict[str, Any]:
        """The constructor's argument, pool_size."""
        return {"pool_size": self.pool_size}


def axis_order(a: np.ndarray) -> tuple[int, ...]:
    """The axes from the slowest to the fastest in memory."""
    return tuple(sorted(range(a.ndim), key=lambda axis: -abs(a.strides[axis])))


def copy_like(a: np.ndarray, like: np.ndarray) -> np.ndarray:
    """A copy of ``a`` laid out in memory as ``like``."""
    out = np.empty_like(like, dtype=a.dtype)
    np.copyto(out, a)
    return out


def pool_before_relu(layers: Sequence[Layer]) -> list[int]:
    """The order in which to run ``layers``: in order, except that a ReLU directly followed by
    a MaxPool2D runs after it.

    Max and ReLU commute: max_w relu(z) = relu(max_w z) exactly (ReLU is z itself or 0), and
    so do their gradients: a window whose maximum is positive sends its gradient to the same
    first maximal input either way, and one whose maximum is not positive sends none (up to
    the sign of a zero). Pooling first, the ReLU sees k² times fewer values, forward and
    backward.
    """
    order = list(range(len(layers)))
    i = 0
    while i + 1 < len(layers):
        if type(layers[i]) is ReLU and type(layers[i + 1]) is MaxPool2D:
            order[i], order[i + 1] = i + 1, i
            i += 2
        else:
            i += 1
    return order
