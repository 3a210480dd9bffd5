"""Digit CSV reading and writing: formats, exact error locations, robustness."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nnscratch.datasets import csv as csv_module
from nnscratch.datasets.csv import read_digits_csv, write_digits_csv
from nnscratch.errors import ConfigError, DataError

FILE_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # files are overwritten
)
HEADER_785 = "label," + ",".join(f"pixel{i}" for i in range(784))
HEADER_784 = ",".join(f"pixel{i}" for i in range(784))

images_strategy = st.integers(1, 4).flatmap(
    lambda n: hnp.arrays(np.uint8, (n, 28, 28), elements=st.integers(0, 255))
)


def _row(label: int | None, pixels: list[int] | None = None) -> str:
    pixels = pixels if pixels is not None else [0] * 784
    return ",".join(str(v) for v in ([] if label is None else [label]) + pixels)


def _row_with(column: int, text: str) -> str:
    """A labelled all-zero row with the 1-based `column` replaced by `text`."""
    fields = _row(1).split(",")
    fields[column - 1] = text
    return ",".join(fields)


def _file(tmp_path, lines: list[str], name: str = "train.csv") -> str:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return str(path)


# --- round trips ------------------------------------------------------------------------------


@FILE_SETTINGS
@given(images=images_strategy, data=st.data())
@pytest.mark.parametrize(
    ("with_labels", "header"),
    [(True, True), (False, True), (True, False), (False, False)],
    ids=["kaggle-train", "kaggle-test", "plain-labelled", "plain-pixels"],
)
def test_round_trip(tmp_path, images, data, with_labels, header):
    labels = None
    if with_labels:
        labels = data.draw(hnp.arrays(np.uint8, len(images), elements=st.integers(0, 9)))
    path = tmp_path / "d.csv"
    write_digits_csv(path, images, labels, header=header)
    first_line = path.read_text().split("\n", 1)[0]
    if header:
        assert first_line == (HEADER_785 if with_labels else HEADER_784)
    got_images, got_labels = read_digits_csv(path)
    assert got_images.dtype == np.uint8 and got_images.shape == images.shape
    assert np.array_equal(got_images, images)
    if with_labels:
        assert got_labels.dtype == np.uint8 and np.array_equal(got_labels, labels)
    else:
        assert got_labels is None


def test_flat_images_and_other_integer_dtypes_are_written(tmp_path):
    images = np.arange(2 * 784, dtype=np.int64).reshape(2, 784) % 256
    write_digits_csv(tmp_path / "d.csv", images, np.array([3, 9], dtype=np.int32))
    got_images, got_labels = read_digits_csv(tmp_path / "d.csv")
    assert np.array_equal(got_images.reshape(2, 784), images)
    assert got_labels.tolist() == [3, 9]


def test_crlf_bom_blanks_and_trailing_empty_lines(tmp_path):
    pixels = list(range(256)) * 3 + [7] * 16
    text = HEADER_785 + "\r\n" + " 4 ," + ", ".join(map(str, pixels)) + " \r\n\r\n  \r\n"
    path = tmp_path / "crlf.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    images, labels = read_digits_csv(path)
    assert labels.tolist() == [4]
    assert images.reshape(-1).tolist() == pixels


def test_any_whitespace_around_a_value_is_a_blank(tmp_path):
    # the vectorised pass refuses these bytes; the careful pass must accept them all the same
    rows = [_row_with(3, "5\r"), _row_with(4, "\x0c6\xa0"), _row_with(1, "\t7")]
    path = _file(tmp_path, rows)
    images, labels = read_digits_csv(path)
    assert images.reshape(3, 784)[:, 1:4].tolist() == [[5, 0, 0], [0, 6, 0], [0, 0, 0]]
    assert labels.tolist() == [1, 1, 7]


def test_labels_modes(tmp_path):
    with_label = _file(tmp_path, [_row(5), _row(6)], "785.csv")
    pixels_only = _file(tmp_path, [_row(None), _row(None)], "784.csv")
    assert read_digits_csv(with_label, labels="first")[1].tolist() == [5, 6]
    assert read_digits_csv(pixels_only, labels="none")[1] is None
    message = _error(pixels_only, labels="first")
    assert re.search(r"line 1: has 784 columns, expected 785 .*'first'", message)
    message = _error(with_label, labels="none")
    assert re.search(r"line 1: has 785 columns, expected 784 .*'none'", message)
    with pytest.raises(ConfigError, match=r"labels='last' is not valid"):
        read_digits_csv(with_label, labels="last")


def test_plus_sign_and_leading_zeros_are_integers(tmp_path):
    path = _file(tmp_path, ["+3," + ",".join(["007"] * 784)])
    images, labels = read_digits_csv(path)
    assert labels.tolist() == [3] and (images == 7).all()
    # too long for int(); the form feed sends the block down the careful path too
    padded = [_row_with(3, "+" + "0" * 5000 + "7"), _row_with(3, "\x0c-" + "0" * 5000)]
    for name, rows in (("fast.csv", padded[:1]), ("careful.csv", padded)):
        images, _ = read_digits_csv(_file(tmp_path, rows, name))
        assert images.reshape(len(rows), -1)[:, 1].tolist() == [7, 0][: len(rows)]


# --- errors name the line and column ------------------------------------------------------------


def _error(path: str, **kwargs) -> str:
    with pytest.raises(DataError) as caught:
        read_digits_csv(path, **kwargs)
    message = str(caught.value)
    assert "\n" not in message and path in message
    return message


def test_out_of_range_pixel_message_is_exact(tmp_path):
    pixels = [0] * 784
    pixels[10] = 300  # column 12: label is column 1, pixel0 column 2
    path = _file(tmp_path, [HEADER_785] + [_row(1)] * 5 + [_row(2, pixels)])
    assert _error(path) == f"{path}, line 7, column 12 (pixel10): value 300 is outside 0-255"


@pytest.mark.parametrize(
    ("bad_line", "needle"),
    [
        (_row(1)[:-2], r"line 4: has 784 columns, expected 785"),
        (_row(1) + ",0", r"line 4: has 786 columns, expected 785"),
        ("", r"line 4: empty line, expected 785 columns"),
        (_row_with(1, "12"), r"line 4, column 1 \(label\): label 12 is outside 0-9"),
        (_row_with(1, "-1"), r"line 4, column 1 \(label\): label -1 is outside 0-9"),
        (_row_with(785, "3.5"), r"line 4, column 785 \(pixel783\): value 3.5 is not an integ"),
        (_row_with(785, "1e2"), r"line 4, column 785 \(pixel783\): value 1e2 is not an integ"),
        (_row_with(785, "abc"), r"line 4, column 785 \(pixel783\): 'abc' is not a number"),
        (_row_with(3, ""), r"line 4, column 3 \(pixel1\): empty value, expected an integer"),
        (_row_with(3, " "), r"line 4, column 3 \(pixel1\): empty value"),
        (_row_with(3, "-5"), r"line 4, column 3 \(pixel1\): value -5 is outside 0-255"),
        (_row_with(3, "9" * 20), r"line 4, column 3 \(pixel1\): value 9{20} is outside 0-255"),
        (_row_with(3, "-" + "9" * 5000), r"column 3 \(pixel1\): value -9{19}\.\.\. \(5001 char"),
        (_row_with(3, "\x0c5\x0bx"), r"line 4, column 3 \(pixel1\): '5\\x0bx' is not a num"),
        (_row_with(3, "\u0663"), r"line 4, column 3 \(pixel1\): '\u0663' is not a number"),
    ],
    ids=[
        "short",
        "long",
        "blank",
        "label-12",
        "label-neg",
        "float",
        "exp",
        "word",
        "empty",
        "space",
        "negative",
        "huge",
        "5000-digits",
        "junk",
        "arabic-digit",
    ],
)
def test_cell_and_row_errors(tmp_path, bad_line, needle):
    path = _file(tmp_path, [HEADER_785, _row(1), _row(2), bad_line, _row(3)])
    assert re.search(needle, _error(path))


def test_headerless_columns_have_no_name_and_lines_start_at_1(tmp_path):
    pixels = [0] * 784
    pixels[3] = 256
    path = _file(tmp_path, [_row(1), _row(1, pixels)])
    assert _error(path) == f"{path}, line 2, column 5: value 256 is outside 0-255"


def test_first_problem_in_file_order_wins(tmp_path):
    out_of_range = [0] * 784
    out_of_range[0] = 999
    range_then_syntax = [_row(1), _row(1, out_of_range), _row(1)[:-1] + "x"]
    assert "line 2, column 2: value 999" in _error(_file(tmp_path, range_then_syntax, "a.csv"))
    syntax_then_range = [_row(1), _row(1)[:-1] + "x", _row(1, out_of_range)]
    assert "line 2, column 785: 'x' is not a number" in _error(_file(tmp_path, syntax_then_range))


@pytest.mark.parametrize("kind", ["range", "syntax"])
def test_line_numbers_are_right_past_the_first_block(tmp_path, kind):
    n = csv_module._BLOCK + 500
    lines = [HEADER_785] + [_row(i % 10) for i in range(n)]
    bad_line = csv_module._BLOCK + 123  # 1-based line in the file, inside the second block
    bad_label = "10" if kind == "range" else "x"
    lines[bad_line - 1] = bad_label + lines[bad_line - 1][1:]
    message = _error(_file(tmp_path, lines))
    assert f"line {bad_line}, column 1 (label):" in message


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", r"the file is empty, expected rows of 785 values"),
        (b"\n \r\n\n", r"the file is empty"),
        ((HEADER_785 + "\n").encode(), r"has a header but no data rows"),
        (b"1,2,3\n", r"line 1: has 3 columns, expected 785 .* or 784"),
        (
            ("\n".join([_row(1), _row(1)[:-1] + "\xff"])).encode("latin-1"),
            r"line 2: byte 0xff is not UTF-8 text",
        ),
    ],
    ids=["empty", "blank", "header-only", "three-columns", "latin-1"],
)
def test_file_level_errors(tmp_path, content, needle):
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    assert re.search(needle, _error(str(path)))


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"no such file: .*nope\.csv \(expected a CSV file\)"):
        read_digits_csv(tmp_path / "nope.csv")


# --- robustness --------------------------------------------------------------------------------

VALID_TEXT = "\n".join([HEADER_785, _row(1, list(range(256)) * 3 + [0] * 16), _row(9)]) + "\n"


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_random_mutations_raise_only_data_error(data):
    text = VALID_TEXT
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        at = data.draw(st.integers(0, len(text)), label="at")
        kind = data.draw(st.sampled_from(["replace", "delete", "insert", "cut"]), label="kind")
        junk = data.draw(st.text(alphabet="0123456789,.-+e \t\r\nx\x0c\u0663\xff", max_size=4))
        if kind == "replace":
            text = text[:at] + junk + text[at + len(junk) :]
        elif kind == "delete":
            text = text[:at] + text[at + data.draw(st.integers(1, 50)) :]
        elif kind == "insert":
            text = text[:at] + junk + text[at:]
        else:
            text = text[:at]
    try:
        images, labels = csv_module._parse_digits_csv(text.encode("utf-8"), "m.csv", "auto")
    except DataError as e:
        assert str(e).startswith("m.csv")
    else:
        assert images.dtype == np.uint8 and images.shape[1:] == (28, 28)
        assert labels is None or (labels.shape == (len(images),) and labels.max() <= 9)


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(
        st.lists(
            st.sampled_from(
                [
                    "0",
                    "9",
                    "255",
                    "256",
                    "-1",
                    " 7 ",
                    "+3",
                    "",
                    "1.5",
                    "x",
                    "\x0c4",
                    "\u0663",
                    "99999",
                    "007",
                ]
            ),
            min_size=3,
            max_size=3,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_fast_and_careful_paths_agree(rows):
    """Whatever the vectorised parser accepts, the line-by-line parser accepts identically."""
    block = [",".join(row) for row in rows]
    fast = csv_module._parse_block_fast(block, 3)
    try:
        careful = csv_module._parse_block_careful(block, 1, 3, None, False, "b.csv")
    except DataError as e:
        careful = e
    if fast is None:
        return  # the careful pass decides alone
    try:
        csv_module._check_ranges(fast, 1, None, False, "b.csv")
    except DataError as e:
        assert isinstance(careful, DataError) and str(careful) == str(e)
    else:
        assert not isinstance(careful, DataError)
        assert np.array_equal(fast, careful)


# --- writing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("images", "labels", "needle"),
    [
        (np.zeros((2, 27, 28), np.uint8), None, r"images have shape \(2, 27, 28\), expected"),
        (np.zeros((2, 28, 28), np.float32), None, r"images have dtype float32, expected integers"),
        (np.full((2, 784), 256), None, r"images value 256 at flat index 0 is outside 0-255"),
        (np.zeros((2, 784), np.uint8), np.array([1, 10]), r"labels value 10 at flat index 1"),
        (np.zeros((2, 784), np.uint8), np.array([1]), r"labels have shape \(1,\), expected \(2,\)"),
    ],
    ids=["shape", "float", "pixel", "label", "label-shape"],
)
def test_write_errors(tmp_path, images, labels, needle):
    with pytest.raises(DataError, match=needle):
        write_digits_csv(tmp_path / "w.csv", images, labels)
    assert list(tmp_path.iterdir()) == []
