"""What the commands share: the help format, and the options of a recipe (train and sweep
take the same ones)."""

from __future__ import annotations

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


# The options of a recipe, shared by train and sweep (sweep takes them for what it does not
# sweep).
PRESET = typer.Option(
    None,
    help="Recipe to start from: mlp (98 %+, default), cnn (convolutional, 99 %+), "
    "cnn-bn (batch norm and augmentation, 99.5 %+), lstm (rows as a sequence, 98.5 %+) or "
    "classic (the tutorial's 784-10-10, full-batch).",
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


def recipe_options(
    *,
    epochs,
    lr,
    hidden,
    activation,
    optimizer,
    dropout,
    dev_size,
    early_stopping,
    seed,
    batch_size,
    stratify,
) -> dict:
    """The recipe fields given on the command line, and only those."""
    from .train import parse_batch_size, parse_hidden

    given = dict(
        epochs=epochs,
        lr=lr,
        hidden=parse_hidden(hidden),
        activation=activation,
        optimizer=optimizer,
        dropout=dropout,
        dev_size=dev_size,
        early_stopping=early_stopping,
        seed=seed,
        batch_size=parse_batch_size(batch_size),
        stratify=stratify or None,
    )
    return {k: v for k, v in given.items() if v is not None}
