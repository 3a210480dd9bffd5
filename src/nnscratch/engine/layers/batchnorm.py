"""Batch normalisation (Ioffe & Szegedy, 2015) of features (N, F) or channels (N, C, H, W)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import checks
from ...errors import ConfigError
from .base import Example, Layer, from_forward
from .scratch import Scratch

# Memory layouts of (N, C, H, W) images with the channels outermost, as axis orders: batch
# next (this package's Conv2D), or batch innermost.
_CHANNELS_FIRST = ((1, 0, 2, 3), (1, 2, 3, 0))


class BatchNorm(Layer):
    """Normalise each feature (or channel) by the batch's statistics, then scale and shift it.

    For one feature, over the m values the batch holds of it (m = N for (N, F) inputs,
    m = N·H·W for (N, C, H, W) inputs, one channel being one feature)::

        μ = (1/m) Σ x          σ² = (1/m) Σ (x - μ)²          (the biased batch variance)
        x̂ = (x - μ) / sqrt(σ² + eps)
        y = γ x̂ + β

    In training the batch's μ and σ² are used and the running averages are updated, with
    PyTorch's convention for ``momentum`` (the weight of the new batch, 0.1 by default) and
    its unbiased variance for the running one::

        running_mean ← (1 - momentum) running_mean + momentum μ
        running_var  ← (1 - momentum) running_var  + momentum σ² m / (m - 1)

    In evaluation (``training=False``) the running averages take the place of μ and σ², so a
    prediction does not depend on the other examples of its batch: y = γ (x - running_mean) /
    sqrt(running_var + eps) + β.

    Backward in training, with dx̂ = dy γ (every sum over the feature's m values)::

        dγ = Σ dy x̂        dβ = Σ dy
        dx = (1 / (m sqrt(σ² + eps))) (m dx̂ - Σ dx̂ - x̂ Σ dx̂ x̂)

    and in evaluation dx = dy γ / sqrt(running_var + eps).

    Arrays (all of shape (F,), F = ``features``): parameters ``gamma`` (γ, initially 1) and
    ``beta`` (β, initially 0); buffers ``running_mean`` (initially 0) and ``running_var``
    (initially 1), which no gradient moves but which model files and checkpoints save (they are
    PyTorch's ``weight``, ``bias``, ``running_mean`` and ``running_var`` of ``BatchNorm1d`` /
    ``BatchNorm2d``). Shapes: (N, F) -> (N, F) or (N, C, H, W) -> (N, C, H, W), C = F.

    Passes over the batch, each costing as much as the arithmetic: the sums over m are
    products with a vector of ones (5x faster than NumPy's reductions along rows), the centred
    input x - μ is kept in the layer's scratch between batches, and backward writes dx into
    dy (consumed) as a dy + b (x - μ) + c per feature: two passes forward after the
    statistics, four backward, where the formulas above written out take twice as many.

    A full-batch run differentiated in chunks (see ``nnscratch.training.gradients.CHUNK``) takes its
    statistics per chunk of 16,384 examples.
    """

    buffer_names = ("running_mean", "running_var")
    size_options = ("features",)
    examples = (
        Example({"features": 3}, (3,)),
        Example({"features": 2, "momentum": 0.2, "eps": 1e-3}, (2, 3, 4)),
    )

    def __init__(self, features: int, *, momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__()
        self.features = checks.whole("BatchNorm features", features, low=1)
        self.momentum = checks.real("BatchNorm momentum", momentum, low=0, high=1)
        self.eps = checks.real("BatchNorm eps", eps, low=0, low_open=True)
        self._order: tuple[int, ...] | None = None
        self._shape: tuple[int, ...] = ()
        self._training = False
        self._x_rows: np.ndarray | None = None
        self._scratch = Scratch()
        self._centred_rows: np.ndarray | None = None
        self._inv_std: np.ndarray | None = None

    @classmethod
    def options_from_shape(cls, shape: tuple[int, ...]) -> dict[str, Any]:
        """``features``: F of rows (F,), or C of images (C, H, W)."""
        return {"features": shape[0]}

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """(F,) -> (F,), or (C, H, W) -> (C, H, W)."""
        self._check((1, *input_shape))
        return tuple(input_shape)

    def array_shapes(self) -> dict[str, tuple[int, ...]]:
        """Parameters gamma and beta, buffers running_mean and running_var, each (features,)."""
        return dict.fromkeys(("gamma", "beta", "running_mean", "running_var"), (self.features,))

    def initialize(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        """γ = 1, β = 0; running mean 0 and variance 1."""
        f = self.features
        self.params = {"gamma": np.ones(f, dtype), "beta": np.zeros(f, dtype)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.buffers = {"running_mean": np.zeros(f, dtype), "running_var": np.ones(f, dtype)}

    def _layout(self, x: np.ndarray) -> tuple[int, ...] | None:
        """The axis order in which x's memory is laid out, when its channels are the outer
        axis (a convolution's output is laid out channels first, batch next or last), so that
        :func:`_rows` needs no copy; None for (N, F) features."""
        if x.ndim == 2:
            return None
        return next(
            (order for order in _CHANNELS_FIRST if x.transpose(order).flags.c_contiguous),
            _CHANNELS_FIRST[0],
        )

    def _check(self, shape: tuple[int, ...]) -> None:
        if len(shape) not in (2, 4) or shape[1] != self.features:
            raise ConfigError(
                f"BatchNorm({self.features}) expects (N, {self.features}) or "
                f"(N, {self.features}, H, W), got {shape}"
            )

    def forward(
        self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """(N, F) -> (N, F) or (N, C, H, W) -> (N, C, H, W), in x's memory layout; in
        training, the batch's statistics (and the running averages updated)."""
        self._check(x.shape)
        x = np.asarray(x, dtype=self.params["gamma"].dtype)
        self._order, self._shape = self._layout(x), x.shape
        if not training:
            self._x_rows, self._training = _rows(x, self._order), False
            self._inv_std = 1 / np.sqrt(self.buffers["running_var"] + self.eps)
            return self.infer(x)
        centred, inv_std = self.centre(x)
        scale = self.params["gamma"] * inv_std
        y = centred * scale[:, None]
        y += self.params["beta"][:, None]
        return _shaped(y, x.shape, self._order)

    def centre(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Training's statistics of x (N, F) or (N, C, H, W), in x's dtype: the centred input
        x - μ as (F, m) rows (in the layer's scratch) and 1/sqrt(σ² + eps) (F,); kept for
        backward, and the running averages updated."""
        self._check(x.shape)
        self._order, self._shape = self._layout(x), x.shape
        rows = _rows(x, self._order)
        m = rows.shape[1]
        mean = (rows @ self._scratch.ones(m, rows.dtype)) / m  # a product: 5x NumPy's mean
        centred = self._rows_buffer("centred", x.shape, x.dtype)
        np.subtract(rows, mean[:, None], out=centred)
        var = np.einsum("ij,ij->i", centred, centred) / m
        inv_std = 1 / np.sqrt(var + self.eps)
        self._centred_rows, self._inv_std, self._training = centred, inv_std, True
        self._update_running(mean, var, m)
        return centred, inv_std

    def infer(self, x: np.ndarray) -> np.ndarray:
        """Evaluation mode, y = x · γ/sqrt(running_var + eps) + (β - running_mean · that), in
        x's memory layout; nothing kept."""
        order = self._layout(x)
        scale = self.params["gamma"] / np.sqrt(self.buffers["running_var"] + self.eps)
        shift = self.params["beta"] - self.buffers["running_mean"] * scale
        y = _rows(x, order) * scale[:, None]
        y += shift[:, None]
        return _shaped(y, x.shape, order)

    def _rows_buffer(self, name: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """A scratch buffer for an input of ``shape``, as (F, m) rows laid out as :func:`_rows`
        reads the input: kept between batches (a fresh one costs more than a pass over it)."""
        if self._order is None:
            features_last: np.ndarray = self._scratch.get(name, shape, dtype).T
            return features_last
        memory = self._scratch.get(name, tuple(shape[a] for a in self._order), dtype)
        return memory.reshape(self.features, -1)

    def _update_running(self, mean: np.ndarray, var: np.ndarray, m: int) -> None:
        momentum = self.momentum
        unbiased = var * (m / (m - 1)) if m > 1 else var
        for name, batch in (("running_mean", mean), ("running_var", unbiased)):
            running = self.buffers[name]
            running *= 1 - momentum
            running += (momentum * batch).astype(running.dtype, copy=False)

    def backward(self, grad_y: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Gradients: dy -> dx, both of the input's shape; fills dγ and dβ."""
        gamma = self.params["gamma"]
        dy = _rows(grad_y, self._order)
        inv_std = from_forward(self._inv_std, self)
        if not self._training:
            x_rows = from_forward(self._x_rows, self)
            xhat = (x_rows - self.buffers["running_mean"][:, None]) * inv_std[:, None]
            self.grads["beta"][...] = dy.sum(axis=1)
            self.grads["gamma"][...] = np.einsum("ij,ij->i", dy, xhat)
            if not input_grad:
                return None
            return _shaped(dy * (gamma * inv_std)[:, None], self._shape, self._order)
        centred = from_forward(self._centred_rows, self)
        m = centred.shape[1]
        dbeta = dy @ self._scratch.ones(m, dy.dtype)
        dgamma = np.einsum("ij,ij->i", dy, centred) * inv_std  # Σ dy x̂, x̂ = centred · inv_std
        self.grads["beta"][...], self.grads["gamma"][...] = dbeta, dgamma
        if not input_grad:
            return None
        # dx = γ/(m σ) (m dy - Σ dy - x̂ Σ dy x̂) = a dy + b centred + c per feature, in three
        # passes over dy (consumed) and one over centred.
        a = gamma * inv_std
        b = -a * inv_std * dgamma / m
        c = -a * dbeta / m
        dy *= a[:, None]
        term = np.multiply(
            centred, b[:, None], out=self._rows_buffer("term", self._shape, dy.dtype)
        )
        term += c[:, None]
        dy += term
        return _shaped(dy, self._shape, self._order)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments: features, momentum, eps."""
        return {"features": self.features, "momentum": self.momentum, "eps": self.eps}


def _rows(x: np.ndarray, order: tuple[int, ...] | None) -> np.ndarray:
    """X as (F, m): one row per feature; a view when x's memory is laid out in ``order``."""
    rows: np.ndarray = x.T if order is None else x.transpose(order).reshape(x.shape[1], -1)
    return rows


def _shaped(rows: np.ndarray, shape: tuple[int, ...], order: tuple[int, ...] | None) -> np.ndarray:
    """(F, m) rows back to ``shape`` (a view), laid out in ``order`` as :func:`_rows` read."""
    if order is None:
        columns: np.ndarray = rows.T
        return columns
    shaped: np.ndarray = rows.reshape([shape[a] for a in order]).transpose(np.argsort(order))
    return shaped
