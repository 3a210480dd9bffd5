"""A recipe in words: the sentence :meth:`~nnscratch.model.recipe.Recipe.description` makes
from its fields (what ``nnscratch info`` and a model file's summary say)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..datasets.augment import AUGMENTATIONS
from .specs import describe_specs

if TYPE_CHECKING:
    from .recipe import Recipe

_ACTIVATION_WORDS = {
    "relu": "ReLU",
    "leaky_relu": "leaky ReLU",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
}
_OPTIMIZER_WORDS = {
    "sgd": "SGD",
    "momentum": "SGD with momentum 0.9",
    "nesterov": "SGD with Nesterov momentum 0.9",
    "adam": "Adam",
    "adamw": "AdamW",
}


def network_words(recipe: Recipe, image_shape: tuple[int, ...], classes: int) -> str:
    """The network part of :meth:`Recipe.description`, for images of ``image_shape``."""
    activation = _ACTIVATION_WORDS.get(recipe.activation, recipe.activation)
    units = " and ".join(", ".join(f"{n}-" for n in recipe.hidden).rsplit(", ", 1))
    norm = "batch normalisation, " if recipe.batch_norm else ""
    dense = ""
    if recipe.hidden:
        dense = (
            f"a {units}unit {activation} layer"
            if len(recipe.hidden) == 1
            else f"{units}unit {activation} layers"
        )
        dense += " (batch-normalised), " if recipe.batch_norm else ", "
    if recipe.layers:
        network = f"network of layers {describe_specs(recipe.layers)}, then {classes} logits"
    elif recipe.conv:
        k = recipe.kernel_size
        padded = " padded to keep the size" if recipe.padding == "same" else ""
        network = (
            f"convolutional network: {' then '.join(map(str, recipe.conv))} {k}x{k} "
            f"filters{padded}{', each' if len(recipe.conv) > 1 else ''} followed by "
            f"{norm}{activation} and 2x2 max pooling, {dense}then {classes} logits"
        )
    elif recipe.recurrent:
        rows, columns = (tuple(image_shape) + (1, 1))[:2]
        cell, sizes = recipe.cell.upper(), " then ".join(map(str, recipe.recurrent))
        cells = (
            f"{'an' if cell == 'LSTM' else 'a'} {cell}"
            if len(recipe.recurrent) == 1
            else f"{len(recipe.recurrent)} stacked {cell}s"
        )
        network = (
            f"recurrent network: each image read as {rows} rows of {columns} pixels by "
            f"{cells} of {sizes} units, {dense}then {classes} logits"
        )
    else:
        pixels = math.prod(image_shape)
        network = f"{'-'.join(map(str, (pixels, *recipe.hidden, classes)))} {activation} network"
        if recipe.batch_norm and recipe.hidden:
            network += ", batch normalisation before each activation"
    if recipe.init == "tutorial" and recipe.bias_init == "tutorial":
        network += ", weights and biases U(-0.5, 0.5)"
    elif recipe.init not in ("he", "he_normal"):
        network += f", {recipe.init} initialisation"
    if recipe.dropout:
        network += f", dropout {recipe.dropout:g} after each hidden layer"
    if recipe.freeze:
        layers = "layer" if recipe.freeze == 1 else f"{recipe.freeze} layers"
        network += f", its first {layers} with weights frozen"
    return network


def training_words(recipe: Recipe) -> str:
    """The training part of :meth:`Recipe.description`: optimizer, batches, epochs, data."""
    settings = [f"lr {_number(recipe.lr)}"]
    if recipe.schedule == "warmup_cosine":
        settings.append("warm-up then cosine decay")
    if recipe.weight_decay:
        settings.append(f"weight decay {_number(recipe.weight_decay)}")
    if recipe.full_batch and recipe.optimizer == "sgd":
        training = [f"full-batch gradient descent ({', '.join(settings)})"]
    else:
        optimizer = _OPTIMIZER_WORDS.get(recipe.optimizer, recipe.optimizer)
        training = [
            f"{optimizer} ({', '.join(settings)})",
            "full batch" if recipe.full_batch else f"batch {recipe.batch_size:,}",
        ]
    training.append(_count(recipe.epochs, recipe.unit))
    if recipe.augment != "none":
        training.append(f"training images augmented by {AUGMENTATIONS[recipe.augment].words}")
    if recipe.ema:
        training.append(f"the weights' moving average (decay {recipe.ema:g}) kept as the network")
    if recipe.label_smoothing:
        training.append(f"labels smoothed by {recipe.label_smoothing:g}")
    if recipe.dev_size:
        training.append(
            f"{recipe.dev_size:,} dev images" + (" (stratified)" if recipe.stratify else "")
        )
    else:
        training.append("no dev set")
    if recipe.early_stopping:
        training.append(
            f"early stopping after {_count(recipe.early_stopping, recipe.unit)} "
            f"without a better dev loss"
        )
    return ", ".join(training)


def _count(n: int, unit: str) -> str:
    return f"{n:,} {unit}{'' if n == 1 else 's'}"


def _number(value: float) -> str:
    """0.002 as 2e-3, 0.1 as 0.1: how a learning rate is usually written."""
    if 0 < value < 0.01:
        mantissa, exponent = f"{value:.6e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    return f"{value:g}"
