"""Adam: bias-corrected moment estimates, updated in place block by block."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import checks
from ..elementwise import blocks, flush_period, flush_small
from ..schedules import Schedule
from .base import Optimizer


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
    every ``flush_period(beta1)`` steps (see :mod:`nnscratch.engine.elementwise`), so no m
    decays into float32's slow subnormal range and a parameter whose gradient stopped stops
    moving.

    Penalties (see the module docstring): ``weight_decay=x`` is decoupled, p <- (1 - lr · x) · p
    besides the update, so ``Adam(lr, ..., weight_decay=x)`` == ``torch.optim.AdamW(lr=lr, ...,
    weight_decay=x)``; ``l2=x`` adds x · p to g before the moments, so ``Adam(lr, ..., l2=x)``
    == ``torch.optim.Adam(lr=lr, ..., weight_decay=x)``. They differ: Adam divides the L2 term
    by √v̂ along with the gradient.

    Args:
        lr: base learning rate, > 0.
        beta1: decay rate of the first moment estimate (the mean), in [0, 1).
        beta2: decay rate of the second moment estimate (the uncentred variance), in [0, 1).
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
        schedule: Schedule | dict[str, Any] | str | None = None,
        weight_decay: float = 0.0,
        l2: float = 0.0,
    ) -> None:
        super().__init__(lr, schedule=schedule, weight_decay=weight_decay, l2=l2)
        self.beta1 = checks.real("beta1", beta1, low=0.0, high=1.0, high_open=True)
        self.beta2 = checks.real("beta2", beta2, low=0.0, high=1.0, high_open=True)
        self.eps = checks.real("eps", eps, low=0.0, low_open=True)

    def _factors(self, lr: float) -> tuple[float, ...]:
        t = self.t + 1  # the step being taken, from 1
        correction1 = 1.0 - self.beta1**t
        root_correction2 = (1.0 - self.beta2**t) ** 0.5
        # lr·(m/c1)/(√(v/c2) + eps) = (lr·√c2/c1) · m/(√v + eps·√c2)
        period = flush_period(self.beta1)
        flush = period is not None and t % period == 0
        # the flag travels with the scalars as 1.0 or 0.0
        return (
            lr * root_correction2 / correction1,
            self.eps * root_correction2,
            1.0 if flush else 0.0,
        )

    def _update(
        self,
        p: np.ndarray,
        g: np.ndarray,
        state: dict[str, np.ndarray],
        s: np.ndarray | None,
        *factors: float,
    ) -> None:
        if s is None:
            raise RuntimeError("Adam needs a scratch buffer (needs_scratch), but got none")
        step, eps_hat, flush_now = factors
        beta1, beta2 = self.beta1, self.beta2
        flush = bool(flush_now) and state["m"].dtype == np.float32
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

    def _hyperparameters(self) -> dict[str, Any]:
        return {"beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}
