"""One budget for what a file may make us allocate, checked where each format is read.

A file's headers are untrusted: an IDX header may declare a million images in a 1 MB gzip, a
model file's zip member may inflate a thousandfold, a picture's header may declare 100
megapixels in 22 kB, a JSON document may nest a thousand deep. Each reader asks this module,
before it allocates or decodes, whether what the header declares fits the current
:class:`Budget`, and refuses with its own error type (naming the file) when it does not.

The budget is the process's default, which suits a person's own files on the command line; a
caller that reads files from elsewhere (the server, reading uploads) narrows it for a block
with :func:`limited`. It lives in a context variable: each thread and task sees its own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Iterator
from contextvars import ContextVar

from .errors import DataError

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_OPENING, _CLOSING = list(b"[{"), list(b"]}")

MB = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Budget:
    """Ceilings on what one file may make a reader allocate.

    ``data_bytes``: the data a file's headers may declare (an IDX array, a model's arrays);
    ``inflation``: how many times its compressed size a compressed stream may grow, once past
    ``inflation_floor`` bytes (small streams cost little, whatever their ratio; real data
    compresses a few times, a bomb a thousand); ``document_bytes`` and ``depth``: a JSON
    document's size and nesting; ``pixels``: a picture's width times height, from its header;
    ``text_chars``: one string of a document (its names and paths; a megabyte of text in one
    would cost seconds in every table that wraps it).
    """

    data_bytes: int = 2048 * MB
    inflation: int = 100
    inflation_floor: int = 4 * MB
    document_bytes: int = 16 * MB
    depth: int = 64
    pixels: int = 40_000_000  # a 40-megapixel photo is fine; a decompression bomb is not
    text_chars: int = 64 * 1024  # one string in a document: names, paths, never a book


# A frozen dataclass: the default is never changed, only replaced (limited()).
_CURRENT: ContextVar[Budget] = ContextVar("nnscratch_budget", default=Budget())  # noqa: B039


def current_budget() -> Budget:
    """The budget in force in this thread or task."""
    return _CURRENT.get()


@contextlib.contextmanager
def limited(**ceilings: int) -> Iterator[Budget]:
    """Narrow the budget for the ``with`` block (``limited(data_bytes=64 * MB)``); a ceiling
    above the one in force is ignored: a block can only tighten the budget."""
    now = current_budget()
    narrowed = dataclasses.replace(
        now, **{name: min(value, getattr(now, name)) for name, value in ceilings.items()}
    )
    token = _CURRENT.set(narrowed)
    try:
        yield narrowed
    finally:
        _CURRENT.reset(token)


def check_data(declared: int, where: str, what: str, error: type[Exception] = DataError) -> None:
    """Refuse ``declared`` bytes of data (``what`` says whose) over the budget's data_bytes."""
    limit = current_budget().data_bytes
    if declared > limit:
        raise error(
            f"{where}: {what} declares {_size(declared)} of data, more than the {_size(limit)} "
            f"a file may make this reader allocate"
        )


def check_inflation(
    declared: int, compressed: int, where: str, what: str, error: type[Exception] = DataError
) -> None:
    """Refuse a compressed stream of ``compressed`` bytes that declares it inflates to
    ``declared`` bytes, more than the budget's ratio allows (past its floor), and any
    stream over data_bytes."""
    check_data(declared, where, what, error)
    budget = current_budget()
    if declared > max(budget.inflation_floor, budget.inflation * compressed):
        raise error(
            f"{where}: {what} inflates {_size(compressed)} to {_size(declared)}, more than "
            f"{budget.inflation} times: refused as a compression bomb"
        )


def inflation_ceiling(compressed: int) -> int:
    """The most bytes a compressed stream of ``compressed`` bytes may inflate to."""
    budget = current_budget()
    return min(budget.data_bytes, max(budget.inflation_floor, budget.inflation * compressed))


def check_document(size: int, where: str, what: str, error: type[Exception] = DataError) -> None:
    """Refuse a document (JSON, TOML) of ``size`` bytes over the budget's document_bytes."""
    limit = current_budget().document_bytes
    if size > limit:
        raise error(f"{where}: {what} is {_size(size)}, more than the {_size(limit)} allowed")


def check_depth(text: str, where: str, what: str, error: type[Exception] = DataError) -> None:
    """Refuse a JSON text nested deeper than the budget's depth, before parsing it (Python's
    parser recurses once per level, and a thousand levels end in RecursionError)."""
    import numpy as np

    limit = current_budget().depth
    bare = _JSON_STRING.sub("", text).encode("utf-8", "replace")  # brackets in strings do not nest
    codes = np.frombuffer(bare, dtype=np.uint8)
    steps = np.isin(codes, _OPENING).astype(np.int64) - np.isin(codes, _CLOSING)
    if steps.size and int(np.cumsum(steps).max()) > limit:
        raise error(f"{where}: {what} nests deeper than {limit} levels")


def check_texts(
    document: object, where: str, what: str, error: type[Exception] = DataError
) -> None:
    """Refuse a parsed document (JSON, TOML) holding a string, or a key, longer than the
    budget's text_chars. Its nesting is already bounded (:func:`check_depth`)."""
    limit = current_budget().text_chars
    pending = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str) and len(item) > limit:
            raise error(
                f"{where}: {what} holds a text of {len(item):,} characters, more than the "
                f"{limit:,} allowed"
            )


def check_pixels(width: int, height: int, where: str, error: type[Exception] = DataError) -> None:
    """Refuse a picture whose header declares more pixels than the budget's."""
    limit = current_budget().pixels
    if width * height > limit:
        raise error(f"{where}: picture of {width}x{height} pixels is larger than {limit:,} pixels")


def _size(count: int) -> str:
    return f"{count / MB:,.1f} MB" if count >= MB else f"{count:,} bytes"
