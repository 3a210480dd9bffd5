"""One batch's mean loss, correct predictions and gradients, a large batch chunk by chunk."""

from __future__ import annotations

import numpy as np

from ..engine.losses import Loss
from .contract import TrainableModel

Arrays = list[np.ndarray]  # parameters or gradients, in the model's order

# Batches larger than this many examples are differentiated in chunks of it. Chunks bound the
# memory of the activations (a full batch of 59,000 through 512 units would hold 121 MB per
# layer) and keep a chunk of x (51 MB of MNIST floats) in a large last-level cache from x W to
# xᵀ dz. Measured on 2 cores: chunks of 4,096 made the classic preset slower (more, smaller BLAS
# calls, each a meeting point of the BLAS threads); 16,384 runs at the speed of one pass.
CHUNK = 16384


class BatchGradients:
    """``model``'s gradients for ``loss`` on a batch: ``(xb, yb, grads) -> (mean loss, correct
    predictions, gradients)``, random layers drawing from ``rng``.

    A batch larger than ``CHUNK`` examples (full-batch descent) is differentiated chunk by
    chunk. The mean loss over N examples is the chunks' mean losses weighted by their shares,
    L = Σ_c (n_c / N)·L_c, so its gradient is ∇L = Σ_c (n_c / N)·∇L_c: the same gradient up to
    float rounding, with activations the size of a chunk, not of the set. The sums are kept in
    arrays of their own, made at the first such batch.
    """

    def __init__(self, model: TrainableModel, loss: Loss, rng: np.random.Generator) -> None:
        self.model, self.loss, self.rng = model, loss, rng
        self._totals: Arrays | None = None

    def __call__(self, xb: np.ndarray, yb: np.ndarray, grads: Arrays) -> tuple[float, int, Arrays]:
        """Shapes: ``xb`` (B, ...) prepared inputs, ``yb`` (B,) labels (or (B, K) targets);
        ``grads`` are the model's gradient arrays, which the backward pass fills."""
        n = len(xb)
        if n <= CHUNK:
            return self._one_pass(xb, yb, grads)
        if self._totals is None:
            self._totals = [np.empty_like(g) for g in grads]
        totals, loss, hits = self._totals, 0.0, 0
        for t in totals:
            t.fill(0)
        for start in range(0, n, CHUNK):
            stop = min(start + CHUNK, n)
            share = (stop - start) / n
            chunk_loss, chunk_hits, _ = self._one_pass(xb[start:stop], yb[start:stop], grads)
            loss += share * chunk_loss
            hits += chunk_hits
            for t, g in zip(totals, grads, strict=True):
                g *= share  # g is the chunk's own gradient, free to scale in place
                t += g
        return loss, hits, totals

    def _one_pass(self, xb: np.ndarray, yb: np.ndarray, grads: Arrays) -> tuple[float, int, Arrays]:
        """Mean loss, correct predictions and gradients (in ``grads``) of one batch."""
        out = self.model.forward(xb, training=True, rng=self.rng)
        loss = self.loss.forward(out, yb)
        hits = int(np.count_nonzero(out.argmax(axis=1) == yb)) if yb.ndim == 1 else 0
        self.model.backward(self.loss.backward())
        return loss, hits, grads
