"""Optimizers by name: the registry, and building one from a name or a saved config."""

from __future__ import annotations

from typing import Any

from ... import checks
from ...errors import ConfigError
from .adam import Adam
from .adamw import AdamW
from .base import Optimizer
from .sgd import SGD

# name -> (class, defaults that differ from the class's own)
OPTIMIZERS: dict[str, tuple[type[Optimizer], dict[str, Any]]] = {
    "sgd": (SGD, {}),
    "momentum": (SGD, {"momentum": 0.9}),
    "nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
    "adam": (Adam, {}),
    "adamw": (AdamW, {}),
}


def get_optimizer(name: str, **kwargs: Any) -> Optimizer:
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


def optimizer_from_config(config: dict[str, Any]) -> Optimizer:
    """Rebuild an optimizer from ``Optimizer.config()`` output (its state is not included)."""
    if not isinstance(config, dict) or "name" not in config:
        raise ConfigError(
            f"an optimizer config is a dict with a 'name' (one of: "
            f"{', '.join(OPTIMIZERS)}), got {config!r}"
        )
    options = dict(config)
    name = options.pop("name")
    return get_optimizer(name, **options)
