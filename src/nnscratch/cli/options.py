"""What the commands share: the help format, and the options of a recipe (train and sweep
take the same ones)."""

from __future__ import annotations

import functools
import inspect
import json
import math
from collections.abc import Callable
from typing import Any

import typer


def plain_help(params: list[Any]) -> list[Any]:
    """Help that names a value only where one is taken: Typer writes a type after every
    parameter, even after flags (``--quiet <bool>``, ``--help <bool>``) and after arguments its
    help already names (``inputs <list[Path]>``). Changes ``params`` in place; returns them."""
    for param in params:
        if getattr(param, "is_flag", False):
            param.metavar = ""
        elif isinstance(param, typer.core.TyperArgument):
            # Typer has no setting for it: this argument's own method is replaced, which mypy
            # refuses for any method.
            param.display_type_rich = lambda ctx: None  # type: ignore[method-assign]
    return params


class Command(typer.core.TyperCommand):
    """A command whose help is :func:`plain_help`."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The command's parameters, as :func:`plain_help` shows them."""
        return plain_help(super().get_params(ctx))


class Group(typer.core.TyperGroup):
    """A group whose help is :func:`plain_help`."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The group's parameters, as :func:`plain_help` shows them."""
        return plain_help(super().get_params(ctx))


def print_json(value: Any) -> None:
    """Print ``value`` as one line of strict JSON: a NaN or infinity (a loss that diverged, a
    metric of an empty class) becomes null, as JSON has no such numbers (Python's json module
    would write a bare NaN that other readers refuse)."""
    print(json.dumps(_finite(value), allow_nan=False))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


# The options of a recipe, shared by train and sweep (sweep takes them for what it does not
# sweep).
PRESET = typer.Option(
    None,
    help="Recipe to start from: mlp (98 %+, default), cnn (convolutional, 99 %+), "
    "fast (convolutional, 99 %+ in about 12 s), cnn-bn (batch norm and augmentation, "
    "99.5 %+ in under 3 min), best (pairs of 3x3 convolutions, weights averaged, 99.7 % in "
    "about 13 min), lstm (rows as a sequence, 98.5 %+) or classic (the tutorial's 784-10-10, "
    "full-batch).",
    show_default="mlp",
)
DATA = typer.Option(
    None,
    help="'mnist' (bundled), a folder of IDX files named as MNIST's, or a CSV file (label first).",
    show_default="mnist",
)
EPOCHS = typer.Option(None, help="Epochs (full-batch: iterations).")
LR = typer.Option(None, help="Learning rate.")
BATCH_SIZE = typer.Option(None, help="Examples per step, or 'full'.")
HIDDEN = typer.Option(None, help="Hidden layer sizes, e.g. 512,256.")
ACTIVATION = typer.Option(None, help="relu, leaky_relu, sigmoid or tanh.")
OPTIMIZER = typer.Option(None, help="sgd, momentum, nesterov, adam, adamw.")
DROPOUT = typer.Option(None, help="Dropout rate after each hidden layer.")
DEV_SIZE = typer.Option(None, help="Training images held out as dev set.")
STRATIFY = typer.Option(False, help="Keep class shares in the dev split.")
EARLY_STOPPING = typer.Option(
    None, help="Stop after N epochs without a better dev loss; keep the best weights."
)
SEED = typer.Option(None, help="Seed for the split, weights and order.")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress or tables.")


# The recipe fields that train and sweep take as options: name, type and option.
RECIPE_FIELDS: dict[str, tuple[Any, Any]] = {
    "epochs": (int | None, EPOCHS),
    "lr": (float | None, LR),
    "batch_size": (str | None, BATCH_SIZE),
    "hidden": (str | None, HIDDEN),
    "activation": (str | None, ACTIVATION),
    "optimizer": (str | None, OPTIMIZER),
    "dropout": (float | None, DROPOUT),
    "dev_size": (int | None, DEV_SIZE),
    "stratify": (bool, STRATIFY),
    "early_stopping": (int | None, EARLY_STOPPING),
    "seed": (int | None, SEED),
}


def recipe_options(**given: Any) -> dict:
    """The recipe fields given on the command line, and only those, parsed (``given`` holds
    one value per name of :data:`RECIPE_FIELDS`, None where the option was not given)."""
    from .train import parse_batch_size, parse_hidden

    parsed = dict(
        given,
        hidden=parse_hidden(given["hidden"]),
        batch_size=parse_batch_size(given["batch_size"]),
        stratify=given["stratify"] or None,
    )
    return {k: v for k, v in parsed.items() if v is not None}


# The options that choose what is trained, before the recipe's fields: name, type and option.
CHOICE_FIELDS: dict[str, tuple[Any, Any]] = {
    "preset": (str | None, PRESET),
    "data": (str | None, DATA),
}


def takes_recipe_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """A command that takes ``--preset``, ``--data`` and the options of
    :data:`RECIPE_FIELDS` in the place of its ``recipe_choice`` parameter, and is called with
    ``recipe_choice``: a dict of ``preset``, ``data`` and ``overrides`` (the recipe fields
    given, parsed by :func:`recipe_options`), as the use cases take them. The command returns
    its use case's exit status, which becomes the process's. Typer reads the options from the
    signature this sets."""
    signature = inspect.signature(command)
    fields = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=kind)
        for name, (kind, option) in {**CHOICE_FIELDS, **RECIPE_FIELDS}.items()
    ]
    parameters: list[inspect.Parameter] = []
    for parameter in signature.parameters.values():
        if parameter.name == "recipe_choice":
            parameters += fields
        else:
            parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))

    @functools.wraps(command)
    def with_recipe_choice(**options: Any) -> None:
        given = {name: options.pop(name) for name in RECIPE_FIELDS}
        choice = {name: options.pop(name) for name in CHOICE_FIELDS}
        status = command(recipe_choice=dict(choice, overrides=recipe_options(**given)), **options)
        if status:
            raise typer.Exit(status)

    with_recipe_choice.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    with_recipe_choice.__annotations__ = {p.name: p.annotation for p in parameters}
    return with_recipe_choice
