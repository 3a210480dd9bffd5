"""Hold out a development set: a random (optionally stratified) split of example indices."""

from __future__ import annotations

import math
import numbers

import numpy as np

from nnscratch.errors import ConfigError, DataError


def train_dev_split(
    labels: np.ndarray,
    dev_size: int | float,
    *,
    rng: np.random.Generator,
    stratify: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Split the indices of `labels` (shape (N,), any dtype) into training and dev indices.

    ``dev_size``: an int is a count in [0, N); a float in (0, 1) is a fraction of N, rounded half
    up (a result of N is an error, since no training data would remain). With ``stratify`` each
    class's share of the dev set matches its share of `labels` as closely as integer counts allow
    (largest-remainder apportionment, so each class is within 1 of its ideal count and the total
    is exactly the dev size). Returns ``(train_idx, dev_idx)``: int64 arrays of shape (N - D,)
    and (D,), disjoint, covering 0..N-1, each sorted ascending. The same `rng` state gives the
    same split. Raises ConfigError for a dev_size that cannot work, DataError if `labels` is
    not 1-D.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise DataError(f"labels have shape {labels.shape}, expected a 1-D array (N,)")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    n = len(labels)
    n_dev = _dev_count(dev_size, n)

    if stratify:
        dev = _stratified_dev(labels, n_dev, rng)
    else:
        dev = rng.permutation(n)[:n_dev]
    in_dev = np.zeros(n, dtype=bool)
    in_dev[dev] = True
    # flatnonzero returns ascending indices, which is the documented order
    return np.flatnonzero(~in_dev).astype(np.int64), np.flatnonzero(in_dev).astype(np.int64)


def hold_out(
    x: np.ndarray,
    y: np.ndarray,
    dev_size: int | float,
    *,
    rng: np.random.Generator,
    stratify: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split examples into training and dev sets: ``(x_train, y_train, x_dev, y_dev)``.

    The one way a dev set is held out (``Sequential.fit(validation_split=...)`` and the presets'
    runs both take it): :func:`train_dev_split` of the labels, then the rows gathered in index
    order. Shapes: ``x`` (N, ...), ``y`` (N,) -> (N - D, ...), (N - D,), (D, ...), (D,).
    """
    train_idx, dev_idx = train_dev_split(y, dev_size, rng=rng, stratify=stratify)
    return x[train_idx], y[train_idx], x[dev_idx], y[dev_idx]


def _dev_count(dev_size: int | float, n: int) -> int:
    """The number of dev examples `dev_size` asks for out of n (ConfigError if impossible)."""
    if isinstance(dev_size, bool) or not isinstance(dev_size, numbers.Real):
        raise ConfigError(
            f"dev_size={dev_size!r} is not valid, expected an int count or a float fraction"
        )
    if isinstance(dev_size, numbers.Integral):
        count = int(dev_size)
        if count < 0:
            raise ConfigError(f"dev_size={count} is negative, expected a count from 0 to {n - 1}")
    else:
        fraction = float(dev_size)
        if not 0.0 < fraction < 1.0:
            raise ConfigError(f"dev_size={fraction} is not a fraction strictly between 0 and 1")
        count = math.floor(fraction * n + 0.5)
    if count >= n:
        raise ConfigError(
            f"dev_size={dev_size!r} asks for {count} of {n} examples, leaving none to train on; "
            f"expected fewer than {n}"
        )
    return count


def _stratified_dev(labels: np.ndarray, n_dev: int, rng: np.random.Generator) -> np.ndarray:
    """Draw n_dev indices so that each class gets its largest-remainder share."""
    n = len(labels)
    order = np.argsort(labels, kind="stable")  # indices grouped by class
    _, counts = np.unique(labels, return_counts=True)
    # Exact integer arithmetic: ideal share = counts * n_dev / n = quota + remainder / n
    quotas, remainders = np.divmod(counts.astype(np.int64) * n_dev, n)
    leftover = n_dev - int(quotas.sum())
    # Stable sort: equal remainders go to the smaller class value first, deterministically
    quotas[np.argsort(-remainders, kind="stable")[:leftover]] += 1
    picks = [
        rng.permutation(members)[:quota]
        for members, quota in zip(np.split(order, np.cumsum(counts)[:-1]), quotas, strict=False)
    ]
    return np.concatenate(picks) if picks else np.empty(0, dtype=np.int64)
