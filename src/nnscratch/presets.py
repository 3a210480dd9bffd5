"""Named, documented training configurations: what ``nnscratch train --preset NAME`` runs.

Each preset says how to build the network, how to train it, and what it measured on this
project's reference machine (2 cores; see the README's preset table for the command).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from .errors import ConfigError
from .layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D, Reshape, get_activation
from .model import Sequential
from .optimizers import Optimizer, get_optimizer
from .schedules import WarmupCosine


@dataclass(frozen=True)
class Preset:
    """A full training recipe. ``batch_size=None`` means full-batch gradient descent."""

    name: str
    summary: str
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
    "classic": Preset(
        name="classic",
        summary="The classic tutorial: 784-10-10, ReLU + softmax, weights and biases "
                "U(-0.5, 0.5), full-batch gradient descent, alpha 0.1, 500 iterations, "
                "1,000 dev images (its bugs fixed).",
        hidden=(10,), init="tutorial", bias_init="tutorial", optimizer="sgd", lr=0.1,
        epochs=500, batch_size=None, dev_size=1000, log_every=10),
    "cnn": Preset(
        name="cnn",
        summary="Convolutional network: 16 then 32 5x5 filters, each followed by ReLU and 2x2 "
                "max pooling, a 128-unit ReLU layer, then 10 logits; Adam (lr 2e-3, warm-up "
                "then cosine decay), batch 128, 4 epochs, 5,000 dev images.",
        hidden=(128,), conv=(16, 32), lr=2e-3, schedule="warmup_cosine", epochs=4,
        batch_size=128, dev_size=5000),
    "mlp": Preset(
        name="mlp",
        summary="784-512-256-10 ReLU network, Adam (lr 2e-3, warm-up then cosine decay), "
                "batch 128, 6 epochs, 5,000 dev images.",
        hidden=(512, 256), lr=2e-3, schedule="warmup_cosine", epochs=6, batch_size=128,
        dev_size=5000),
}

DEFAULT_PRESET = "mlp"


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown preset {name!r}; choose one of: "
                          f"{', '.join(PRESETS)}") from None


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
