"""Recipes: a whole training configuration as one checked value; a preset is a named recipe.

This is the recipe's one home: its fields, their checks (a recipe cannot be made with a field
that cannot work), its JSON form (what model files and checkpoints record, read back with every
field checked), its full-batch value, its unit word and steps per epoch; its description in
words is made in :mod:`nnscratch.model.recipewords`. Overrides from the command line and from a
checkpoint go through :meth:`Recipe.with_overrides` and :meth:`Recipe.from_json`, and so through
the same checks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .. import checks
from ..datasets.augment import KINDS
from ..engine.initializers import INITIALIZERS
from ..engine.layers import ACTIVATIONS
from ..engine.optimizers import OPTIMIZERS
from ..errors import ConfigError
from ..training.loop import steps_per_epoch, unit_word
from .recipewords import network_words, training_words
from .specs import check_specs

T = TypeVar("T")

FULL_BATCH = "full"  # batch_size of full-batch gradient descent: one step on all examples
SCHEDULES = ("constant", "warmup_cosine")
PADDINGS = ("valid", "same")
CELLS = ("lstm", "gru")
# Fields that change what is printed, not what is computed: a resumed run may change them.
COSMETIC = frozenset({"log_every"})


@dataclass(frozen=True, kw_only=True)
class Recipe:
    """A full training recipe: the network, its optimizer and schedule, how long and on what.

    ``batch_size`` is a number of examples per step or :data:`FULL_BATCH`. Made with a field
    that cannot work, it raises ConfigError naming the field (see :meth:`with_overrides` for a
    caller's own names, such as the command line's ``--dev-size``).
    """

    name: str
    hidden: tuple[int, ...]
    conv: tuple[int, ...] = ()  # channels of each Conv2D + activation + MaxPool2D(2) block
    kernel_size: int = 5
    activation: str = "relu"
    init: str = "he"
    bias_init: str = "zeros"
    dropout: float = 0.0
    freeze: int = 0  # the first N layers with parameters keep their weights (fine-tuning)
    optimizer: str = "adam"
    lr: float = 1e-3
    schedule: str = "constant"  # or "warmup_cosine": 2 % linear warm-up, cosine to zero
    weight_decay: float = 0.0
    epochs: int = 10
    batch_size: int | str = 128
    dev_size: int = 5000
    stratify: bool = False
    early_stopping: int | None = None
    log_every: int | None = None  # print the tutorial's accuracy line every N iterations
    seed: int = 0
    # Fields added after the first files (optional in a file, read as these defaults):
    padding: str = "valid"  # of each convolution: "valid" (none) or "same" (keeps the size)
    batch_norm: bool = False  # BatchNorm after each convolution and hidden layer
    augment: str = "none"  # moves of the training images: none, shift, affine, strong, elastic
    recurrent: tuple[int, ...] = ()  # units of each recurrent layer, reading rows as steps
    cell: str = "lstm"  # the recurrent layers' kind: lstm or gru
    ema: float = 0.0  # decay of the weights' moving average the network ends as (0: none)
    label_smoothing: float = 0.0  # train towards (1 - ε)·onehot + ε/classes (0: onehot)
    # Or the network as layer specs (see nnscratch.model.specs), in place of the fields above.
    layers: tuple[dict[str, Any], ...] = ()

    def __post_init__(self) -> None:
        for field, value in _checked(self.__dict__).items():
            object.__setattr__(self, field, value)

    # --- changing ---------------------------------------------------------------------------

    def with_overrides(
        self,
        changes: dict[str, Any] | None = None,
        *,
        name: Callable[[str], str] = str,
        **more: Any,
    ) -> Recipe:
        """A copy with the fields in ``changes`` (and ``more``) changed: every value given is
        used, so ``early_stopping=None`` turns early stopping off.

        Raises ConfigError for an unknown field or a value that cannot work; ``name(field)``
        is how the message calls a field (the field itself by default; the command line
        passes its option: ``--dev-size must be zero or more, got -1``).
        """
        changes = {**(changes or {}), **more}
        unknown = sorted(set(changes) - set(FIELDS))
        if unknown:
            raise ConfigError(f"unknown recipe fields: {unknown}")
        fields = _checked({**self.__dict__, **changes}, name)
        return Recipe(**fields)

    # --- what it means ----------------------------------------------------------------------

    @property
    def full_batch(self) -> bool:
        """Whether each step takes every training example (``batch_size`` is FULL_BATCH)."""
        return self.batch_size == FULL_BATCH

    @property
    def unit(self) -> str:
        """``iteration`` for full-batch descent (an epoch is one step), else ``epoch``."""
        return unit_word(self.full_batch)

    @property
    def fit_batch_size(self) -> int | None:
        """The batch size as ``Sequential.fit`` takes it: None for full-batch descent."""
        batch_size = self.batch_size
        return batch_size if isinstance(batch_size, int) else None  # a string is FULL_BATCH

    def steps_per_epoch(self, train_size: int) -> int:
        """Optimizer steps in one epoch on ``train_size`` examples."""
        return steps_per_epoch(train_size, self.fit_batch_size)

    def changes_from(self, other: Recipe) -> list[str]:
        """What differs from ``other`` in what the run computes, as ``field old -> new``."""
        return [
            f"{f} {getattr(other, f)!r} -> {getattr(self, f)!r}"
            for f in FIELDS
            if f not in COSMETIC and getattr(other, f) != getattr(self, f)
        ]

    # --- the JSON form ----------------------------------------------------------------------

    def to_json(self, image_shape: tuple[int, ...] = (28, 28), classes: int = 10) -> dict[str, Any]:
        """What a model file or checkpoint records: every field (lists for tuples, null for
        full batch, as files always had it) and ``summary``, the :meth:`description`."""
        fields = {f: getattr(self, f) for f in FIELDS}
        for f in _TUPLES:
            fields[f] = list(getattr(self, f))
        fields["layers"] = [dict(spec) for spec in self.layers]
        fields["batch_size"] = self.fit_batch_size
        fields["summary"] = self.description(image_shape, classes)
        return fields

    @classmethod
    def from_json(cls, fields: Any) -> Recipe:
        """The recipe a file records (:meth:`to_json`), every field checked: the file may come
        from anyone. Raises ConfigError naming the field that is not valid."""
        if not isinstance(fields, dict) or not FIRST_FIELDS <= set(fields) <= {*FIELDS, "summary"}:
            raise ConfigError("holds no complete nnscratch train recipe")
        # A field added since the first files were written takes its default when absent.
        values = {f: fields[f] if f in fields else _DEFAULTS[f] for f in FIELDS}
        for f in _TUPLES:  # JSON has lists, the recipe tuples
            if isinstance(values[f], list):
                values[f] = tuple(values[f])
        if values["batch_size"] is None:
            values["batch_size"] = FULL_BATCH
        return cls(**_checked(values, strict=True))

    # --- in words ---------------------------------------------------------------------------

    def description(self, image_shape: tuple[int, ...] = (28, 28), classes: int = 10) -> str:
        """What the recipe trains, in one sentence made from its fields.

        The sentence always tells the run that ran, overrides included; for images of
        ``image_shape``::

            784-512-256-10 ReLU network; Adam (lr 2e-3, warm-up then cosine decay), batch 128,
            6 epochs, 5,000 dev images.
        """
        return f"{network_words(self, image_shape, classes)}; {training_words(self)}."


FIELDS = tuple(f.name for f in dataclasses.fields(Recipe))
# The fields every recipe in a file has had from the start; fields added later are optional in
# files (a file written before one existed reads as its default) and must have a default here.
FIRST_FIELDS = frozenset(
    {
        "name",
        "hidden",
        "conv",
        "kernel_size",
        "activation",
        "init",
        "bias_init",
        "dropout",
        "optimizer",
        "lr",
        "schedule",
        "weight_decay",
        "epochs",
        "batch_size",
        "dev_size",
        "stratify",
        "early_stopping",
        "log_every",
        "seed",
    }
)
_TUPLES = ("hidden", "conv", "recurrent", "layers")
# The fields that make a network from sizes; a recipe with ``layers`` leaves them as they are.
NETWORK_FIELDS = (
    "hidden",
    "conv",
    "kernel_size",
    "padding",
    "activation",
    "batch_norm",
    "dropout",
    "recurrent",
    "cell",
)
_DEFAULTS = {
    f.name: f.default for f in dataclasses.fields(Recipe) if f.default is not dataclasses.MISSING
}


# --- the checks -------------------------------------------------------------------------------


def _checked(
    fields: dict[str, Any], name: Callable[[str], str] = str, strict: bool = False
) -> dict[str, Any]:
    """The fields in their plain form, each checked; ConfigError names the first that cannot
    work (as ``name(field)``; ``strict``, for files: ``the recipe's lr -1 is not valid``)."""
    checked = {}
    for field, check in _CHECKS.items():
        try:
            checked[field] = check(name(field), fields[field])
        except ConfigError as error:
            if strict:
                raise ConfigError(
                    f"the recipe's {field} {fields[field]!r} is not valid ({error})"
                ) from None
            raise
    if checked["layers"]:
        given = [f for f in NETWORK_FIELDS if checked[f] != _DEFAULTS.get(f, ())]
        if given:
            raise ConfigError(
                f"{name('layers')} describes the whole network; "
                f"{', '.join(name(f) for f in given)} cannot be given with it"
            )
    if checked["conv"] and checked["recurrent"]:
        raise ConfigError(
            f"{name('conv')} and {name('recurrent')} cannot be combined: a "
            f"network is convolutional or recurrent"
        )
    if checked["padding"] == "same" and checked["conv"] and checked["kernel_size"] % 2 == 0:
        raise ConfigError(
            f"{name('padding')} 'same' needs an odd {name('kernel_size')}, got "
            f"{checked['kernel_size']}"
        )
    if checked["early_stopping"] is not None and checked["dev_size"] == 0:
        raise ConfigError(
            f"{name('early_stopping')} watches the dev set, but "
            f"{name('dev_size')} is 0: hold out some dev images"
        )
    if checked["early_stopping"] is not None and checked["ema"]:
        raise ConfigError(
            f"{name('early_stopping')} keeps one epoch's weights and {name('ema')} their "
            f"average over many steps: give one of them"
        )
    return checked


# A field's check: (the field's name as the user wrote it, the value) -> the checked value.
Check = Callable[[str, Any], T]


def _strict_int(check: Check[int]) -> Check[int]:
    """``check`` for an int field, refusing whole floats (``2.0``) that a recipe should not
    hold: its JSON form and its comparisons want ints."""

    def strict(name: str, value: Any) -> int:
        if isinstance(value, float):
            raise ConfigError(f"{name} must be a whole number, got {value!r}")
        return check(name, value)

    return strict


def _optional(check: Check[T]) -> Check[T | None]:
    """``check`` for a field that may also be None (off)."""

    def optional(name: str, value: Any) -> T | None:
        return None if value is None else check(name, value)

    return optional


def _batch_size(name: str, value: Any) -> int | str:
    if value == FULL_BATCH:
        return FULL_BATCH
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(
            f"{name} must be a positive whole number or {FULL_BATCH!r}, got {value!r}"
        )
    return checks.whole(name, value, low=1)


def _plain_name(name: str, value: Any) -> str:
    """A name, which names the model file (NAME.npz here): a file must choose no folder."""
    if not isinstance(value, str) or value in ("", ".", "..") or set(value) & set("/\\\0"):
        raise ConfigError(
            f"{name} must be a plain name without / or \\ (see --output), got {value!r}"
        )
    return value


_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "name": _plain_name,
    "hidden": checks.sizes,
    "conv": checks.sizes,
    "kernel_size": _strict_int(lambda n, v: checks.whole(n, v, low=1)),
    "activation": lambda n, v: checks.choice(n, v, ACTIVATIONS),
    "init": lambda n, v: checks.choice(n, v, INITIALIZERS),
    "bias_init": lambda n, v: checks.choice(n, v, INITIALIZERS),
    "dropout": lambda n, v: checks.real(n, v, low=0, high=1, high_open=True),
    "freeze": _strict_int(lambda n, v: checks.whole(n, v, low=0)),
    "optimizer": lambda n, v: checks.choice(n, v, OPTIMIZERS, any_case=True),
    "lr": lambda n, v: checks.real(n, v, low=0, low_open=True),
    "schedule": lambda n, v: checks.choice(n, v, SCHEDULES),
    "weight_decay": lambda n, v: checks.real(n, v, low=0),
    "epochs": _strict_int(lambda n, v: checks.whole(n, v, low=1)),
    "batch_size": _batch_size,
    "dev_size": _strict_int(lambda n, v: checks.whole(n, v, low=0)),
    "stratify": checks.flag,
    "early_stopping": _optional(_strict_int(lambda n, v: checks.whole(n, v, low=1))),
    "log_every": _optional(_strict_int(lambda n, v: checks.whole(n, v, low=1))),
    "seed": _strict_int(lambda n, v: checks.whole(n, v, low=0)),
    "padding": lambda n, v: checks.choice(n, v, PADDINGS),
    "batch_norm": checks.flag,
    "augment": lambda n, v: checks.choice(n, v, KINDS),
    "recurrent": checks.sizes,
    "cell": lambda n, v: checks.choice(n, v, CELLS),
    "ema": lambda n, v: checks.real(n, v, low=0, high=1, high_open=True),
    "label_smoothing": lambda n, v: checks.real(n, v, low=0, high=1, high_open=True),
    "layers": check_specs,
}
