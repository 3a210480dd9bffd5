"""Checks of numbers and options: the one family of validators for every value a user gives.

Each checker returns the value in its plain form (a float, an int, a string) or raises
:class:`~nnscratch.errors.ConfigError` in one wording per kind of mistake, naming the value as
the caller calls it (a recipe's field, or the command line's ``--lr``):

* ``lr must be a positive number, got nan``; ``weight_decay must be zero or more, got -1``;
  ``momentum must be in [0, 1), got 1.0``;
* ``epochs must be a positive whole number, got 0``; ``dev_size must be zero or more, got -1``;
* ``unknown activation 'relux'; choose one of: relu, leaky_relu, sigmoid, tanh``;
* ``hidden takes positive sizes, got 8,0``; ``stratify must be true or false, got 1``.

The predicates :func:`is_count` and :func:`is_real` serve readers of files, which word their
own errors (a checkpoint names the file and the key).
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Iterable

from .errors import ConfigError


def real(
    name: str,
    value,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """``value`` as a float if it is a finite real number in the range, else ConfigError.

    ``low_open``/``high_open`` exclude the bound itself: ``real("lr", x, low=0,
    low_open=True)`` takes x > 0.
    """
    if low is not None and high is not None:
        allowed = f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    elif low == 0:
        allowed = "a positive number" if low_open else "zero or more"
    elif low is not None:
        allowed = f"a number {'>' if low_open else '>='} {low:g}"
    elif high is not None:
        allowed = f"a number {'<' if high_open else '<='} {high:g}"
    else:
        allowed = "a finite number"
    # bool is an Integral in Python, but `momentum=True` is a mistake, not 1.0.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{name} must be {allowed}, got {value!r}")
    try:
        x = float(value)
    except OverflowError:  # an integer too large for a float
        raise ConfigError(f"{name} must be {allowed}, got {value!r}") from None
    if (
        not math.isfinite(x)
        or (low is not None and (x <= low if low_open else x < low))
        or (high is not None and (x >= high if high_open else x > high))
    ):
        raise ConfigError(f"{name} must be {allowed}, got {value!r}")
    return x


def whole(name: str, value, *, low: int = 0, high: int | None = None) -> int:
    """``value`` as an int if it is a whole number in [low, high], else ConfigError.

    Whole floats (``1e3`` from a JSON file) are accepted; booleans are not.
    """
    is_whole = isinstance(value, numbers.Integral) or (
        isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer()
    )
    if high is not None:
        allowed = f"a whole number from {low} to {high}"
    else:
        allowed = {0: "zero or more", 1: "a positive whole number"}.get(
            low, f"a whole number >= {low}"
        )
    if (
        isinstance(value, bool)
        or not is_whole
        or int(value) < low
        or (high is not None and int(value) > high)
    ):
        raise ConfigError(f"{name} must be {allowed}, got {value!r}")
    return int(value)


def choice(name: str, value, options: Iterable[str], *, any_case: bool = False) -> str:
    """``value`` if it is one of ``options`` (strings; ``any_case``: in any letter case,
    returned as given), else ConfigError listing them."""
    options = list(options)
    key = value.lower() if any_case and isinstance(value, str) else value
    if not isinstance(value, str) or key not in options:
        raise ConfigError(f"unknown {name} {value!r}; choose one of: {', '.join(options)}")
    return value


def flag(name: str, value) -> bool:
    """``value`` if it is True or False (not 0 or 1), else ConfigError."""
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be true or false, got {value!r}")
    return value


def sizes(name: str, value) -> tuple[int, ...]:
    """A sequence of positive whole numbers (layer sizes, channels) as a tuple."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if any(isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1 for n in items):
        raise ConfigError(f"{name} takes positive sizes, got {','.join(map(str, items))}")
    return tuple(int(n) for n in items)


def is_count(value) -> bool:
    """True for an int >= 0 (not a bool): positions and counts read from a file."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def is_real(value) -> bool:
    """True for a finite int or float (not a bool): figures read from a file."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float, as a JSON file may hold
        return False


def keyword_options(what: str, cls: type, options: dict) -> None:
    """Raise ConfigError if ``options`` are not keyword arguments ``cls`` accepts.

    Turns the TypeError a bad configuration would cause into a message listing what is
    accepted, and names the required ones that are missing.
    """
    named = [
        p
        for p in inspect.signature(cls).parameters.values()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    unknown = sorted(set(options) - {p.name for p in named})
    if unknown:
        raise ConfigError(
            f"{what} does not take option(s) {', '.join(unknown)}; "
            f"its options are: {', '.join(p.name for p in named) or '(none)'}"
        )
    missing = [p.name for p in named if p.default is p.empty and p.name not in options]
    if missing:
        raise ConfigError(f"{what} needs option(s) {', '.join(missing)}")
