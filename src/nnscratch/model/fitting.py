"""``Sequential.fit``: the glue between its options and the training loop: the data checked and
prepared, the dev set held out, the optimizer named, early stopping added as a callback."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..datasets.splits import hold_out
from ..engine.losses import SoftmaxCrossEntropy
from ..engine.optimizers import Optimizer, get_optimizer
from ..errors import ConfigError
from ..training import Callback, EarlyStopping, History, TrainingState, WeightAveraging, fit
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
    epochs: int = 10,
    batch_size: int | None = 128,
    optimizer: str | Optimizer = "adam",
    lr: float | None = None,
    validation_data: tuple[np.ndarray, np.ndarray] | None = None,
    validation_split: float | int = 0.0,
    stratify: bool = False,
    shuffle: bool = True,
    seed: int | None = None,
    early_stopping: int | None = None,
    ema: float = 0.0,
    label_smoothing: float = 0.0,
    callbacks: Sequence[Callback] = (),
    resume: TrainingState | None = None,
    augment: Augment | None = None,
    verbose: int | bool = 0,
) -> History:
    """Train ``model`` in place; returns the :class:`~nnscratch.training.History`.

    Sequential's method ``fit`` is this function: ``model.fit(x, y, ...)``.

    Args:
        model: the :class:`~nnscratch.model.Sequential` to train.
        x: inputs (N, ...), raw (converted and scaled once, here, not every epoch).
        y: labels (N,), integers in [0, C).
        epochs: passes over the training set (full-batch: gradient-descent steps).
        batch_size: examples per step; ``None`` for full-batch gradient descent.
        optimizer: an :class:`~nnscratch.engine.optimizers.Optimizer` or a name
            (``sgd``, ``momentum``, ``nesterov``, ``adam``, ``adamw``); ``lr`` sets the
            learning rate of a named one.
        lr: the learning rate of a named ``optimizer``; None keeps its default.
        validation_data: a dev set ``(x_dev, y_dev)``, evaluated after every epoch.
        validation_split: or hold out this fraction (or count) of ``x`` as the dev set,
            chosen at random with the model's generator; ``stratify`` keeps class shares
            (see :func:`nnscratch.datasets.splits.hold_out`, which the presets use too).
        stratify: hold out the same share of every class (with ``validation_split``).
        shuffle: draw a new order of the examples every epoch.
        seed: re-seed the model's generator first (shuffling order, dropout masks).
        early_stopping: stop after this many epochs without a better dev loss and keep
            the best epoch's weights.
        ema: keep an exponential moving average of the weights with this decay per step
            (e.g. 0.9998) and end with it (:class:`~nnscratch.training.WeightAveraging`);
            0: the last step's weights.
        label_smoothing: train towards (1 - ε)·onehot(y) + ε/C rather than onehot(y) (a
            softmax cross-entropy model only); the dev loss stays the plain cross-entropy.
        callbacks: :class:`~nnscratch.training.Callback` objects.
        resume: carry on from a saved :class:`~nnscratch.training.TrainingState` (see
            :mod:`nnscratch.training.checkpoint`); everything else must be as in the saved
            run for the result to be bit-identical to a run that was never stopped.
        augment: moves each training batch before its step, ``augment(xb, rng)`` with
            the model's generator (e.g. :func:`nnscratch.datasets.augment.get_augmentation`
            ``("elastic")``); ``xb`` is the prepared batch, (B, H, W) for images.
        verbose: 0 prints nothing; 1 a bar through each epoch, then its figures; 2 a line of
            figures per epoch (Keras's levels, as plain text on stdout).
    """
    level = verbosity(verbose)  # a wrong value is said before any work
    if early_stopping and ema:
        raise ConfigError(
            "early_stopping keeps one epoch's weights and ema their average over many steps: "
            "give one of them"
        )
    training_loss = None
    if label_smoothing:
        if not isinstance(model.loss, SoftmaxCrossEntropy):
            raise ConfigError(
                f"label_smoothing smooths the targets of softmax cross-entropy; this model's "
                f"loss is {model.loss.name}"
            )
        training_loss = SoftmaxCrossEntropy(label_smoothing=label_smoothing)
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
    if ema:
        callback_list.append(WeightAveraging(ema))
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
        loss=training_loss,
    )
