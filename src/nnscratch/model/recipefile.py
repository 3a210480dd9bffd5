"""Recipe files: a training recipe written as a small TOML file (``nnscratch train --recipe``).

Every key is a recipe field (the names of :class:`~nnscratch.model.Recipe`, the train options
without their dashes: ``batch_size``, ``dev_size``), plus ``preset``, the preset the file starts
from (``mlp`` when it names none). The network is either the preset's, changed by ``hidden``,
``conv``, ``batch_norm`` and the like, or written out layer by layer as ``[[layers]]`` tables,
each a layer's ``type`` and its options (see :mod:`nnscratch.model.specs`)::

    # my-net.toml
    preset = "cnn"
    epochs = 3
    augment = "affine"

    [[layers]]
    type = "Conv2D"
    out_channels = 16
    kernel_size = 3
    padding = "same"

    [[layers]]
    type = "BatchNorm"

    [[layers]]
    type = "ReLU"

    [[layers]]
    type = "MaxPool2D"

The recipe is named after the file (``my-net``) unless it says ``name``. Options given on the
command line change the file's values, as they change a preset's.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from ..budget import check_depth, check_document, check_texts
from ..errors import ConfigError
from .presets import DEFAULT_PRESET, get_preset
from .recipe import FIELDS, NETWORK_FIELDS, Recipe

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 reads TOML with the tomli backport
    import tomli as tomllib

_DEFAULT_NETWORK = {
    "hidden": (),
    "conv": (),
    "recurrent": (),
    "kernel_size": 5,
    "padding": "valid",
    "activation": "relu",
    "batch_norm": False,
    "dropout": 0.0,
    "cell": "lstm",
}


def read_recipe_file(path: str | os.PathLike[str]) -> Recipe:
    """The recipe a TOML file describes. Raises ConfigError naming the file, and the key or
    the line, when it cannot be read, is not TOML, or holds a key or a value that cannot
    work."""
    path = Path(path)
    try:
        check_document(path.stat().st_size, f"--recipe {path}", "the recipe file", ConfigError)
        # utf-8-sig: a byte-order mark, as some Windows editors write, is not part of the text.
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else "not text"
        raise ConfigError(f"--recipe {path}: cannot read the recipe file ({reason})") from None
    # The parser recurses once per level of arrays and inline tables: bound them first.
    check_depth(text, f"--recipe {path}", "the recipe file", ConfigError)
    try:
        values: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"--recipe {path}: not a valid TOML file ({error})") from None
    except RecursionError:  # tomli (Python 3.10) recurses once per part of a dotted key
        raise ConfigError(
            f"--recipe {path}: a key or table is nested deeper than a recipe file can be"
        ) from None
    check_texts(values, f"--recipe {path}", "the recipe file", ConfigError)
    unknown = sorted(set(values) - set(FIELDS) - {"preset"})
    if unknown:
        raise ConfigError(
            f"--recipe {path}: unknown key{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(unknown)}; a recipe file takes preset and the recipe's "
            f"fields: {', '.join(FIELDS)}"
        )
    preset = values.pop("preset", DEFAULT_PRESET)
    try:
        base = get_preset(preset if isinstance(preset, str) else repr(preset))
    except ConfigError as error:
        raise ConfigError(f"--recipe {path}: {error}") from None
    changes = {"name": path.stem, **values}
    for field in ("hidden", "conv", "recurrent", "layers"):
        if isinstance(changes.get(field), list):
            changes[field] = tuple(changes[field])
    if "layers" in changes:
        # Written out layer by layer: the preset's network sizes do not apply.
        changes = {**{f: v for f, v in _DEFAULT_NETWORK.items() if f in NETWORK_FIELDS}, **changes}
    try:
        return base.with_overrides(changes)
    except ConfigError as error:
        raise ConfigError(f"--recipe {path}: {error}") from None
