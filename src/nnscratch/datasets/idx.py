"""Read and write IDX files, the binary format MNIST and its look-alikes are distributed in.

Layout, all big-endian: two zero bytes, a type-code byte, a byte n giving the number of
dimensions, n unsigned 32-bit sizes, then the values in C order. Files may be gzip-compressed.

Headers are untrusted: nothing is allocated for data until the bytes are known to exist, and
what a header declares must fit the budget (:mod:`nnscratch.budget`) first: a gzip file may
inflate to no more than its ratio allows, and is decompressed a piece at a time, never past
what its header declared.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import math
import os
import stat
import struct
import zlib
from types import MappingProxyType
from typing import Any

import numpy as np

from nnscratch.budget import check_data, check_inflation
from nnscratch.errors import DataError
from nnscratch.fileio import atomic_write

IDX_DTYPES: MappingProxyType[int, np.dtype[Any]] = MappingProxyType(
    {
        0x08: np.dtype(np.uint8),
        0x09: np.dtype(np.int8),
        0x0B: np.dtype(np.int16),
        0x0C: np.dtype(np.int32),
        0x0D: np.dtype(np.float32),
        0x0E: np.dtype(np.float64),
    }
)
"""IDX type code -> the native-endian numpy dtype :func:`read_idx` returns for it."""

_CODE_OF_DTYPE = {dtype: code for code, dtype in IDX_DTYPES.items()}
_CODES_TEXT = ", ".join(f"0x{code:02X} ({dtype})" for code, dtype in IDX_DTYPES.items())
_GZIP_MAGIC = b"\x1f\x8b"
_MAX_DIM = 0xFFFFFFFF  # sizes are unsigned 32-bit
_CHUNK = 1 << 20  # gzip is decompressed in pieces this big, so memory follows real bytes


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file, plain or gzip-compressed (recognised by its magic bytes, not its name).

    Returns a C-contiguous, writable, native-endian array with the header's shape (1 to 64
    dimensions, numpy's limit) and the dtype of its type code (see ``IDX_DTYPES``: uint8, int8,
    int16, int32, float32 or float64). Raises DataError naming the file if it is missing,
    unreadable, not IDX, truncated, longer than its header says, or a corrupt gzip stream.
    """
    where = os.fspath(path)
    try:
        raw = open(where, "rb")  # noqa: SIM115 - closed by the with below
    except FileNotFoundError:
        raise DataError(f"no such file: {where} (expected an IDX file)") from None
    except IsADirectoryError:
        raise DataError(f"{where} is a folder, expected an IDX file") from None
    except OSError as e:
        raise DataError(f"cannot read {where}: {e.strerror or e}") from None
    with raw:
        info = os.fstat(raw.fileno())
        size = info.st_size if stat.S_ISREG(info.st_mode) else None
        return _read_idx_stream(raw, where, size)


def _read_idx_bytes(data: bytes, where: str) -> np.ndarray:
    """Decode IDX file contents already in memory (the caller hashed them); errors name `where`."""
    return _read_idx_stream(io.BytesIO(data), where, len(data))


def _read_idx_stream(raw: io.BufferedIOBase, where: str, size: int | None) -> np.ndarray:
    """Decode the seekable stream `raw` of `size` bytes (None if unknown), plain or gzip."""
    is_gzip = raw.read(2) == _GZIP_MAGIC
    raw.seek(0)
    if not is_gzip:
        return _decode(raw, where, size)
    try:
        with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
            # The decompressed size is unknown up front: the header's, checked, bounds it.
            return _decode(stream, where, None, compressed=size)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{where}: corrupt or truncated gzip stream ({e})") from None


def _decode(
    stream: io.BufferedIOBase, where: str, size: int | None, compressed: int | None = None
) -> np.ndarray:
    """Parse header and data from `stream`; `size` (if known) is the stream's total length,
    `compressed` that of the gzip file it is inflated from."""
    head = _read_up_to(stream, 4)
    if len(head) < 4:
        raise DataError(f"{where}: truncated IDX header: {len(head)} bytes, expected at least 4")
    if head[:2] != b"\0\0":
        raise DataError(
            f"{where}: not an IDX file: starts with bytes {head[:2].hex()}, expected 0000"
        )
    code, ndim = head[2], head[3]
    if code not in IDX_DTYPES:
        raise DataError(
            f"{where}: unknown IDX type code 0x{code:02X}, expected one of {_CODES_TEXT}"
        )
    if ndim == 0:
        raise DataError(f"{where}: IDX header declares 0 dimensions, expected 1 to 255")
    sizes = _read_up_to(stream, 4 * ndim)
    header_len = 4 + 4 * ndim
    if len(sizes) < 4 * ndim:
        raise DataError(
            f"{where}: truncated IDX header: {ndim} dimensions need {header_len} header bytes, "
            f"the file ends after {4 + len(sizes)}"
        )
    shape = struct.unpack(f">{ndim}I", sizes)
    dtype = IDX_DTYPES[code]
    nbytes = math.prod(shape) * dtype.itemsize  # Python ints: no overflow, however absurd
    promised = f"the header declares shape {shape} of {dtype}, i.e. {nbytes} data bytes"
    declaring = f"an IDX header of shape {shape} ({dtype})"
    if size is None and compressed is not None:
        check_inflation(nbytes, compressed, where, declaring)

    if size is not None:
        # Plain file: its length settles the question before a single byte is allocated.
        held = size - header_len
        if held != nbytes:
            what = "truncated IDX data" if held < nbytes else "trailing bytes after the IDX data"
            raise DataError(f"{where}: {what}: {promised}, but {held} follow the header")
        check_data(nbytes, where, declaring)
        data = _read_exactly(stream, nbytes)
    else:
        check_data(nbytes, where, declaring)
        data = _read_bounded(stream, nbytes + 1)  # one byte more reveals trailing data
    if data.size < nbytes:
        raise DataError(f"{where}: truncated IDX data: {promised}, but only {data.size} follow")
    if data.size > nbytes:
        raise DataError(f"{where}: trailing bytes after the IDX data: {promised}, but more follow")

    try:
        array = data.view(dtype.newbyteorder(">")).reshape(shape)
    except ValueError as e:  # more than 64 dimensions, or a zero-size shape numpy cannot index
        raise DataError(f"{where}: numpy cannot hold an array of shape {shape}: {e}") from None
    if array.dtype != dtype:  # multi-byte values on a little-endian machine: swap in place
        array = array.byteswap(inplace=True).view(dtype)
    return array


def _read_up_to(stream: io.BufferedIOBase, n: int) -> bytes:
    """Read n bytes, fewer only at end of stream (one read() may return short)."""
    parts = []
    while n > 0:
        part = stream.read(n)
        if not part:
            break
        parts.append(part)
        n -= len(part)
    return b"".join(parts)


def _read_exactly(stream: io.BufferedIOBase, n: int) -> np.ndarray:
    """Read up to n bytes into a fresh uint8 array (called only once n is known to exist)."""
    out = np.empty(n, dtype=np.uint8)
    view = out.data  # a memoryview of out: readinto fills the array itself
    filled = 0
    while filled < n:
        got = stream.readinto(view[filled:])
        if not got:
            return out[:filled]  # the file shrank under us; the caller reports truncation
        filled += got
    return out


def _read_bounded(stream: io.BufferedIOBase, limit: int) -> np.ndarray:
    """Read at most `limit` bytes in bounded chunks, so memory grows only with bytes that exist."""
    chunks: list[bytes] = []
    total = 0
    while total < limit:
        chunk = stream.read(min(_CHUNK, limit - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    out = np.empty(total, dtype=np.uint8)
    pos = 0
    chunks.reverse()
    while chunks:  # pop as we copy so each chunk is freed once copied
        chunk = chunks.pop()
        out[pos : pos + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
        pos += len(chunk)
    return out


def write_idx(
    path: str | os.PathLike[str], array: np.ndarray, *, compress: bool | None = None
) -> None:
    """Write `array` (1 to 255 dimensions, each at most 2**32 - 1) as an IDX file, atomically.

    The dtype must be one of ``IDX_DTYPES`` (uint8, int8, int16, int32, float32, float64; any
    byte order); anything else (int64, bool, object, ...) raises DataError. ``compress=None``
    gzips iff the path ends with ".gz". Gzip output has no name and mtime 0, so equal arrays give
    equal bytes. Raises DataError if the file cannot be written; an existing file is then intact.
    """
    where = os.fspath(path)
    array = np.asarray(array)
    code = _CODE_OF_DTYPE.get(array.dtype.newbyteorder("="))
    if code is None:
        names = ", ".join(str(dtype) for dtype in IDX_DTYPES.values())
        raise DataError(
            f"cannot write dtype {array.dtype} to IDX file {where}: expected one of {names}"
        )
    if array.ndim == 0:
        raise DataError(
            f"cannot write a 0-dimensional array to IDX file {where}: expected 1 to 255 dimensions"
        )
    if max(array.shape) > _MAX_DIM:
        raise DataError(
            f"cannot write shape {array.shape} to IDX file {where}: each size must be below 2**32"
        )
    if compress is None:
        compress = where.endswith(".gz")

    header = struct.pack(f">2xBB{array.ndim}I", code, array.ndim, *array.shape)
    big_endian = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder(">"))
    payload = big_endian.reshape(-1).view(np.uint8)
    with atomic_write(where, DataError) as f:
        # filename="" keeps the temp file's name out of the gzip header (reproducible bytes)
        sink = (
            gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0)
            if compress
            else contextlib.nullcontext(f)
        )
        with sink as out:
            out.write(header)
            out.write(payload.data)  # the array's bytes, uncopied
