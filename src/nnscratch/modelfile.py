"""The model file: one ``.npz`` holding the arrays and a JSON document, opened without pickle.

Layout inside the zip archive:

* ``nnscratch.json`` — a uint8 array of UTF-8 JSON: ``{"format": "nnscratch-model",
  "format_version": 1, "library_version": "0.1.0", "arrays_sha256": ..., ...}`` plus whatever
  the caller adds (``Sequential.save`` adds the model, its architecture with every layer's
  shapes, and the preprocessing; ``nnscratch train`` adds the preset, data identity, seed,
  metrics and history);
* one array per parameter, named ``layers.<index>.<name>`` (e.g. ``layers.1.W``).

``arrays_sha256`` covers every array's name, dtype, shape and bytes, so a damaged or altered file
is caught on load. Files are read with ``allow_pickle=False``: opening one never runs code.

Format version 1 grows by adding keys only: a reader ignores keys it does not know and does
without keys a file lacks (``library_version`` and ``architecture`` came after the first files).
The version goes up only when an existing key changes meaning, and then this reader refuses
newer files by name instead of misreading them.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from typing import Any

import numpy as np

from .errors import ModelFileError
from .fileio import atomic_write

FORMAT = "nnscratch-model"
FORMAT_VERSION = 1
DOCUMENT_KEY = "nnscratch.json"


def arrays_sha256(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over the arrays in name order: name, dtype, shape, then the raw bytes."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def write_model_file(path: str | os.PathLike, document: dict[str, Any],
                     arrays: dict[str, np.ndarray]) -> None:
    """Write ``document`` (JSON-able) and ``arrays`` atomically to ``path``."""
    from . import __version__  # the package's root: no import cycle, nothing heavy

    stamp = {"format": FORMAT, "format_version": FORMAT_VERSION, "library_version": __version__}
    # A loaded model's metadata carries its old stamp and checksum: this file gets new ones.
    kept = {k: v for k, v in document.items() if k not in stamp and k != "arrays_sha256"}
    document = {**stamp, **kept, "arrays_sha256": arrays_sha256(arrays)}
    text = json.dumps(document, indent=1, allow_nan=False)
    payload = {DOCUMENT_KEY: np.frombuffer(text.encode("utf-8"), dtype=np.uint8), **arrays}
    with atomic_write(path) as handle:
        np.savez(handle, **payload)


def read_model_file(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read ``(document, arrays)`` from ``path``, checking that the file is ours and intact.

    Raises :class:`ModelFileError` naming the file and what is wrong.
    """
    where = str(path)
    if not os.path.isfile(path):
        raise ModelFileError(f"{where}: no such model file")
    if not zipfile.is_zipfile(path):
        # np.load would take a bare .npy for an array (and crash in the ``with`` below) and
        # anything else for a pickle: say what the file is instead.
        try:
            with open(path, "rb") as handle:
                start = handle.read(6)
        except OSError as error:
            raise ModelFileError(f"{where}: cannot be read ({error.strerror or error})") from None
        if start.startswith(b"PK\x03\x04"):
            # A zip archive's directory is at its end: a copy cut short has the start only.
            raise ModelFileError(f"{where}: truncated or damaged model file (a zip archive "
                                 f"without its closing directory)")
        what = "a bare .npy array" if start == b"\x93NUMPY" else "not a zip archive"
        raise ModelFileError(f"{where}: not an nnscratch model file ({what})")
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise ModelFileError(f"{where}: not an nnscratch model file (a bare .npy array)")
            if DOCUMENT_KEY not in archive.files:
                raise ModelFileError(f"{where}: not an nnscratch model file "
                                     f"(no {DOCUMENT_KEY} inside)")
            arrays = {name: archive[name] for name in archive.files}
    except ModelFileError:
        raise
    except ValueError as error:
        if "pickle" in str(error).lower():
            raise ModelFileError(f"{where}: holds a pickled object array; refusing to load it "
                                 f"(opening a model file must never run code)") from None
        raise ModelFileError(f"{where}: damaged model file ({error})") from None
    except zipfile.BadZipFile as error:
        raise ModelFileError(f"{where}: damaged model file (the zip archive fails its own "
                             f"check: {error})") from None
    except (OSError, EOFError, KeyError) as error:
        raise ModelFileError(f"{where}: not an nnscratch model file or damaged "
                             f"({type(error).__name__}: {error})") from None
    document = _parse_document(where, arrays.pop(DOCUMENT_KEY))
    if arrays_sha256(arrays) != document.get("arrays_sha256"):
        raise ModelFileError(f"{where}: damaged or altered model file (its arrays do not "
                             f"match the SHA-256 recorded when it was saved)")
    return document, arrays


def _parse_document(where: str, raw: np.ndarray) -> dict[str, Any]:
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ModelFileError(f"{where}: {DOCUMENT_KEY} is not a byte string")
    try:
        document = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"{where}: {DOCUMENT_KEY} is not valid JSON ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"{where}: not an nnscratch model file (format is not {FORMAT!r})")
    version = document.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ModelFileError(f"{where}: bad format_version {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{where}: written by a newer nnscratch (format version {version}; "
                             f"this one reads up to {FORMAT_VERSION}); upgrade nnscratch")
    return document
