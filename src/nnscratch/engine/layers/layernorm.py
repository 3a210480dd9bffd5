"""Layer normalisation (Ba, Kiros & Hinton, 2016): each example normalised by its own values."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import checks
from ...errors import ConfigError
from .base import Example, Layer, from_forward


class LayerNorm(Layer):
    """Normalise each example over its last axes, then scale and shift, as PyTorch's
    ``nn.LayerNorm(shape)``.

    ``shape`` is the trailing shape normalised over: ``LayerNorm(128)`` normalises (N, 128)
    rows, or each step of (N, T, 128) sequences; ``LayerNorm((16, 7, 7))`` whole (N, 16, 7, 7)
    feature maps. Over the D = prod(shape) values of one example (or one step)::

        μ = (1/D) Σ x        σ² = (1/D) Σ (x - μ)²
        x̂ = (x - μ) / sqrt(σ² + eps)
        y = γ ⊙ x̂ + β

    the same in training and in evaluation (no running averages: the statistics are the
    example's own). Backward, with dx̂ = dy ⊙ γ and sums over the D values::

        dx = (1 / (D sqrt(σ² + eps))) (D dx̂ - Σ dx̂ - x̂ Σ dx̂ x̂)

    and dγ = Σ dy ⊙ x̂, dβ = Σ dy, summed over the examples (and steps).

    Parameters ``gamma`` (γ, initially 1) and ``beta`` (β, initially 0), each of ``shape``
    (PyTorch's ``weight`` and ``bias``). Shapes: (..., *shape) -> the same.
    """

    size_options = ("shape",)
    # over rows, over each step of sequences, over whole feature maps
    examples = (
        Example({"shape": [5]}, (5,)),
        Example({"shape": [4], "eps": 1e-3}, (3, 4)),
        Example({"shape": [2, 3, 3]}, (2, 3, 3)),
    )

    def __init__(self, shape: int | Sequence[int], *, eps: float = 1e-5) -> None:
        super().__init__()
        self.shape = checks.sizes(
            "LayerNorm shape", list(shape) if isinstance(shape, (list, tuple)) else shape
        )
        self.eps = checks.real("LayerNorm eps", eps, low=0, low_open=True)
        self.size = math.prod(self.shape)
        self._shape: tuple[int, ...] = ()
        self._xhat: np.ndarray | None = None
        self._inv_std: np.ndarray | None = None

    @classmethod
    def options_from_shape(cls, shape: tuple[int, ...]) -> dict[str, Any]:
        """``shape``: the last axis, [F] of rows (F,) or of sequences (T, F)."""
        return {"shape": [shape[-1]]}

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """(..., *shape) -> the same."""
        self._check((1, *input_shape))
        return tuple(input_shape)

    def _check(self, shape: tuple[int, ...]) -> None:
        d = len(self.shape)
        if len(shape) <= d or shape[-d:] != self.shape:
            raise ConfigError(
                f"LayerNorm{self.shape} expects inputs (N, ..., "
                f"{', '.join(map(str, self.shape))}), got {shape}"
            )

    def array_shapes(self) -> dict[str, tuple[int, ...]]:
        """The parameters gamma and beta, each of ``shape``."""
        return {"gamma": self.shape, "beta": self.shape}

    def initialize(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        """γ = 1, β = 0."""
        self.params = {"gamma": np.ones(self.shape, dtype), "beta": np.zeros(self.shape, dtype)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def forward(
        self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """(N, ..., *shape) -> the same, keeping x̂ and 1/σ for backward."""
        self._check(x.shape)
        x = np.asarray(x, dtype=self.params["gamma"].dtype)
        y, self._xhat, self._inv_std = self._normalise(x)
        self._shape = x.shape
        return y

    def infer(self, x: np.ndarray) -> np.ndarray:
        """(N, ..., *shape) -> the same, nothing kept."""
        return self._normalise(x)[0]

    def _normalise(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Y (x's shape), and x̂ (M, D) and 1/sqrt(σ² + eps) (M,) for backward."""
        rows = self._rows(x)  # one row per example (and step)
        # Each result laid out as rows are (empty_like): with a broadcast operand NumPy may
        # otherwise pick C order for rows that are columns in memory.
        centred = np.subtract(rows, rows.mean(axis=1, keepdims=True), out=np.empty_like(rows))
        var = np.einsum("ij,ij->i", centred, centred) / self.size
        inv_std = 1 / np.sqrt(var + self.eps)
        xhat = centred
        xhat *= inv_std[:, None]
        y = np.multiply(xhat, self.params["gamma"].reshape(-1), out=np.empty_like(xhat))
        y += self.params["beta"].reshape(-1)
        return self._shaped(y, x.shape), xhat, inv_std

    def _rows(self, x: np.ndarray) -> np.ndarray:
        """X as (M, D), one row per example (or step): a view of C-ordered memory, and of
        images laid out batch-last (a convolution's output, see :mod:`.scratch`), whose rows
        are then columns in memory."""
        if x.ndim == len(self.shape) + 1 > 2:
            batch_last = x.transpose(*range(1, x.ndim), 0)
            if batch_last.flags.c_contiguous:
                columns: np.ndarray = batch_last.reshape(self.size, -1).T
                return columns
        return x.reshape(-1, self.size)

    def _shaped(self, rows: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """(M, D) rows back to ``shape``: a view in the layout :meth:`_rows` read."""
        if len(shape) == len(self.shape) + 1 > 2 and not rows.flags.c_contiguous:
            batch_last = rows.T.reshape(*shape[1:], shape[0])
            shaped: np.ndarray = batch_last.transpose(len(shape) - 1, *range(len(shape) - 1))
            return shaped
        return rows.reshape(shape)

    def backward(self, grad_y: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Gradients: dy -> dx, both (N, ..., *shape); fills dγ and dβ."""
        gamma = self.params["gamma"].reshape(-1)
        dy = self._rows(grad_y)
        xhat, inv_std = from_forward(self._xhat, self), from_forward(self._inv_std, self)
        np.einsum("ij,ij->j", dy, xhat, out=self.grads["gamma"].reshape(-1))
        np.sum(dy, axis=0, out=self.grads["beta"].reshape(-1))
        if not input_grad:
            return None
        dxhat = np.multiply(dy, gamma, out=np.empty_like(xhat))  # dx laid out as x was
        sum_dxhat = dxhat.sum(axis=1, keepdims=True)
        sum_dxhat_xhat = np.einsum("ij,ij->i", dxhat, xhat)[:, None]
        dx = np.multiply(dxhat, self.size, out=np.empty_like(dxhat))
        dx -= sum_dxhat
        dx -= xhat * sum_dxhat_xhat
        dx *= (inv_std / self.size)[:, None]
        return self._shaped(dx, self._shape)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments: shape (a list) and eps."""
        return {"shape": list(self.shape), "eps": self.eps}
