"""Round-robin timing: every contender does one unit of work per round, in a rotating order."""

from __future__ import annotations

import statistics
from collections.abc import Callable


def interleave(units: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Call each ``units[name]()`` once per round and collect the seconds it returns.

    The order rotates each round (A B C, B C A, C A B ...) so no contender always runs first,
    right after another one has warmed (or cooled) the caches.
    """
    names = list(units)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            seconds[name].append(units[name]())
    return seconds


def stats(values: list[float]) -> dict[str, float]:
    """Median, minimum and maximum of a list of measurements."""
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }
