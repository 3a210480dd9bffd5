"""The one exception family a user can cause.

Everything a user can get wrong (a bad path, a malformed CSV row, a truncated IDX file, a label
of 12, a model file that is not ours) raises a subclass of :class:`NNScratchError` whose message
says what is wrong and where. The CLI prints that message on one line and exits with status 2;
any other exception is a bug in nnscratch.
"""

from __future__ import annotations

from typing import Any


class NNScratchError(Exception):
    """Base class of every error a user can cause."""


class DataError(NNScratchError, ValueError):
    """Input data is missing, malformed or out of range (names file, row and column)."""


class ModelFileError(NNScratchError, ValueError):
    """A model file is not ours, is damaged, or does not fit the data."""


class ConfigError(NNScratchError, ValueError):
    """An option or argument has a value that cannot work (names the option)."""


class TrainingDiverged(NNScratchError, ArithmeticError):
    """The loss or the parameters became non-finite, or the loss exploded; training stopped.

    ``history`` is the run's :class:`~nnscratch.training.History` up to the last good epoch,
    set by the loop that raised it (typed Any: this module sits below the training tier).
    """

    history: Any = None


class CheckpointError(ModelFileError):
    """A checkpoint is missing, not ours, damaged, or does not fit the run resuming from it."""


class MissingExtra(NNScratchError, ImportError):
    """A package of an optional extra is not installed; the message names the extra and the
    pip command that installs it (an ImportError too, so ``except ImportError`` still works)."""
