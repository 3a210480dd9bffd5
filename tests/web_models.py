"""Two small networks for the web tests, trained in seconds on part of the bundled MNIST: a
dense one and a convolutional one, shaped like the mlp and cnn presets but far smaller."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nnscratch.datasets import load_mnist
from nnscratch.model import build_model, get_preset

TRAIN_IMAGES = 4000


def train_small_models(folder: Path) -> dict[str, Path]:
    """Train and save ``mlp.npz`` (784-48-10) and ``cnn.npz`` (conv 4, 8; 32 units) in
    ``folder``, each with its recipe (so it can be fine-tuned); returns their paths by name.
    About 90 % test accuracy each (on the first 2,000 test images)."""
    folder.mkdir(parents=True, exist_ok=True)
    images, labels = load_mnist("train")
    x, y = images[:TRAIN_IMAGES], labels[:TRAIN_IMAGES]
    recipes = {
        "mlp": get_preset("mlp").with_overrides(hidden=(48,)),
        "cnn": get_preset("cnn").with_overrides(conv=(4, 8), hidden=(32,)),
    }
    paths = {}
    for name, recipe in recipes.items():
        model = build_model(recipe)
        model.fit(x, y, epochs=3, batch_size=100, lr=3e-3, seed=0)
        paths[name] = folder / f"{name}.npz"
        test_images, test_labels = load_mnist("test")
        accuracy = model.evaluate(test_images[:2000], test_labels[:2000])["accuracy"]
        model.save(
            paths[name],
            preset=name,
            recipe=recipe.to_json(),
            preprocessing={"scale": model.input_scale, "image_shape": [28, 28]},
            metrics={"test_accuracy": accuracy},
        )
    return paths


def digit_strokes(image: np.ndarray, cell: float = 10.0, brush: float = 14.0) -> list[dict]:
    """An MNIST digit (28, 28) as a person might trace it on a 280x280 canvas: one horizontal
    stroke along each run of inked pixels (above half intensity) of each row, ``cell`` units a
    pixel, drawn with a ``brush`` a little wider than a row."""
    strokes = []
    for row in range(image.shape[0]):
        inked = np.flatnonzero(image[row] > 127)
        if not len(inked):
            continue
        runs = np.split(inked, np.flatnonzero(np.diff(inked) > 1) + 1)
        for run in runs:
            y = (row + 0.5) * cell
            strokes.append(
                {
                    "brush": brush,
                    "points": [[(run[0] + 0.5) * cell, y], [(run[-1] + 0.5) * cell, y]],
                }
            )
    return strokes
