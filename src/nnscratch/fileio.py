"""Atomic file writing: a reader sees the old file or the new one, never half of one.

A bottom-level utility, like :mod:`nnscratch.errors`: the data package and the model file use it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from .errors import ConfigError, NNScratchError


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike, error_type: type[NNScratchError] = NNScratchError
) -> Iterator[BinaryIO]:
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
    """Refuse an output ``path`` that cannot be written (a folder, a file in a folder that does
    not exist, or in one that refuses new files) before any work is done, not after it.

    Raises ConfigError naming ``option``, suggesting ``path/example_name`` for a folder. The
    folder is tried by creating and removing an empty file in it: permissions alone do not say
    (root ignores them; a read-only file system does not).
    """
    if os.path.isdir(path):
        raise ConfigError(
            f"{option} {os.fspath(path)} is a folder; give a file name, like "
            f"{os.path.join(path, example_name)}"
        )
    folder = os.path.dirname(os.fspath(path)) or "."
    if not os.path.isdir(folder):
        raise ConfigError(f"{option} {os.fspath(path)}: the folder {folder} does not exist")
    _try_writing_in(folder, f"{option} {os.fspath(path)}")


def check_writable_folder(folder: str | os.PathLike, option: str) -> None:
    """Refuse an output ``folder`` (made if missing) whose files could not be written: a file,
    or a folder (or, if missing, the nearest existing folder above it) that refuses new files.
    Raises ConfigError naming ``option``."""
    where = os.fspath(folder)
    if os.path.exists(where) and not os.path.isdir(where):
        raise ConfigError(f"{option} {where} is a file; give a folder")
    existing = os.path.abspath(where)
    while not os.path.isdir(existing):
        parent = os.path.dirname(existing)
        if os.path.exists(existing) or parent == existing:  # a file on the way up
            raise ConfigError(
                f"{option} {where}: {existing} is a file, so the folder cannot be made"
            )
        existing = parent
    _try_writing_in(existing, f"{option} {where}")


def _try_writing_in(folder: str, what: str) -> None:
    probe = os.path.join(folder, f".nnscratch-probe-{secrets.token_hex(6)}.tmp")
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as error:
        raise ConfigError(
            f"{what}: cannot write in the folder {folder}: {error.strerror or error}"
        ) from None
    with contextlib.suppress(OSError):
        os.remove(probe)


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether paths ``a`` and ``b`` name one file: the same inode when both exist (hard and
    symbolic links, ``./x`` and ``x``), else the same absolute path once links are resolved."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def check_outputs(
    outputs: Sequence[tuple[str, str | os.PathLike, str]],
    inputs: Sequence[tuple[str, str | os.PathLike]] = (),
) -> None:
    """Refuse, before any work, the outputs of a command that cannot be written or must not be:
    each output is :func:`check_writable`, and none may be one of the command's ``inputs`` or
    another of its outputs (compared as files, see :func:`same_file`), which it would overwrite.

    ``outputs``: ``(option, path, example_name)``, e.g. ``("--out", "m.npz", "model.npz")``;
    ``inputs``: ``(what, path)``, what in words, e.g. ``("the model file MODEL", "m.npz")``.
    Raises ConfigError naming both options.
    """
    for i, (option, path, example_name) in enumerate(outputs):
        check_writable(path, option, example_name)
        for what, source in inputs:
            if same_file(path, source):
                given = "" if os.fspath(source) == os.fspath(path) else f": {os.fspath(source)}"
                raise ConfigError(
                    f"{option} {os.fspath(path)} would overwrite {what}{given}; "
                    f"give another file name"
                )
        for other, other_path, _ in outputs[:i]:
            if same_file(path, other_path):
                raise ConfigError(
                    f"{option} {os.fspath(path)} and {other} "
                    f"{os.fspath(other_path)} are the same file: one would "
                    f"overwrite the other; give them different names"
                )


def check_model_file_name(path: str | os.PathLike, option: str) -> None:
    """Refuse a model file ``path`` whose name does not end in ``.npz``: what a model file is
    named by everything that reads it, and no picture or CSV is written over by mistake."""
    name = os.path.basename(os.fspath(path))
    if not name.lower().endswith(".npz"):
        stem = os.path.splitext(name)[0] or name
        raise ConfigError(
            f"{option} {os.fspath(path)}: a model file's name ends in .npz, like {stem}.npz"
        )
