"""What the page may ask of a training run: the choices its form offers (each preset's settings,
each served model a fine-tuning can start from) and the recipe a start request makes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..datasets.digitset import DigitSet
from ..errors import ConfigError
from ..model import Recipe
from ..usecases import finetune
from .answers import Conflict
from .events import form_fields
from .served import ServedModels

MIN_DIGITS = 10  # a fine-tuning needs at least this many of the user's digits


def choices(models: ServedModels, digits: DigitSet | None) -> dict[str, Any]:
    """What the page's form offers: each preset's settings, and for each served model that can
    be fine-tuned (it has a file and a recipe) the settings a fine-tuning starts with and its
    number of layers with parameters (what can be frozen)."""
    from ..model import PRESETS

    fine_tunable = {}
    for served in models:
        recipe = served.model.recipe
        if served.path is not None and recipe is not None:
            fine_tunable[served.name] = {
                **form_fields(finetune.fine_tune_recipe(recipe)),
                "layers": sum(1 for layer in served.model.layers if layer.params),
            }
    return {
        "presets": {name: form_fields(recipe) for name, recipe in PRESETS.items()},
        "models": fine_tunable,
        "min_digits": MIN_DIGITS,
        "digits": None if digits is None else len(digits.digits()),
    }


def recipe_of(
    request: dict[str, Any], models: ServedModels, digits: DigitSet | None
) -> tuple[Recipe, Path | None]:
    """The recipe of a start request (and the model file a fine-tuning starts from): ``mode``
    "train" (a ``preset``) or "fine_tune" (a served ``model``, on the user's ``digits``), with
    ``epochs``, ``lr``, ``hidden``, ``optimizer``, ``dropout``, ``dev_size`` and ``freeze``
    overriding it. ConfigError says what cannot work."""
    from ..model import get_preset

    overrides = {
        key: request[key]
        for key in ("epochs", "lr", "hidden", "optimizer", "dropout", "dev_size", "freeze")
        if request.get(key) is not None
    }
    if "hidden" in overrides:
        overrides["hidden"] = tuple(overrides["hidden"])
    if request.get("mode", "train") == "train":
        if overrides.get("freeze"):
            raise ConfigError("freeze keeps layers of a trained model: fine-tune one")
        return get_preset(request.get("preset") or "mlp").with_overrides(overrides), None
    if digits is None:
        raise ConfigError("this server keeps no digits to fine-tune on")
    served = models.get(request.get("model") or "")
    if served.path is None:
        raise ConfigError(f"model {served.name!r} has no file to start from")
    count = len(digits.digits())
    if count < MIN_DIGITS:
        raise Conflict(
            f"fine-tuning needs at least {MIN_DIGITS} of your digits; your "
            f"set has {count}: draw and add some first"
        )
    origin = finetune.load_origin(served.path, option=f"model {served.name!r}")
    recipe = finetune.fine_tune_recipe(origin.recipe).with_overrides(overrides)
    finetune.check_fits(origin, recipe)
    return recipe, Path(served.path)
