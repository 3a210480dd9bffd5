"""The presets: named recipes, what ``nnscratch train --preset NAME`` runs, and the networks and
optimizers a recipe builds.

Each preset says how to build the network, how to train it, and what it measured on this
project's reference machine (2 cores; see the README's preset table for the command).
"""

from __future__ import annotations

from typing import Any

from ..datasets.augment import Augmentation, get_augmentation
from ..engine.layers import (
    GRU,
    LSTM,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Layer,
    MaxPool2D,
    Reshape,
    get_activation,
)
from ..engine.optimizers import Optimizer, get_optimizer
from ..engine.schedules import WarmupCosine
from ..errors import ConfigError
from .recipe import FULL_BATCH, Recipe
from .sequential import Sequential
from .specs import build_layers


def _conv_bn_relu(channels: int) -> tuple[dict[str, Any], ...]:
    """A 3x3 convolution (no padding) with BatchNorm and ReLU, as layer specs."""
    return (
        {"type": "Conv2D", "out_channels": channels, "kernel_size": 3},
        {"type": "BatchNorm"},
        {"type": "ReLU"},
    )


PRESETS: dict[str, Recipe] = {
    # The classic tutorial: 784-10-10, ReLU + softmax, weights and biases U(-0.5, 0.5),
    # full-batch gradient descent, alpha 0.1, 500 iterations, 1,000 dev images (its bugs fixed).
    "classic": Recipe(
        name="classic",
        hidden=(10,),
        init="tutorial",
        bias_init="tutorial",
        optimizer="sgd",
        lr=0.1,
        epochs=500,
        batch_size=FULL_BATCH,
        dev_size=1000,
        log_every=10,
    ),
    "cnn": Recipe(
        name="cnn",
        hidden=(128,),
        conv=(16, 32),
        lr=2e-3,
        schedule="warmup_cosine",
        epochs=4,
        batch_size=128,
        dev_size=5000,
    ),
    # Batch normalisation after each convolution and the hidden layer, dropout after it, and
    # augmented images: 99.5 % in under 3 minutes of training on two cores. Batches of 64 take
    # less time an epoch than 128 here (smaller arrays, kinder to the caches) and twice the steps;
    # 6 epochs at 5e-3 gave 99.47-99.52 % (seeds 0-2, five runs), 7 epochs 99.49-99.57 %, and 14
    # epochs of 128 at 3e-3 99.51-99.57 % in more than twice the time (docs/presets.md).
    "cnn-bn": Recipe(
        name="cnn-bn",
        hidden=(128,),
        conv=(32, 64),
        batch_norm=True,
        augment="affine",
        dropout=0.3,
        lr=5e-3,
        schedule="warmup_cosine",
        epochs=6,
        batch_size=64,
        dev_size=1000,
    ),
    # The most accurate network here: four 3x3 convolutions in two pairs (32, then 64 filters),
    # each with BatchNorm and ReLU, max pooling after each pair, a 256-unit layer with BatchNorm
    # and ReLU; cnn-bn's augmentation, optimizer and batch, 20 epochs on all 60,000 images, and
    # the network ends as its weights' moving average (decay 0.9998: about the last five epochs'
    # steps). Two small kernels see as far as one 5x5 with fewer weights and one more
    # non-linearity; the average sits nearer the centre of where the last steps wander than the
    # last step does. Label smoothing 0.1 gained 0.015 points over six seeds, within their spread
    # (docs/presets.md, "How best came about", has the runs and figures).
    "best": Recipe(
        name="best",
        hidden=(),
        layers=(
            *_conv_bn_relu(32),
            *_conv_bn_relu(32),
            {"type": "MaxPool2D"},
            *_conv_bn_relu(64),
            *_conv_bn_relu(64),
            {"type": "MaxPool2D"},
            {"type": "Dense", "out_features": 256},
            {"type": "BatchNorm"},
            {"type": "ReLU"},
        ),
        augment="affine",
        lr=5e-3,
        schedule="warmup_cosine",
        epochs=20,
        batch_size=64,
        dev_size=0,
        ema=0.9998,
        label_smoothing=0.1,
    ),
    # 99 % in well under 30 s of training on two cores: a narrow convolutional network (8 and
    # 16 filters cost a third of cnn's 16 and 32 per image) made trainable at a high rate by
    # BatchNorm, two epochs. With 1,000 dev images; 3 epochs at 8e-3 took 28-33 s for 99.0-99.2 %.
    "fast": Recipe(
        name="fast",
        hidden=(256,),
        conv=(8, 16),
        batch_norm=True,
        lr=1e-2,
        schedule="warmup_cosine",
        epochs=2,
        batch_size=128,
        dev_size=1000,
    ),
    # MNIST as sequences: 28 rows of 28 pixels, read one row per step.
    "lstm": Recipe(
        name="lstm",
        hidden=(),
        recurrent=(128,),
        lr=2e-3,
        schedule="warmup_cosine",
        epochs=8,
        batch_size=128,
        dev_size=5000,
    ),
    "mlp": Recipe(
        name="mlp",
        hidden=(512, 256),
        lr=2e-3,
        schedule="warmup_cosine",
        epochs=6,
        batch_size=128,
        dev_size=5000,
    ),
}

DEFAULT_PRESET = "mlp"


def get_preset(name: str, *, option: str = "preset") -> Recipe:
    """The preset called ``name``; for any other name a ConfigError naming ``option`` (the
    CLI's ``--preset``) and listing the presets."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(
            f"unknown {option} {name!r}; choose one of: {', '.join(PRESETS)}"
        ) from None


def build_model(
    recipe: Recipe | str,
    *,
    image_shape: tuple[int, int] = (28, 28),
    classes: int = 10,
    dtype: str = "float32",
) -> Sequential:
    """The untrained network of a recipe (or a preset's name), for raw 0-255 pixels (scaled by
    1/255 inside the model) of shape (N, *image_shape).

    Without ``conv`` or ``recurrent``: Flatten, then (Dense, activation[, Dropout]) per hidden
    layer, then Dense to ``classes`` logits. With ``conv``: first Reshape to (N, 1, H, W) and
    one (Conv2D k×k, activation, MaxPool2D(2)) block per entry of ``conv``, then as above.
    With ``recurrent``: Reshape to (N, H, W), the image read as H steps of W pixels, through
    one LSTM (or GRU, as ``cell`` says) per entry, the last returning its final hidden state,
    then as above. ``batch_norm`` puts a BatchNorm between each convolution or hidden Dense
    layer and its activation. With ``layers``: the layers they describe (see
    :func:`nnscratch.model.specs.build_layers`). The first ``recipe.freeze`` layers with
    parameters are frozen (see :meth:`Sequential.freeze`).
    """
    recipe = get_preset(recipe) if isinstance(recipe, str) else recipe
    if recipe.layers:
        model = Sequential(
            build_layers(recipe.layers, image_shape, classes),
            input_scale=1 / 255,
            seed=recipe.seed,
            dtype=dtype,
        )
        model.freeze(recipe.freeze)
        return model
    layers: list[Layer] = []
    height, width = image_shape
    if recipe.conv:
        width = _conv_blocks(recipe, image_shape, layers)
    elif recipe.recurrent:
        cell = {"lstm": LSTM, "gru": GRU}[recipe.cell]
        layers.append(Reshape((height, width)))
        for i, units in enumerate(recipe.recurrent):
            layers.append(cell(width, units, return_sequences=i + 1 < len(recipe.recurrent)))
            width = units
    else:
        width = height * width
    layers.append(Flatten())
    for units in recipe.hidden:
        layers.append(Dense(width, units, init=recipe.init, bias_init=recipe.bias_init))
        if recipe.batch_norm:
            layers.append(BatchNorm(units))
        layers.append(get_activation(recipe.activation))
        if recipe.dropout:
            layers.append(Dropout(recipe.dropout))
        width = units
    layers.append(Dense(width, classes, init=recipe.init, bias_init=recipe.bias_init))
    model = Sequential(layers, input_scale=1 / 255, seed=recipe.seed, dtype=dtype)
    model.freeze(recipe.freeze)
    return model


def _conv_blocks(recipe: Recipe, image_shape: tuple[int, int], layers: list[Layer]) -> int:
    """Append the Reshape and the convolution blocks; returns the values per example after."""
    height, width = image_shape
    channels, k = 1, recipe.kernel_size
    padding = "same" if recipe.padding == "same" else 0
    layers.append(Reshape((1, height, width)))
    for out_channels in recipe.conv:
        conv = Conv2D(channels, out_channels, k, padding=padding, init=recipe.init)
        height, width = conv.output_size(height, width)
        if min(height, width) < 2:
            raise ConfigError(
                f"images of {image_shape[0]}x{image_shape[1]} are too small "
                f"for the {len(recipe.conv)} convolution blocks of "
                f"{recipe.name!r}"
            )
        layers.append(conv)
        if recipe.batch_norm:
            layers.append(BatchNorm(out_channels))
        layers += [get_activation(recipe.activation), MaxPool2D(2)]
        channels, height, width = out_channels, height // 2, width // 2
    return channels * height * width


def build_augmentation(recipe: Recipe) -> Augmentation | None:
    """The recipe's augmentation of the training images (None for ``augment = "none"``)."""
    return get_augmentation(recipe.augment)


def build_optimizer(recipe: Recipe, train_size: int) -> Optimizer:
    """The recipe's optimizer, its schedule sized to the run's number of steps."""
    schedule = None
    if recipe.schedule == "warmup_cosine":
        total = recipe.epochs * recipe.steps_per_epoch(train_size)
        schedule = WarmupCosine(total_steps=total, warmup_steps=min(total - 1, total // 50))
    return get_optimizer(
        recipe.optimizer, lr=recipe.lr, schedule=schedule, weight_decay=recipe.weight_decay
    )
