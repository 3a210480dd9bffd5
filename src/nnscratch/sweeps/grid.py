"""A sweep's grid: ``--grid lr=1e-3,2e-3 --grid hidden=256,512x256`` read into fields and
values, and the settings it spans (every combination), each named in words and in files; or,
for a random search, ``--random 20 --range lr=1e-4..1e-1``: settings drawn from ranges (and
from the grid's values), seeded.

A field is named as ``nnscratch train`` names its option (``batch-size`` or ``batch_size``);
its values are separated by commas, so a value of several sizes joins them with ``x``
(``512x256``). Values are read here and checked with the recipe (one wording per mistake).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..model import FULL_BATCH


def _number(text: str) -> float:
    return float(text)


def _whole(text: str) -> int:
    return int(text)


def _word(text: str) -> str:
    if not text.replace("_", "").isalnum():
        raise ValueError(text)
    return text


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("x"))


def _sizes_or_none(text: str) -> tuple[int, ...]:
    return () if text.lower() == "none" else _sizes(text)


def _flag(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise ValueError(text)
    return text.lower() == "true"


def _batch(text: str) -> int | str:
    return FULL_BATCH if text.lower() == FULL_BATCH else int(text)


# The recipe fields a grid sweeps (those ``nnscratch train`` has options for, but the seed,
# which --seeds sweeps), how a value is read, and what a value looks like, for messages.
SWEEPABLE: dict[str, tuple[Callable[[str], Any], str]] = {
    "lr": (_number, "numbers, like 1e-3,2e-3"),
    "epochs": (_whole, "whole numbers, like 2,4"),
    "batch_size": (_batch, "whole numbers or full, like 64,128"),
    "hidden": (_sizes, "layer sizes joined by x, like 256,512x256"),
    "activation": (_word, "names, like relu,tanh"),
    "optimizer": (_word, "names, like sgd,adam"),
    "dropout": (_number, "numbers, like 0,0.2"),
    "dev_size": (_whole, "whole numbers, like 1000,5000"),
    "early_stopping": (_whole, "whole numbers, like 2,3"),
    "weight_decay": (_number, "numbers, like 0,1e-4"),
    "schedule": (_word, "names, like constant,warmup_cosine"),
    "conv": (_sizes_or_none, "channels joined by x, or none, like none,16x32,32x64"),
    "batch_norm": (_flag, "true or false, like true,false"),
    "augment": (_word, "names, like none,affine"),
    "cell": (_word, "names, like lstm,gru"),
    "ema": (_number, "numbers, like 0,0.9998"),
    "label_smoothing": (_number, "numbers, like 0,0.1"),
}

Grid = list[tuple[str, tuple[Any, ...]]]  # [(field, values)], in the order given
Setting = tuple[tuple[str, Any], ...]  # ((field, value), ...): one point of the grid


def option(field: str) -> str:
    """How the command line names a field: ``batch_size`` -> ``batch-size``."""
    return field.replace("_", "-")


def parse_grid(specs: list[str]) -> Grid:
    """``["lr=1e-3,2e-3", "hidden=256,512x256"]`` -> ``[("lr", (0.001, 0.002)), ("hidden",
    ((256,), (512, 256)))]``. Raises ConfigError naming the ``--grid`` that cannot be read."""
    grid: Grid = []
    for spec in specs:
        name, equals, text = spec.partition("=")
        field = name.strip().replace("-", "_")
        if not equals or not field:
            raise ConfigError(
                f"--grid {spec!r} is not FIELD=VALUES; give one like --grid lr=1e-3,2e-3"
            )
        if field not in SWEEPABLE:
            raise ConfigError(
                f"unknown --grid field {name.strip()!r}; choose one of: "
                f"{', '.join(option(f) for f in SWEEPABLE)}"
            )
        if any(field == seen for seen, _ in grid):
            raise ConfigError(
                f"--grid {option(field)} is given twice; give all its values in "
                f"one --grid, separated by commas"
            )
        read, looks = SWEEPABLE[field]
        parts = [part.strip() for part in text.split(",")]
        try:
            values = tuple(read(part) for part in parts)
        except ValueError:
            values = ()
        if not parts or not all(parts) or not values:
            raise ConfigError(f"--grid {option(field)} takes {looks}; got {text!r}")
        repeated = sorted({words(v) for v in values if values.count(v) > 1})
        if repeated:
            raise ConfigError(f"--grid {option(field)} gives {', '.join(repeated)} more than once")
        grid.append((field, values))
    return grid


def settings(grid: Grid) -> list[Setting]:
    """Every combination of the grid's values, the last field changing fastest; one empty
    setting for an empty grid (a sweep over seeds only)."""
    fields = [field for field, _ in grid]
    return [
        tuple(zip(fields, values, strict=False))
        for values in itertools.product(*(values for _, values in grid))
    ]


def words(value: Any) -> str:
    """A value as the grid writes it: ``0.001``, ``512x256``, ``none`` (no layers), ``true``,
    ``full``."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return "x".join(map(str, value)) or "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def label(setting: Setting) -> str:
    """``lr=0.001 hidden=512x256``; ``(seeds only)`` for the empty setting."""
    return " ".join(f"{option(f)}={words(v)}" for f, v in setting) or "(seeds only)"


def run_name(setting: Setting, seed: int) -> str:
    """A run's file name without extension: ``lr=0.001_hidden=512x256_seed=0``."""
    return "_".join([*(f"{option(f)}={words(v)}" for f, v in setting), f"seed={seed}"])


# --- random search ------------------------------------------------------------------------------

# The fields a --range draws, how: "log" (log-uniform: rates, whose useful values span powers
# of ten), "uniform", or "whole" (a whole number, each as likely).
RANGEABLE: dict[str, str] = {
    "lr": "log",
    "weight_decay": "log",
    "dropout": "uniform",
    "epochs": "whole",
    "batch_size": "whole",
    "dev_size": "whole",
    "early_stopping": "whole",
}
# A drawn number keeps this many significant digits, so that runs are named readably
# (lr=0.00347) and a setting can be typed back on the command line.
DIGITS = 3
# Draws tried per setting asked for before settling for fewer distinct ones (a range of few
# whole numbers, or grid values alone, has only so many settings).
TRIES = 100

Ranges = list[tuple[str, tuple[float, float]]]  # [(field, (low, high))], in the order given


def parse_ranges(specs: list[str]) -> Ranges:
    """``["lr=1e-4..1e-1", "epochs=2..6"]`` -> ``[("lr", (0.0001, 0.1)), ("epochs", (2, 6))]``.
    Raises ConfigError naming the ``--range`` that cannot be read or cannot be drawn from."""
    ranges: Ranges = []
    for spec in specs:
        name, equals, text = spec.partition("=")
        field = name.strip().replace("-", "_")
        low_text, dots, high_text = text.partition("..")
        if not equals or not field or not dots:
            raise ConfigError(
                f"--range {spec!r} is not FIELD=LOW..HIGH; give one like --range lr=1e-4..1e-1"
            )
        if field not in RANGEABLE:
            raise ConfigError(
                f"unknown --range field {name.strip()!r}; choose one of: "
                f"{', '.join(option(f) for f in RANGEABLE)}"
            )
        if any(field == seen for seen, _ in ranges):
            raise ConfigError(f"--range {option(field)} is given twice; give it once")
        kind = RANGEABLE[field]
        try:
            read = _whole if kind == "whole" else _number
            low, high = read(low_text.strip()), read(high_text.strip())
        except ValueError:
            looks = "whole numbers, like 2..6" if kind == "whole" else "numbers, like 1e-4..1e-1"
            raise ConfigError(f"--range {option(field)} takes {looks}; got {text!r}") from None
        if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
            raise ConfigError(
                f"--range {option(field)} {text}: the low end must be below the high end"
            )
        if kind == "log" and low <= 0:
            raise ConfigError(
                f"--range {option(field)} {text} is drawn log-uniformly, so its low end "
                f"must be above 0, like 1e-6"
            )
        ranges.append((field, (low, high)))
    return ranges


def random_settings(grid: Grid, ranges: Ranges, count: int, seed: int) -> list[Setting]:
    """``count`` distinct settings drawn at random, seeded by ``seed``: each grid field one of
    its values (each as likely), each range field from its range (see :data:`RANGEABLE`).

    The draws are a fixed sequence for a seed, so the same call gives the same settings (a
    sweep run again carries on), and a larger ``count`` keeps the settings of a smaller one
    first. Fewer than ``count`` when the grid and ranges hold fewer distinct settings.
    """
    rng = np.random.default_rng(seed)
    drawn: list[Setting] = []
    for _ in range(count * TRIES):
        setting = tuple(
            [(field, values[rng.integers(len(values))]) for field, values in grid]
            + [(field, _draw(RANGEABLE[field], low, high, rng)) for field, (low, high) in ranges]
        )
        if setting not in drawn:
            drawn.append(setting)
            if len(drawn) == count:
                break
    return drawn


def _draw(kind: str, low: float, high: float, rng: np.random.Generator) -> float | int:
    if kind == "whole":
        return int(rng.integers(int(low), int(high) + 1))
    if kind == "log":
        value = math.exp(rng.uniform(math.log(low), math.log(high)))
    else:
        value = rng.uniform(low, high)
    return float(f"{value:.{DIGITS}g}")


def range_words(ranges: Ranges) -> str:
    """``lr 0.0001..0.1 (log-uniform) and epochs 2..6``."""
    return " and ".join(
        f"{option(field)} {words(low)}..{words(high)}"
        + (" (log-uniform)" if RANGEABLE[field] == "log" else "")
        for field, (low, high) in ranges
    )
