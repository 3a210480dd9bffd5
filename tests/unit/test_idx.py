"""IDX reading and writing: round trips, exact bytes, malformed files, memory safety, atomicity."""

from __future__ import annotations

import errno
import gzip
import os
import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nnscratch.datasets import idx as idx_module
from nnscratch.datasets.idx import IDX_DTYPES, read_idx, write_idx
from nnscratch.errors import DataError

FILE_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # files are overwritten
)


@st.composite
def idx_arrays(draw: st.DrawFn) -> np.ndarray:
    """Arrays of every IDX dtype, 1-4 dimensions, first dimension possibly 0, any values."""
    dtype = draw(st.sampled_from(list(IDX_DTYPES.values())))
    ndim = draw(st.integers(1, 4))
    shape = (draw(st.integers(0, 4)), *(draw(st.integers(1, 4)) for _ in range(ndim - 1)))
    return draw(hnp.arrays(dtype, shape))


def _header(code: int, shape: tuple[int, ...]) -> bytes:
    return bytes([0, 0, code, len(shape)]) + b"".join(d.to_bytes(4, "big") for d in shape)


def _assert_same(got: np.ndarray, expected: np.ndarray) -> None:
    assert got.dtype == expected.dtype.newbyteorder("=")
    assert got.dtype.isnative
    assert got.shape == expected.shape
    assert got.flags.c_contiguous and got.flags.writeable
    # compare bits, so NaN payloads and -0.0 count too
    assert got.tobytes() == np.ascontiguousarray(expected, dtype=got.dtype).tobytes()


@FILE_SETTINGS
@given(array=idx_arrays(), compress=st.booleans())
def test_round_trip_every_dtype(tmp_path, array, compress):
    path = tmp_path / ("a.idx.gz" if compress else "a.idx")
    write_idx(path, array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == compress
    _assert_same(read_idx(path), array)


@pytest.mark.parametrize("dtype", list(IDX_DTYPES.values()), ids=str)
def test_round_trip_extremes(tmp_path, dtype):
    if dtype.kind == "f":
        info = np.finfo(dtype)
        values = [info.min, info.max, info.tiny, -0.0, np.inf, -np.inf, np.nan]
    else:
        info = np.iinfo(dtype)
        values = [info.min, info.max, 0, -1 if info.min < 0 else 1]
    array = np.array(values, dtype=dtype)
    write_idx(tmp_path / "x.idx", array)
    _assert_same(read_idx(tmp_path / "x.idx"), array)


def test_big_endian_input_is_accepted(tmp_path):
    array = np.arange(-3, 3, dtype=">i4").reshape(2, 3)
    write_idx(tmp_path / "x.idx", array)
    got = read_idx(tmp_path / "x.idx")
    assert got.dtype == np.dtype("int32") and got.dtype.isnative
    assert got.tolist() == array.tolist()


def test_file_bytes_are_the_big_endian_layout(tmp_path):
    array = np.array([[1, -2, 258], [3, 4, -32768]], dtype=np.int16)
    write_idx(tmp_path / "x.idx", array)
    expected = (
        b"\x00\x00\x0b\x02"  # magic: two zeros, int16, two dimensions
        + b"\x00\x00\x00\x02\x00\x00\x00\x03"  # shape (2, 3)
        + b"\x00\x01\xff\xfe\x01\x02\x00\x03\x00\x04\x80\x00"  # values, big-endian
    )
    assert (tmp_path / "x.idx").read_bytes() == expected

    write_idx(tmp_path / "f.idx", np.array([1.0, -2.0], dtype=np.float32))
    assert (tmp_path / "f.idx").read_bytes() == (
        b"\x00\x00\x0d\x01\x00\x00\x00\x02" + b"\x3f\x80\x00\x00\xc0\x00\x00\x00"
    )


def test_gzip_output_is_reproducible_and_nameless(tmp_path):
    array = np.arange(100, dtype=np.uint8).reshape(10, 10)
    write_idx(tmp_path / "a.gz", array)
    os.utime(tmp_path / "a.gz", (0, 0))
    time.sleep(0.01)
    write_idx(tmp_path / "b.gz", array)
    a, b = (tmp_path / "a.gz").read_bytes(), (tmp_path / "b.gz").read_bytes()
    assert a == b
    assert a[3] == 0  # FLG: no file name stored (it would be the temp file's)
    assert a[4:8] == b"\0\0\0\0"  # mtime 0
    assert gzip.decompress(a) == _header(0x08, (10, 10)) + array.tobytes()


def test_compress_flag_and_suffix(tmp_path):
    array = np.zeros(3, dtype=np.uint8)
    write_idx(tmp_path / "plain.gz", array, compress=False)
    write_idx(tmp_path / "packed.idx", array, compress=True)
    assert (tmp_path / "plain.gz").read_bytes()[:2] == b"\0\0"
    assert (tmp_path / "packed.idx").read_bytes()[:2] == b"\x1f\x8b"
    # detection is by content, not by name
    assert read_idx(tmp_path / "plain.gz").tolist() == [0, 0, 0]
    assert read_idx(tmp_path / "packed.idx").tolist() == [0, 0, 0]


@pytest.mark.parametrize(
    "array",
    [
        np.zeros(3, np.int64),
        np.zeros(3, bool),
        np.array([None, 1], dtype=object),
        np.zeros(3, np.uint16),
        np.zeros(3, np.complex64),
    ],
    ids=lambda a: str(a.dtype),
)
def test_write_rejects_unsupported_dtypes(tmp_path, array):
    with pytest.raises(DataError, match=rf"dtype {array.dtype}.*expected one of uint8"):
        write_idx(tmp_path / "x.idx", array)
    assert list(tmp_path.iterdir()) == []


def test_write_rejects_scalars(tmp_path):
    with pytest.raises(DataError, match="0-dimensional"):
        write_idx(tmp_path / "x.idx", np.uint8(3))


def test_write_into_missing_folder(tmp_path):
    with pytest.raises(DataError, match=r"cannot write .*nowhere"):
        write_idx(tmp_path / "nowhere" / "x.idx", np.zeros(2, np.uint8))


@pytest.mark.parametrize("compress", [False, True])
def test_write_is_atomic(tmp_path, monkeypatch, compress):
    path = tmp_path / "x.idx"
    write_idx(path, np.arange(5, dtype=np.uint8))
    before = path.read_bytes()

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(idx_module.os, "fsync", disk_full)
    with pytest.raises(DataError, match=r"cannot write .*x\.idx: No space left on device"):
        write_idx(path, np.arange(1000, dtype=np.float64), compress=compress)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["x.idx"]  # no temp file left behind


def test_interrupted_write_leaves_old_file(tmp_path, monkeypatch):
    path = tmp_path / "x.idx"
    write_idx(path, np.arange(5, dtype=np.uint8))
    before = path.read_bytes()

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(idx_module.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_idx(path, np.arange(7, dtype=np.uint8))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["x.idx"]


# --- malformed files -------------------------------------------------------------------------

VALID = _header(0x08, (2, 3)) + bytes(range(6))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"truncated IDX header: 0 bytes, expected at least 4"),
        (b"\x00\x00\x08", r"truncated IDX header: 3 bytes"),
        (b"\x00\x00\x08\x03" + b"\0\0\0\2" * 2, r"3 dimensions need 16 header bytes, .* after 12"),
        (b"\x00\x01\x08\x01\0\0\0\1\7", r"not an IDX file: starts with bytes 0001, expected"),
        (b"\x00\x00\x0a\x01\0\0\0\1\7", r"unknown IDX type code 0x0A, expected one of 0x08"),
        (b"\x00\x00\x08\x00", r"declares 0 dimensions, expected 1 to 255"),
        (VALID[:-1], r"truncated IDX data: .*shape \(2, 3\).*6 data bytes, but (only )?5 follow"),
        (VALID + b"\0", r"trailing bytes after the IDX data: .*6 data bytes, but (7|more) follow"),
        (_header(0x08, (1,) * 70) + b"\1", r"numpy cannot hold an array of shape"),
        (_header(0x08, (0, 2**32 - 1, 2**32 - 1, 2**32 - 1)), r"numpy cannot hold"),
    ],
    ids=[
        "empty",
        "short-magic",
        "short-sizes",
        "magic",
        "type-code",
        "ndim-0",
        "short-data",
        "trailing",
        "ndim-70",
        "zero-size-overflow",
    ],
)
@pytest.mark.parametrize("compress", [False, True])
def test_malformed_files(tmp_path, content, message, compress):
    path = tmp_path / "bad.idx"
    path.write_bytes(gzip.compress(content) if compress else content)
    with pytest.raises(DataError, match=message) as caught:
        read_idx(path)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_ndim_255_is_parsed_then_refused_by_numpy_only(tmp_path):
    path = tmp_path / "deep.idx"
    path.write_bytes(_header(0x08, (1,) * 255) + b"\7")
    with pytest.raises(DataError, match=r"numpy cannot hold an array of shape \(1, 1,"):
        read_idx(path)


def test_zero_length_first_dimension(tmp_path):
    path = tmp_path / "empty.idx"
    path.write_bytes(_header(0x0C, (0, 28, 28)))
    got = read_idx(path)
    assert got.shape == (0, 28, 28) and got.dtype == np.int32


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DataError, match=r"no such file: .*absent\.idx"):
        read_idx(tmp_path / "absent.idx")
    with pytest.raises(DataError, match=r"is a folder, expected an IDX file"):
        read_idx(tmp_path)


@pytest.mark.parametrize(
    "damage",
    [
        lambda gz: gz[:-4],  # trailer cut: length missing
        lambda gz: gz[:20],  # deflate stream cut short
        lambda gz: gz[:-8] + b"\0\0\0\0" + gz[-4:],  # CRC wrong
        lambda gz: gz[:12] + bytes([gz[12] ^ 0xFF]) + gz[13:],  # deflate data garbled
        lambda gz: gz + b"garbage!",  # a second "member" that is not gzip
    ],
    ids=["no-length", "cut", "crc", "garbled", "garbage-after"],
)
def test_corrupt_gzip(tmp_path, damage):
    array = np.arange(400, dtype=np.int16)
    path = tmp_path / "x.idx.gz"
    write_idx(path, array)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(DataError, match=r"x\.idx\.gz: (corrupt or truncated gzip|truncated IDX)"):
        read_idx(path)


@pytest.mark.parametrize("compress", [False, True])
def test_huge_header_fails_fast_without_allocating(tmp_path, compress):
    # 2**31 images of 28x28 would be 1.7 TB; the file is a few hundred bytes.
    content = _header(0x08, (2**31, 28, 28)) + bytes(1000)
    path = tmp_path / "liar.idx"
    path.write_bytes(gzip.compress(content) if compress else content)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        # Plain, the file's length refutes the header; gzip, the budget refuses it.
        refused = (
            r"declares 1,605,632.0 MB of data"
            if compress
            else r"truncated IDX data: .*1683627180032 data bytes"
        )
        with pytest.raises(DataError, match=refused):
            read_idx(path)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20, f"peak allocation {peak} bytes"
    assert elapsed < 1.0


def test_memory_follows_real_bytes_in_gzip(tmp_path):
    # A gzip bomb-ish file: 8 MB of zeros claimed as 4 GB. We may hold the 8 MB, never more.
    content = _header(0x08, (2**32 - 1,)) + bytes(8 * 2**20)
    path = tmp_path / "zeros.idx.gz"
    path.write_bytes(gzip.compress(content, compresslevel=1))
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match="declares 4,096.0 MB of data"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20, f"peak allocation {peak} bytes"


# --- fuzzing: anything either loads or raises DataError ----------------------------------------


def _load_or_data_error(path) -> np.ndarray | None:
    try:
        return read_idx(path)
    except DataError:
        return None


@FILE_SETTINGS
@given(content=st.binary(max_size=200))
def test_random_bytes(tmp_path, content):
    path = tmp_path / "random.idx"
    path.write_bytes(content)
    _load_or_data_error(path)


@FILE_SETTINGS
@given(content=st.binary(min_size=4, max_size=40).map(lambda b: b"\0\0" + b))
def test_random_bytes_after_a_valid_magic(tmp_path, content):
    path = tmp_path / "random.idx"
    path.write_bytes(content)
    result = _load_or_data_error(path)
    if result is not None:  # then the header must describe exactly the bytes that follow
        assert 4 + 4 * result.ndim + result.nbytes == len(content)


@FILE_SETTINGS
@given(array=idx_arrays(), compress=st.booleans(), data=st.data())
def test_every_truncation_is_an_error(tmp_path, array, compress, data):
    path = tmp_path / "t.idx"
    write_idx(path, array, compress=compress)
    full = path.read_bytes()
    path.write_bytes(full[: data.draw(st.integers(0, len(full) - 1), label="cut")])
    with pytest.raises(DataError):
        read_idx(path)


@FILE_SETTINGS
@given(array=idx_arrays(), compress=st.booleans(), data=st.data())
def test_single_bit_flips(tmp_path, array, compress, data):
    path = tmp_path / "f.idx"
    write_idx(path, array, compress=compress)
    content = bytearray(path.read_bytes())
    bit = data.draw(st.integers(0, 8 * len(content) - 1), label="bit")
    content[bit // 8] ^= 1 << (bit % 8)
    path.write_bytes(bytes(content))
    _load_or_data_error(path)


def test_idx_dtypes_mapping():
    assert {code: str(dtype) for code, dtype in IDX_DTYPES.items()} == {
        0x08: "uint8",
        0x09: "int8",
        0x0B: "int16",
        0x0C: "int32",
        0x0D: "float32",
        0x0E: "float64",
    }
    with pytest.raises(TypeError):
        IDX_DTYPES[0x0F] = np.dtype(np.int64)  # read-only: callers cannot break the reader
