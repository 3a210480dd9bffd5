"""Optimizers: turn gradients into in-place parameter updates.

``optimizer.step(params, grads, decay)`` runs once per batch and updates every ``params[i]`` in
place. It is pure memory traffic next to the matrix products, so every update below is written
with ``out=`` and in-place operators on state preallocated at the first step: no array is
allocated per step, and a float32 parameter keeps float32 state and float32 arithmetic (Python
float factors are cast to the array's dtype by NumPy, never the array up to float64). Scalar
factors (scheduled rate, bias corrections) are computed once per step in Python floats.

**Gradients are consumed**: ``step`` uses ``grads[i]`` as scratch space and leaves garbage in
it. The model recomputes every gradient in the next backward pass, so this saves a buffer and a
pass over memory; copy the gradients first if you need them after the step.

Common options, for every optimizer:

* ``l2`` (coupled L2 penalty):     g <- g + l2 · p, before the update rule sees g;
* ``weight_decay`` (decoupled, as in AdamW):
                                   p <- p - lr_t · weight_decay · p, besides the update;
* ``schedule``: lr_t = lr · schedule(t), with t the number of steps already taken.

Both penalties apply only where ``decay[i]`` is true (weights), not to exempted parameters
(biases). For plain SGD they coincide; with momentum, and for Adam, they differ: the L2 term
goes through the velocity or the moments (Adam rescales it along with the gradient), while the
decoupled decay shrinks p by the same fraction everywhere.

PyTorch's ``weight_decay=`` is ours ``l2=``, except in its AdamW: ``torch.optim.SGD(...,
weight_decay=x)`` and ``torch.optim.Adam(..., weight_decay=x)`` are our ``SGD(..., l2=x)`` and
``Adam(..., l2=x)``, and ``torch.optim.AdamW(..., weight_decay=x)`` is our
``Adam(..., weight_decay=x)`` (or ``AdamW``). Each class's docstring says which is which.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import checks
from ..errors import ConfigError
from .elementwise import blocks, flush_period, flush_small
from .schedules import Schedule, get_schedule


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
        schedule: Schedule | dict | str | None = None,
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
        if self._shapes is None:
            self._start(params)
        elif n != len(self._shapes):
            raise ConfigError(
                f"step got {n} parameters, but the optimizer state was made for "
                f"{len(self._shapes)}; use a new optimizer for a new model"
            )

        lr = self.current_lr
        # p - lr·wd·p = (1 - lr·wd)·p: one pass, no buffer. As in PyTorch, the factor is
        # rounded to p's dtype, so in float32 an lr·wd below ~1e-7 no longer decays.
        shrink = 1.0 - lr * self.weight_decay
        factors = self._factors(lr)
        for i in range(n):
            p, g = params[i], grads[i]
            if p.shape != self._shapes[i] or g.shape != p.shape:
                raise ConfigError(
                    f"parameter {i} has shape {p.shape} and gradient shape {g.shape}, but the "
                    f"optimizer state was made for {self._shapes[i]}"
                )
            s = self._scratch[i]
            if decay is None or decay[i]:
                if self.l2:
                    np.multiply(p, self.l2, out=s)  # g <- g + l2·p
                    g += s
                if self.weight_decay:
                    p *= shrink
            self._update(p, g, self._state[i], s, *factors)
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
        raise NotImplementedError

    def _start(self, params: Sequence[np.ndarray]) -> None:
        """Make (or check loaded) state and scratch for these parameters, at the first step."""
        for i, p in enumerate(params):
            if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
                raise ConfigError(
                    f"parameter {i} must be a float NumPy array, got "
                    f"{getattr(p, 'dtype', type(p).__name__)}"
                )
        if not self.state_names:
            self._state = [{} for _ in params]
        elif self._state is None:
            self._state = [
                {name: np.zeros(p.shape, dtype=p.dtype) for name in self.state_names}
                for p in params
            ]
        else:  # loaded by load_state_dict: it must fit these parameters
            if len(self._state) != len(params):
                raise ConfigError(
                    f"the loaded optimizer state is for {len(self._state)} "
                    f"parameters, but step got {len(params)}"
                )
            for i, (p, state) in enumerate(zip(params, self._state, strict=False)):
                for name, a in list(state.items()):
                    if a.shape != p.shape:
                        raise ConfigError(
                            f"loaded state {name}.{i} has shape {a.shape}, but "
                            f"parameter {i} has shape {p.shape}"
                        )
                    if a.dtype != p.dtype:
                        state[name] = a.astype(p.dtype)
        self._shapes = [p.shape for p in params]

        if self.needs_scratch or self.l2:
            largest: dict[np.dtype, int] = {}
            for p in params:
                largest[p.dtype] = max(largest.get(p.dtype, 0), p.size)
            buffers = {dtype: np.empty(size, dtype=dtype) for dtype, size in largest.items()}
            self._scratch = [buffers[p.dtype][: p.size].reshape(p.shape) for p in params]
        else:
            self._scratch = [None] * len(params)

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

    def load_state_dict(self, state: dict) -> None:
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

    def config(self) -> dict:
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

    def _hyperparameters(self) -> dict:
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items() if k != "name")
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum, PyTorch's convention.

    With g the gradient (after ``l2``) and lr the scheduled rate, elementwise:

    * momentum = 0:  p <- p - lr · g                       (no state)
    * momentum > 0:  v <- momentum · v + g;  p <- p - lr · v
    * nesterov:      v <- momentum · v + g;  p <- p - lr · (g + momentum · v)

    State: ``v``, shape and dtype of p (only with momentum).

    Penalties (see the module docstring): ``l2=x`` adds x · p to g, so with momentum it
    accumulates in v; ``weight_decay=x`` is decoupled, p <- p - lr · x · p besides the update.
    In PyTorch's terms:

    * ``SGD(lr, momentum, nesterov, l2=x)`` == ``torch.optim.SGD(lr=lr, momentum=momentum,
      nesterov=nesterov, weight_decay=x)`` (dampening 0);
    * ``SGD(lr, weight_decay=x)`` without momentum == the same (the two penalties coincide);
    * ``SGD(lr, momentum > 0, weight_decay=x)`` is decoupled ("SGDW"): it is **not**
      ``torch.optim.SGD(..., weight_decay=x)``, which is coupled; torch.optim has no equivalent.

    Args:
        lr: base learning rate, > 0.
        momentum: in [0, 1).
        nesterov: Nesterov momentum; needs momentum > 0.
        weight_decay: decoupled decay, >= 0 (only where the step's ``decay`` flag is true).
        l2: coupled L2 penalty, >= 0 (likewise).
    """

    name = "sgd"

    def __init__(
        self,
        lr: float = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        *,
        schedule: Schedule | dict | str | None = None,
        weight_decay: float = 0.0,
        l2: float = 0.0,
    ) -> None:
        super().__init__(lr, schedule=schedule, weight_decay=weight_decay, l2=l2)
        self.momentum = checks.real("momentum", momentum, low=0.0, high=1.0, high_open=True)
        if not isinstance(nesterov, (bool, np.bool_)):
            raise ConfigError(f"nesterov must be true or false, got {nesterov!r}")
        if nesterov and self.momentum == 0.0:
            raise ConfigError("nesterov=True needs momentum in (0, 1), got momentum=0")
        self.nesterov = bool(nesterov)
        self.state_names = ("v",) if self.momentum else ()

    def _update(self, p, g, state, s, lr):
        if not self.momentum:
            # p <- p - lr·g, scaling g in place (it is consumed) instead of a temporary
            g *= lr
            p -= g
            return
        v, momentum = state["v"], self.momentum
        # v <- momentum·v + g
        v *= momentum
        v += g
        if self.nesterov:
            # p <- p - lr·(g + momentum·v), as p - lr·g - lr·momentum·v: two in-place passes
            # through g need no buffer for g + momentum·v
            g *= lr
            p -= g
            np.multiply(v, lr * momentum, out=g)
            p -= g
        else:
            # p <- p - lr·v; g is no longer needed, so it holds lr·v
            np.multiply(v, lr, out=g)
            p -= g

    def _hyperparameters(self) -> dict:
        return {"momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam (Kingma & Ba), with bias correction; t counts from 1 inside the formula.

    With g the gradient (after ``l2``), lr the scheduled rate, elementwise:

        m <- beta1 · m + (1 - beta1) · g
        v <- beta2 · v + (1 - beta2) · g²
        p <- p - lr · m̂ / (√v̂ + eps),   m̂ = m / (1 - beta1^t),  v̂ = v / (1 - beta2^t)

    computed as the identical  p <- p - step · m / (√v + eps_hat)  with
    step = lr · √(1 - beta2^t) / (1 - beta1^t) and eps_hat = eps · √(1 - beta2^t), two scalars
    per step instead of two more passes over m and v.

    State: ``m``, ``v``, shape and dtype of p. A float32 m below 2^-100 is set to exactly 0
    every ``flush_period(beta1)`` steps (see :mod:`.elementwise`), so no m decays into float32's
    slow subnormal range and a parameter whose gradient stopped stops moving.

    Penalties (see the module docstring): ``weight_decay=x`` is decoupled, p <- (1 - lr · x) · p
    besides the update, so ``Adam(lr, ..., weight_decay=x)`` == ``torch.optim.AdamW(lr=lr, ...,
    weight_decay=x)``; ``l2=x`` adds x · p to g before the moments, so ``Adam(lr, ..., l2=x)``
    == ``torch.optim.Adam(lr=lr, ..., weight_decay=x)``. They differ: Adam divides the L2 term
    by √v̂ along with the gradient.

    Args:
        lr: base learning rate, > 0.
        beta1, beta2: decay rates of the moment estimates, in [0, 1).
        eps: added to √v̂ for stability, > 0.
        weight_decay: decoupled decay, >= 0 (only where the step's ``decay`` flag is true).
        l2: coupled L2 penalty, >= 0 (likewise).
    """

    name = "adam"
    state_names = ("m", "v")
    needs_scratch = True

    def __init__(
        self,
        lr: float = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        *,
        schedule: Schedule | dict | str | None = None,
        weight_decay: float = 0.0,
        l2: float = 0.0,
    ) -> None:
        super().__init__(lr, schedule=schedule, weight_decay=weight_decay, l2=l2)
        self.beta1 = checks.real("beta1", beta1, low=0.0, high=1.0, high_open=True)
        self.beta2 = checks.real("beta2", beta2, low=0.0, high=1.0, high_open=True)
        self.eps = checks.real("eps", eps, low=0.0, low_open=True)

    def _factors(self, lr):
        t = self.t + 1  # the step being taken, from 1
        correction1 = 1.0 - self.beta1**t
        root_correction2 = (1.0 - self.beta2**t) ** 0.5
        # lr·(m/c1)/(√(v/c2) + eps) = (lr·√c2/c1) · m/(√v + eps·√c2)
        period = flush_period(self.beta1)
        flush = period is not None and t % period == 0
        return lr * root_correction2 / correction1, self.eps * root_correction2, flush

    def _update(self, p, g, state, s, step, eps_hat, flush):
        beta1, beta2 = self.beta1, self.beta2
        flush = flush and state["m"].dtype == np.float32
        # Twelve passes over five arrays as large as the parameter would stream them from
        # memory twelve times; block by block, each block stays in cache through all twelve.
        for p_block, g_block, m, v, s_block in blocks(p, g, state["m"], state["v"], s):
            # m <- beta1·m + (1 - beta1)·g
            m *= beta1
            np.multiply(g_block, 1.0 - beta1, out=s_block)
            m += s_block
            if flush:
                flush_small(m, s_block)
            # v <- beta2·v + (1 - beta2)·g²; g_block is consumed: it becomes (1 - beta2)·g²
            v *= beta2
            np.multiply(g_block, g_block, out=g_block)
            g_block *= 1.0 - beta2
            v += g_block
            # p <- p - step·m/(√v + eps_hat)
            np.sqrt(v, out=s_block)
            s_block += eps_hat
            np.divide(m, s_block, out=s_block)
            s_block *= step
            p_block -= s_block

    def _hyperparameters(self) -> dict:
        return {"beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}


class AdamW(Adam):
    """Adam with decoupled weight decay, on by default (weight_decay=0.01, as PyTorch).

    p <- p - lr_t · weight_decay · p  besides the Adam update (see :class:`Adam`):
    ``AdamW(lr, ..., weight_decay=x)`` == ``Adam(lr, ..., weight_decay=x)`` ==
    ``torch.optim.AdamW(lr=lr, ..., weight_decay=x)``.
    """

    name = "adamw"

    def __init__(
        self,
        lr: float = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        *,
        schedule: Schedule | dict | str | None = None,
        weight_decay: float = 0.01,
        l2: float = 0.0,
    ) -> None:
        super().__init__(lr, beta1, beta2, eps, schedule=schedule, weight_decay=weight_decay, l2=l2)


# name -> (class, defaults that differ from the class's own)
OPTIMIZERS: dict[str, tuple[type[Optimizer], dict]] = {
    "sgd": (SGD, {}),
    "momentum": (SGD, {"momentum": 0.9}),
    "nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
    "adam": (Adam, {}),
    "adamw": (AdamW, {}),
}


def get_optimizer(name: str, **kwargs) -> Optimizer:
    """Build an optimizer by name; ``kwargs`` override its defaults.

    Names: ``sgd``, ``momentum`` (SGD, momentum=0.9), ``nesterov`` (SGD, momentum=0.9,
    nesterov=True), ``adam``, ``adamw``. ``schedule`` may be a Schedule, a config dict or a name.
    An unknown name or option raises ConfigError listing the valid ones.
    """
    key = name.lower() if isinstance(name, str) else name
    if key not in OPTIMIZERS:
        raise ConfigError(f"unknown optimizer {name!r}; valid optimizers: {', '.join(OPTIMIZERS)}")
    cls, defaults = OPTIMIZERS[key]
    checks.keyword_options(f"optimizer {key!r}", cls, kwargs)
    return cls(**{**defaults, **kwargs})


def optimizer_from_config(config: dict) -> Optimizer:
    """Rebuild an optimizer from ``Optimizer.config()`` output (its state is not included)."""
    if not isinstance(config, dict) or "name" not in config:
        raise ConfigError(
            f"an optimizer config is a dict with a 'name' (one of: "
            f"{', '.join(OPTIMIZERS)}), got {config!r}"
        )
    options = dict(config)
    name = options.pop("name")
    return get_optimizer(name, **options)
