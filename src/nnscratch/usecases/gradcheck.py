"""Gradient checks of a whole network, layer by layer: what ``nnscratch gradcheck`` prints.

Each layer of the network (a preset's, a recipe file's, or a model file's, with its weights) is
copied into float64 and fed what reaches it from random images passed through the layers
below, in training mode (BatchNorm on batch statistics, dropout with one fixed mask), nudged
by a little noise. Its backward pass is compared with central finite differences of
L = Σ y ⊙ R for a random R, for the gradient of its input and of each parameter (on a random
sample of entries for large arrays), and the loss's gradient likewise. Random pixels rather
than real digits, and the noise: blank paper, and a ReLU's zeros, put units exactly at a kink
(a ReLU at 0, a pooling window of equal values), where a finite difference sees half a slope
the derivative does not have.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.gradcheck import Repeating, check_layer, check_loss
from ..errors import ConfigError
from ..model import PRESETS, Sequential, build_model, get_preset

# A correct float64 gradient gives ~1e-9 (1e-7 at worst, where a unit sits near a kink); a
# wrong rule gives 1e-2 or more.
TOLERANCE = 1e-6


@dataclass
class GradientRow:
    """One array checked: layer index (None for the loss), the layer, the array (``x`` for
    the input's gradient), its shape, the entries compared, the relative error."""

    index: int | None
    layer: str
    array: str
    shape: tuple[int, ...]
    checked: int
    error: float

    @property
    def passed(self) -> bool:
        """Whether the relative error is below the tolerance."""
        return self.error < TOLERANCE


@dataclass
class GradientReport:
    """Every array's check, in network order, then the loss's."""

    target: str
    rows: list[GradientRow] = field(default_factory=list)
    tolerance: float = TOLERANCE

    @property
    def passed(self) -> bool:
        """Whether every array passed."""
        return all(row.passed for row in self.rows)

    @property
    def failures(self) -> list[GradientRow]:
        """The rows that did not pass, in network order."""
        return [row for row in self.rows if not row.passed]

    def as_json(self) -> dict[str, Any]:
        """The report as ``nnscratch gradcheck --json`` prints it: one entry per row."""
        return {
            "target": self.target,
            "tolerance": self.tolerance,
            "passed": self.passed,
            "rows": [
                {
                    "index": r.index,
                    "layer": r.layer,
                    "array": r.array,
                    "shape": list(r.shape),
                    "checked": r.checked,
                    "error": r.error,
                    "passed": r.passed,
                }
                for r in self.rows
            ],
        }


def load_network(target: str | os.PathLike) -> tuple[Sequential, tuple[int, ...]]:
    """The network ``target`` names and its image shape: a preset, a recipe file (.toml) or a
    model file (.npz). ConfigError (or ModelFileError) says what it could not read."""
    name = os.fspath(target)
    if name in PRESETS:
        return build_model(get_preset(name)), (28, 28)
    path = Path(name)
    if path.suffix == ".toml":
        from ..model.recipefile import read_recipe_file

        return build_model(read_recipe_file(path)), (28, 28)
    if path.suffix == ".npz" or path.exists():
        model = Sequential.load(path)
        shape = model.image_shape or ((model.input_size,) if model.input_size else None)
        if shape is None:
            raise ConfigError(f"{path}: the model file does not say what shape its inputs have")
        return model, tuple(shape)
    raise ConfigError(
        f"MODEL_OR_PRESET {name!r} is neither a preset ({', '.join(PRESETS)}), a "
        f"recipe file (.toml) nor a model file (.npz)"
    )


def check_network(
    model: Sequential,
    image_shape: tuple[int, ...],
    *,
    target: str = "",
    batch: int = 4,
    samples: int = 12,
    seed: int = 0,
) -> GradientReport:
    """Check every layer of ``model`` (and its loss) on ``batch`` random images of
    ``image_shape``; ``samples`` entries of each array (all of a smaller one)."""
    rng = np.random.default_rng(seed)
    network = model.converted(np.dtype(np.float64))
    masks = Repeating(seed)
    x = network.prepare(rng.integers(0, 256, (batch, *image_shape)))
    report = GradientReport(target)
    for index, layer in enumerate(network.layers):
        errors = check_layer(
            layer, _nudged(x, rng), rng, training=True, layer_rng=masks, samples=samples
        )
        for array, error in errors.items():
            shape = x.shape if array == "x" else layer.params[array].shape
            size = int(np.prod(shape))
            report.rows.append(
                GradientRow(index, layer.name, array, tuple(shape), min(size, samples), error)
            )
        # The mask the check drew: a fresh generator's first draw is Repeating(seed)'s.
        x = layer.forward(x, training=True, rng=np.random.default_rng(seed))
    labels = rng.integers(0, max(network.output_size, 1), batch)
    loss_error = check_loss(network.loss, x.copy(), labels)
    report.rows.append(
        GradientRow(None, type(network.loss).__name__, "outputs", x.shape, x.size, loss_error)
    )
    return report


def _nudged(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A copy of ``x`` with noise of a twentieth of its spread: after a ReLU, whole pooling
    windows hold exact zeros, which tie (the max has no derivative there) and sit at the
    ReLU's kink. The noise moves every value far from any other, compared with the 1e-6 steps
    of the finite differences."""
    spread = float(np.std(x)) or 1.0
    return x + rng.uniform(-0.05, 0.05, x.shape) * spread


def gradient_check(
    target: str | os.PathLike, *, samples: int = 12, seed: int = 0
) -> GradientReport:
    """:func:`check_network` of the network ``target`` names (see :func:`load_network`)."""
    model, shape = load_network(target)
    return check_network(model, shape, target=os.fspath(target), samples=samples, seed=seed)
