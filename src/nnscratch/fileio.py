"""Atomic file writing: a reader sees the old file or the new one, never half of one.

A bottom-level utility, like :mod:`nnscratch.errors`: the data package and the model file use it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from typing import BinaryIO

from .errors import ConfigError, NNScratchError


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike,
                 error_type: type[NNScratchError] = NNScratchError) -> Iterator[BinaryIO]:
    """Yield a binary file that replaces ``path`` only once fully written and fsync'ed.

    The temporary file sits in the same folder (so ``os.replace`` is atomic) and is removed on
    any failure, leaving an existing ``path`` untouched. An OSError (missing or read-only
    folder, full disk) becomes ``error_type`` with a message naming ``path``.
    """
    folder, name = os.path.split(os.path.abspath(path))
    temp = os.path.join(folder, f".{name}.{secrets.token_hex(6)}.tmp")
    try:
        # O_EXCL: never reuse someone else's file; 0o666 lets the umask decide permissions.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        fd = os.open(temp, flags, 0o666)
    except OSError as error:
        raise error_type(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.remove(temp)
        if isinstance(error, OSError):
            raise error_type(f"cannot write {path}: {error.strerror or error}") from None
        raise


def check_writable(path: str | os.PathLike, option: str, example_name: str) -> None:
    """Refuse an output ``path`` that cannot be written (a folder, or a file in a folder that
    does not exist) before any work is done, not after it. Raises ConfigError naming ``option``
    and suggesting ``path/example_name`` for a folder."""
    if os.path.isdir(path):
        raise ConfigError(f"{option} {os.fspath(path)} is a folder; give a file name, like "
                          f"{os.path.join(path, example_name)}")
    folder = os.path.dirname(os.fspath(path)) or "."
    if not os.path.isdir(folder):
        raise ConfigError(f"{option} {os.fspath(path)}: the folder {folder} does not exist")
