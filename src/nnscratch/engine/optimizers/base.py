"""The optimizer base class: checks, lazily made state, penalties, schedule, (de)serialising.

The conventions every optimizer shares (gradients consumed, ``l2`` and ``weight_decay``,
the schedule) are in the package docstring, :mod:`nnscratch.engine.optimizers`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ... import checks
from ...errors import ConfigError
from ..schedules import Schedule, get_schedule


class Optimizer:
    """Base class: checks, lazily created state, penalties, schedule, step count, (de)serialising.

    A subclass names its per-parameter state arrays in ``state_names`` and implements
    ``_update(p, g, state, s, *factors)`` for one parameter, with ``factors`` what its
    ``_factors(lr_t)`` computes once per step.

    Attributes:
        lr: the base learning rate.
        t: number of steps taken so far (0 before the first step).
        schedule: factor of ``lr`` as a function of ``t``.
        weight_decay, l2: the decoupled and the coupled penalty (see the module docstring).
    """

    name = "optimizer"
    state_names: tuple[str, ...] = ()  # per-parameter state arrays, e.g. ("m", "v")
    needs_scratch = False  # whether _update uses a scratch buffer shaped like the parameter

    def __init__(
        self,
        lr: float,
        *,
        schedule: Schedule | dict[str, Any] | str | None = None,
        weight_decay: float = 0.0,
        l2: float = 0.0,
    ) -> None:
        self.lr = checks.real("lr", lr, low=0.0, low_open=True)
        self.schedule = get_schedule(schedule)
        self.weight_decay = checks.real("weight_decay", weight_decay, low=0.0)
        self.l2 = checks.real("l2", l2, low=0.0)
        self.t = 0
        # One dict of state arrays per parameter position, created at the first step (or loaded).
        self._state: list[dict[str, np.ndarray]] | None = None
        # Shapes the state was made for; None until the first step (and after a load).
        self._shapes: list[tuple[int, ...]] | None = None
        # Views into one buffer per dtype, as large as the largest parameter: the update of one
        # parameter needs it only while that parameter is being updated, so they can share it.
        self._scratch: list[np.ndarray | None] | None = None

    @property
    def current_lr(self) -> float:
        """The rate the next step will use: lr · schedule(t)."""
        return self.lr * float(self.schedule(self.t))

    # --- the update -----------------------------------------------------------------------------

    def step(
        self,
        params: Sequence[np.ndarray],
        grads: Sequence[np.ndarray],
        decay: Sequence[bool] | None = None,
    ) -> None:
        """Update every ``params[i]`` in place from ``grads[i]``; then ``t += 1``.

        Args:
            params: float arrays (any shapes, e.g. W (in, out) and b (out,)), updated in place.
                The same arrays in the same order and shapes at every step.
            grads: ``grads[i]`` has the shape of ``params[i]``. **Consumed**: used as scratch,
                their content is garbage after the step.
            decay: ``decay[i]`` false exempts ``params[i]`` from ``l2`` and ``weight_decay``
                (biases); None applies them to all.

        Raises:
            ConfigError: mismatched lengths, a gradient shaped unlike its parameter, or
                parameters that changed number or shape since the first step.
        """
        n = len(params)
        if len(grads) != n:
            raise ConfigError(f"step got {n} parameters but {len(grads)} gradients")
        if decay is not None and len(decay) != n:
            raise ConfigError(f"step got {n} parameters but {len(decay)} decay flags")
        shapes, states, scratch = self._shapes, self._state, self._scratch
        if shapes is None or states is None or scratch is None:
            shapes, states, scratch = self._start(params)
        elif n != len(shapes):
            raise ConfigError(
                f"step got {n} parameters, but the optimizer state was made for "
                f"{len(shapes)}; use a new optimizer for a new model"
            )

        lr = self.current_lr
        # p - lr·wd·p = (1 - lr·wd)·p: one pass, no buffer. As in PyTorch, the factor is
        # rounded to p's dtype, so in float32 an lr·wd below ~1e-7 no longer decays.
        shrink = 1.0 - lr * self.weight_decay
        factors = self._factors(lr)
        for i in range(n):
            p, g = params[i], grads[i]
            if p.shape != shapes[i] or g.shape != p.shape:
                raise ConfigError(
                    f"parameter {i} has shape {p.shape} and gradient shape {g.shape}, but the "
                    f"optimizer state was made for {shapes[i]}"
                )
            s = scratch[i]
            if decay is None or decay[i]:
                if self.l2:
                    np.multiply(p, self.l2, out=s)  # g <- g + l2·p
                    g += s
                if self.weight_decay:
                    p *= shrink
            self._update(p, g, states[i], s, *factors)
        self.t += 1

    def _factors(self, lr: float) -> tuple[float, ...]:
        """Scalars ``_update`` needs, computed once per step; by default the scheduled rate."""
        return (lr,)

    def _update(
        self,
        p: np.ndarray,
        g: np.ndarray,
        state: dict[str, np.ndarray],
        s: np.ndarray | None,
        *factors: float,
    ) -> None:
        """Update one parameter ``p`` in place from its gradient ``g`` (consumed).

        Args:
            p: the parameter, updated in place.
            g: its gradient, same shape and dtype; consumed.
            state: this parameter's arrays named in ``state_names``, shaped like ``p``.
            s: scratch shaped like ``p`` (shared with other parameters), or None unless
                ``needs_scratch`` or ``l2``.
            factors: what ``_factors`` returned for this step.
        """
        raise NotImplementedError

    def _start(
        self, params: Sequence[np.ndarray]
    ) -> tuple[list[tuple[int, ...]], list[dict[str, np.ndarray]], list[np.ndarray | None]]:
        """Make (or check loaded) state and scratch for these parameters, at the first step.

        Returns:
            The shapes, per-parameter state and scratch it stores, for ``step`` to use.
        """
        for i, p in enumerate(params):
            if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
                raise ConfigError(
                    f"parameter {i} must be a float NumPy array, got "
                    f"{getattr(p, 'dtype', type(p).__name__)}"
                )
        states: list[dict[str, np.ndarray]]
        if not self.state_names:
            states = [{} for _ in params]
        elif self._state is None:
            states = [
                {name: np.zeros(p.shape, dtype=p.dtype) for name in self.state_names}
                for p in params
            ]
        else:  # loaded by load_state_dict: it must fit these parameters
            states = self._state
            if len(states) != len(params):
                raise ConfigError(
                    f"the loaded optimizer state is for {len(states)} "
                    f"parameters, but step got {len(params)}"
                )
            for i, (p, state) in enumerate(zip(params, states, strict=False)):
                for name, a in list(state.items()):
                    if a.shape != p.shape:
                        raise ConfigError(
                            f"loaded state {name}.{i} has shape {a.shape}, but "
                            f"parameter {i} has shape {p.shape}"
                        )
                    if a.dtype != p.dtype:
                        state[name] = a.astype(p.dtype)
        shapes = [p.shape for p in params]

        scratch: list[np.ndarray | None]
        if self.needs_scratch or self.l2:
            largest: dict[np.dtype[Any], int] = {}
            for p in params:
                largest[p.dtype] = max(largest.get(p.dtype, 0), p.size)
            buffers = {dtype: np.empty(size, dtype=dtype) for dtype, size in largest.items()}
            scratch = [buffers[p.dtype][: p.size].reshape(p.shape) for p in params]
        else:
            scratch = [None] * len(params)
        self._shapes, self._state, self._scratch = shapes, states, scratch
        return shapes, states, scratch

    # --- saving and resuming --------------------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray | int | float]:
        """Flat ``{"t": t, "<name>.<i>": array}`` (e.g. ``"m.0"``, ``"v.0"``): fits an .npz.

        The arrays are copies, so the dict does not change as training goes on. Hyperparameters
        are not included: they are in ``config()``.
        """
        state: dict[str, np.ndarray | int | float] = {"t": self.t}
        for i, arrays in enumerate(self._state or []):
            for name, a in arrays.items():
                state[f"{name}.{i}"] = a.copy()
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore ``state_dict()`` output (also as loaded from an .npz), copying the arrays.

        Continuing from it is bit-identical to continuing the optimizer that saved it. The
        shapes are checked against the parameters at the next step.
        """
        if "t" not in state:
            raise ConfigError("optimizer state has no step count 't'")
        t = np.asarray(state["t"])
        if t.shape != () or not np.issubdtype(t.dtype, np.integer) or int(t) < 0:
            raise ConfigError(f"optimizer state 't' must be a whole number >= 0, got {t!r}")

        found: dict[str, set[int]] = {name: set() for name in self.state_names}
        for key in state:
            if key == "t":
                continue
            name, _, index = key.partition(".")
            if name not in found or not index.isdigit():
                expected = ", ".join(f"{name}.<i>" for name in self.state_names) or "nothing"
                raise ConfigError(
                    f"unexpected key {key!r} in the state of {self.name!r} "
                    f"(expected 't' and {expected})"
                )
            found[name].add(int(index))
        n = max((len(indices) for indices in found.values()), default=0)
        for name, indices in found.items():
            if indices != set(range(n)):
                raise ConfigError(
                    f"optimizer state has {name}.<i> for i in {sorted(indices)}, "
                    f"expected i = 0 .. {n - 1}"
                )
        if self.state_names and n == 0 and int(t) > 0:
            raise ConfigError(
                f"optimizer state has t = {int(t)} but no {'/'.join(self.state_names)} arrays"
            )

        self.t = int(t)
        if self.state_names:
            self._state = (
                None
                if n == 0
                else [
                    {name: np.array(state[f"{name}.{i}"], copy=True) for name in self.state_names}
                    for i in range(n)
                ]
            )
            self._shapes = None  # check the loaded state against the parameters at next step
            self._scratch = None

    # --- configuration --------------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """JSON-able ``{"name": ..., <hyperparameters>, "schedule": {...}}``.

        ``optimizer_from_config`` inverts it; the state (t, moments) is in ``state_dict()``.
        """
        return {
            "name": self.name,
            "lr": self.lr,
            **self._hyperparameters(),
            "weight_decay": self.weight_decay,
            "l2": self.l2,
            "schedule": self.schedule.config(),
        }

    def _hyperparameters(self) -> dict[str, Any]:
        """The subclass's own constructor arguments, for ``config``."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items() if k != "name")
        return f"{type(self).__name__}({args})"
