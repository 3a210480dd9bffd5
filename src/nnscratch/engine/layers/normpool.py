"""BatchNorm directly followed by MaxPool2D, trained in one step that never writes the
normalised images.

Normalisation is an affine map per channel, y = a (x - μ) + β with a = γ / sqrt(σ² + eps), and
max-pooling commutes with it: for a >= 0 the largest y of a window is at the largest x - μ,
for a < 0 at the smallest. So the step pools x - μ (its sign flipped in the channels where
a < 0) and applies the affine map to the pooled quarter: the two passes that write BatchNorm's
full-size output, and the pooling's reading of it, are gone. The outputs are those of the two
layers run one after the other, bit for bit (rounding is monotone, so the largest rounded y
is the rounded y of the largest x - μ); the gradients are theirs to rounding (their sums run
in another order), and where two inputs of a window give the same rounded y, the gradient may
go to the other one (either is a gradient of the max). So where γ = 0, making a window's
outputs all β, dγ takes the window's largest x̂ where the two layers take its first.

Backward, with g the gradient of the pooled output and dy its scattering to each window's
winner (zero elsewhere), BatchNorm's dx = a dy + b (x - μ) + c per channel (see
:class:`~.batchnorm.BatchNorm`) becomes one full pass for b (x - μ) + c and, per window
offset, a quarter-size addition of a g where that offset won.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .base import Layer, from_forward
from .batchnorm import BatchNorm, _rows, _shaped
from .pooling import MaxPool2D, axis_order, copy_like, window_offsets


class NormPool:
    """The training step of a (BatchNorm, MaxPool2D) pair of images; their own ``grads`` and
    running averages are filled as their own passes would. Shapes: (N, C, H, W) -> (N, C,
    H // k, W // k)."""

    def __init__(self, norm: BatchNorm, pool: MaxPool2D) -> None:
        self.norm, self.pool = norm, pool
        self._signs: np.ndarray | None = None
        self._scale: np.ndarray | None = None
        self._pooled: np.ndarray | None = None
        self._winner: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """(N, C, H, W) -> (N, C, H // k, W // k): MaxPool2D(BatchNorm(x)) in training."""
        norm, pool = self.norm, self.pool
        pool._check(x.shape)
        x = np.asarray(x, dtype=norm.params["gamma"].dtype)
        centred_rows, inv_std = norm.centre(x)
        centred = _shaped(centred_rows, x.shape, norm._order)
        scale = norm.params["gamma"] * inv_std  # a
        flipped = scale < 0
        signs = None
        if flipped.any():
            signs = np.where(flipped, -1, 1).astype(x.dtype)[:, None, None]
            centred = centred * signs
        pooled, self._winner = pool._max_and_winner(centred)
        y: np.ndarray = pooled * np.abs(scale)[:, None, None]
        y += norm.params["beta"][:, None, None]
        self._signs, self._scale, self._pooled = signs, scale, pooled
        return y

    def backward(self, grad_y: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Gradients: g (N, C, H // k, W // k) -> dx (N, C, H, W) (``grad_y`` consumed); fills
        the BatchNorm's dγ and dβ."""
        norm = self.norm
        pooled, winner = from_forward(self._pooled, norm), from_forward(self._winner, norm)
        scale, inv_std = from_forward(self._scale, norm), from_forward(norm._inv_std, norm)
        centred_rows = from_forward(norm._centred_rows, norm)
        if axis_order(grad_y) != axis_order(pooled):
            grad_y = copy_like(grad_y, pooled)
        g_rows, pooled_rows = _rows(grad_y, norm._order), _rows(pooled, norm._order)
        dbeta = g_rows @ norm._scratch.ones(g_rows.shape[1], g_rows.dtype)
        # Σ dy x̂ over the winners, where x̂ = (x - μ) inv_std = sign · pooled · inv_std
        dgamma = np.einsum("ij,ij->i", g_rows, pooled_rows) * inv_std
        if self._signs is not None:
            dgamma *= self._signs.reshape(-1)
        norm.grads["beta"][...], norm.grads["gamma"][...] = dbeta, dgamma
        if not input_grad:
            return None
        m = centred_rows.shape[1]
        dx_rows = centred_rows * (-scale * inv_std * dgamma / m)[:, None]
        dx_rows += (-scale * dbeta / m)[:, None]
        dx = _shaped(dx_rows, norm._shape, norm._order)
        grad_y *= scale[:, None, None]
        won = np.empty_like(winner, dtype=bool)
        share = np.empty_like(grad_y)
        for index, view in enumerate(window_offsets(dx, self.pool.pool_size)):
            np.equal(winner, index, out=won)
            np.multiply(grad_y, won, out=share)
            view += share
        return dx


def norm_pool_steps(layers: Sequence[Layer], order: Sequence[int]) -> dict[int, NormPool]:
    """A NormPool for each BatchNorm that runs directly before a MaxPool2D in ``order`` (the
    order Sequential runs ``layers`` in), by the BatchNorm's index."""
    steps = {}
    for i, j in zip(order, order[1:], strict=False):
        norm, pool = layers[i], layers[j]
        if type(norm) is BatchNorm and type(pool) is MaxPool2D:
            steps[i] = NormPool(norm, pool)
    return steps
