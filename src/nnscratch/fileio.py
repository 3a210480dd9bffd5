"""Atomic file writing: a reader sees the old file or the new one, never half of one.

A bottom-level utility, like :mod:`nnscratch.errors`: the data package and the model file use it.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import zipfile
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
    remove_stale_temps(folder, name)
    # The writer's process id in the name: a later write knows a leftover of a killed one.
    temp = os.path.join(folder, f".{name}.{os.getpid()}-{secrets.token_hex(6)}.tmp")
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


def remove_stale_temps(folder: str, name: str) -> list[str]:
    """Remove the temporary files that writers of ``name`` in ``folder`` left when killed
    (SIGKILL, a power cut: no ``finally`` ran), those whose process no longer exists;
    returns their paths. A file whose writer is alive, or cannot be asked, is kept; on a
    folder shared by two machines one's live writer could be taken for dead by the other, and
    its write would then fail with a clear error, never replace the file half-written."""
    removed: list[str] = []
    try:
        entries = os.listdir(folder)
    except OSError:
        return removed
    for entry in entries:
        found = _TEMP.fullmatch(entry)
        if found is None or found["name"] != name or _is_alive(int(found["pid"])):
            continue
        with contextlib.suppress(OSError):
            os.remove(os.path.join(folder, entry))
            removed.append(os.path.join(folder, entry))
    return removed


_TEMP = re.compile(r"\.(?P<name>.+)\.(?P<pid>\d+)-[0-9a-f]{12}\.tmp")


def _is_alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":
        # Another thread of this process may be writing it; on Windows os.kill would end the
        # process it asks about, so none is asked.
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists (another user's) or cannot be told: keep its file
    return True


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


# What each kind of output is named: the example name's suffix (``model.npz``) says the kind.
OUTPUT_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    ".npz": ("a model file", (".npz",)),
    ".png": ("a chart, written as PNG,", (".png",)),
    ".html": ("an HTML report", (".html", ".htm")),
    ".csv": ("a CSV file", (".csv",)),
    ".onnx": ("an ONNX file", (".onnx",)),
}
MODEL_MEMBER = "nnscratch.json.npy"  # what every model file and checkpoint holds


def is_model_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` is an existing file that nnscratch wrote as a model or checkpoint (a
    zip holding its JSON document): what no output may replace unasked."""
    if not os.path.isfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return MODEL_MEMBER in archive.namelist()
    except (OSError, zipfile.BadZipFile, ValueError, EOFError):
        return False


def check_output_name(path: str | os.PathLike, option: str, example_name: str) -> None:
    """Refuse an output ``path`` whose name does not fit its kind, the kind that
    ``example_name``'s suffix names (:data:`OUTPUT_KINDS`): a chart is not written over
    ``model.npz``, a model file is not named ``m.png``. ConfigError naming ``option``."""
    kind = os.path.splitext(example_name)[1].lower()
    if kind not in OUTPUT_KINDS:
        return
    what, suffixes = OUTPUT_KINDS[kind]
    name = os.path.basename(os.fspath(path))
    if not name.lower().endswith(suffixes):
        stem = os.path.splitext(name)[0] or name
        raise ConfigError(
            f"{option} {os.fspath(path)}: {what} has a name ending in {suffixes[0]}, "
            f"like {stem}{suffixes[0]}"
        )


def check_outputs(
    outputs: Sequence[tuple[str, str | os.PathLike, str]],
    inputs: Sequence[tuple[str, str | os.PathLike]] = (),
    *,
    replace_models: bool = False,
) -> None:
    """Refuse, before any work, the outputs of a command that cannot be written or must not be.

    The one output policy of every command: each output is :func:`check_writable`, it is none
    of the command's ``inputs`` nor another of its outputs (compared as files, see
    :func:`same_file`), which it would overwrite, its name fits its kind
    (:func:`check_output_name`), and it is not an existing model file (:func:`is_model_file`):
    those are replaced only when the user asks (``replace_models``: train's ``--overwrite``).

    ``outputs``: ``(option, path, example_name)``, e.g. ``("--output", "m.npz", "model.npz")``;
    ``inputs``: ``(what, path)``, what in words, e.g. ``("the model file MODEL", "m.npz")``.
    Raises ConfigError naming the options.
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
        # After the checks above, whose messages say more (a folder, the model file MODEL).
        check_output_name(path, option, example_name)
        if not replace_models and is_model_file(path):
            raise ConfigError(
                f"{option} {os.fspath(path)} is an existing model file, which nnscratch "
                f"replaces only when asked: give another file name"
                + (", or pass --overwrite to replace it" if kind_is_model(example_name) else "")
            )


def kind_is_model(example_name: str) -> bool:
    """Whether ``example_name`` names a model file output (one --overwrite may replace)."""
    return example_name.lower().endswith(".npz")
