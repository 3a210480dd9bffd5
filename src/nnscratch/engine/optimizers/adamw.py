"""AdamW: Adam with decoupled weight decay on by default."""

from __future__ import annotations

from typing import Any

from ..schedules import Schedule
from .adam import Adam


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
        schedule: Schedule | dict[str, Any] | str | None = None,
        weight_decay: float = 0.01,
        l2: float = 0.0,
    ) -> None:
        super().__init__(lr, beta1, beta2, eps, schedule=schedule, weight_decay=weight_decay, l2=l2)
