"""Checkpoints: a training run saved so that it carries on exactly where it stopped.

A checkpoint file is a model file (see :mod:`nnscratch.modelfile`: one ``.npz``, a JSON
document, a SHA-256 of the arrays, opened without pickle) whose document says
``"kind": "checkpoint"`` and holds, besides the model description:

* ``training``: the document of a :class:`~nnscratch.training.state.TrainingState` (its one
  schema says what each key holds and checks it when the file is read): position, the random
  generator's state, the optimizer's step count, the epoch's running totals, the history, the
  callbacks' state and the divergence guard's reference loss;
* ``config``: the caller's full configuration (for ``nnscratch train``: the recipe, the data
  and its SHA-256), so a resumed run can refuse a change that would break exactness;

and the state's arrays: the weights ``layers.*``, the optimizer's (``optimizer.m.0`` ...), the
current epoch's example order, and early stopping's best weights.

Files are named ``ckpt-EEEEE-SSSSSS.npz`` (epochs done, steps into the next epoch), so their
names sort by position; each is written atomically, so a crash at any moment leaves every
earlier checkpoint whole.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import CheckpointError, ConfigError, ModelFileError
from ..modelfile import read_model_file, write_model_file
from .callbacks import Callback
from .state import TrainingState

if TYPE_CHECKING:
    from .contract import TrainableModel
    from .loop import AnyTrainer

KIND = "checkpoint"
CHECKPOINT_VERSION = 1
NAME = re.compile(r"ckpt-(\d{5,})-(\d{6,})\.npz")


@dataclass
class Checkpoint:
    """A checkpoint read from ``path``: the model description (``Sequential.config()``),
    the caller's ``config`` and the :class:`~nnscratch.training.TrainingState`."""

    path: Path
    model_config: dict[str, Any]
    config: dict[str, Any]
    state: TrainingState

    @property
    def epoch(self) -> int:
        """Epochs complete (iterations, for full-batch runs)."""
        return self.state.epoch

    @property
    def step(self) -> int:
        """Steps taken into the next epoch (0 at an epoch's end)."""
        return self.state.step


def checkpoint_name(epoch: int, step: int) -> str:
    """``ckpt-00003-000017.npz``: 3 epochs done and 17 steps into the 4th."""
    return f"ckpt-{epoch:05d}-{step:06d}.npz"


def write_checkpoint(
    path: str | os.PathLike[str],
    model: TrainableModel,
    state: TrainingState,
    config: dict[str, Any] | None = None,
) -> None:
    """Write ``state`` of a run training ``model`` to ``path``, atomically.

    Refuses (CheckpointError) non-finite arrays: a checkpoint is a point to go back to, and
    NaNs are never one. ``config`` must be JSON-able.
    """
    training, arrays = state.to_file()
    for name, array in arrays.items():
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise CheckpointError(f"{path}: not written, array {name} holds non-finite values")
    document = {
        "kind": KIND,
        "checkpoint_version": CHECKPOINT_VERSION,
        "model": model.config(),
        "config": config or {},
        "training": training,
    }
    write_model_file(path, document, arrays)


def read_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read and check a checkpoint written by :func:`write_checkpoint`.

    Raises :class:`~nnscratch.errors.CheckpointError` (a ModelFileError) naming the file if
    it is missing, not ours, damaged, from a newer nnscratch, or malformed. Opening it never
    runs code. Whether it fits a run is checked when the run resumes from it.
    """
    try:
        document, arrays = read_model_file(path)
    except CheckpointError:
        raise
    except ModelFileError as error:
        raise CheckpointError(str(error).replace("model file", "checkpoint")) from None
    if document.get("kind") != KIND:
        raise CheckpointError(
            f"{path}: a model file, not a checkpoint (resume needs a "
            f"checkpoint, written by train --checkpoint-dir)"
        )
    version = document.get("checkpoint_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CheckpointError(f"{path}: bad checkpoint_version {version!r}")
    if version > CHECKPOINT_VERSION:
        raise CheckpointError(
            f"{path}: written by a newer nnscratch (checkpoint version "
            f"{version}; this one reads up to {CHECKPOINT_VERSION})"
        )
    model, config, training = (_object(path, document, k) for k in ("model", "config", "training"))
    try:
        state = TrainingState.from_file(training, arrays)
    except ConfigError as error:
        raise CheckpointError(f"{path}: {error}") from None
    return Checkpoint(Path(path), model, config, state)


def _object(path: str | os.PathLike[str], document: dict[str, Any], key: str) -> dict[str, Any]:
    """``document[key]``; CheckpointError unless it is a JSON object."""
    value = document.get(key)
    if not isinstance(value, dict):
        raise CheckpointError(f"{path}: the checkpoint's {key} is not a JSON object")
    return value


def list_checkpoints(directory: str | os.PathLike[str]) -> list[tuple[tuple[int, int], Path]]:
    """``[((epoch, step), path), ...]`` of the checkpoint files in ``directory``, oldest first."""
    found: list[tuple[tuple[int, int], Path]] = []
    try:
        entries = list(os.scandir(os.fspath(directory)))
    except OSError:
        return []
    for entry in entries:
        match = NAME.fullmatch(entry.name)
        if match and entry.is_file():
            found.append(((int(match[1]), int(match[2])), Path(entry.path)))
    return sorted(found)


def load_latest(path: str | os.PathLike[str]) -> Checkpoint:
    """The checkpoint at ``path``, or the newest readable one if ``path`` is a folder.

    A damaged newest file (a disk error; a crash cannot do it, writes are atomic) is skipped
    for the one before it. Raises CheckpointError if there is none.
    """
    path = Path(path)
    if not path.is_dir():
        if not path.exists():
            raise CheckpointError(f"{path}: no such checkpoint file or folder")
        return read_checkpoint(path)
    found = list_checkpoints(path)
    if not found:
        raise CheckpointError(
            f"{path}: no checkpoints in this folder (files named like {checkpoint_name(3, 0)})"
        )
    errors: list[CheckpointError] = []
    for _, candidate in reversed(found):
        try:
            return read_checkpoint(candidate)
        except CheckpointError as error:
            errors.append(error)
    raise errors[0]  # the newest file's


class Checkpointer(Callback):
    """Save the run to ``directory`` every ``every`` epochs (iterations, for full-batch
    runs), at the last one, when early stopping ends the run, and when a stop is requested
    (:class:`~nnscratch.training.GracefulStop`: then at the batch boundary it stopped at).

    ``every=None`` saves only when stopped. Keeps the newest ``keep`` checkpoints plus the one
    with the best dev accuracy; removes temporary files a killed process left behind.
    ``last_path`` is the newest checkpoint written, ``failed`` the one that could not be (its
    error ends the run). ``config`` (JSON-able) is stored in each.
    """

    order = 100  # after early stopping, so its decision of this epoch is in the checkpoint

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        every: int | None = 1,
        keep: int = 3,
        config: dict[str, Any] | None = None,
    ) -> None:
        if every is not None and every < 1:
            raise CheckpointError(f"checkpoints every {every} epochs: must be at least 1")
        if keep < 1:
            raise CheckpointError(f"keep {keep} checkpoints: must be at least 1")
        self.directory, self.every, self.keep = Path(directory), every, keep
        self.config = config or {}
        self.last_path: Path | None = None
        self.failed: Path | None = None

    def on_train_begin(self, trainer: AnyTrainer) -> None:
        """Create the folder; remove half-written files and checkpoints past the run's start."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CheckpointError(
                f"cannot create checkpoint folder {self.directory}: {error.strerror or error}"
            ) from None
        for entry in os.scandir(self.directory):
            if entry.name.startswith(".ckpt-") and entry.name.endswith(".tmp"):
                os.remove(entry.path)  # a write that a SIGKILL cut short
        # Resumed from an older file: what was saved after it belongs to another future.
        for position, path in list_checkpoints(self.directory):
            if position > (trainer.epoch, trainer.step):
                os.remove(path)

    def on_epoch_end(self, trainer: AnyTrainer, epoch: int, logs: dict[str, float]) -> None:
        """Save every ``every`` epochs, at the last one, and when a callback ends the run."""
        if self.every and (
            epoch % self.every == 0 or epoch == trainer.epochs or trainer.stop_training
        ):
            self.save(trainer)

    def on_train_end(self, trainer: AnyTrainer) -> None:
        """Save where a requested stop left the run (if that position can be resumed)."""
        if trainer.history.stopped == "interrupted" and trainer.resumable:
            self.save(trainer)

    def save(self, trainer: AnyTrainer) -> Path:
        """Write the run's state now; returns the file's path."""
        path = self.directory / checkpoint_name(trainer.epoch, trainer.step)
        try:
            write_checkpoint(path, trainer.model, trainer.snapshot(), self.config)
        except ModelFileError:
            self.failed = path
            raise
        self.last_path = path
        self._prune(trainer)
        return path

    def _prune(self, trainer: AnyTrainer) -> None:
        found = list_checkpoints(self.directory)
        keep = {path for _, path in found[-self.keep :]}
        scores = trainer.history.dev_accuracy
        ends = [
            (scores[epoch - 1], -epoch, path)
            for (epoch, step), path in found
            if step == 0 and 1 <= epoch <= len(scores) and not math.isnan(scores[epoch - 1])
        ]
        if ends:
            keep.add(max(ends)[2])  # best dev accuracy, the earliest of equals
        for _, path in found:
            if path not in keep:
                path.unlink(missing_ok=True)
