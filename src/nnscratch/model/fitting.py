"""The glue between ``Sequential.fit``'s options and the training loop: the data checked and
prepared, the dev set held out, the optimizer named, early stopping added as a callback."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..datasets.splits import hold_out
from ..engine.optimizers import Optimizer, get_optimizer
from ..training import Callback, EarlyStopping, History, TrainingState, fit
from ..training.loop import Augment
from ..training.progress import ProgressLog, verbosity
from .datachecks import check_training_data

if TYPE_CHECKING:
    from .sequential import Sequential


def fit_model(
    model: Sequential,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int | None,
    optimizer: str | Optimizer,
    lr: float | None,
    validation_data: tuple[np.ndarray, np.ndarray] | None,
    validation_split: float | int,
    stratify: bool,
    shuffle: bool,
    seed: int | None,
    early_stopping: int | None,
    callbacks: Sequence[Callback],
    resume: TrainingState | None,
    augment: Augment | None,
    verbose: int | bool = 0,
) -> History:
    """Train ``model`` in place as :meth:`Sequential.fit` documents (every option is its own)."""
    level = verbosity(verbose)  # a wrong value is said before any work
    if seed is not None:
        model.reseed(seed)
    x, y = check_training_data(model, x, y)
    x_dev = y_dev = None
    if validation_data is not None:
        x_dev, y_dev = check_training_data(model, *validation_data)
    elif validation_split:
        x, y, x_dev, y_dev = hold_out(x, y, validation_split, rng=model.rng, stratify=stratify)
    if isinstance(optimizer, str):
        optimizer = get_optimizer(optimizer, **({} if lr is None else {"lr": lr}))
    callback_list = list(callbacks)
    if early_stopping:
        callback_list.append(EarlyStopping(patience=early_stopping))
    if level:
        callback_list.append(ProgressLog(level))
    return fit(
        model,
        model.prepare(x),
        y,
        optimizer,
        epochs=epochs,
        batch_size=batch_size,
        x_dev=x_dev,
        y_dev=y_dev,
        shuffle=shuffle,
        rng=model.rng,
        callbacks=callback_list,
        resume=resume,
        augment=augment,
    )
