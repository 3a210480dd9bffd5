"""The model file: one ``.npz`` holding the arrays and a JSON document, opened without pickle.

Layout inside the zip archive:

* ``nnscratch.json`` — a uint8 array of UTF-8 JSON: ``{"format": "nnscratch-model",
  "format_version": 1, "library_version": "0.1.0", "arrays_sha256": ..., ...}`` plus whatever
  the caller adds (``Sequential.save`` adds the model, its architecture with every layer's
  shapes, and the preprocessing; ``nnscratch train`` adds the preset, data identity, seed,
  metrics and history);
* one array per parameter, named ``layers.<index>.<name>`` (e.g. ``layers.1.W``).

``arrays_sha256`` covers every array's name, dtype, shape and bytes, so a damaged or altered file
is caught on load. Files are parsed here, member by member, with NumPy's header parser (a
literal, never evaluated as code) and object arrays refused: opening one never runs code, and
nothing is allocated before what the headers claim is checked against the file's own bytes and
the budget (:mod:`nnscratch.budget`: the data declared, each member's inflation, the JSON
document's size and nesting).

Format version 1 grows by adding keys only: a reader ignores keys it does not know and does
without keys a file lacks (``library_version`` and ``architecture`` came after the first files).
The version goes up only when an existing key changes meaning, and then this reader refuses
newer files by name instead of misreading them.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import struct
import tokenize
import warnings
import zipfile
import zlib
from typing import Any

import numpy as np

from .budget import check_data, check_depth, check_document, check_inflation, check_texts
from .checks import is_count, is_real
from .errors import ModelFileError
from .fileio import atomic_write

FORMAT = "nnscratch-model"
FORMAT_VERSION = 1
DOCUMENT_KEY = "nnscratch.json"
_MAX_DEFLATE_RATIO = 1032  # deflate's largest possible expansion: bounds a zip bomb


def arrays_sha256(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over the arrays in name order: name, dtype, shape, then the raw bytes."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def write_model_file(
    path: str | os.PathLike, document: dict[str, Any], arrays: dict[str, np.ndarray]
) -> None:
    """Write ``document`` (JSON-able) and ``arrays`` atomically to ``path``."""
    from . import __version__  # the package's root: no import cycle, nothing heavy

    stamp = {"format": FORMAT, "format_version": FORMAT_VERSION, "library_version": __version__}
    # A loaded model's metadata carries its old stamp and checksum: this file gets new ones.
    kept = {k: v for k, v in document.items() if k not in stamp and k != "arrays_sha256"}
    document = {**stamp, **kept, "arrays_sha256": arrays_sha256(arrays)}
    text = json.dumps(document, indent=1, allow_nan=False)
    payload = {DOCUMENT_KEY: np.frombuffer(text.encode("utf-8"), dtype=np.uint8), **arrays}
    with atomic_write(path, ModelFileError) as handle:
        # numpy's stub fears that **payload fills its allow_pickle flag; it holds array names.
        np.savez(handle, **payload)  # type: ignore[arg-type]


def read_model_file(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read ``(document, arrays)`` from ``path``, checking that the file is ours and intact,
    and that its arrays hold finite numbers only (NaN weights answer "label 0" to anything).

    Raises :class:`ModelFileError` naming the file and what is wrong.
    """
    where = str(path)
    if os.path.isdir(path):
        raise ModelFileError(
            f"{where} is a folder, not a model file (a .npz written by nnscratch train)"
        )
    if not os.path.isfile(path):
        raise ModelFileError(f"{where}: no such model file")
    if not zipfile.is_zipfile(path):
        # Say what the file is: a bare .npy is a common slip (np.save instead of savez).
        try:
            with open(path, "rb") as handle:
                start = handle.read(6)
        except OSError as error:
            raise ModelFileError(f"{where}: cannot be read ({error.strerror or error})") from None
        if start.startswith(b"PK\x03\x04"):
            # A zip archive's directory is at its end: a copy cut short has the start only.
            raise ModelFileError(
                f"{where}: truncated or damaged model file (a zip archive "
                f"without its closing directory)"
            )
        what = "a bare .npy array" if start == b"\x93NUMPY" else "not a zip archive"
        raise ModelFileError(f"{where}: not an nnscratch model file ({what})")
    try:
        arrays = _read_arrays(path, where)
    except ModelFileError:
        raise
    except zipfile.BadZipFile as error:
        raise ModelFileError(
            f"{where}: damaged model file (the zip archive fails its own check: {error})"
        ) from None
    except (
        ValueError,
        SyntaxError,
        tokenize.TokenError,
        struct.error,
        zlib.error,
        OverflowError,
    ) as error:
        # What a damaged .npy header or member makes NumPy's header parser and zipfile raise;
        # TokenError for a header cut short (found by tests/test_fuzz.py).
        raise ModelFileError(
            f"{where}: damaged model file ({type(error).__name__}: {error})"
        ) from None
    except (OSError, EOFError, KeyError, NotImplementedError, RuntimeError) as error:
        # NotImplementedError: an unknown compression; RuntimeError: an encrypted member.
        raise ModelFileError(
            f"{where}: not an nnscratch model file or damaged ({type(error).__name__}: {error})"
        ) from None
    if DOCUMENT_KEY not in arrays:
        raise ModelFileError(f"{where}: not an nnscratch model file (no {DOCUMENT_KEY} inside)")
    document = _parse_document(where, arrays.pop(DOCUMENT_KEY))
    if arrays_sha256(arrays) != document.get("arrays_sha256"):
        raise ModelFileError(
            f"{where}: damaged or altered model file (its arrays do not "
            f"match the SHA-256 recorded when it was saved)"
        )
    for name, array in arrays.items():
        if array.dtype.kind in "fc" and not np.isfinite(array).all():
            count = int(array.size - np.count_nonzero(np.isfinite(array)))
            raise ModelFileError(
                f"{where}: array {name} holds {count:,} NaN or infinite value"
                f"{'' if count == 1 else 's'}; a network with them answers nothing "
                f"(did its training diverge, or was the file edited?)"
            )
    return document, arrays


def _read_arrays(path: str | os.PathLike, where: str) -> dict[str, np.ndarray]:
    """Every ``.npy`` member of the zip at ``path``, checked before anything is allocated.

    A member's header is untrusted: it may claim 2**40 floats in a file of 1 kB. So the zip's
    member sizes are checked against the file's size, each array's declared size against its
    member's size, and object arrays (pickles) are refused, all before reading any data; then
    the data is read into an array of exactly the declared size. No pickle, ever.
    """
    arrays: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        if sum(m.compress_size for m in members) > os.path.getsize(path):
            raise ModelFileError(
                f"{where}: damaged model file (its members claim more bytes than the file holds)"
            )
        # What the members declare must fit the budget before one of them is inflated.
        check_data(sum(m.file_size for m in members), where, "the model file", ModelFileError)
        for member in members:
            what = f"member {member.filename!r}"
            if member.filename == DOCUMENT_KEY + ".npy":
                check_document(member.file_size, where, what, ModelFileError)
            if member.compress_type != zipfile.ZIP_STORED:
                check_inflation(member.file_size, member.compress_size, where, what, ModelFileError)
        for member in members:
            name = member.filename.removesuffix(".npy")
            if name == member.filename or name in arrays:
                raise ModelFileError(
                    f"{where}: not an nnscratch model file (member "
                    f"{member.filename!r} is not one .npy array)"
                )
            if (
                member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
                or (
                    member.compress_type == zipfile.ZIP_STORED
                    and member.file_size != member.compress_size
                )
                or (member.file_size > _MAX_DEFLATE_RATIO * member.compress_size + 1024)
            ):
                raise ModelFileError(
                    f"{where}: damaged model file (member {member.filename!r} "
                    f"has inconsistent sizes or an unknown compression)"
                )
            with archive.open(member) as stream:
                arrays[name] = _read_npy(stream, member.file_size, f"{where}: array {name}")
    return arrays


def _read_npy(stream, size: int, where: str) -> np.ndarray:
    """One ``.npy`` array of ``size`` bytes from ``stream``, its header checked first."""
    version = np.lib.format.read_magic(stream)
    if version not in ((1, 0), (2, 0)):
        raise ModelFileError(f"{where}: unsupported .npy format version {version}")
    read_header = (
        np.lib.format.read_array_header_1_0
        if version == (1, 0)
        else np.lib.format.read_array_header_2_0
    )
    with warnings.catch_warnings():
        # A damaged header can hold a bad escape ("\ "): Python's literal parser warns about it
        # on stderr (SyntaxWarning from 3.12) before the header is refused anyway.
        warnings.simplefilter("ignore", (SyntaxWarning, DeprecationWarning))
        shape, fortran, dtype = read_header(stream)
    if dtype.hasobject:
        raise ModelFileError(
            f"{where}: holds a pickled object array; refusing to load it "
            f"(opening a model file must never run code)"
        )
    if dtype.kind not in "biufc" or dtype.itemsize == 0:
        raise ModelFileError(f"{where}: has dtype {dtype}; model files hold numbers only")
    nbytes = math.prod(shape) * dtype.itemsize
    held = size - stream.tell()
    if nbytes != held:
        raise ModelFileError(
            f"{where}: damaged model file (the header declares shape {shape} "
            f"of {dtype}, {nbytes} bytes, but {held} bytes follow)"
        )
    data = bytearray(nbytes)
    if stream.readinto(data) != nbytes:
        raise ModelFileError(f"{where}: damaged model file (truncated data)")
    array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return np.ascontiguousarray(array)


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _is_table(value: Any) -> bool:
    return isinstance(value, dict)


def _is_scale(value: Any) -> bool:
    # Raw values (pixels up to 255, 65535 for 16 bits) are scaled down; a scale past 1 would
    # only blow them up (past float32's range: infinities), one near 0 erase them.
    return is_real(value) and 1e-9 <= value <= 1


def _is_shape(value: Any) -> bool:
    return isinstance(value, list) and 0 < len(value) <= 4 and all(is_count(n) for n in value)


def _is_reals(value: Any) -> bool:
    return isinstance(value, dict) and all(v is None or is_real(v) for v in value.values())


def _is_list(value: Any) -> bool:
    return isinstance(value, list)


# What each key of the document that a reader uses holds (None is always allowed: "unknown"),
# and in words for the error. Checked once, where the file is read, so no reader meets an
# edited file's wrong types (a string scale, a number where a table belongs).
_DOCUMENT_TYPES: dict[str, tuple[Any, str]] = {
    "preset": (_is_text, "a text"),
    "kind": (_is_text, "a text"),
    "library_version": (_is_text, "a text"),
    "arrays_sha256": (_is_text, "a text"),
    "recipe": (_is_table, "a table"),
    "model": (_is_table, "a table"),
    "optimizer": (_is_table, "a table"),
    "environment": (_is_table, "a table"),
    "fine_tuned_from": (_is_table, "a table"),
    "preprocessing": (_is_table, "a table"),
    "preprocessing.scale": (_is_scale, "a number in [1e-9, 1]"),
    "preprocessing.image_shape": (_is_shape, "a list of 1 to 4 sizes"),
    "model.input_scale": (_is_scale, "a number in [1e-9, 1]"),
    "data": (_is_table, "a table"),
    "data.name": (_is_text, "a text"),
    "data.source": (_is_text, "a text"),
    "data.sha256": (_is_text, "a text"),
    "data.train_size": (is_count, "a count"),
    "data.dev_size": (is_count, "a count"),
    "metrics": (_is_reals, "a table of numbers"),
    "history": (_is_table, "a table"),
    "history.epoch": (_is_list, "a list"),
    "history.seconds": (_is_list, "a list"),
    "history.stopped": (_is_text, "a text"),
    "seed": (is_count, "a count"),
    "architecture": (_is_list, "a list"),
}


def _check_document_types(where: str, document: dict[str, Any]) -> None:
    """Refuse a document whose known keys hold the wrong type of value, naming the key."""
    for key, (fits, words) in _DOCUMENT_TYPES.items():
        section, _, name = key.rpartition(".")
        holder = document.get(section) if section else document
        value = holder.get(name) if isinstance(holder, dict) else None
        if value is not None and not fits(value):
            shown = repr(value) if len(repr(value)) <= 40 else f"{repr(value)[:37]}..."
            raise ModelFileError(f"{where}: {DOCUMENT_KEY}'s {key} is {shown}, expected {words}")
    shape = (document.get("preprocessing") or {}).get("image_shape")
    if shape:  # a reader may build an image of it: it must fit the budget like any array
        check_data(math.prod(shape) * 8, where, f"{DOCUMENT_KEY}'s image_shape", ModelFileError)


def _parse_document(where: str, raw: np.ndarray) -> dict[str, Any]:
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ModelFileError(f"{where}: {DOCUMENT_KEY} is not a byte string")
    try:
        text = raw.tobytes().decode("utf-8")
        check_depth(text, where, DOCUMENT_KEY, ModelFileError)
        document = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"{where}: {DOCUMENT_KEY} is not valid JSON ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"{where}: not an nnscratch model file (format is not {FORMAT!r})")
    check_texts(document, where, DOCUMENT_KEY, ModelFileError)
    _check_document_types(where, document)
    version = document.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ModelFileError(f"{where}: bad format_version {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{where}: written by a newer nnscratch (format version {version}; "
            f"this one reads up to {FORMAT_VERSION}); upgrade nnscratch"
        )
    return document
