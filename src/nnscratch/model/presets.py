"""The presets: named recipes, what ``nnscratch train --preset NAME`` runs, and the networks and
optimizers a recipe builds.

Each preset says how to build the network, how to train it, and what it measured on this
project's reference machine (2 cores; see the README's preset table for the command).
"""

from __future__ import annotations

from ..engine.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D, Reshape, get_activation
from ..engine.optimizers import Optimizer, get_optimizer
from ..engine.schedules import WarmupCosine
from ..errors import ConfigError
from .recipe import FULL_BATCH, Recipe
from .sequential import Sequential

PRESETS: dict[str, Recipe] = {
    # The classic tutorial: 784-10-10, ReLU + softmax, weights and biases U(-0.5, 0.5),
    # full-batch gradient descent, alpha 0.1, 500 iterations, 1,000 dev images (its bugs fixed).
    "classic": Recipe(
        name="classic", hidden=(10,), init="tutorial", bias_init="tutorial", optimizer="sgd",
        lr=0.1, epochs=500, batch_size=FULL_BATCH, dev_size=1000, log_every=10),
    "cnn": Recipe(
        name="cnn", hidden=(128,), conv=(16, 32), lr=2e-3, schedule="warmup_cosine", epochs=4,
        batch_size=128, dev_size=5000),
    "mlp": Recipe(
        name="mlp", hidden=(512, 256), lr=2e-3, schedule="warmup_cosine", epochs=6,
        batch_size=128, dev_size=5000),
}

DEFAULT_PRESET = "mlp"


def get_preset(name: str, *, option: str = "preset") -> Recipe:
    """The preset called ``name``; for any other name a ConfigError naming ``option`` (the
    CLI's ``--preset``) and listing the presets."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown {option} {name!r}; choose one of: "
                          f"{', '.join(PRESETS)}") from None


def build_model(recipe: Recipe | str, *, image_shape: tuple[int, int] = (28, 28),
                classes: int = 10, dtype: str = "float32") -> Sequential:
    """The untrained network of a recipe (or a preset's name), for raw 0-255 pixels (scaled by
    1/255 inside the model) of shape (N, *image_shape).

    Without ``conv``: Flatten, then (Dense, activation[, Dropout]) per hidden layer, then Dense
    to ``classes`` logits. With ``conv``: first Reshape to (N, 1, H, W) and one
    (Conv2D k×k, activation, MaxPool2D(2)) block per entry of ``conv``, then as above. The
    first ``recipe.freeze`` layers with parameters are frozen (see :meth:`Sequential.freeze`).
    """
    recipe = get_preset(recipe) if isinstance(recipe, str) else recipe
    layers: list = []
    if recipe.conv:
        height, width = image_shape
        channels, k = 1, recipe.kernel_size
        layers.append(Reshape((1, height, width)))
        for out_channels in recipe.conv:
            conv = Conv2D(channels, out_channels, k, init=recipe.init)
            height, width = conv.output_shape(height, width)
            if min(height, width) < 2:
                raise ConfigError(f"images of {image_shape[0]}x{image_shape[1]} are too small "
                                  f"for the {len(recipe.conv)} convolution blocks of "
                                  f"{recipe.name!r}")
            layers += [conv, get_activation(recipe.activation), MaxPool2D(2)]
            channels, height, width = out_channels, height // 2, width // 2
        width = channels * height * width
    else:
        width = image_shape[0] * image_shape[1]
    layers.append(Flatten())
    for units in recipe.hidden:
        layers += [Dense(width, units, init=recipe.init, bias_init=recipe.bias_init),
                   get_activation(recipe.activation)]
        if recipe.dropout:
            layers.append(Dropout(recipe.dropout))
        width = units
    layers.append(Dense(width, classes, init=recipe.init, bias_init=recipe.bias_init))
    model = Sequential(layers, input_scale=1 / 255, seed=recipe.seed, dtype=dtype)
    model.freeze(recipe.freeze)
    return model


def build_optimizer(recipe: Recipe, train_size: int) -> Optimizer:
    """The recipe's optimizer, its schedule sized to the run's number of steps."""
    schedule = None
    if recipe.schedule == "warmup_cosine":
        total = recipe.epochs * recipe.steps_per_epoch(train_size)
        schedule = WarmupCosine(total_steps=total, warmup_steps=min(total - 1, total // 50))
    return get_optimizer(recipe.optimizer, lr=recipe.lr, schedule=schedule,
                         weight_decay=recipe.weight_decay)
