"""``nnscratch train --resume``: which run a checkpoint holds, and whether a command changes it.

A face-level helper of the CLI and the runner: the checkpoint stores the full configuration of
``nnscratch train`` (the recipe, the data and its SHA-256, the model file, the checkpoint
interval); a resumed run starts from it, and options given again must not change what the
run computes, or it would not end as the run that was interrupted.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any

from .checkpoint import Checkpoint, load_latest
from .errors import CheckpointError, ConfigError
from .presets import Preset, get_preset, recipe_from_json

# Recipe fields that change what is printed, not what is computed.
HARMLESS = frozenset({"summary", "log_every"})


def run_config(recipe: Preset, *, data: str, data_sha256: str | None, out: str,
               checkpoint_every: int) -> dict[str, Any]:
    """The JSON-able configuration a checkpoint of ``nnscratch train`` stores."""
    from . import __version__
    fields = dataclasses.asdict(recipe)
    fields["hidden"], fields["conv"] = list(fields["hidden"]), list(fields["conv"])
    return {"recipe": fields, "data": data, "data_sha256": data_sha256, "out": out,
            "checkpoint_every": checkpoint_every, "nnscratch": __version__}


def saved_recipe(checkpoint: Checkpoint) -> Preset:
    """The recipe of the run in ``checkpoint``, each field's type and range checked (the file
    may come from anyone), and its hidden sizes those of the weights the file holds, so that
    building its network allocates no more than the file justifies.

    Raises CheckpointError naming the file and the field.
    """
    fields = checkpoint.config.get("recipe")
    try:
        recipe = recipe_from_json(fields)
    except ConfigError as error:
        if not isinstance(fields, dict) or set(fields) != {f.name for f in
                                                           dataclasses.fields(Preset)}:
            raise CheckpointError(f"{checkpoint.path}: holds no nnscratch train recipe (was "
                                  f"it written by nnscratch train --checkpoint-dir?)") from None
        raise CheckpointError(f"{checkpoint.path}: {error}") from None
    weights = sorted((int(key.split(".")[1]), array)
                     for key, array in checkpoint.state.arrays.items()
                     if re.fullmatch(r"layers\.\d+\.W", key))
    dense = [w.shape[1] for _, w in weights if w.ndim == 2][:-1]
    conv = [w.shape for _, w in weights if w.ndim == 4]
    if (list(recipe.hidden) != dense or list(recipe.conv) != [shape[0] for shape in conv]
            or any(shape[2:] != (recipe.kernel_size,) * 2 for shape in conv)):
        raise CheckpointError(f"{checkpoint.path}: the recipe's layer sizes (hidden "
                              f"{fields['hidden']!r}, conv {fields['conv']!r}) are not those of "
                              f"its weights")
    return recipe


def resumed_run(path: str | os.PathLike, preset: str | None = None
                ) -> tuple[Checkpoint, Preset, dict[str, Any]]:
    """The newest checkpoint at ``path``, the recipe to resume with (the checkpoint's, or the
    named ``preset`` if it names another: a change that :func:`changes` reports), and the run's
    saved options ``data``, ``out`` (a Path) and ``checkpoint_every`` (None where missing)."""
    checkpoint = load_latest(path)
    recipe = saved_recipe(checkpoint)
    if preset is not None and preset != recipe.name:
        recipe = get_preset(preset)
    config = checkpoint.config

    def option(key, kind):
        value = config.get(key)
        return value if isinstance(value, kind) and not isinstance(value, bool) else None

    out = option("out", str)
    return checkpoint, recipe, {"data": option("data", str), "out": Path(out) if out else None,
                                "checkpoint_every": option("checkpoint_every", int)}


def changes(checkpoint: Checkpoint, recipe: Preset, data: str,
            data_sha256: str | None = None) -> list[str]:
    """What differs between the checkpoint's run and the one asked for, as ``what: old -> new``
    (data compared by name, and by SHA-256 once loaded)."""
    old = saved_recipe(checkpoint)
    found = [f"{f.name} {getattr(old, f.name)!r} -> {getattr(recipe, f.name)!r}"
             for f in dataclasses.fields(Preset)
             if f.name not in HARMLESS and getattr(old, f.name) != getattr(recipe, f.name)]
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
            f"options, or pass --force to resume anyway")
