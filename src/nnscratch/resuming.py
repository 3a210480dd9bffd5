"""``nnscratch train --resume``: which run a checkpoint holds, and whether a command changes it.

A face-level helper of the CLI and the runner: the checkpoint stores the full configuration of
``nnscratch train`` (the recipe, the data and its SHA-256, the model file, the checkpoint
interval); a resumed run starts from it, and options given again must not change what the
run computes, or it would not end as the run that was interrupted.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .checkpoint import Checkpoint
from .errors import CheckpointError, ConfigError
from .presets import Preset

# Recipe fields that change what is printed, not what is computed.
HARMLESS = frozenset({"summary", "log_every"})


def run_config(recipe: Preset, *, data: str, data_sha256: str | None, out: str,
               checkpoint_every: int) -> dict[str, Any]:
    """The JSON-able configuration a checkpoint of ``nnscratch train`` stores."""
    from . import __version__
    fields = dataclasses.asdict(recipe)
    fields["hidden"] = list(fields["hidden"])
    return {"recipe": fields, "data": data, "data_sha256": data_sha256, "out": out,
            "checkpoint_every": checkpoint_every, "nnscratch": __version__}


def saved_recipe(checkpoint: Checkpoint) -> Preset:
    """The recipe of the run in ``checkpoint``; CheckpointError if it holds none."""
    fields = checkpoint.config.get("recipe")
    names = {f.name for f in dataclasses.fields(Preset)}
    if not isinstance(fields, dict) or set(fields) != names:
        raise CheckpointError(f"{checkpoint.path}: holds no nnscratch train recipe (was it "
                              f"written by nnscratch train --checkpoint-dir?)")
    hidden = fields["hidden"]
    if not (isinstance(hidden, list) and all(type(h) is int and h > 0 for h in hidden)):
        raise CheckpointError(f"{checkpoint.path}: the recipe's hidden sizes {hidden!r} are "
                              f"not valid")
    return Preset(**{**fields, "hidden": tuple(hidden)})


def saved_option(checkpoint: Checkpoint, key: str, kind: type) -> Any:
    """``config[key]`` of the checkpoint if it has the right type, else None."""
    value = checkpoint.config.get(key)
    return value if isinstance(value, kind) and not isinstance(value, bool) else None


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
