"""Callbacks: hooks into the training loop, and early stopping.

A callback sees the :class:`~nnscratch.training.loop.Trainer` it serves as ``trainer``: read
``trainer.model``, ``trainer.history``, ``trainer.epochs``, ``trainer.steps_per_epoch``; set
``trainer.stop_training``. ``logs`` is an epoch's figures: ``train_loss``, ``train_accuracy``,
``dev_loss``, ``dev_accuracy`` (nan without a dev set), ``lr`` and ``seconds``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import checks
from ..checks import is_count, is_real
from ..errors import ConfigError

if TYPE_CHECKING:
    from .loop import AnyTrainer


class Callback:
    """Hooks into the loop; every hook does nothing unless overridden.

    A callback with state that a resumed run needs (early stopping's best score) returns it
    from :meth:`state` and takes it back in :meth:`load_state`, called after
    ``on_train_begin``. Callbacks run in ascending ``order`` (then as given), ``on_train_end``
    in reverse: a checkpoint (order 100) sees what the others did at the end of an epoch, and
    the run as it was before they wind it up (early stopping putting back its best weights).
    """

    order = 0

    def on_train_begin(self, trainer: AnyTrainer) -> None:
        """Training starts (before a resumed run's state is loaded into the callbacks)."""

    def on_epoch_begin(self, trainer: AnyTrainer, epoch: int) -> None:
        """Epoch ``epoch`` (counted from 1) starts, or carries on in a resumed run."""

    def on_batch_end(self, trainer: AnyTrainer, step: int, loss: float) -> None:
        """Step ``step`` (from 1) of the epoch is taken; ``loss`` is its batch's mean loss."""

    def on_epoch_end(self, trainer: AnyTrainer, epoch: int, logs: dict[str, float]) -> None:
        """Epoch ``epoch`` is complete and in the history; ``logs`` holds its figures."""

    def on_train_end(self, trainer: AnyTrainer) -> None:
        """Training ends: finished, stopped early or interrupted (called in reverse order)."""

    def on_train_error(self, trainer: AnyTrainer) -> None:
        """Training ends with an exception (divergence, a bug): on_train_end is not called."""

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]] | None:
        """JSON-able figures and named arrays to save, or None if there is nothing to save."""
        return None

    def load_state(
        self, trainer: AnyTrainer, document: dict[str, Any], arrays: dict[str, np.ndarray]
    ) -> None:
        """Take back what :meth:`state` returned; check it (it may come from a file) and
        raise ConfigError if it does not fit ``trainer``."""


def fits(arrays: dict[str, np.ndarray], weights: dict[str, np.ndarray]) -> bool:
    """Whether saved ``arrays`` have the names and shapes of a model's ``weights``."""
    return set(arrays) == set(weights) and all(arrays[k].shape == weights[k].shape for k in weights)


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs, and
    (by default) put back the weights of the best epoch.

    ``monitor`` is ``dev_loss`` (lower is better) or ``dev_accuracy`` (higher is better).
    """

    def __init__(
        self,
        patience: int = 5,
        monitor: str = "dev_loss",
        min_delta: float = 0.0,
        restore_best: bool = True,
    ) -> None:
        self.monitor = checks.choice(
            "early stopping monitor", monitor, ("dev_loss", "dev_accuracy")
        )
        self.patience = checks.whole("early stopping patience", patience, low=1)
        self.min_delta = checks.real("early stopping min_delta", min_delta, low=0)
        self.restore_best = restore_best
        self._sign = -1.0 if monitor == "dev_loss" else 1.0
        self._reset()

    def _reset(self) -> None:
        self.best = -math.inf
        self.best_epoch: int | None = None
        self.best_weights: dict[str, np.ndarray] | None = None
        self.waited = 0

    def on_train_begin(self, trainer: AnyTrainer) -> None:
        """Check for a dev set and start counting afresh."""
        if trainer.x_dev is None:
            raise ConfigError("early stopping needs a dev set: pass validation data or a split")
        self._reset()

    def on_epoch_end(self, trainer: AnyTrainer, epoch: int, logs: dict[str, float]) -> None:
        """Keep the best epoch's weights; stop after ``patience`` epochs without progress."""
        score = self._sign * logs[self.monitor]
        if score > self.best + self.min_delta:
            self.best, self.best_epoch, self.waited = score, epoch, 0
            if self.restore_best:
                self.best_weights = trainer.model.get_weights()
        else:
            self.waited += 1
            if self.waited >= self.patience:
                trainer.stop_training = True
                trainer.history.stopped = "early_stopping"

    def on_train_end(self, trainer: AnyTrainer) -> None:
        """Record the best epoch and put back its weights (if ``restore_best``)."""
        trainer.history.best_epoch = self.best_epoch
        if self.restore_best and self.best_weights is not None:
            trainer.model.set_weights(self.best_weights)

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """The best score, its epoch, the epochs waited, and the best weights."""
        document = {
            "best": None if self.best == -math.inf else self.best,
            "best_epoch": self.best_epoch,
            "waited": self.waited,
        }
        return document, dict(self.best_weights or {})

    def load_state(
        self, trainer: AnyTrainer, document: dict[str, Any], arrays: dict[str, np.ndarray]
    ) -> None:
        """Take back :meth:`state`; ConfigError if it is malformed or does not fit the model."""
        # JSON values from a file, of any type until checked here
        best: Any = document.get("best")
        best_epoch: Any = document.get("best_epoch")
        waited: Any = document.get("waited")
        if (
            not (best is None or is_real(best))
            or not is_count(waited)
            or not (best_epoch is None or is_count(best_epoch))
        ):
            raise ConfigError(f"early stopping state is not valid: {document!r}")
        if arrays and not fits(arrays, trainer.model.get_weights()):
            raise ConfigError("the saved best weights of early stopping do not fit the model")
        self.best = -math.inf if best is None else float(best)
        self.best_epoch, self.waited = best_epoch, waited
        self.best_weights = dict(arrays) if arrays else None
