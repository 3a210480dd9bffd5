"""How the answer changes when the input does: the probabilities over a range of shifts,
rotations, thickness or noise applied to one image."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..datasets import transforms
from ..errors import ConfigError
from ..model import Sequential

# kind -> (the values tried, what a value does to an image (H, W)); each change takes its
# own kind of value (whole pixels for a shift, degrees for a rotation...).
PROBES: dict[str, tuple[Sequence[float], Callable[[np.ndarray, Any], np.ndarray]]] = {
    # kind: (values the slider takes, what a value does to the image)
    "shift_x": (list(range(-8, 9)), lambda image, v: transforms.shift(image, v, 0)),
    "shift_y": (list(range(-8, 9)), lambda image, v: transforms.shift(image, 0, v)),
    "rotate": (list(range(-60, 61, 10)), transforms.rotate),
    "thickness": ([-2, -1, 0, 1, 2, 3], transforms.thicken),
    "noise": ([round(0.1 * i, 1) for i in range(11)], transforms.add_noise),
}


def probe_values(kind: str) -> list[float]:
    """The values the probe ``kind`` tries (see ``PROBES``); ConfigError for an unknown kind."""
    if kind not in PROBES:
        raise ConfigError(f"unknown probe {kind!r}; choose one of: {', '.join(PROBES)}")
    return list(PROBES[kind][0])


def probe_images(image: np.ndarray, kind: str) -> tuple[list[float], np.ndarray]:
    """The image changed by each value of the probe ``kind``: (values, float32 (V, H, W))."""
    values = probe_values(kind)
    change = PROBES[kind][1]
    return values, np.stack([change(image, value) for value in values])


def probe(model: Sequential, images: np.ndarray) -> np.ndarray:
    """Probabilities (V, C) of the model for the probe's images (V, H, W), from
    :func:`probe_images` (made once, shared by every model probed)."""
    return model.predict_proba(images).astype(np.float64)
