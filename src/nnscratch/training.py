"""The training loop: mini-batch (or full-batch) gradient descent with callbacks.

One epoch: shuffle the indices (not the images), and for each batch
``forward -> loss -> backward -> optimizer.step``. After each epoch the dev set is evaluated and
the callbacks see the epoch's figures. The loop knows the model only through a few methods
(``forward``, ``backward``, ``trainable``, ``evaluate``, ``get_weights``, ``set_weights``), so
it serves any network that has them.

Stopping: early stopping (a callback), Ctrl-C (returns cleanly with what was learnt), and
divergence, which restores the last good weights and raises :class:`TrainingDiverged`: a
non-finite loss or parameter, or a loss that explodes (see :data:`DIVERGENCE_FACTOR`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ConfigError, TrainingDiverged

if TYPE_CHECKING:
    from .optimizers import Optimizer

# Batches larger than this many examples are differentiated in chunks of it (see
# Trainer._gradients). Chunks bound the memory of the activations (a full batch of 59,000
# through 512 units would hold 121 MB per layer) and keep a chunk of x (51 MB of MNIST floats)
# in a large last-level cache from x W to xᵀ dz. Measured on 2 cores: chunks of 4,096 made the
# classic preset slower (more, smaller BLAS calls, each a meeting point of the BLAS threads);
# 16,384 runs at the speed of one pass.
CHUNK = 16384

# A run has diverged when a batch's loss, or the dev loss after an epoch, exceeds this many
# times its reference: the loss of the run's first batch, at the initial weights (or 1, if
# that was smaller, so that a run that starts near 0 is not stopped by a rise to 0.01). The
# reference is part of the training state, so a resumed run decides as an uninterrupted one.
# Far above any spike a run recovers from: on 3,000 MNIST digits, the mlp preset at lr 0.1
# (50 times its own) jumps to 320 times its start and comes back to 45 % accuracy; at lr 0.3
# it reaches 6,800 times and stays at 14 %. Runs that blow up go far past it at once: at
# lr 1e6, 2e23 times the start at the mlp preset's second batch, 3e10 in the classic's.
DIVERGENCE_FACTOR = 10_000


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
    ``run.history``, ``run.epochs``, ``run.steps_per_epoch``; set ``run.stop_training``.

    A callback with state that a resumed run needs (early stopping's best score) returns it
    from :meth:`state` and takes it back in :meth:`load_state`, called after
    ``on_train_begin``. Callbacks run in ascending ``order`` (then as given), ``on_train_end``
    in reverse: a checkpoint (order 100) sees what the others did at the end of an epoch, and
    the run as it was before they wind it up (early stopping putting back its best weights).
    """

    order = 0

    def on_train_begin(self, run: Trainer) -> None: ...
    def on_epoch_begin(self, run: Trainer, epoch: int) -> None: ...
    def on_batch_end(self, run: Trainer, step: int, loss: float) -> None: ...
    def on_epoch_end(self, run: Trainer, epoch: int, figures: dict[str, float]) -> None: ...
    def on_train_end(self, run: Trainer) -> None: ...
    def on_train_error(self, run: Trainer) -> None:
        """Training ends with an exception (divergence, a bug): on_train_end is not called."""

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]] | None:
        """JSON-able figures and named arrays to save, or None if there is nothing to save."""
        return None

    def load_state(self, run: Trainer, document: dict[str, Any],
                   arrays: dict[str, np.ndarray]) -> None:
        """Take back what :meth:`state` returned; check it (it may come from a file) and
        raise ConfigError if it does not fit ``run``."""


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

    def state(self):
        document = {"best": None if self.best == -math.inf else self.best,
                    "best_epoch": self.best_epoch, "waited": self.waited}
        return document, dict(self.best_weights or {})

    def load_state(self, run, document, arrays):
        best, best_epoch, waited = (document.get(k) for k in ("best", "best_epoch", "waited"))
        if not (best is None or _is_real(best)) or not _is_count(waited) \
                or not (best_epoch is None or _is_count(best_epoch)):
            raise ConfigError(f"early stopping state is not valid: {document!r}")
        weights = run.model.get_weights()
        if arrays and (set(arrays) != set(weights) or any(
                arrays[k].shape != weights[k].shape for k in weights)):
            raise ConfigError("the saved best weights of early stopping do not fit the model")
        self.best = -math.inf if best is None else float(best)
        self.best_epoch, self.waited = best_epoch, waited
        self.best_weights = dict(arrays) if arrays else None


class GracefulStop(Callback):
    """Turn SIGINT and SIGTERM (by default) into a stop at the next batch boundary.

    The handler only raises a flag; the loop checks it between two steps, so parameters,
    optimizer state and generator are never caught half-updated, and a checkpoint taken then
    resumes exactly. A second signal of the same kind raises KeyboardInterrupt at once (for a
    user who really wants out). ``signal_name`` tells which signal stopped the run, if any.
    Handlers can only be installed from the main thread; elsewhere this does nothing.
    """

    def __init__(self, signals: tuple[str, ...] = ("SIGINT", "SIGTERM")) -> None:
        self.signals = signals
        self.signal_name: str | None = None
        self.signal_number: int | None = None
        self._previous: dict[int, Any] = {}

    def on_train_begin(self, run):
        import signal
        import threading

        if threading.current_thread() is not threading.main_thread():
            return

        def handler(number, frame):
            if run.stop_requested is not None:
                raise KeyboardInterrupt
            self.signal_number, self.signal_name = number, signal.Signals(number).name
            run.stop_requested = self.signal_name

        for name in self.signals:
            number = getattr(signal, name)
            self._previous[number] = signal.signal(number, handler)

    def on_train_end(self, run):
        import signal
        for number, previous in self._previous.items():
            signal.signal(number, previous)
        self._previous = {}

    on_train_error = on_train_end  # a diverged run must not leave Ctrl-C swallowed


@dataclass
class TrainingState:
    """Everything a :class:`Trainer` needs to carry on exactly where it was: a JSON-able
    ``document`` and named ``arrays`` (weights ``layers.*``, optimizer state ``optimizer.*``,
    the current epoch's example order ``order``, the last good weights ``good.*``, and each
    callback's arrays ``callbacks.<Class>.*``). See :meth:`Trainer.snapshot`."""

    document: dict[str, Any]
    arrays: dict[str, np.ndarray]


class Trainer:
    """Runs :func:`fit`; callbacks receive it as ``run``.

    Position: ``epoch`` epochs are complete, and ``step`` steps of the next one are taken
    (``in_epoch`` once its example order is drawn). ``stop_requested`` (set by
    :class:`GracefulStop`) stops the loop at the next batch boundary.
    """

    def __init__(self, model, optimizer: Optimizer, *, epochs: int, batch_size: int | None,
                 x: np.ndarray, y: np.ndarray, x_dev: np.ndarray | None,
                 y_dev: np.ndarray | None, shuffle: bool, rng: np.random.Generator,
                 callbacks: list[Callback], resume: TrainingState | None = None) -> None:
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
        # Stable sort: a checkpoint (order 100) runs after early stopping whatever the list.
        self.callbacks = sorted(callbacks, key=lambda c: getattr(c, "order", 0))
        self.history = History()
        self.stop_training = False
        self.stop_requested: str | None = None
        self.resumable = True  # False once a bare KeyboardInterrupt may have cut a step in half
        self.epoch, self.step, self.in_epoch, self.order = 0, 0, False, None
        self.train_seconds = 0.0
        self._loss_sum, self._correct = 0.0, 0
        # The first batch's loss (None until it is taken); see DIVERGENCE_FACTOR.
        self.reference_loss: float | None = None
        self._resume = resume
        self._totals: list[np.ndarray] | None = None  # gradient sums over chunks (see below)

    def run(self) -> History:
        params, grads, decay = self.model.trainable()
        if self._resume is not None:
            self.restore(self._resume)
        else:
            self._good_weights = self.model.get_weights()
        for callback in self.callbacks:
            callback.on_train_begin(self)
        if self._resume is not None:
            self._restore_callbacks(self._resume)
        try:
            while (self.epoch < self.epochs and not self.stop_training
                   and self.stop_requested is None):
                epoch = self.epoch + 1
                if not self.in_epoch:
                    self._begin_epoch()
                for callback in self.callbacks:
                    callback.on_epoch_begin(self, epoch)
                start = time.perf_counter()
                finished = self._steps(epoch, params, grads, decay)
                self.train_seconds += time.perf_counter() - start
                if not finished:
                    break
                if not all(np.isfinite(p).all() for p in params):
                    self._diverged(epoch, None, "the parameters became non-finite")
                dev_loss, dev_acc = math.nan, math.nan
                if self.x_dev is not None and len(self.x_dev):
                    dev = self.model.evaluate(self.x_dev, self.y_dev)
                    dev_loss, dev_acc = dev["loss"], dev["accuracy"]
                    self._check_loss(dev_loss, epoch, None, "the dev loss")
                self._good_weights = self.model.get_weights()
                n = len(self.x)
                figures = dict(train_loss=self._loss_sum / n, train_accuracy=self._correct / n,
                               dev_loss=dev_loss, dev_accuracy=dev_acc,
                               lr=self.optimizer.current_lr, seconds=self.train_seconds)
                self.history.append(epoch=epoch, **figures)
                self.epoch, self.step, self.in_epoch, self.order = epoch, 0, False, None
                for callback in self.callbacks:
                    callback.on_epoch_end(self, epoch, figures)
            if self.stop_requested is not None and self.epoch < self.epochs \
                    and not self.stop_training:
                self.history.stopped = "interrupted"
        except KeyboardInterrupt:
            # Ctrl-C ends the run, not the program: the caller keeps what was learnt so far.
            # Without GracefulStop it may land inside a step, so this position is not resumable.
            self.history.stopped = "interrupted"
            self.stop_requested = self.stop_requested or "KeyboardInterrupt"
            self.resumable = False
        except BaseException:
            for callback in reversed(self.callbacks):
                callback.on_train_error(self)
            raise
        # In reverse: a checkpoint sees the run before early stopping puts back its best weights.
        for callback in reversed(self.callbacks):
            callback.on_train_end(self)
        dev_accuracy = self.history.dev_accuracy
        if self.history.best_epoch is None and dev_accuracy and not math.isnan(dev_accuracy[0]):
            self.history.best_epoch = self.history.epoch[int(np.argmax(dev_accuracy))]
        return self.history

    def _begin_epoch(self) -> None:
        """Draw the epoch's example order (from the shared generator) and reset its totals."""
        n = len(self.x)
        full_batch = self.batch_size == n
        self.order = self.rng.permutation(n) if self.shuffle and not full_batch else None
        self.step, self._loss_sum, self._correct, self.in_epoch = 0, 0.0, 0, True

    def _steps(self, epoch, params, grads, decay) -> bool:
        """Take the epoch's remaining steps; False if a stop was requested before its end."""
        n, size = len(self.x), self.batch_size
        full_batch = size == n
        while self.step < self.steps_per_epoch:
            if self.stop_requested is not None:
                return False
            step = self.step
            if full_batch:
                xb, yb = self.x, self.y  # no copy: the classic preset's whole set every step
            else:
                rows = slice(step * size, (step + 1) * size)
                idx = self.order[rows] if self.order is not None else np.arange(n)[rows]
                xb, yb = self.x[idx], self.y[idx]
            loss, hits, step_grads = self._gradients(xb, yb, grads)
            self._check_loss(loss, epoch, step + 1, "the loss")
            self._correct += hits
            self.optimizer.step(params, step_grads, decay)
            self._loss_sum += loss * len(yb)
            self.step = step + 1
            for callback in self.callbacks:
                callback.on_batch_end(self, step + 1, loss)
        return True

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

    def _check_loss(self, loss: float, epoch: int, step: int | None, what: str) -> None:
        """Raise TrainingDiverged if ``loss`` is non-finite or explodes (see
        DIVERGENCE_FACTOR); the first loss checked becomes the run's reference."""
        if not math.isfinite(loss):
            self._diverged(epoch, step, f"{what} became non-finite")
        if self.reference_loss is None:
            self.reference_loss = loss
        elif loss > DIVERGENCE_FACTOR * max(self.reference_loss, 1.0):
            start = (f"the first batch's loss ({self.reference_loss:.3g})"
                     if self.reference_loss >= 1.0 else
                     f"1 (the first batch's loss, {self.reference_loss:.3g}, counts as 1)")
            self._diverged(epoch, step, f"{what} rose to {loss:.3g}, over "
                                        f"{DIVERGENCE_FACTOR:,} times {start},")

    def _diverged(self, epoch, step, what) -> None:
        good = self.history.epoch[-1] if self.history.epoch else None
        self.model.set_weights(self._good_weights)
        if self.steps_per_epoch == 1:  # full-batch descent: an epoch is one iteration
            unit, where = "iteration", f"iteration {epoch}"
        else:
            unit, where = "epoch", f"epoch {epoch}" + (f", batch {step}" if step else "")
        kept = (f"the weights after {unit} {good} were kept" if good
                else "the initial weights were kept")
        self.history.stopped = "diverged"
        error = TrainingDiverged(
            f"training diverged: {what} at {where} "
            f"(learning rate {self.optimizer.current_lr:g}); {kept}. Try a lower learning "
            f"rate (--lr), or check that the inputs are scaled (pixels divided by 255).")
        error.history = self.history
        raise error

    # --- saving and resuming ----------------------------------------------------------------

    def snapshot(self) -> TrainingState:
        """The run's full state at the current batch boundary: weights, optimizer state
        (moments, step count; the schedule is a function of it), generator state, position,
        the current epoch's order and totals, history, the callbacks' state, and the
        divergence guard's reference loss."""
        arrays = dict(self.model.get_weights())
        optimizer = self.optimizer.state_dict()
        for key, value in optimizer.items():
            if key != "t":
                arrays[f"optimizer.{key}"] = value
        if self.order is not None:
            arrays["order"] = self.order.copy()
        if self.in_epoch:  # mid-epoch: the end of the last epoch is not the current weights
            arrays.update({f"good.{k}": v.copy() for k, v in self._good_weights.items()})
        callbacks = {}
        for callback in self.callbacks:
            state = callback.state()
            if state is not None:
                name = type(callback).__name__
                callbacks[name] = state[0]
                arrays.update({f"callbacks.{name}.{k}": v for k, v in state[1].items()})
        history = self.history.as_dict()
        if history["stopped"] == "interrupted":
            history["stopped"] = "completed"  # a resumed run carries on
        document = {
            "epoch": self.epoch, "step": self.step, "in_epoch": self.in_epoch,
            "epochs": self.epochs, "steps_per_epoch": self.steps_per_epoch,
            "train_size": len(self.x), "stop_training": self.stop_training,
            "loss_sum": self._loss_sum, "correct": self._correct,
            "train_seconds": self.train_seconds, "optimizer_t": int(optimizer["t"]),
            "reference_loss": self.reference_loss,
            "rng": self.rng.bit_generator.state, "history": history, "callbacks": callbacks}
        return TrainingState(document, arrays)

    def restore(self, state: TrainingState) -> None:
        """Carry on from :meth:`snapshot` output (e.g. read from a checkpoint file).

        Raises ConfigError or ModelFileError if it does not fit this run (another model, a
        different training set size or batch size) or is malformed.
        """
        doc, arrays = state.document, state.arrays
        if doc.get("train_size") != len(self.x) or doc.get("steps_per_epoch") != \
                self.steps_per_epoch:
            raise ConfigError(
                f"the saved run trained on {doc.get('train_size')} examples in "
                f"{doc.get('steps_per_epoch')} steps per epoch; this one has {len(self.x)} in "
                f"{self.steps_per_epoch}")
        epoch, step, in_epoch = doc.get("epoch"), doc.get("step"), doc.get("in_epoch")
        if not (_is_count(epoch) and _is_count(step) and isinstance(in_epoch, bool)
                and step <= self.steps_per_epoch and (in_epoch or step == 0)):
            raise ConfigError(f"the saved position (epoch {epoch!r}, step {step!r}) is not valid")
        loss_sum, correct, seconds = doc.get("loss_sum"), doc.get("correct"), \
            doc.get("train_seconds")
        if not (_is_real(loss_sum) and _is_count(correct) and _is_real(seconds)
                and isinstance(doc.get("stop_training"), bool)):
            raise ConfigError("the saved epoch totals are not valid")
        # Absent from checkpoints written before the divergence guard had it: the first batch
        # after the resume becomes the reference then.
        reference_loss = doc.get("reference_loss")
        if not (reference_loss is None or _is_real(reference_loss)):
            raise ConfigError(f"the saved reference loss is not valid: {reference_loss!r}")
        try:
            history = History.from_dict(doc["history"])
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ConfigError("the saved history is not valid") from None
        figures = [getattr(history, k) for k in
                   ("train_loss", "train_accuracy", "dev_loss", "dev_accuracy", "lr", "seconds")]
        if history.epoch != list(range(1, epoch + 1)) or any(
                not isinstance(values, list) or len(values) != epoch
                or not all(_is_real(v) or (isinstance(v, float) and math.isnan(v))
                           for v in values) for values in figures):
            raise ConfigError(f"the saved history does not cover epochs 1-{epoch}")
        order = arrays.get("order")
        n = len(self.x)
        if order is not None and not (order.dtype.kind in "iu" and order.shape == (n,)
                                      and np.array_equal(np.sort(order), np.arange(n))):
            raise ConfigError(f"the saved example order is not a permutation of {n} examples")
        full_batch = self.batch_size == n
        if in_epoch and (order is None) != (full_batch or not self.shuffle):
            raise ConfigError("the saved example order does not fit the run's shuffling")
        weights = {k: v for k, v in arrays.items() if k.startswith("layers.")}
        good = {k[len("good."):]: v for k, v in arrays.items() if k.startswith("good.")}
        self.model.set_weights(weights)
        self._good_weights = self.model.get_weights()
        if good:
            self.model.set_weights(good)
            self._good_weights = self.model.get_weights()
            self.model.set_weights(weights)
        optimizer = {k[len("optimizer."):]: v for k, v in arrays.items()
                     if k.startswith("optimizer.")}
        self.optimizer.load_state_dict({"t": doc.get("optimizer_t"), **optimizer})
        params = self.model.trainable()[0]
        for key, value in optimizer.items():
            index = int(key.partition(".")[2])  # load_state_dict checked the names
            if index >= len(params) or value.shape != params[index].shape:
                raise ConfigError(f"the saved optimizer state {key} does not fit the model")
        try:
            self.rng.bit_generator.state = doc.get("rng")
        except (TypeError, ValueError, KeyError, OverflowError) as error:
            raise ConfigError(f"the saved random generator state is not valid "
                              f"({type(error).__name__}: {error})") from None
        self.epoch, self.step, self.in_epoch = epoch, step, in_epoch
        self.order = None if order is None else order.astype(np.intp)
        self._loss_sum, self._correct = float(loss_sum), correct
        self.reference_loss = None if reference_loss is None else float(reference_loss)
        self.train_seconds = float(seconds)
        self.stop_training = doc["stop_training"]
        self.history = history

    def _restore_callbacks(self, state: TrainingState) -> None:
        saved = state.document.get("callbacks")
        if not isinstance(saved, dict):
            raise ConfigError("the saved callback state is not valid")
        for callback in self.callbacks:
            name = type(callback).__name__
            if name in saved:
                prefix = f"callbacks.{name}."
                if not isinstance(saved[name], dict):
                    raise ConfigError(f"the saved state of {name} is not valid")
                callback.load_state(self, saved[name], {k[len(prefix):]: v for k, v in
                                                  state.arrays.items() if k.startswith(prefix)})


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_real(value) -> bool:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float, as a JSON file may hold
        return False


def fit(model, x: np.ndarray, y: np.ndarray, optimizer: Optimizer, *, epochs: int,
        batch_size: int | None, x_dev: np.ndarray | None = None,
        y_dev: np.ndarray | None = None, shuffle: bool = True,
        rng: np.random.Generator, callbacks: list[Callback] | None = None,
        resume: TrainingState | None = None) -> History:
    """Train ``model`` in place and return its :class:`History`.

    Shapes: ``x`` (N, ...) prepared floats, ``y`` (N,) int labels (or (N, K) targets); the dev
    pair is raw (``model.evaluate`` prepares it).
    ``batch_size=None`` is full-batch gradient descent: one step per epoch on all N examples.
    Raises :class:`TrainingDiverged` (after restoring the weights of the last good epoch) on a
    non-finite loss or parameter, or when a batch's loss or the dev loss exceeds
    DIVERGENCE_FACTOR (10,000) times the first batch's loss (or 10,000 if that was below 1).
    ``resume`` carries on from a :class:`TrainingState` (from
    :meth:`Trainer.snapshot` or a checkpoint file): with the same data and settings the run
    ends bit-identical to one that was never stopped.
    """
    trainer = Trainer(model, optimizer, epochs=epochs, batch_size=batch_size, x=x, y=y,
                      x_dev=x_dev, y_dev=y_dev, shuffle=shuffle, rng=rng,
                      callbacks=list(callbacks or []), resume=resume)
    return trainer.run()
