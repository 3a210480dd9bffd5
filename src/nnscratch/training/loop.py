"""The training loop: mini-batch (or full-batch) gradient descent with callbacks.

One epoch: shuffle the indices (not the images), and for each batch
``forward -> loss -> backward -> optimizer.step``. After each epoch the dev set is evaluated and
the callbacks see the epoch's figures (``logs``). The loop knows the model only through a few
methods (``forward``, ``backward``, ``trainable``, ``evaluate``, ``get_weights``,
``set_weights``), so it serves any network that has them.

Stopping: early stopping (a callback), Ctrl-C (returns cleanly with what was learnt), and
divergence, which restores the last good weights and raises :class:`TrainingDiverged`: a
non-finite loss or parameter, or a loss that explodes (see :data:`DIVERGENCE_FACTOR`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, NoReturn, TypeVar

import numpy as np

from .. import checks
from ..engine.losses import Loss
from ..errors import ConfigError, TrainingDiverged
from .callbacks import Callback
from .contract import TrainableModel
from .gradients import Arrays, BatchGradients
from .history import History
from .state import TrainingState

if TYPE_CHECKING:
    from ..engine.optimizers import Optimizer

# An augmentation: a batch of training inputs and the run's generator -> moved copies of them
# (see nnscratch.datasets.augment).
Augment = Callable[[np.ndarray, np.random.Generator], np.ndarray]

# Covariant: a Trainer[Sequential] is the Trainer[TrainableModel] that callbacks take.
ModelT_co = TypeVar("ModelT_co", bound=TrainableModel, covariant=True)

# A run has diverged when a batch's loss, or the dev loss after an epoch, exceeds this many
# times its reference: the loss of the run's first batch, at the initial weights (or 1, if
# that was smaller, so that a run that starts near 0 is not stopped by a rise to 0.01). The
# reference is part of the training state, so a resumed run decides as an uninterrupted one.
# Far above any spike a run recovers from: on 3,000 MNIST digits, the mlp preset at lr 0.1
# (50 times its own) jumps to 320 times its start and comes back to 45 % accuracy; at lr 0.3
# it reaches 6,800 times and stays at 14 %. Runs that blow up go far past it at once: at
# lr 1e6, 2e23 times the start at the mlp preset's second batch, 3e10 in the classic's.
DIVERGENCE_FACTOR = 10_000


def steps_per_epoch(train_size: int, batch_size: int | None) -> int:
    """Steps in one epoch of ``train_size`` examples: one for full-batch descent
    (``batch_size`` None, or at least ``train_size``), else ceil(train_size / batch_size)."""
    if batch_size is None or batch_size >= train_size:
        return 1
    return math.ceil(train_size / batch_size)


def unit_word(full_batch: bool) -> str:
    """What one pass is called: an "iteration" of full-batch descent, else an "epoch"."""
    return "iteration" if full_batch else "epoch"


class Trainer(Generic[ModelT_co]):
    """Runs :func:`fit` (of any :class:`.TrainableModel`); callbacks receive it as ``trainer``.

    Position: ``epoch`` epochs are complete, and ``step`` steps of the next one are taken
    (``in_epoch`` once its example order is drawn). ``stop_requested`` (set by
    :class:`GracefulStop`) stops the loop at the next batch boundary.
    """

    def __init__(
        self,
        model: ModelT_co,
        optimizer: Optimizer,
        *,
        epochs: int,
        batch_size: int | None,
        x: np.ndarray,
        y: np.ndarray,
        x_dev: np.ndarray | None,
        y_dev: np.ndarray | None,
        shuffle: bool,
        rng: np.random.Generator,
        callbacks: list[Callback],
        resume: TrainingState | None = None,
        augment: Augment | None = None,
        loss: Loss | None = None,
    ) -> None:
        n = len(x)
        if n == 0:
            raise ConfigError("no training examples")
        epochs = checks.whole("epochs", epochs, low=1)
        if batch_size is not None:
            batch_size = checks.whole("batch_size", batch_size, low=1)
        if (x_dev is None) != (y_dev is None):
            raise ConfigError("a dev set needs both x_dev and y_dev")
        self.model, self.optimizer = model, optimizer
        # The training batches' loss: the model's own, or one that differs only in its
        # targets (label smoothing); the dev set is always measured with the model's.
        self.loss = model.loss if loss is None else loss
        self._gradients = BatchGradients(model, self.loss, rng)
        self.x, self.y, self.x_dev, self.y_dev = x, y, x_dev, y_dev
        self.epochs, self.shuffle, self.rng = epochs, shuffle, rng
        self.augment = augment
        self.batch_size = n if batch_size is None else min(batch_size, n)
        self.steps_per_epoch = steps_per_epoch(n, batch_size)
        self.unit = unit_word(self.steps_per_epoch == 1)
        # Stable sort: a checkpoint (order 100) runs after early stopping whatever the list.
        self.callbacks = sorted(callbacks, key=lambda c: getattr(c, "order", 0))
        self.history = History()
        self.stop_training = False
        self.stop_requested: str | None = None
        self.resumable = True  # False once a bare KeyboardInterrupt may have cut a step in half
        self.epoch, self.step, self.in_epoch = 0, 0, False
        self.order: np.ndarray | None = None  # the epoch's example order (None: in turn)
        self.train_seconds = 0.0
        self._loss_sum, self._correct = 0.0, 0
        # The first batch's loss (None until it is taken); see DIVERGENCE_FACTOR.
        self.reference_loss: float | None = None
        self._resume = resume
        self._good_weights: dict[str, np.ndarray] = {}  # the weights after the last good epoch

    def train(self) -> History:
        """Train to the end (or to a stop) and return the history."""
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
            while (
                self.epoch < self.epochs and not self.stop_training and self.stop_requested is None
            ):
                epoch = self.epoch + 1
                if not self.in_epoch:
                    self._begin_epoch()
                for callback in self.callbacks:
                    callback.on_epoch_begin(self, epoch)
                start = time.perf_counter()
                try:
                    finished = self._steps(epoch, params, grads, decay)
                finally:  # a Ctrl-C within the epoch: its time was spent training all the same
                    self.train_seconds += time.perf_counter() - start
                if not finished:
                    break
                if not all(np.isfinite(p).all() for p in params):
                    self._diverged(epoch, None, "the parameters became non-finite")
                dev_loss, dev_acc = math.nan, math.nan
                if self.x_dev is not None and self.y_dev is not None and len(self.x_dev):
                    dev = self.model.evaluate(self.x_dev, self.y_dev)
                    dev_loss, dev_acc = dev["loss"], dev["accuracy"]
                    self._check_loss(dev_loss, epoch, None, "the dev loss")
                self._good_weights = self.model.get_weights()
                n = len(self.x)
                logs = dict(
                    train_loss=self._loss_sum / n,
                    train_accuracy=self._correct / n,
                    dev_loss=dev_loss,
                    dev_accuracy=dev_acc,
                    lr=self.optimizer.current_lr,
                    seconds=self.train_seconds,
                )
                self.history.append(epoch=epoch, **logs)
                self.epoch, self.step, self.in_epoch, self.order = epoch, 0, False, None
                for callback in self.callbacks:
                    callback.on_epoch_end(self, epoch, logs)
            asked = self.stop_requested is not None and not self.stop_training
            if asked and self.epoch < self.epochs:
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
        self.history.total_seconds = self.train_seconds  # with an epoch cut short, if any
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

    def _steps(self, epoch: int, params: Arrays, grads: Arrays, decay: list[bool]) -> bool:
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
            if self.augment is not None:
                # Drawn from the run's generator, after the order: part of the resume state.
                xb = self.augment(xb, self.rng)
            loss, hits, step_grads = self._gradients(xb, yb, grads)
            self._check_loss(loss, epoch, step + 1, "the loss")
            self._correct += hits
            self.optimizer.step(params, step_grads, decay)
            self._loss_sum += loss * len(yb)
            self.step = step + 1
            for callback in self.callbacks:
                callback.on_batch_end(self, step + 1, loss)
        return True

    def _check_loss(self, loss: float, epoch: int, step: int | None, what: str) -> None:
        """Raise TrainingDiverged if ``loss`` is non-finite or explodes (see
        DIVERGENCE_FACTOR); the first loss checked becomes the run's reference."""
        if not math.isfinite(loss):
            self._diverged(epoch, step, f"{what} became non-finite")
        if self.reference_loss is None:
            self.reference_loss = loss
        elif loss > DIVERGENCE_FACTOR * max(self.reference_loss, 1.0):
            start = (
                f"the first batch's loss ({self.reference_loss:.3g})"
                if self.reference_loss >= 1.0
                else f"1 (the first batch's loss, {self.reference_loss:.3g}, counts as 1)"
            )
            self._diverged(
                epoch, step, f"{what} rose to {loss:.3g}, over {DIVERGENCE_FACTOR:,} times {start},"
            )

    def _diverged(self, epoch: int, step: int | None, what: str) -> NoReturn:
        good = self.history.epoch[-1] if self.history.epoch else None
        self.model.set_weights(self._good_weights)
        where = f"{self.unit} {epoch}" + (
            f", batch {step}" if step and self.unit == "epoch" else ""
        )
        kept = (
            f"the weights after {self.unit} {good} were kept"
            if good
            else "the initial weights were kept"
        )
        self.history.stopped = "diverged"
        error = TrainingDiverged(
            f"training diverged: {what} at {where} "
            f"(learning rate {self.optimizer.current_lr:g}); {kept}. Try a lower learning "
            f"rate (--lr), or check that the inputs are scaled (pixels divided by 255)."
        )
        error.history = self.history
        raise error

    # --- saving and resuming ----------------------------------------------------------------

    def snapshot(self) -> TrainingState:
        """The run's full state at the current batch boundary: weights, optimizer state
        (moments, step count; the schedule is a function of it), generator state, position,
        the current epoch's order and totals, history, the callbacks' state, and the
        divergence guard's reference loss."""
        optimizer = self.optimizer.state_dict()
        step_count = int(optimizer.pop("t"))
        history = self.history.copy()
        if history.stopped == "interrupted":
            history.stopped = "completed"  # a resumed run carries on
        callbacks, callback_arrays = {}, {}
        for callback in self.callbacks:
            state = callback.state()
            if state is not None:
                name = type(callback).__name__
                callbacks[name], callback_arrays[name] = state[0], dict(state[1])
        return TrainingState(
            epoch=self.epoch,
            step=self.step,
            in_epoch=self.in_epoch,
            epochs=self.epochs,
            steps_per_epoch=self.steps_per_epoch,
            train_size=len(self.x),
            stop_training=self.stop_training,
            loss_sum=self._loss_sum,
            correct=self._correct,
            train_seconds=self.train_seconds,
            optimizer_t=step_count,
            reference_loss=self.reference_loss,
            rng=dict(self.rng.bit_generator.state),
            history=history,
            callbacks=callbacks,
            weights=self.model.get_weights(),
            optimizer={key: np.asarray(value) for key, value in optimizer.items()},
            order=None if self.order is None else self.order.copy(),
            # mid-epoch: the end of the last epoch is not the current weights
            good_weights={k: v.copy() for k, v in self._good_weights.items()}
            if self.in_epoch
            else {},
            callback_arrays=callback_arrays,
        )

    def restore(self, state: TrainingState) -> None:
        """Carry on from a :meth:`snapshot` (or :meth:`TrainingState.from_file`, which has
        checked the file's values). Raises ConfigError or ModelFileError if the state does not
        fit this run: another model, training set size, batch size or shuffling."""
        n = len(self.x)
        if state.train_size != n or state.steps_per_epoch != self.steps_per_epoch:
            raise ConfigError(
                f"the saved run trained on {state.train_size} examples in "
                f"{state.steps_per_epoch} steps per epoch; this one has {n} in "
                f"{self.steps_per_epoch}"
            )
        if state.order is not None and state.order.shape != (n,):
            raise ConfigError(f"the saved example order is not a permutation of {n} examples")
        full_batch = self.batch_size == n
        if state.in_epoch and (state.order is None) != (full_batch or not self.shuffle):
            raise ConfigError("the saved example order does not fit the run's shuffling")
        self.model.set_weights(state.weights)
        if state.good_weights:
            self.model.set_weights(state.good_weights)
            self._good_weights = self.model.get_weights()
            self.model.set_weights(state.weights)
        else:
            self._good_weights = self.model.get_weights()
        self.optimizer.load_state_dict({"t": state.optimizer_t, **state.optimizer})
        params = self.model.trainable()[0]
        for key, value in state.optimizer.items():
            index = int(key.partition(".")[2])  # load_state_dict checked the names
            if index >= len(params) or value.shape != params[index].shape:
                raise ConfigError(f"the saved optimizer state {key} does not fit the model")
        self.rng.bit_generator.state = state.rng
        self.epoch, self.step, self.in_epoch = state.epoch, state.step, state.in_epoch
        self.order = state.order
        self._loss_sum, self._correct = state.loss_sum, state.correct
        self.reference_loss = state.reference_loss
        self.train_seconds = state.train_seconds
        self.stop_training = state.stop_training
        self.history = state.history.copy()

    def _restore_callbacks(self, state: TrainingState) -> None:
        for callback in self.callbacks:
            name = type(callback).__name__
            if name in state.callbacks:
                callback.load_state(
                    self, state.callbacks[name], dict(state.callback_arrays.get(name, {}))
                )


# What a callback written for any model is given (a Trainer[Sequential] is one).
AnyTrainer = Trainer[TrainableModel]


def fit(
    model: TrainableModel,
    x: np.ndarray,
    y: np.ndarray,
    optimizer: Optimizer,
    *,
    epochs: int,
    batch_size: int | None,
    x_dev: np.ndarray | None = None,
    y_dev: np.ndarray | None = None,
    shuffle: bool = True,
    rng: np.random.Generator,
    callbacks: list[Callback] | None = None,
    resume: TrainingState | None = None,
    augment: Augment | None = None,
    loss: Loss | None = None,
) -> History:
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
    ``augment(xb, rng)`` moves each training batch before the step (the dev set never), with
    draws from ``rng``, which the training state saves: a resumed run draws the same moves.
    ``loss`` replaces ``model.loss`` for the training batches (not the dev set).
    """
    trainer = Trainer(
        model,
        optimizer,
        epochs=epochs,
        batch_size=batch_size,
        x=x,
        y=y,
        x_dev=x_dev,
        y_dev=y_dev,
        shuffle=shuffle,
        rng=rng,
        callbacks=list(callbacks or []),
        resume=resume,
        augment=augment,
        loss=loss,
    )
    return trainer.train()
