"""The training state: everything a Trainer needs to carry on exactly where it was, in one schema.

:class:`TrainingState` holds it as typed fields. Its file form (what a checkpoint stores) is a
JSON document of the scalar fields and a set of named arrays; :meth:`TrainingState.to_file`
writes that form and :meth:`TrainingState.from_file` reads it back, checking every field once
(the file may come from anyone) and naming the first bad one: ``training.epoch is not valid:
it must be a whole number >= 0, got -1``. Whether a valid state fits a given run (its model,
its data, its batch size) is the Trainer's to check when it restores it.

Array names in the file form: ``layers.<i>.<name>`` the weights, ``optimizer.<name>.<i>`` the
optimizer's state (Adam's moments ``m.0``, ``v.0``...), ``order`` the current epoch's example
order, ``good.layers.<i>.<name>`` the last good weights (mid-epoch only), and
``callbacks.<Class>.<name>`` each callback's arrays (early stopping's best weights).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..checks import is_count, is_real
from ..errors import ConfigError
from .history import FIGURES, History

# The scalar fields of the document: what each must be, as a check and in words.
_COUNT = (is_count, "a whole number >= 0")
_POSITIVE = (lambda v: is_count(v) and v > 0, "a whole number >= 1")
_FLAG = (lambda v: isinstance(v, bool), "true or false")
_TOTAL = (lambda v: is_real(v) and v >= 0, "a finite number >= 0")
_OPTIONAL_REAL = (lambda v: v is None or is_real(v), "a finite number or null")
_OBJECT = (lambda v: isinstance(v, dict), "a JSON object")
SCHEMA = {
    "epoch": _COUNT,
    "step": _COUNT,
    "in_epoch": _FLAG,
    "epochs": _POSITIVE,
    "steps_per_epoch": _POSITIVE,
    "train_size": _POSITIVE,
    "stop_training": _FLAG,
    "loss_sum": _TOTAL,
    "correct": _COUNT,
    "train_seconds": _TOTAL,
    "optimizer_t": _COUNT,
    "reference_loss": _OPTIONAL_REAL,
    "rng": _OBJECT,
    "history": _OBJECT,
    "callbacks": _OBJECT,
}
# Keys a file may lack: written before they existed, and read as this default.
OPTIONAL = {"reference_loss": None}
# Array names by prefix, and the dtype kinds each may have.
ARRAY_KINDS = {"layers.": "f", "good.": "f", "optimizer.": "f", "callbacks.": "f", "order": "iu"}


@dataclass
class TrainingState:
    """A run at a batch boundary: position, totals, generator, optimizer, history, callbacks.

    Shapes: ``weights`` as :meth:`Sequential.get_weights` names them; ``optimizer`` the arrays
    of :meth:`Optimizer.state_dict` (its step count is ``optimizer_t``); ``order`` int
    (train_size,) or None; ``good_weights`` like ``weights``, empty at an epoch's end.
    """

    epoch: int  # epochs complete
    step: int  # steps taken into the next epoch
    in_epoch: bool  # the next epoch's order is drawn and its totals begun
    epochs: int  # the run's length
    steps_per_epoch: int
    train_size: int
    stop_training: bool  # a callback (early stopping) ended the run
    loss_sum: float  # the current epoch's running totals
    correct: int
    train_seconds: float
    optimizer_t: int  # the optimizer's step count: its schedule is a function of it
    reference_loss: float | None  # the divergence guard's (None: the next batch's loss)
    rng: dict[str, Any]  # the random generator's bit_generator.state
    history: History
    callbacks: dict[str, dict[str, Any]]  # each callback's JSON-able state, by class name
    weights: dict[str, np.ndarray]
    optimizer: dict[str, np.ndarray] = field(default_factory=dict)
    order: np.ndarray | None = None
    good_weights: dict[str, np.ndarray] = field(default_factory=dict)
    callback_arrays: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    # --- the file form ---------------------------------------------------------------------

    def to_file(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """``(document, arrays)``: the JSON-able scalars and the named arrays."""
        document = {key: getattr(self, key) for key in SCHEMA}
        document["history"] = self.history.as_dict()
        arrays = dict(self.weights)
        arrays.update({f"optimizer.{k}": v for k, v in self.optimizer.items()})
        if self.order is not None:
            arrays["order"] = self.order
        arrays.update({f"good.{k}": v for k, v in self.good_weights.items()})
        for name, named in self.callback_arrays.items():
            arrays.update({f"callbacks.{name}.{k}": v for k, v in named.items()})
        return document, arrays

    @property
    def document(self) -> dict[str, Any]:
        """The JSON document of :meth:`to_file` (a new dict each time)."""
        return self.to_file()[0]

    @property
    def arrays(self) -> dict[str, np.ndarray]:
        """The named arrays of :meth:`to_file` (a new dict each time)."""
        return self.to_file()[1]

    @classmethod
    def from_file(cls, document: Any, arrays: dict[str, np.ndarray]) -> TrainingState:
        """Check and read the file form; ConfigError names the first key that is not valid."""
        if not isinstance(document, dict):
            raise ConfigError("training is not a JSON object")
        values: dict[str, Any] = {}
        for key, (check, words) in SCHEMA.items():
            value = document.get(key, OPTIONAL.get(key))
            if not check(value):
                raise ConfigError(_invalid(key, words, value))
            values[key] = value
        epoch, step, steps = values["epoch"], values["step"], values["steps_per_epoch"]
        if step > steps or not (values["in_epoch"] or step == 0):
            raise ConfigError(
                f"training.step {step} is not valid at epoch {epoch} "
                f"({steps} steps per epoch, in_epoch {values['in_epoch']})"
            )
        values["history"] = _history(values["history"], epoch)
        for name, state in values["callbacks"].items():
            if not isinstance(state, dict):
                raise ConfigError(_invalid(f"callbacks.{name}", "a JSON object", state))
        _check_rng(values["rng"])
        values.update(_arrays(arrays, values["train_size"]))
        values["loss_sum"], values["train_seconds"] = (
            float(values["loss_sum"]),
            float(values["train_seconds"]),
        )
        if values["reference_loss"] is not None:
            values["reference_loss"] = float(values["reference_loss"])
        return cls(**values)


def _invalid(key: str, words: str, value: Any) -> str:
    what = " (the divergence guard's reference loss)" if key == "reference_loss" else ""
    shown = "missing" if value is None and key not in OPTIONAL else repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return f"training.{key}{what} is not valid: it must be {words}, got {shown}"


def _history(data: dict[str, Any], epochs: int) -> History:
    """The history of the first ``epochs`` epochs, each figure a list of that many numbers."""
    if data.get("epoch") != list(range(1, epochs + 1)):
        raise ConfigError(f"training.history does not cover epochs 1-{epochs}")
    for key in FIGURES:
        values = data.get(key)
        nan_allowed = key.endswith(("loss", "accuracy"))  # None is nan: no dev set
        if (
            not isinstance(values, list)
            or len(values) != epochs
            or not all(is_real(v) or (v is None and nan_allowed) for v in values)
        ):
            raise ConfigError(
                f"training.history.{key} is not valid: it must be {epochs} finite numbers"
            )
    stopped, best = data.get("stopped", "completed"), data.get("best_epoch")
    if stopped not in ("completed", "early_stopping", "interrupted", "diverged") or not (
        best is None or is_count(best)
    ):
        raise ConfigError("training.history's stopped or best_epoch is not valid")
    return History.from_dict(data)


def _check_rng(state: dict[str, Any]) -> None:
    """Raise ConfigError unless ``state`` is a state NumPy's default generator takes."""
    try:
        # As a BitGenerator: any mapping may be offered, and PCG64 checks it.
        generator: np.random.BitGenerator = np.random.PCG64()
        generator.state = state
    except (TypeError, ValueError, KeyError, OverflowError) as error:
        raise ConfigError(
            f"training.rng is not a valid random generator state ({type(error).__name__}: {error})"
        ) from None


def _arrays(arrays: dict[str, np.ndarray], train_size: int) -> dict[str, Any]:
    """The array fields, from the file's names; every name and dtype checked."""
    found: dict[str, Any] = {
        "weights": {},
        "optimizer": {},
        "order": None,
        "good_weights": {},
        "callback_arrays": {},
    }
    for name, array in arrays.items():
        prefix = next(
            (p for p in ARRAY_KINDS if name == p or (p.endswith(".") and name.startswith(p))), None
        )
        if prefix is None:
            raise ConfigError(f"unexpected array {name!r}")
        if array.dtype.kind not in ARRAY_KINDS[prefix]:
            raise ConfigError(f"array {name} has dtype {array.dtype}")
        rest = name[len(prefix) :]
        if prefix == "layers.":
            found["weights"][name] = array
        elif prefix == "optimizer.":
            found["optimizer"][rest] = array
        elif prefix == "good.":
            found["good_weights"][rest] = array
        elif prefix == "callbacks.":
            owner, _, key = rest.partition(".")
            found["callback_arrays"].setdefault(owner, {})[key] = array
        else:
            if array.shape != (train_size,) or not np.array_equal(
                np.sort(array), np.arange(train_size)
            ):
                raise ConfigError(
                    f"the saved example order is not a permutation of {train_size} examples"
                )
            found["order"] = array.astype(np.intp)
    return found
