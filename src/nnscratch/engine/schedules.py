"""Learning-rate schedules: the factor that multiplies the base learning rate at step t.

The optimizer calls ``schedule(t)`` with t the number of updates already taken (0 for the first
update), so an update uses ``lr * schedule(t)``. A schedule is a pure function of t and keeps no
state of its own: saving the optimizer's step count is enough to resume it exactly.

Every schedule round-trips through JSON: ``get_schedule(s.config())`` rebuilds ``s``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from .. import checks
from ..errors import ConfigError


def _step_count(t: object) -> int:
    if isinstance(t, bool) or not isinstance(t, numbers.Integral) or t < 0:
        # A negative or fractional step is a bug in the caller, not a user's configuration.
        raise ValueError(f"a schedule is evaluated at a whole step t >= 0, got {t!r}")
    return int(t)


# --- schedules ----------------------------------------------------------------------------------


class Schedule:
    """Maps the step count t (0 for the first update) to a factor of the base learning rate."""

    name = "schedule"

    def __call__(self, t: int) -> float:
        """The factor of the base learning rate at step t (0 for the first update)."""
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        """JSON-able ``{"name": ..., <constructor arguments>}``; ``get_schedule`` inverts it."""
        return {"name": self.name}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items() if k != "name")
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    """factor(t) = 1."""

    name = "constant"

    def __call__(self, t: int) -> float:
        """1.0 at every step."""
        _step_count(t)
        return 1.0


class StepDecay(Schedule):
    """factor(t) = gamma ** (t // step_size): multiplied by gamma every ``step_size`` steps.

    Args:
        step_size: steps between two drops, >= 1.
        gamma: factor of each drop, in (0, 1].
    """

    name = "step_decay"

    def __init__(self, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = checks.whole("step_size", step_size, low=1)
        self.gamma = checks.real("gamma", gamma, low=0.0, high=1.0, low_open=True)

    def __call__(self, t: int) -> float:
        """The factor gamma ** (t // step_size)."""
        return self.gamma ** (_step_count(t) // self.step_size)

    def config(self) -> dict[str, Any]:
        """``{"name", "step_size", "gamma"}``."""
        return {"name": self.name, "step_size": self.step_size, "gamma": self.gamma}


class ExponentialDecay(Schedule):
    """factor(t) = gamma ** t: multiplied by gamma after every step.

    Args:
        gamma: factor per step, in (0, 1]; e.g. 0.999 halves the rate in about 693 steps.
    """

    name = "exponential_decay"

    def __init__(self, gamma: float) -> None:
        self.gamma = checks.real("gamma", gamma, low=0.0, high=1.0, low_open=True)

    def __call__(self, t: int) -> float:
        """The factor gamma ** t."""
        return self.gamma ** _step_count(t)

    def config(self) -> dict[str, Any]:
        """``{"name", "gamma"}``."""
        return {"name": self.name, "gamma": self.gamma}


class WarmupCosine(Schedule):
    """Linear warm-up, then a half cosine from 1 down to ``min_factor``.

    With W = warmup_steps, T = total_steps and m = min_factor:

    * warm-up, t < W:           factor = (t + 1) / W       (1/W, 2/W, ..., 1 at t = W - 1)
    * cosine,  W <= t <= T - 1: factor = m + (1 - m) · (1 + cos(π · (t - W) / (T - 1 - W))) / 2
                                (1 at t = W, (1 + m)/2 half-way, m at t = T - 1)
    * after,   t >= T:          factor = m

    If the cosine phase is a single step (W = T - 1, e.g. T = 1) that step uses the full rate
    (factor 1): ending it at m would waste the only step at the peak, and with m = 0 a one-step
    run would not train at all.

    Args:
        total_steps: T, the number of updates the run will make, >= 1.
        warmup_steps: W, in [0, T - 1]; 0 starts the cosine at once.
        min_factor: m, in [0, 1], the final factor.
    """

    name = "warmup_cosine"

    def __init__(self, total_steps: int, warmup_steps: int = 0, min_factor: float = 0.0) -> None:
        self.total_steps = checks.whole("total_steps", total_steps, low=1)
        self.warmup_steps = checks.whole("warmup_steps", warmup_steps, low=0)
        if self.warmup_steps >= self.total_steps:
            raise ConfigError(
                f"warmup_steps must be in [0, total_steps - 1] = [0, {self.total_steps - 1}] "
                f"so that the run reaches the full rate, got {warmup_steps!r}"
            )
        self.min_factor = checks.real("min_factor", min_factor, low=0.0, high=1.0)

    def __call__(self, t: int) -> float:
        """(t + 1) / W during the warm-up, then the half cosine from 1 to m, then m."""
        t = _step_count(t)
        W, T, m = self.warmup_steps, self.total_steps, self.min_factor
        if t < W:
            return (t + 1) / W
        if t >= T:
            return m
        if T - 1 == W:
            return 1.0
        progress = (t - W) / (T - 1 - W)  # 0 at the end of the warm-up, 1 at the last step
        return m + (1.0 - m) * 0.5 * (1.0 + math.cos(math.pi * progress))

    def config(self) -> dict[str, Any]:
        """``{"name", "total_steps", "warmup_steps", "min_factor"}``."""
        return {
            "name": self.name,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
            "min_factor": self.min_factor,
        }


SCHEDULES: dict[str, type[Schedule]] = {
    cls.name: cls for cls in (Constant, StepDecay, ExponentialDecay, WarmupCosine)
}


def get_schedule(config_or_name: dict[str, Any] | str | Schedule | None) -> Schedule:
    """Build a schedule from ``config()`` output, or from a bare name using default arguments.

    ``None`` gives :class:`Constant`; a :class:`Schedule` is returned as is. A name whose
    schedule has required arguments (``"step_decay"`` needs ``step_size``) raises ConfigError
    saying which, as does an unknown name (listing the valid ones) or an unknown option.
    """
    if config_or_name is None:
        return Constant()
    if isinstance(config_or_name, Schedule):
        return config_or_name
    if isinstance(config_or_name, str):
        name, options = config_or_name, {}
    elif isinstance(config_or_name, dict):
        options = dict(config_or_name)
        name = options.pop("name", None)
        if name is None:
            raise ConfigError(
                f"a schedule config needs a 'name' (one of: "
                f"{', '.join(SCHEDULES)}), got {config_or_name!r}"
            )
    else:
        raise ConfigError(f"a schedule is given by a name or a config dict, got {config_or_name!r}")
    cls = SCHEDULES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ConfigError(f"unknown schedule {name!r}; valid schedules: {', '.join(SCHEDULES)}")
    checks.keyword_options(f"schedule {name!r}", cls, options)
    return cls(**options)
