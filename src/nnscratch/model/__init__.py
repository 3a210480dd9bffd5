"""The model: ``Sequential``, the model file it saves and loads, and the recipes and presets
that build networks and their optimizers."""

from .presets import DEFAULT_PRESET, PRESETS, build_model, build_optimizer, get_preset
from .recipe import FULL_BATCH, Recipe
from .sequential import Sequential

__all__ = [
    "DEFAULT_PRESET",
    "FULL_BATCH",
    "PRESETS",
    "Recipe",
    "Sequential",
    "build_model",
    "build_optimizer",
    "get_preset",
]
