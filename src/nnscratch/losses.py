"""Losses. Each takes the network's raw outputs (logits) and the targets.

``forward(outputs, targets) -> float`` returns the mean loss over the batch and caches what
``backward() -> grad_outputs`` needs. The gradient is already divided by the batch size N, so a
Dense layer's ``dW = xᵀ dz`` is the gradient of the *mean* loss whatever N is.
"""

from __future__ import annotations

import numpy as np

from .errors import ConfigError


def log_softmax(z: np.ndarray) -> np.ndarray:
    """log p = z - max(z) - log Σ exp(z - max(z)), row by row; stable for any finite z.

    Shapes: (N, C) -> (N, C), same dtype.
    """
    shifted = z - z.max(axis=1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return shifted


def softmax(z: np.ndarray) -> np.ndarray:
    """p = exp(z - max z) / Σ exp(z - max z), row by row. Shapes: (N, C) -> (N, C)."""
    p = z - z.max(axis=1, keepdims=True)
    np.exp(p, out=p)
    p /= p.sum(axis=1, keepdims=True)
    return p


class Loss:
    """Base class; ``probabilities`` turns outputs into what ``predict_proba`` returns."""

    name = "loss"

    def forward(self, outputs: np.ndarray, targets: np.ndarray) -> float:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        raise NotImplementedError

    def probabilities(self, outputs: np.ndarray) -> np.ndarray:
        return outputs

    def config(self) -> dict:
        return {"name": self.name}


class SoftmaxCrossEntropy(Loss):
    """Softmax and cross-entropy fused, on logits and integer labels.

    Shapes: logits ``z`` (N, C), labels ``y`` (N,) integers in [0, C).

    * loss = mean_n [ log Σ_c exp(z[n, c]) - z[n, y[n]] ]   (log-sum-exp, max subtracted)
    * dL/dz = (p - onehot(y)) / N, with p = softmax(z); the one-hot width is C, the number of
      logits, never the largest label that happens to be in the batch.
    """

    name = "softmax_cross_entropy"

    def forward(self, outputs, targets):
        z = outputs
        n = z.shape[0]
        y = np.asarray(targets)
        z_max = z.max(axis=1, keepdims=True)
        p = z - z_max
        np.exp(p, out=p)
        sums = p.sum(axis=1, keepdims=True)
        p /= sums
        rows = np.arange(n)
        # -log p[y] = log Σ exp(z - max) - (z[y] - max), without taking log of a tiny p.
        z_true = z[rows, y] - z_max[:, 0]
        losses = np.log(sums[:, 0], dtype=np.float64) - z_true
        self._p, self._y, self._rows = p, y, rows
        return float(losses.mean())

    def backward(self):
        dz, n = self._p, self._p.shape[0]
        dz[self._rows, self._y] -= 1
        dz *= dz.dtype.type(1.0 / n)
        return dz

    def probabilities(self, outputs):
        return softmax(outputs)


class BinaryCrossEntropy(Loss):
    """Sigmoid and binary cross-entropy fused, on logits and 0/1 (or soft) targets.

    Shapes: logits ``z`` and targets ``t`` alike, e.g. (N, K); the mean is over all N·K entries.

    * loss = mean [ max(z, 0) - z t + log(1 + exp(-|z|)) ]   (never overflows)
    * dL/dz = (sigmoid(z) - t) / (N·K)
    """

    name = "binary_cross_entropy"

    def forward(self, outputs, targets):
        z = outputs
        t = np.asarray(targets, dtype=z.dtype).reshape(z.shape)
        losses = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
        self._z, self._t = z, t
        return float(losses.mean(dtype=np.float64))

    def backward(self):
        return (_sigmoid(self._z) - self._t) / self._z.size

    def probabilities(self, outputs):
        return _sigmoid(outputs)


class MeanSquaredError(Loss):
    """loss = mean over all entries of (y - t)²; dL/dy = 2 (y - t) / (N·K).

    Shapes: outputs ``y`` and targets ``t`` alike, e.g. (N, K).
    """

    name = "mean_squared_error"

    def forward(self, outputs, targets):
        t = np.asarray(targets, dtype=outputs.dtype).reshape(outputs.shape)
        self._diff = outputs - t
        return float(np.mean(np.square(self._diff, dtype=np.float64)))

    def backward(self):
        return self._diff * self._diff.dtype.type(2.0 / self._diff.size)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(0.5 * z))


LOSSES = {cls.name: cls for cls in (SoftmaxCrossEntropy, BinaryCrossEntropy, MeanSquaredError)}


def get_loss(name: str) -> Loss:
    """A new loss by name: softmax_cross_entropy, binary_cross_entropy or mean_squared_error."""
    try:
        return LOSSES[name]()
    except KeyError:
        valid = ", ".join(LOSSES)
        raise ConfigError(f"unknown loss {name!r}; choose one of: {valid}") from None
