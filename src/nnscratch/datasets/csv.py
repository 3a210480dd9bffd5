"""Digit images as CSV: Kaggle "Digit Recognizer" files and plain label-first CSV.

One image per row: an optional label 0-9, then 784 pixels 0-255 (28x28, row by row). Values are
plain integers ("+5" and " 5 " are fine, "5.0" and "5e0" are not). Parsing is vectorised in
blocks of rows; a block that fails is re-read line by line to name the exact line and column.
"""

from __future__ import annotations

import codecs
import os
import re

import numpy as np

from nnscratch.budget import check_data
from nnscratch.errors import ConfigError, DataError
from nnscratch.fileio import atomic_write

_SIDE = 28
_PIXELS = _SIDE * _SIDE
_LABEL_MODES = ("auto", "first", "none")
_BLOCK = 4096  # rows per vectorised parse: big enough to be fast, small enough to re-read

_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_CLEAN_ROW = re.compile(r"[ \t]*[+-]?[0-9]+[ \t]*(?:,[ \t]*[+-]?[0-9]+[ \t]*)*")
# Bytes the vectorised parser may see. Anything else (form feeds, stray CR, non-ASCII digits)
# goes to the line-by-line pass, so both passes accept exactly the same text.
_CLEAN_BYTE = np.zeros(256, dtype=bool)
_CLEAN_BYTE[list(b"0123456789,+- \t\n")] = True
# Values of at most this many digits fit the fast parser's int16 on every NumPy: NumPy 2.2 and
# older wrap a wider value around without an error (99999 read as -31073, 65537 as 1). Longer
# ones (in range only with leading zeros) go to the careful pass.
_FAST_DIGITS = 4


def read_digits_csv(
    path: str | os.PathLike[str], *, labels: str = "auto"
) -> tuple[np.ndarray, np.ndarray | None]:
    """Read digit images from a CSV file.

    Returns ``(images, labels)``: images uint8 of shape (N, 28, 28); labels uint8 of shape (N,)
    with values 0-9, or None when the file has no label column. Accepted layouts: Kaggle train
    (header ``label,pixel0..pixel783``), Kaggle test (header ``pixel0..pixel783``), and plain
    label-first rows of 785 values with or without a header (a header is a first line with any
    field that is not a number). ``labels``: "auto" (785 columns -> the first is the label,
    784 -> no labels), "first" (require 785 columns) or "none" (require 784).
    CRLF line endings, a UTF-8 BOM, trailing blank lines and blanks around values are fine.
    Raises DataError naming the file, the 1-based line (the header is line 1) and column
    (with the header name) of the first problem.
    """
    if labels not in _LABEL_MODES:
        raise ConfigError(f"labels={labels!r} is not valid, expected 'auto', 'first' or 'none'")
    where = os.fspath(path)
    try:
        with open(where, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise DataError(f"no such file: {where} (expected a CSV file)") from None
    except IsADirectoryError:
        raise DataError(f"{where} is a folder, expected a CSV file") from None
    except OSError as e:
        raise DataError(f"cannot read {where}: {e.strerror or e}") from None
    return _parse_digits_csv(raw, where, labels)


def _parse_digits_csv(raw: bytes, where: str, labels: str) -> tuple[np.ndarray, np.ndarray | None]:
    """:func:`read_digits_csv` on file contents already in memory; errors name `where`."""
    lines = _split_lines(raw, where)
    header = _header_names(lines[0])
    first = 1 if header else 0  # index in `lines` of the first data row
    if first == len(lines):
        raise DataError(f"{where}: the file has a header but no data rows")
    ncols = len(header) if header else lines[0].count(",") + 1
    has_label = _has_label_column(ncols, labels, where)
    if header and not has_label and header[0].lower() == "label":
        # Kaggle's train header with a pixel column missing would otherwise pass as 784 pixels.
        raise DataError(
            f"{where}, line 1: has a label column and {ncols - 1} pixel columns, "
            f"expected {_PIXELS} pixel columns"
        )

    rows = lines[first:]
    # Each row must be one the file justifies before the table of all rows is allocated: 30 MB
    # of blank lines would otherwise ask for 44 GiB. A short row is found by the parsers below.
    blank = next((i for i, row in enumerate(rows) if not row.strip()), None)
    if blank is not None:
        raise DataError(f"{where}, line {first + blank + 1}: empty line, expected {ncols} columns")
    check_data(len(rows) * ncols * 2, where, f"{len(rows):,} rows of {ncols} values")
    values = np.empty((len(rows), ncols), dtype=np.int16)
    for start in range(0, len(rows), _BLOCK):
        block = rows[start : start + _BLOCK]
        line_no = first + start + 1  # 1-based file line of block[0]
        parsed = _parse_block_fast(block, ncols)
        if parsed is None:
            parsed = _parse_block_careful(block, line_no, ncols, header, has_label, where)
        else:
            _check_ranges(parsed, line_no, header, has_label, where)
        values[start : start + len(block)] = parsed

    offset = 1 if has_label else 0
    images = np.ascontiguousarray(values[:, offset:], dtype=np.uint8).reshape(-1, _SIDE, _SIDE)
    found_labels = values[:, 0].astype(np.uint8) if has_label else None
    return images, found_labels


def _split_lines(raw: bytes, where: str) -> list[str]:
    """Decode UTF-8 (BOM optional) and split into lines without their LF or CRLF endings.

    Only a line feed splits lines (str.splitlines would also split on form feeds etc. and shift
    the line numbers we report). Trailing blank lines are dropped.
    """
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise DataError(
            f"{where}, line {line}: byte 0x{raw[e.start]:02x} is not UTF-8 text, "
            "expected a CSV file of numbers"
        ) from None
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise DataError(
            f"{where}: the file is empty, expected rows of 785 values (label and 784 pixels) "
            "or 784 pixels"
        )
    return lines


def _header_names(line: str) -> list[str] | None:
    """The column names if `line` is a header (some field is not a number), else None."""
    fields = [field.strip() for field in line.split(",")]
    if all(_NUMBER.fullmatch(field) for field in fields):
        return None
    return [field.strip('"') for field in fields]


def _has_label_column(ncols: int, labels: str, where: str) -> bool:
    """Whether column 1 holds labels, given the column count of line 1 and the `labels` mode."""
    if labels == "auto" and ncols in (_PIXELS, _PIXELS + 1):
        return ncols == _PIXELS + 1
    if labels == "first" and ncols == _PIXELS + 1:
        return True
    if labels == "none" and ncols == _PIXELS:
        return False
    expected = {
        "auto": f"{_PIXELS + 1} (label and {_PIXELS} pixels) or {_PIXELS} (pixels only)",
        "first": f"{_PIXELS + 1} (label and {_PIXELS} pixels, as labels='first' requires)",
        "none": f"{_PIXELS} (pixels only, as labels='none' requires)",
    }[labels]
    raise DataError(f"{where}, line 1: has {ncols} columns, expected {expected}")


def _parse_block_fast(block: list[str], ncols: int) -> np.ndarray | None:
    """Parse rows in one vectorised call; None if anything is off (the careful pass finds it)."""
    codes = np.frombuffer("\n".join(block).encode("utf-8"), dtype=np.uint8)
    if not _CLEAN_BYTE[codes].all() or _longest_digit_run(codes) > _FAST_DIGITS:
        return None
    try:
        parsed = np.loadtxt(block, delimiter=",", dtype=np.int16, comments=None, ndmin=2)
    except (ValueError, OverflowError):
        return None
    # loadtxt skips empty lines silently; a shape mismatch means one was there
    return parsed if parsed.shape == (len(block), ncols) else None


def _longest_digit_run(codes: np.ndarray) -> int:
    """The most digits in a row among the bytes ``codes`` (uint8, shape (n,))."""
    digit = ((codes >= ord("0")) & (codes <= ord("9"))).view(np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], digit, [0]))))
    return int((edges[1::2] - edges[::2]).max(initial=0))


def _check_ranges(
    values: np.ndarray, line_no: int, header: list[str] | None, has_label: bool, where: str
) -> None:
    """Raise DataError at the first cell, in file order, outside 0-255 (labels: 0-9)."""
    bad = values.view(np.uint16) > 255  # negatives wrap to >= 32768: one comparison does both
    if has_label:
        bad[:, 0] = values[:, 0].view(np.uint16) > 9
    if bad.any():
        row, col = divmod(int(bad.argmax()), values.shape[1])  # argmax: first True, row-major
        problem = _range_problem(str(values[row, col]), has_label and col == 0)
        raise _cell_error(where, line_no + row, col, header, problem)


def _parse_block_careful(
    block: list[str],
    line_no: int,
    ncols: int,
    header: list[str] | None,
    has_label: bool,
    where: str,
) -> np.ndarray:
    """Parse rows one by one, raising DataError at the first bad line or cell."""
    parsed = np.empty((len(block), ncols), dtype=np.int16)
    for i, line in enumerate(block):
        fields = line.split(",")
        if not line.strip():
            raise DataError(f"{where}, line {line_no + i}: empty line, expected {ncols} columns")
        if len(fields) != ncols:
            raise DataError(
                f"{where}, line {line_no + i}: has {len(fields)} columns, expected {ncols}"
            )
        if not _CLEAN_ROW.fullmatch(line):
            for col, field in enumerate(fields):
                problem = _syntax_problem(field.strip(), has_label and col == 0)
                if problem:
                    raise _cell_error(where, line_no + i, col, header, problem)
        try:
            row = [int(field) for field in fields]
        except ValueError:  # int() refuses over 4300 digits; such values are out of range anyway
            row = [_clipped_int(field) for field in fields]
        for col, value in enumerate(row):
            if not 0 <= value <= (9 if has_label and col == 0 else 255):
                problem = _range_problem(fields[col].strip(), has_label and col == 0)
                raise _cell_error(where, line_no + i, col, header, problem)
        parsed[i] = row
    return parsed


def _syntax_problem(field: str, is_label: bool) -> str | None:
    """What is wrong with one stripped field, or None if it is a plain integer."""
    if _INTEGER.fullmatch(field):
        return None
    expected = "expected an integer 0-9" if is_label else "expected an integer 0-255"
    if not field:
        return f"empty value, {expected}"
    if _NUMBER.fullmatch(field):
        return f"value {field} is not an integer, {expected}"
    return f"{field!r} is not a number, {expected}"


def _clipped_int(field: str) -> int:
    """The integer in a field that passed the syntax check, clipped to +-10**18."""
    text = field.strip()
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-").lstrip("0") or "0"
    return sign * (10**18 if len(digits) > 18 else int(digits))


def _range_problem(text: str, is_label: bool) -> str:
    """The message for an out-of-range value, quoting it as written (shortened if huge)."""
    if len(text) > 24:
        text = f"{text[:20]}... ({len(text)} characters)"
    return f"label {text} is outside 0-9" if is_label else f"value {text} is outside 0-255"


def _cell_error(
    where: str, line_no: int, col: int, header: list[str] | None, problem: str
) -> DataError:
    name = f" ({header[col]})" if header else ""
    return DataError(f"{where}, line {line_no}, column {col + 1}{name}: {problem}")


def write_digits_csv(
    path: str | os.PathLike[str],
    images: np.ndarray,
    labels: np.ndarray | None = None,
    *,
    header: bool = True,
) -> None:
    """Write digit images as CSV, Kaggle style, atomically.

    ``images``: integers 0-255 of shape (N, 28, 28) or (N, 784), any integer dtype.
    ``labels``: integers 0-9 of shape (N,), or None for pixels only. With ``header`` the first
    line is ``label,pixel0,...,pixel783`` (or ``pixel0,...`` without labels), as Kaggle's files.
    Raises DataError for wrong shapes, non-integer dtypes or out-of-range values, or if the file
    cannot be written.
    """
    where = os.fspath(path)
    images = np.asarray(images)
    if images.ndim not in (2, 3) or images.shape[1:] not in ((_SIDE, _SIDE), (_PIXELS,)):
        raise DataError(
            f"cannot write {where}: images have shape {images.shape}, "
            f"expected (N, {_SIDE}, {_SIDE}) or (N, {_PIXELS})"
        )
    columns = [_checked_integers(images.reshape(len(images), _PIXELS), 255, "images", where)]
    names = [f"pixel{i}" for i in range(_PIXELS)]
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (len(images),):
            expected = f"({len(images)},)"
            raise DataError(
                f"cannot write {where}: labels have shape {labels.shape}, expected {expected}"
            )
        columns.insert(0, _checked_integers(labels.reshape(-1, 1), 9, "labels", where))
        names.insert(0, "label")
    table = np.hstack(columns)

    text_of = [str(value) for value in range(256)]  # table lookup: far faster than formatting
    with atomic_write(where, DataError) as f:
        if header:
            f.write((",".join(names) + "\n").encode("ascii"))
        for start in range(0, len(table), _BLOCK):
            rows = table[start : start + _BLOCK].tolist()
            text = "".join(",".join([text_of[v] for v in row]) + "\n" for row in rows)
            f.write(text.encode("ascii"))


def _checked_integers(values: np.ndarray, top: int, what: str, where: str) -> np.ndarray:
    """`values` as int16 after checking they are integers in 0..top (DataError otherwise)."""
    if not np.issubdtype(values.dtype, np.integer):
        raise DataError(
            f"cannot write {where}: {what} have dtype {values.dtype}, expected integers"
        )
    bad = (values < 0) | (values > top)
    if bad.any():
        index = int(bad.argmax())
        raise DataError(
            f"cannot write {where}: {what} value {values.flat[index]} at flat index {index} "
            f"is outside 0-{top}"
        )
    return values.astype(np.int16)
