"""Checks of numbers and options: the one family of validators for every value a user gives.

Each checker returns the value in its plain form (a float, an int, a string) or raises
:class:`~nnscratch.errors.ConfigError` saying what it names and what it accepts, in one
wording: ``lr must be a number > 0, got -1``; ``epochs must be a whole number >= 1, got 0``.
The error carries ``subject`` (``"lr"``) and ``detail`` (``"must be a number > 0, got -1"``)
so that a face can put its own name for the value in front (the CLI says ``--lr``).

The predicates :func:`is_count` and :func:`is_real` serve readers of files, which word their
own errors (a checkpoint names the file and the key).
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Iterable

from .errors import ConfigError


def real(name: str, value, *, low: float | None = None, high: float | None = None,
         low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a float if it is a finite real number in the range, else ConfigError.

    ``low_open``/``high_open`` exclude the bound itself: ``real("lr", x, low=0,
    low_open=True)`` takes x > 0.
    """
    if low is not None and high is not None:
        allowed = f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    elif low is not None:
        allowed = f"{'>' if low_open else '>='} {low:g}"
    elif high is not None:
        allowed = f"{'<' if high_open else '<='} {high:g}"
    else:
        allowed = "finite"
    # bool is an Integral in Python, but `momentum=True` is a mistake, not 1.0.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise invalid(name, f"must be a number {allowed}", value)
    x = float(value)
    if (not math.isfinite(x)
            or (low is not None and (x <= low if low_open else x < low))
            or (high is not None and (x >= high if high_open else x > high))):
        raise invalid(name, f"must be a number {allowed}", value)
    return x


def whole(name: str, value, *, low: int = 0, high: int | None = None) -> int:
    """``value`` as an int if it is a whole number in [low, high], else ConfigError.

    Whole floats (``1e3`` from a JSON file) are accepted; booleans are not.
    """
    is_whole = (isinstance(value, numbers.Integral)
                or (isinstance(value, numbers.Real) and math.isfinite(value)
                    and float(value).is_integer()))
    allowed = f">= {low}" if high is None else f"from {low} to {high}"
    if isinstance(value, bool) or not is_whole or int(value) < low \
            or (high is not None and int(value) > high):
        raise invalid(name, f"must be a whole number {allowed}", value)
    return int(value)


def optional_whole(name: str, value, *, low: int = 0) -> int | None:
    """None, or a whole number >= ``low`` (see :func:`whole`)."""
    return None if value is None else whole(name, value, low=low)


def choice(name: str, value, options: Iterable[str]) -> str:
    """``value`` if it is one of ``options`` (strings), else ConfigError listing them."""
    options = list(options)
    if not isinstance(value, str) or value not in options:
        raise invalid(name, f"must be one of {', '.join(options)}", value)
    return value


def flag(name: str, value) -> bool:
    """``value`` if it is True or False (not 0 or 1), else ConfigError."""
    if not isinstance(value, bool):
        raise invalid(name, "must be true or false", value)
    return value


def sizes(name: str, value, *, low: int = 1) -> tuple[int, ...]:
    """A sequence of whole numbers >= ``low`` as a tuple (layer sizes, channels)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise invalid(name, f"must be a list of whole numbers >= {low}", value)
    found = tuple(value)
    for item in found:
        if isinstance(item, bool) or not isinstance(item, numbers.Integral) or item < low:
            raise invalid(name, f"must be a list of whole numbers >= {low}", list(found))
    return tuple(int(item) for item in found)


def invalid(name: str, detail: str, value) -> ConfigError:
    """The error for ``name`` with a value that ``detail`` (``must be ...``) rules out."""
    return ConfigError.about(name, f"{detail}, got {value!r}")


def is_count(value) -> bool:
    """True for an int >= 0 (not a bool): positions and counts read from a file."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def is_real(value) -> bool:
    """True for a finite int or float (not a bool): figures read from a file."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def keyword_options(what: str, cls: type, options: dict) -> None:
    """Raise ConfigError if ``options`` are not keyword arguments ``cls`` accepts.

    Turns the TypeError a bad configuration would cause into a message listing what is
    accepted, and names the required ones that are missing.
    """
    named = [p for p in inspect.signature(cls).parameters.values()
             if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    unknown = sorted(set(options) - {p.name for p in named})
    if unknown:
        raise ConfigError(f"{what} does not take option(s) {', '.join(unknown)}; "
                          f"its options are: {', '.join(p.name for p in named) or '(none)'}")
    missing = [p.name for p in named if p.default is p.empty and p.name not in options]
    if missing:
        raise ConfigError(f"{what} needs option(s) {', '.join(missing)}")
