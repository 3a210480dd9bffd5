"""The training loop: mini-batch (or full-batch) gradient descent with callbacks.

One epoch: shuffle the indices (not the images), and for each batch
``forward -> loss -> backward -> optimizer.step``. After each epoch the dev set is evaluated and
the callbacks see the epoch's figures. The loop knows the model only through a few methods
(``forward``, ``backward``, ``trainable``, ``evaluate``, ``get_weights``, ``set_weights``), so
it serves any network that has them.

Stopping: early stopping (a callback), Ctrl-C (returns cleanly with what was learnt), and a
non-finite loss, which restores the last good weights and raises :class:`TrainingDiverged`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ConfigError, TrainingDiverged
from .metrics import accuracy

if TYPE_CHECKING:
    from .optimizers import Optimizer

# Batches larger than this many examples are differentiated in chunks of it (see
# Trainer._gradients). Chunks bound the memory of the activations (a full batch of 59,000
# through 512 units would hold 121 MB per layer) and keep a chunk of x (51 MB of MNIST floats)
# in a large last-level cache from x W to xᵀ dz. Measured on 2 cores: chunks of 4,096 made the
# classic preset slower (more, smaller BLAS calls, each a meeting point of the BLAS threads);
# 16,384 runs at the speed of one pass.
CHUNK = 16384


@dataclass
class History:
    """Per-epoch figures of a run (per iteration for full-batch runs, where an epoch is one
    step). ``dev_*`` entries are ``nan`` when there is no dev set. ``seconds`` is the training
    time since the start, dev evaluation excluded."""

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    dev_loss: list[float] = field(default_factory=list)
    dev_accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    stopped: str = "completed"  # completed | early_stopping | interrupted | diverged
    best_epoch: int | None = None

    def append(self, **figures: float) -> None:
        for key, value in figures.items():
            getattr(self, key).append(value)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able: nan becomes None."""
        def clean(values):
            return [None if isinstance(v, float) and math.isnan(v) else v for v in values]
        return {"epoch": self.epoch, "train_loss": clean(self.train_loss),
                "train_accuracy": clean(self.train_accuracy), "dev_loss": clean(self.dev_loss),
                "dev_accuracy": clean(self.dev_accuracy), "lr": self.lr,
                "seconds": self.seconds, "stopped": self.stopped, "best_epoch": self.best_epoch}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        def unclean(values):
            return [math.nan if v is None else v for v in values]
        history = cls(**{k: unclean(data[k]) if k.endswith(("loss", "accuracy")) else data[k]
                         for k in ("epoch", "train_loss", "train_accuracy", "dev_loss",
                                   "dev_accuracy", "lr", "seconds")})
        history.stopped = data.get("stopped", "completed")
        history.best_epoch = data.get("best_epoch")
        return history


class Callback:
    """Hooks into the loop. ``run`` is the :class:`Trainer`: read ``run.model``,
    ``run.history``, ``run.epochs``, ``run.steps_per_epoch``; set ``run.stop_training``."""

    def on_train_begin(self, run: Trainer) -> None: ...
    def on_epoch_begin(self, run: Trainer, epoch: int) -> None: ...
    def on_batch_end(self, run: Trainer, step: int, loss: float) -> None: ...
    def on_epoch_end(self, run: Trainer, epoch: int, figures: dict[str, float]) -> None: ...
    def on_train_end(self, run: Trainer) -> None: ...


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs, and
    (by default) put back the weights of the best epoch.

    ``monitor`` is ``dev_loss`` (lower is better) or ``dev_accuracy`` (higher is better).
    """

    def __init__(self, patience: int = 5, monitor: str = "dev_loss", min_delta: float = 0.0,
                 restore_best: bool = True) -> None:
        if monitor not in ("dev_loss", "dev_accuracy"):
            raise ConfigError(f"EarlyStopping monitor must be dev_loss or dev_accuracy, "
                              f"got {monitor!r}")
        if patience < 1:
            raise ConfigError(f"EarlyStopping patience must be at least 1, got {patience}")
        self.patience, self.monitor, self.min_delta = patience, monitor, min_delta
        self.restore_best = restore_best
        self._sign = -1.0 if monitor == "dev_loss" else 1.0

    def on_train_begin(self, run):
        if run.x_dev is None:
            raise ConfigError("early stopping needs a dev set: pass validation data or a split")
        self.best, self.best_epoch, self.best_weights, self.waited = -math.inf, None, None, 0

    def on_epoch_end(self, run, epoch, figures):
        score = self._sign * figures[self.monitor]
        if score > self.best + self.min_delta:
            self.best, self.best_epoch, self.waited = score, epoch, 0
            if self.restore_best:
                self.best_weights = run.model.get_weights()
        else:
            self.waited += 1
            if self.waited >= self.patience:
                run.stop_training = True
                run.history.stopped = "early_stopping"

    def on_train_end(self, run):
        run.history.best_epoch = self.best_epoch
        if self.restore_best and self.best_weights is not None:
            run.model.set_weights(self.best_weights)


class Trainer:
    """Runs :func:`fit`; callbacks receive it as ``run``."""

    def __init__(self, model, optimizer: Optimizer, *, epochs: int, batch_size: int | None,
                 x: np.ndarray, y: np.ndarray, x_dev: np.ndarray | None,
                 y_dev: np.ndarray | None, shuffle: bool, rng: np.random.Generator,
                 callbacks: list[Callback]) -> None:
        n = len(x)
        if n == 0:
            raise ConfigError("no training examples")
        if epochs < 1:
            raise ConfigError(f"epochs must be at least 1, got {epochs}")
        if batch_size is not None and batch_size < 1:
            raise ConfigError(f"batch size must be at least 1, got {batch_size}")
        self.model, self.optimizer = model, optimizer
        self.x, self.y, self.x_dev, self.y_dev = x, y, x_dev, y_dev
        self.epochs, self.shuffle, self.rng = epochs, shuffle, rng
        self.batch_size = n if batch_size is None else min(batch_size, n)
        self.steps_per_epoch = math.ceil(n / self.batch_size)
        self.callbacks = callbacks
        self.history = History()
        self.stop_training = False
        self._totals: list[np.ndarray] | None = None  # gradient sums over chunks (see below)

    def run(self) -> History:
        params, grads, decay = self.model.trainable()
        self._good_weights = self.model.get_weights()
        for callback in self.callbacks:
            callback.on_train_begin(self)
        train_seconds = 0.0
        try:
            for epoch in range(1, self.epochs + 1):
                for callback in self.callbacks:
                    callback.on_epoch_begin(self, epoch)
                start = time.perf_counter()
                loss, acc = self._epoch(epoch, params, grads, decay)
                train_seconds += time.perf_counter() - start
                if not all(np.isfinite(p).all() for p in params):
                    self._diverged(epoch, None, "the parameters")
                self._good_weights = self.model.get_weights()
                dev_loss, dev_acc = math.nan, math.nan
                if self.x_dev is not None and len(self.x_dev):
                    dev = self.model.evaluate(self.x_dev, self.y_dev)
                    dev_loss, dev_acc = dev["loss"], dev["accuracy"]
                figures = dict(train_loss=loss, train_accuracy=acc, dev_loss=dev_loss,
                               dev_accuracy=dev_acc, lr=self.optimizer.current_lr,
                               seconds=train_seconds)
                self.history.append(epoch=epoch, **figures)
                for callback in self.callbacks:
                    callback.on_epoch_end(self, epoch, figures)
                if self.stop_training:
                    break
        except KeyboardInterrupt:
            # Ctrl-C ends the run, not the program: the caller keeps what was learnt so far.
            self.history.stopped = "interrupted"
        for callback in self.callbacks:
            callback.on_train_end(self)
        dev_accuracy = self.history.dev_accuracy
        if self.history.best_epoch is None and dev_accuracy and not math.isnan(dev_accuracy[0]):
            self.history.best_epoch = self.history.epoch[int(np.argmax(dev_accuracy))]
        return self.history

    def _epoch(self, epoch, params, grads, decay) -> tuple[float, float]:
        """One pass over the training set; returns its mean batch loss and accuracy."""
        n, size = len(self.x), self.batch_size
        full_batch = size == n
        order = self.rng.permutation(n) if self.shuffle and not full_batch else None
        total_loss, correct = 0.0, 0
        for step in range(self.steps_per_epoch):
            if full_batch:
                xb, yb = self.x, self.y  # no copy: the classic preset's whole set every step
            else:
                rows = slice(step * size, (step + 1) * size)
                idx = order[rows] if order is not None else np.arange(n)[rows]
                xb, yb = self.x[idx], self.y[idx]
            loss, hits, step_grads = self._gradients(xb, yb, grads)
            if not math.isfinite(loss):
                self._diverged(epoch, step + 1, "the loss")
            correct += hits
            self.optimizer.step(params, step_grads, decay)
            total_loss += loss * len(yb)
            for callback in self.callbacks:
                callback.on_batch_end(self, step + 1, loss)
        return total_loss / n, correct / n

    def _gradients(self, xb, yb, grads) -> tuple[float, int, list[np.ndarray]]:
        """Mean loss, correct predictions and gradients of one batch.

        A batch larger than ``CHUNK`` examples (full-batch descent) is differentiated chunk by
        chunk. The mean loss over N examples is the chunks' mean losses weighted by their
        shares, L = Σ_c (n_c / N)·L_c, so its gradient is ∇L = Σ_c (n_c / N)·∇L_c: the same
        gradient up to float rounding, with activations the size of a chunk, not of the set.
        """
        n = len(xb)
        if n <= CHUNK:
            return self._batch_gradients(xb, yb, grads)
        if self._totals is None:
            self._totals = [np.empty_like(g) for g in grads]
        totals, loss, hits = self._totals, 0.0, 0
        for t in totals:
            t.fill(0)
        for start in range(0, n, CHUNK):
            stop = min(start + CHUNK, n)
            share = (stop - start) / n
            chunk_loss, chunk_hits, _ = self._batch_gradients(xb[start:stop], yb[start:stop],
                                                              grads)
            loss += share * chunk_loss
            hits += chunk_hits
            for t, g in zip(totals, grads):
                g *= share  # g is the chunk's own gradient, free to scale in place
                t += g
        return loss, hits, totals

    def _batch_gradients(self, xb, yb, grads) -> tuple[float, int, list[np.ndarray]]:
        """Mean loss, correct predictions and gradients (in ``grads``) of one batch."""
        model, loss_fn = self.model, self.model.loss
        out = model.forward(xb, training=True)
        loss = loss_fn.forward(out, yb)
        hits = int(np.count_nonzero(out.argmax(axis=1) == yb)) if yb.ndim == 1 else 0
        model.backward(loss_fn.backward())
        return loss, hits, grads

    def _diverged(self, epoch, step, what) -> None:
        good = self.history.epoch[-1] if self.history.epoch else None
        self.model.set_weights(self._good_weights)
        where = f"epoch {epoch}" + (f", batch {step}" if step is not None else "")
        kept = (f"the weights after epoch {good} were kept" if good
                else "the initial weights were kept")
        self.history.stopped = "diverged"
        error = TrainingDiverged(
            f"training diverged: {what} became non-finite at {where} "
            f"(learning rate {self.optimizer.current_lr:g}); {kept}. Try a lower learning "
            f"rate (--lr), or check that the inputs are scaled (pixels divided by 255).")
        error.history = self.history
        raise error


def fit(model, x: np.ndarray, y: np.ndarray, optimizer: Optimizer, *, epochs: int,
        batch_size: int | None, x_dev: np.ndarray | None = None,
        y_dev: np.ndarray | None = None, shuffle: bool = True,
        rng: np.random.Generator, callbacks: list[Callback] | None = None) -> History:
    """Train ``model`` in place and return its :class:`History`.

    Shapes: ``x`` (N, ...) prepared floats, ``y`` (N,) int labels (or (N, K) targets); the dev
    pair is raw (``model.evaluate`` prepares it).
    ``batch_size=None`` is full-batch gradient descent: one step per epoch on all N examples.
    Raises :class:`TrainingDiverged` (after restoring the last good weights) on a non-finite
    loss or parameter.
    """
    trainer = Trainer(model, optimizer, epochs=epochs, batch_size=batch_size, x=x, y=y,
                      x_dev=x_dev, y_dev=y_dev, shuffle=shuffle, rng=rng,
                      callbacks=list(callbacks or []))
    return trainer.run()
