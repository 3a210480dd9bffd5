"""Resuming ``nnscratch train``: which run a checkpoint holds, and whether a command changes it.

The checkpoint stores the full configuration of ``nnscratch train`` (the recipe, the data and
its SHA-256, the model file, the checkpoint interval); a resumed run starts from it, and
options given again must not change what the run computes, or it would not end as the run
that was interrupted.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import Any

from .. import __version__
from ..engine.layers import LAYER_TYPES
from ..errors import CheckpointError, ConfigError
from ..model import Recipe, get_preset
from ..training import Checkpoint, load_latest


def run_config(
    recipe: Recipe, *, data: str, data_sha256: str | None, out: str, checkpoint_every: int
) -> dict[str, Any]:
    """The JSON-able configuration a checkpoint of ``nnscratch train`` stores."""
    return {
        "recipe": recipe.to_json(),
        "data": data,
        "data_sha256": data_sha256,
        "out": out,
        "checkpoint_every": checkpoint_every,
        "nnscratch": __version__,
    }


def saved_recipe(checkpoint: Checkpoint) -> Recipe:
    """The recipe of the run in ``checkpoint``, every field checked (the file may come from
    anyone), and its layer sizes those of the weights the file holds, so that building its
    network allocates no more than the file justifies.

    Raises CheckpointError naming the file and the field.
    """
    fields = checkpoint.config.get("recipe")
    try:
        recipe = Recipe.from_json(fields)
    except ConfigError as error:
        if "no complete" in str(error):
            raise CheckpointError(
                f"{checkpoint.path}: holds no nnscratch train recipe (was "
                f"it written by nnscratch train --checkpoint-dir?)"
            ) from None
        raise CheckpointError(f"{checkpoint.path}: {error}") from None

    def arrays(name):
        return [
            array
            for _, array in sorted(
                (int(key.split(".")[1]), array)
                for key, array in checkpoint.state.weights.items()
                if re.fullmatch(rf"layers\.\d+\.{name}", key)
            )
        ]

    weights = arrays("W")
    if recipe.layers:
        # Every size a spec states (the options its layer type says size an array) is a
        # dimension of one of the arrays the file holds.
        dimensions = {d for array in checkpoint.state.weights.values() for d in array.shape}
        sizes = [
            n
            for spec in recipe.layers
            for k, v in spec.items()
            if k in LAYER_TYPES[spec["type"]].size_options
            for n in (v if isinstance(v, list) else [v])
            if isinstance(n, int)
        ]
        if any(size not in dimensions for size in sizes):
            raise CheckpointError(
                f"{checkpoint.path}: the recipe's layer sizes {sizes} are not those of its weights"
            )
        return recipe
    dense = [w.shape[1] for w in weights if w.ndim == 2][:-1]
    conv = [w.shape for w in weights if w.ndim == 4]
    recurrent = [w.shape[1] for w in arrays("W_hh")]
    if (
        list(recipe.hidden) != dense
        or list(recipe.conv) != [shape[0] for shape in conv]
        or any(shape[2:] != (recipe.kernel_size,) * 2 for shape in conv)
        or list(recipe.recurrent) != recurrent
    ):
        raise CheckpointError(
            f"{checkpoint.path}: the recipe's layer sizes (hidden "
            f"{list(recipe.hidden)!r}, conv {list(recipe.conv)!r}"
            + (f", recurrent {list(recipe.recurrent)!r}" if recipe.recurrent else "")
            + ") are not those of its weights"
        )
    return recipe


def resumed_run(
    path: str | os.PathLike, preset: str | None = None
) -> tuple[Checkpoint, Recipe, dict[str, Any]]:
    """The newest checkpoint at ``path``, the recipe to resume with (the checkpoint's, or the
    named ``preset`` if it names another: a change that :func:`changes` reports), and the run's
    saved options ``data``, ``out`` (a Path) and ``checkpoint_every`` (None where missing)."""
    checkpoint = load_latest(path)
    recipe = saved_recipe(checkpoint)
    if preset is not None and preset != recipe.name:
        recipe = get_preset(preset, option="--preset")
    config = checkpoint.config

    def option(key, kind):
        value = config.get(key)
        return value if isinstance(value, kind) and not isinstance(value, bool) else None

    out = option("out", str)
    return (
        checkpoint,
        recipe,
        {
            "data": option("data", str),
            "out": Path(out) if out else None,
            "checkpoint_every": option("checkpoint_every", int),
        },
    )


def changes(
    checkpoint: Checkpoint, recipe: Recipe, data: str, data_sha256: str | None = None
) -> list[str]:
    """What differs between the checkpoint's run and the one asked for, as ``what: old -> new``
    (data compared by name, and by SHA-256 once loaded)."""
    found = recipe.changes_from(saved_recipe(checkpoint))
    if checkpoint.config.get("data") != data:
        found.append(f"data {checkpoint.config.get('data')!r} -> {data!r}")
    elif data_sha256 is not None and checkpoint.config.get("data_sha256") != data_sha256:
        found.append(f"data {data!r} has changed (its SHA-256 differs)")
    return found


def refuse_changes(checkpoint: Checkpoint, found: list[str], force: bool) -> None:
    """ConfigError naming the changes, unless there are none or ``force``."""
    if found and not force:
        raise ConfigError(
            f"--resume {checkpoint.path}: this command changes the run ({'; '.join(found)}), "
            f"so it would not end as the interrupted run would have; run without those "
            f"options, or pass --force to resume anyway"
        )


def resume_command(directory: str | os.PathLike | None, out: Path, default: Path) -> str:
    """The command that takes a run up again: with ``--output`` unless the model goes to
    ``default``, where a resumed run writes unless told (a checkpoint never says where)."""
    command = f"nnscratch train --resume {shlex.quote(str(directory))}"
    return command + (f" --output {shlex.quote(str(out))}" if out != default else "")
