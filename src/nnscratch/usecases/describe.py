"""What a model file holds: architecture, recipe, training data, metrics, format and checksums.

``nnscratch info`` is :func:`describe_model_file` plus tables. The file is loaded in full first,
so its arrays' SHA-256 is verified and everything shown is what ``Sequential.load`` would use.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from ..model import Sequential


def describe_model_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A JSON-able description of the model file at ``path``.

    Keys: ``file``, ``file_sha256`` (of the file's bytes, to compare copies), ``format``,
    ``format_version``, ``library_version`` (None for files written before it was recorded),
    ``arrays_sha256`` (verified on load), ``architecture`` (per layer: ``index``, ``type``,
    ``config``, ``input_shape``, ``output_shape``, ``parameters``, ``parameter_count``),
    ``parameter_count``, ``loss``, ``dtype``, ``preprocessing``, and what training recorded,
    each None when absent: ``preset``, ``hyperparameters`` (the recipe), ``optimizer``,
    ``data``, ``seed``, ``metrics``, ``epochs`` (trained), ``stopped``, ``environment``, and
    for a fine-tuned model ``fine_tuned_from`` (the model file it started from, with its
    SHA-256, and the accuracies before and after: see :mod:`nnscratch.usecases.finetune`).
    Raises ModelFileError if the file is not a sound nnscratch model file.
    """
    model = Sequential.load(path)  # verifies the checksum and that the arrays fit the layers
    meta = model.metadata
    preprocessing = {
        "scale": model.input_scale,
        **(meta.get("preprocessing") or {}),
        "image_shape": None if model.image_shape is None else list(model.image_shape),
    }
    history = meta.get("history") or {}
    return {
        "file": os.fspath(path),
        "file_sha256": _file_sha256(path),
        "format": meta.get("format"),
        "format_version": meta.get("format_version"),
        "library_version": meta.get("library_version"),
        "arrays_sha256": meta.get("arrays_sha256"),
        # Recomputed from the loaded layers, so files without a stored copy are described too.
        "architecture": model.architecture(model.image_shape),
        "parameter_count": model.parameter_count(),
        "loss": model.loss.name,
        "dtype": model.dtype.name,
        "preprocessing": preprocessing,
        "preset": meta.get("preset"),
        "hyperparameters": meta.get("recipe"),
        "optimizer": meta.get("optimizer"),
        "data": meta.get("data"),
        "seed": meta.get("seed"),
        "metrics": meta.get("metrics"),
        "epochs": len(history["epoch"]) if history.get("epoch") else None,
        "stopped": history.get("stopped"),
        "environment": meta.get("environment"),
        "fine_tuned_from": meta.get("fine_tuned_from")
        if isinstance(meta.get("fine_tuned_from"), dict)
        else None,
    }


def _file_sha256(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def scale_text(scale: float | None) -> str:
    """How inputs are scaled, as a reader writes it: ``1/255`` rather than 0.00392156862745098;
    ``1 (unscaled)`` when they are not."""
    if not scale:
        return "1 (unscaled)"
    inverse = 1 / scale
    return f"1/{round(inverse)}" if abs(inverse - round(inverse)) < 1e-6 else f"{scale:g}"
