"""Fine-tuning: a trained model file's network trained further on new data, its first layers
optionally frozen, and measured before and after on digits it never trained on.

``nnscratch train --init-from MODEL --freeze N --data my-digits/`` goes through
:func:`plan_training` like any run; this module supplies what is particular to it: the model
file started from (:class:`Origin`), the recipe a fine-tuning starts with (the file's own
network, with a tenth of its learning rate: :func:`fine_tune_recipe`), the checks that the run
fits the file's network, and :func:`compare`, the accuracies before and after on the held-out
digits of the new data (its test split, else the dev set) and on MNIST's test set, so the user
sees what was gained and what, if anything, was forgotten.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..checks import is_real
from ..datasets import DigitDataset, load_mnist
from ..errors import CheckpointError, ConfigError
from ..model import FULL_BATCH, Recipe, Sequential

# A fine-tuning's learning rate, as a share of the model's own, its epochs (a full-batch
# recipe takes ITERATIONS steps instead) and its batch size at most. A few hundred new digits
# make a few steps an epoch at the presets' 128: measured on 400 MNIST digits turned by 30
# degrees, the mlp preset's network (48 hidden units) went from 48 % to 75 % on 300 others
# in 10 epochs of 32, and only to 57 % in 5 epochs of 128.
LR_SHARE = 0.1
EPOCHS = 10
ITERATIONS = 50
BATCH = 32
# Recipe fields that shape the network: a fine-tuning keeps the file's.
NETWORK_FIELDS = ("hidden", "conv", "kernel_size", "activation", "dropout")


@dataclass(frozen=True)
class Origin:
    """The model file a fine-tuning starts from: its ``path``, the SHA-256 of its bytes, the
    ``model`` and the ``recipe`` it records (the network to train further)."""

    path: Path
    sha256: str
    model: Sequential
    recipe: Recipe

    def record(self) -> dict[str, Any]:
        """What the fine-tuned model file records of it (JSON-able)."""
        data = self.model.metadata.get("data") or {}
        return {
            "file": os.path.abspath(self.path),
            "sha256": self.sha256,
            "preset": self.recipe.name,
            "data": data.get("name"),
            "data_sha256": data.get("sha256"),
        }


def load_origin(path: str | os.PathLike, option: str = "--init-from") -> Origin:
    """The model file at ``path``, with its recipe; ModelFileError for a bad file, ConfigError
    for one that records no recipe (it was not written by ``nnscratch train``)."""
    path = Path(path)
    model = Sequential.load(path)
    recipe = model.recipe
    if recipe is None:
        raise ConfigError(
            f"{option} {path}: the model file records no training recipe (was it "
            f"written by nnscratch train?), so its network cannot be trained "
            f"further"
        )
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return Origin(path, digest.hexdigest(), model, recipe)


def fine_tune_recipe(base: Recipe) -> Recipe:
    """The recipe a fine-tuning starts from: ``base``'s network and optimizer, a tenth of its
    learning rate without a schedule (a trained network needs small steps, not a warm-up),
    :data:`EPOCHS` epochs of at most :data:`BATCH` digits (:data:`ITERATIONS` for full-batch
    descent), no early stopping, no dev set (the new data's test split is held out; see
    :func:`held_out`), nothing frozen, no weight averaging (a short run's average would lag
    behind its few steps)."""
    full = base.batch_size == FULL_BATCH
    return base.with_overrides(
        lr=base.lr * LR_SHARE,
        schedule="constant",
        epochs=ITERATIONS if full else EPOCHS,
        batch_size=base.batch_size if full else min(base.batch_size, BATCH),
        early_stopping=None,
        dev_size=0,
        freeze=0,
        ema=0.0,
    )


def option_name(field: str) -> str:
    """How ``nnscratch train`` calls the option of recipe field ``field``: ``--dev-size``."""
    return f"--{field.replace('_', '-')}"


def check_fits(origin: Origin, recipe: Recipe) -> None:
    """Refuse a recipe whose network is not the file's, or that freezes every layer with
    parameters: ConfigError naming the option."""
    changed = [
        field for field in NETWORK_FIELDS if getattr(recipe, field) != getattr(origin.recipe, field)
    ]
    if changed:
        field = changed[0]
        raise ConfigError(
            f"{option_name(field)} {_shown(getattr(recipe, field))} changes the "
            f"network, but --init-from {origin.path} trains its own network "
            f"({field} {_shown(getattr(origin.recipe, field))}); leave "
            f"{option_name(field)} out"
        )
    holders = [layer for layer in origin.model.layers if layer.params]
    if recipe.freeze >= len(holders):
        raise ConfigError(
            f"{option_name('freeze')} {recipe.freeze} leaves nothing to learn: "
            f"the network of {origin.path} has {len(holders)} layers with "
            f"parameters; freeze at most {len(holders) - 1}"
        )


def held_out(
    dataset: DigitDataset, dev: tuple[np.ndarray, np.ndarray]
) -> tuple[str, np.ndarray, np.ndarray] | None:
    """The new data's digits the run never trains on, to measure it before and after:
    ``(split, images, labels)``: its test split ("test") if it has one, else the dev set
    ``dev`` ("dev": images, labels), else None."""
    test = dataset.test
    if test is not None and len(test[1]):
        return "test", *test
    if len(dev[1]):
        return "dev", dev[0], dev[1]
    return None


def accuracies(
    model: Sequential, held: tuple[str, np.ndarray, np.ndarray] | None
) -> dict[str, float | None]:
    """``held_out`` (on ``held``'s digits, None without) and ``mnist_test`` accuracies."""
    test_images, test_labels = load_mnist("test")
    figures = {
        "held_out": None if held is None else model.evaluate(held[1], held[2])["accuracy"],
        "mnist_test": model.evaluate(test_images, test_labels)["accuracy"],
    }
    return {key: None if value is None else float(value) for key, value in figures.items()}


def start_record(
    origin: Origin, dataset: DigitDataset, held: tuple[str, np.ndarray, np.ndarray] | None
) -> dict[str, Any]:
    """What a fine-tuning records when it starts (JSON-able; its checkpoints keep it for a
    resumed run): where it came from (``from``), what it is measured on (``held_out``: the
    ``split``, "test" or "dev", of ``source``, and its ``count``; None without; ``mnist_test``:
    its ``count``) and the accuracies ``before``."""
    return {
        "from": origin.record(),
        "held_out": None
        if held is None
        else {"split": held[0], "source": dataset.source, "count": int(len(held[2]))},
        "mnist_test": {"count": int(len(load_mnist("test")[1]))},
        "before": accuracies(origin.model, held),
    }


def compare(
    record: dict[str, Any], model: Sequential, held: tuple[str, np.ndarray, np.ndarray] | None
) -> dict[str, Any]:
    """The start ``record`` with the trained ``model``'s accuracies ``after``."""
    return {**record, "after": accuracies(model, held)}


def resumed_record(checkpoint) -> dict[str, Any] | None:
    """The start record a checkpoint of a fine-tuning keeps (None for another run), checked:
    the file may come from anyone. Raises CheckpointError naming it."""
    record = checkpoint.config.get("fine_tune")
    if record is None:
        return None
    before = record.get("before") if isinstance(record, dict) else None
    if not (
        isinstance(before, dict)
        and isinstance(record.get("from"), dict)
        and all(
            before.get(key) is None or is_real(before.get(key))
            for key in ("held_out", "mnist_test")
        )
    ):
        raise CheckpointError(f"{checkpoint.path}: its fine_tune record is not valid")
    return record


def _shown(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else f"{value!r}"
