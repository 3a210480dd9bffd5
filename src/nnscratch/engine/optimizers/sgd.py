"""Stochastic gradient descent, with optional (Nesterov) momentum."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import checks
from ...errors import ConfigError
from ..schedules import Schedule
from .base import Optimizer


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
        schedule: Schedule | dict[str, Any] | str | None = None,
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

    def _update(
        self,
        p: np.ndarray,
        g: np.ndarray,
        state: dict[str, np.ndarray],
        s: np.ndarray | None,
        *factors: float,
    ) -> None:
        (lr,) = factors
        if not self.momentum:
            # p <- p - lr·g, scaling g in place (it is consumed) instead of a temporary
            # --8<-- [start:sgd-step] (shown in docs/tutorial.md)
            g *= lr
            p -= g
            # --8<-- [end:sgd-step]
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

    def _hyperparameters(self) -> dict[str, Any]:
        return {"momentum": self.momentum, "nesterov": self.nesterov}
