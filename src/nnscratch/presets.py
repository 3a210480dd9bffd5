"""Named, documented training configurations: what ``nnscratch train --preset NAME`` runs.

Each preset says how to build the network, how to train it, and what it measured on this
project's reference machine (2 cores; see the README's preset table for the command). This is
the recipes' one home: their fields, their checks (:func:`check_recipe`), their JSON form
(:func:`recipe_from_json`) and their description in words (:func:`describe_recipe`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import ConfigError
from .initializers import INITIALIZERS
from .layers import (ACTIVATIONS, Conv2D, Dense, Dropout, Flatten, MaxPool2D, Reshape,
                     get_activation)
from .model import Sequential
from .optimizers import OPTIMIZERS, Optimizer, get_optimizer
from .schedules import WarmupCosine

SCHEDULE_NAMES = ("constant", "warmup_cosine")


@dataclass(frozen=True, kw_only=True)
class Preset:
    """A full training recipe. ``batch_size=None`` means full-batch gradient descent.

    ``summary`` is the run's description in words as a model file records it
    (:func:`describe_recipe`, made from the other fields when the model is saved); a recipe
    built in code may leave it empty.
    """

    name: str
    summary: str = ""
    hidden: tuple[int, ...]
    conv: tuple[int, ...] = ()  # channels of each Conv2D + activation + MaxPool2D(2) block
    kernel_size: int = 5
    activation: str = "relu"
    init: str = "he"
    bias_init: str = "zeros"
    dropout: float = 0.0
    optimizer: str = "adam"
    lr: float = 1e-3
    schedule: str = "constant"  # or "warmup_cosine": 2 % linear warm-up, cosine to zero
    weight_decay: float = 0.0
    epochs: int = 10
    batch_size: int | None = 128
    dev_size: int = 5000
    stratify: bool = False
    early_stopping: int | None = None
    log_every: int | None = None  # print the tutorial's accuracy line every N iterations
    seed: int = 0

    def with_overrides(self, **overrides) -> Preset:
        """A copy with the given fields changed (``None`` values are ignored)."""
        fields = {f.name for f in dataclasses.fields(self)}
        unknown = set(overrides) - fields
        if unknown:
            raise ConfigError(f"unknown preset fields: {sorted(unknown)}")
        return dataclasses.replace(self, **{k: v for k, v in overrides.items()
                                            if v is not None})


PRESETS: dict[str, Preset] = {
    # The classic tutorial: 784-10-10, ReLU + softmax, weights and biases U(-0.5, 0.5),
    # full-batch gradient descent, alpha 0.1, 500 iterations, 1,000 dev images (its bugs fixed).
    "classic": Preset(
        name="classic", hidden=(10,), init="tutorial", bias_init="tutorial", optimizer="sgd",
        lr=0.1, epochs=500, batch_size=None, dev_size=1000, log_every=10),
    "cnn": Preset(
        name="cnn", hidden=(128,), conv=(16, 32), lr=2e-3, schedule="warmup_cosine", epochs=4,
        batch_size=128, dev_size=5000),
    "mlp": Preset(
        name="mlp", hidden=(512, 256), lr=2e-3, schedule="warmup_cosine", epochs=6,
        batch_size=128, dev_size=5000),
}

DEFAULT_PRESET = "mlp"


def get_preset(name: str, *, option: str = "preset") -> Preset:
    """The preset called ``name``; for any other name a ConfigError naming ``option`` (the
    CLI's ``--preset``) and listing the presets."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown {option} {name!r}; choose one of: "
                          f"{', '.join(PRESETS)}") from None


# --- checks -------------------------------------------------------------------------------------

def check_recipe(recipe: Preset, name: Callable[[str], str] = str) -> None:
    """Raise ConfigError for the first field of ``recipe`` that cannot work, before any data
    is loaded or any layer built. ``name(field)`` is how a message calls the field: the field
    itself by default, its option (``--dev-size``) for the command line. One kind of mistake,
    one wording: ``--lr must be a positive number, got nan``.
    """
    def choice(field: str, choices, any_case: bool = False) -> None:
        value = getattr(recipe, field)
        if not isinstance(value, str) or (value.lower() if any_case else value) not in choices:
            raise ConfigError(f"unknown {name(field)} {value!r}; choose one of: "
                              f"{', '.join(choices)}")

    def whole(field: str, low: int, none: bool = False) -> None:
        value = getattr(recipe, field)
        if not (value is None and none) and (type(value) is not int or value < low):
            raise ConfigError(f"{name(field)} must be "
                              f"{'a positive whole number' if low else 'zero or more'}, "
                              f"got {value!r}")

    def real(field: str, positive: bool) -> None:
        value = getattr(recipe, field)
        if type(value) not in (int, float) or not math.isfinite(value) \
                or not (value > 0 if positive else value >= 0):
            raise ConfigError(f"{name(field)} must be "
                              f"{'a positive number' if positive else 'zero or more'}, "
                              f"got {value!r}")

    for field in ("hidden", "conv"):
        sizes = getattr(recipe, field)
        if any(type(n) is not int or n < 1 for n in sizes):
            raise ConfigError(f"{name(field)} takes positive sizes, got "
                              f"{','.join(map(str, sizes))}")
    whole("kernel_size", 1)
    choice("activation", ACTIVATIONS)
    choice("init", INITIALIZERS)
    choice("bias_init", INITIALIZERS)
    if type(recipe.dropout) not in (int, float) or not 0 <= recipe.dropout < 1:
        raise ConfigError(f"{name('dropout')} must be in [0, 1), got {recipe.dropout!r}")
    choice("optimizer", OPTIMIZERS, any_case=True)  # as get_optimizer takes it
    real("lr", positive=True)
    choice("schedule", SCHEDULE_NAMES)
    real("weight_decay", positive=False)
    whole("epochs", 1)
    whole("batch_size", 1, none=True)
    whole("dev_size", 0)
    whole("early_stopping", 1, none=True)
    whole("log_every", 1, none=True)
    whole("seed", 0)
    if recipe.early_stopping is not None and recipe.dev_size == 0:
        raise ConfigError(f"{name('early_stopping')} watches the dev set, but "
                          f"{name('dev_size')} is 0: hold out some dev images")


def recipe_from_json(fields: Any) -> Preset:
    """The recipe a model file or checkpoint records (its ``recipe``: every field of
    :class:`Preset`, lists for tuples), each field's JSON type and range checked first, since
    the file may come from anyone. Raises ConfigError naming the field."""
    names = {f.name for f in dataclasses.fields(Preset)}
    if not isinstance(fields, dict) or set(fields) != names:
        raise ConfigError("holds no complete nnscratch train recipe")
    for field, check in _JSON_CHECKS.items():
        if not check(fields[field]):
            raise ConfigError(f"the recipe's {field} {fields[field]!r} is not valid")
    return Preset(**{**fields, "hidden": tuple(fields["hidden"]), "conv": tuple(fields["conv"])})


def _json_whole(low: int, none: bool = False):
    return lambda v: (v is None and none) or (type(v) is int and v >= low)


def _json_real(low: float, high: float = float("inf"), low_open: bool = False):
    return lambda v: (type(v) in (int, float) and (low < v if low_open else low <= v)
                      and v < high)


def _json_sizes(v) -> bool:
    return isinstance(v, list) and all(type(n) is int and n > 0 for n in v)


_JSON_CHECKS = {
    "name": lambda v: isinstance(v, str), "summary": lambda v: isinstance(v, str),
    "hidden": _json_sizes, "conv": _json_sizes, "kernel_size": _json_whole(1),
    "activation": lambda v: isinstance(v, str), "init": lambda v: isinstance(v, str),
    "bias_init": lambda v: isinstance(v, str), "dropout": _json_real(0.0, 1.0),
    "optimizer": lambda v: isinstance(v, str), "lr": _json_real(0.0, low_open=True),
    "schedule": lambda v: isinstance(v, str), "weight_decay": _json_real(0.0),
    "epochs": _json_whole(1), "batch_size": _json_whole(1, none=True),
    "dev_size": _json_whole(0), "stratify": lambda v: isinstance(v, bool),
    "early_stopping": _json_whole(1, none=True), "log_every": _json_whole(1, none=True),
    "seed": _json_whole(0),
}


def recipe_json(recipe: Preset, image_shape: tuple[int, ...] = (28, 28),
                classes: int = 10) -> dict[str, Any]:
    """The JSON form of ``recipe`` a model file records: its fields, lists for tuples, and
    ``summary`` the :func:`describe_recipe` of the run on images of ``image_shape``."""
    fields = dataclasses.asdict(recipe)
    fields["hidden"], fields["conv"] = list(fields["hidden"]), list(fields["conv"])
    fields["summary"] = describe_recipe(recipe, image_shape, classes)
    return fields


# --- the recipe in words ------------------------------------------------------------------------

_ACTIVATION_WORDS = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "sigmoid": "sigmoid",
                     "tanh": "tanh"}
_OPTIMIZER_WORDS = {"sgd": "SGD", "momentum": "SGD with momentum 0.9",
                    "nesterov": "SGD with Nesterov momentum 0.9", "adam": "Adam",
                    "adamw": "AdamW"}


def describe_recipe(recipe: Preset, image_shape: tuple[int, ...] = (28, 28),
                    classes: int = 10) -> str:
    """What ``recipe`` trains, in one sentence made from its fields (so it always tells the run
    that ran, overrides included), for images of ``image_shape`` and ``classes`` classes::

        784-512-256-10 ReLU network; Adam (lr 2e-3, warm-up then cosine decay), batch 128,
        6 epochs, 5,000 dev images.
    """
    activation = _ACTIVATION_WORDS.get(recipe.activation, recipe.activation)
    units = " and ".join(", ".join(f"{n}-" for n in recipe.hidden).rsplit(", ", 1))
    if recipe.conv:
        k = recipe.kernel_size
        network = (f"convolutional network: {' then '.join(map(str, recipe.conv))} {k}x{k} "
                   f"filters{', each' if len(recipe.conv) > 1 else ''} followed by "
                   f"{activation} and 2x2 max pooling, ")
        if recipe.hidden:
            network += (f"a {units}unit {activation} layer, " if len(recipe.hidden) == 1
                        else f"{units}unit {activation} layers, ")
        network += f"then {classes} logits"
    else:
        pixels = math.prod(image_shape)
        network = f"{'-'.join(map(str, (pixels, *recipe.hidden, classes)))} {activation} network"
    if recipe.init == "tutorial" and recipe.bias_init == "tutorial":
        network += ", weights and biases U(-0.5, 0.5)"
    elif recipe.init not in ("he", "he_normal"):
        network += f", {recipe.init} initialisation"
    if recipe.dropout:
        network += f", dropout {recipe.dropout:g} after each hidden layer"

    full_batch = recipe.batch_size is None
    settings = [f"lr {_number(recipe.lr)}"]
    if recipe.schedule == "warmup_cosine":
        settings.append("warm-up then cosine decay")
    if recipe.weight_decay:
        settings.append(f"weight decay {_number(recipe.weight_decay)}")
    if full_batch and recipe.optimizer == "sgd":
        training = [f"full-batch gradient descent ({', '.join(settings)})"]
    else:
        optimizer = _OPTIMIZER_WORDS.get(recipe.optimizer, recipe.optimizer)
        training = [f"{optimizer} ({', '.join(settings)})",
                    "full batch" if full_batch else f"batch {recipe.batch_size:,}"]
    unit = "iteration" if full_batch else "epoch"
    training.append(f"{recipe.epochs:,} {unit}{'' if recipe.epochs == 1 else 's'}")
    if recipe.dev_size:
        training.append(f"{recipe.dev_size:,} dev images"
                        + (" (stratified)" if recipe.stratify else ""))
    else:
        training.append("no dev set")
    if recipe.early_stopping:
        training.append(f"early stopping after {recipe.early_stopping} {unit}"
                        f"{'' if recipe.early_stopping == 1 else 's'} without a better dev loss")
    return f"{network}; {', '.join(training)}."


def _number(value: float) -> str:
    """0.002 as 2e-3, 0.1 as 0.1: how a learning rate is usually written."""
    if 0 < value < 0.01:
        mantissa, exponent = f"{value:.6e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    return f"{value:g}"


def build_model(preset: Preset | str, *, image_shape: tuple[int, int] = (28, 28),
                classes: int = 10, dtype: str = "float32") -> Sequential:
    """The untrained network of a preset, for raw 0-255 pixels (scaled by 1/255 inside the
    model) of shape (N, *image_shape).

    Without ``conv``: Flatten, then (Dense, activation[, Dropout]) per hidden layer, then Dense
    to ``classes`` logits. With ``conv``: first Reshape to (N, 1, H, W) and one
    (Conv2D k×k, activation, MaxPool2D(2)) block per entry of ``conv``, then as above.
    """
    preset = get_preset(preset) if isinstance(preset, str) else preset
    layers: list = []
    if preset.conv:
        height, width = image_shape
        channels, k = 1, preset.kernel_size
        layers.append(Reshape((1, height, width)))
        for out_channels in preset.conv:
            conv = Conv2D(channels, out_channels, k, init=preset.init)
            height, width = conv.output_shape(height, width)
            if min(height, width) < 2:
                raise ConfigError(f"images of {image_shape[0]}x{image_shape[1]} are too small "
                                  f"for the {len(preset.conv)} convolution blocks of "
                                  f"{preset.name!r}")
            layers += [conv, get_activation(preset.activation), MaxPool2D(2)]
            channels, height, width = out_channels, height // 2, width // 2
        width = channels * height * width
    else:
        width = image_shape[0] * image_shape[1]
    layers.append(Flatten())
    for units in preset.hidden:
        layers += [Dense(width, units, init=preset.init, bias_init=preset.bias_init),
                   get_activation(preset.activation)]
        if preset.dropout:
            layers.append(Dropout(preset.dropout))
        width = units
    layers.append(Dense(width, classes, init=preset.init, bias_init=preset.bias_init))
    return Sequential(layers, input_scale=1 / 255, seed=preset.seed, dtype=dtype)


def build_optimizer(preset: Preset, train_size: int) -> Optimizer:
    """The preset's optimizer, its schedule sized to the run's number of steps."""
    schedule = None
    if preset.schedule == "warmup_cosine":
        steps_per_epoch = 1 if preset.batch_size is None else math.ceil(
            train_size / preset.batch_size)
        total = preset.epochs * steps_per_epoch
        schedule = WarmupCosine(total_steps=total, warmup_steps=min(total - 1, total // 50))
    elif preset.schedule != "constant":
        raise ConfigError(f"unknown schedule {preset.schedule!r}; choose constant or "
                          f"warmup_cosine")
    return get_optimizer(preset.optimizer, lr=preset.lr, schedule=schedule,
                         weight_decay=preset.weight_decay)


@dataclass
class TrainedRun:
    """What :func:`train_preset` returns: the model, its history and its figures."""

    model: Sequential
    history: object
    metrics: dict[str, float | None]
    train_size: int
    dev_size: int


def train_preset(preset: Preset | str, train_images, train_labels, test_images=None,
                 test_labels=None, *, callbacks=(), resume=None) -> TrainedRun:
    """Split off the dev set (seeded), build and train the preset's network, and measure it.

    Shapes: images (N, H, W) uint8 (or any raw pixels), labels (N,) ints 0-9.
    ``metrics`` holds train, dev and test accuracy and loss (test ones ``None`` without a test
    set); ``metrics["train_seconds"]`` is the time spent in training steps.
    ``resume`` (a :class:`~nnscratch.training.TrainingState`) carries on a saved run.
    """
    import numpy as np

    from .datasets import train_dev_split

    preset = get_preset(preset) if isinstance(preset, str) else preset
    check_recipe(preset)
    split_rng = np.random.default_rng(preset.seed)
    train_idx, dev_idx = train_dev_split(train_labels, preset.dev_size, rng=split_rng,
                                         stratify=preset.stratify)
    # Shuffle the training rows once so a seed fixes the whole run, then train.
    x, y = train_images[train_idx], train_labels[train_idx]
    x_dev, y_dev = train_images[dev_idx], train_labels[dev_idx]
    if np.ndim(train_images) != 3:
        raise ConfigError(f"images must have shape (N, height, width), got "
                          f"{np.shape(train_images)}")
    model = build_model(preset, image_shape=train_images.shape[1:])
    optimizer = build_optimizer(preset, len(x))
    history = model.fit(x, y, epochs=preset.epochs, batch_size=preset.batch_size,
                        optimizer=optimizer,
                        validation_data=(x_dev, y_dev) if len(dev_idx) else None,
                        early_stopping=preset.early_stopping, callbacks=callbacks,
                        shuffle=preset.batch_size is not None, resume=resume)
    metrics: dict[str, float | None] = {"train_seconds": history.seconds[-1]
                                        if history.seconds else 0.0}
    for split, (xs, ys) in {"train": (x, y), "dev": (x_dev, y_dev),
                            "test": (test_images, test_labels)}.items():
        result = model.evaluate(xs, ys) if xs is not None and len(xs) else None
        metrics[f"{split}_accuracy"] = result["accuracy"] if result else None
        metrics[f"{split}_loss"] = result["loss"] if result else None
    return TrainedRun(model, history, metrics, len(x), len(dev_idx))
