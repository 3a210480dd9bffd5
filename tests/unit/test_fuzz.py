"""Fuzzing every parser of files that may come from strangers: IDX, CSV, model files and
checkpoints (pictures are another issue's).

Each property takes a valid file, damages it (bit flips, truncations, overwrites with random
or extreme bytes, insertions, deletions; for zip files also inside a member with the zip
rebuilt around it, and in the JSON document with the SHA-256 made to match), and parses it:

* only our errors escape (``NNScratchError``; anything else fails the test),
* nothing is allocated beyond what the file justifies (``tracemalloc`` peak, which counts
  NumPy's buffers, against a bound proportional to the file's size),
* nothing hangs (the test's pytest-timeout).

The quick run tries ``NNSCRATCH_FUZZ_EXAMPLES`` inputs per property (default 100). The long
run documented in the README sets it to 20000:

    NNSCRATCH_FUZZ_EXAMPLES=20000 python -m pytest tests/unit/test_fuzz.py --timeout=0 \
        -p no:cacheprovider --hypothesis-show-statistics
"""

from __future__ import annotations

import copy
import gzip
import io
import os
import struct
import threading
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnscratch import Dense, Dropout, Flatten, ReLU, Sequential
from nnscratch.datasets import read_digits_csv, read_idx, write_digits_csv
from nnscratch.errors import NNScratchError
from nnscratch.model import Recipe, build_model, build_optimizer
from nnscratch.modelfile import read_model_file, write_model_file
from nnscratch.training import Trainer
from nnscratch.training.checkpoint import Checkpointer, list_checkpoints, read_checkpoint
from nnscratch.usecases.resume import run_config, saved_recipe
from nnscratch.usecases.train import train_recipe

EXAMPLES = int(os.environ.get("NNSCRATCH_FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
EXTREMES = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]


# --- damage -----------------------------------------------------------------------------------


@st.composite
def damaged(draw, original: bytes) -> bytes:
    """``original`` after 1 to 6 random mutations."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            data += draw(st.binary(min_size=1, max_size=32))
            continue
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(
            st.sampled_from(["flip", "truncate", "overwrite", "insert", "delete", "extreme"])
        )
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del data[at:]
        elif kind == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=16))
            data[at : at + len(chunk)] = chunk
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        else:  # a huge or edge-case number where a size or a count may be
            value = draw(st.sampled_from(EXTREMES))
            order = draw(st.sampled_from(["big", "little"]))
            data[at : at + 4] = value.to_bytes(4, order)
    return bytes(data)


def parse_within(parse, path, bound: int) -> None:
    """Run ``parse(path)``: our error or success only, and a traced peak below ``bound``."""
    tracemalloc.start()
    try:
        try:
            parse(path)
        except NNScratchError:
            pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # tracemalloc counts every thread of this process: name the others if the bound is passed.
    others = [
        thread.name for thread in threading.enumerate() if thread is not threading.current_thread()
    ]
    assert peak <= bound, (
        f"allocated {peak} bytes for a file of {os.path.getsize(path)} (other threads: {others})"
    )


# --- IDX --------------------------------------------------------------------------------------


def idx_bytes(array: np.ndarray, compress: bool) -> bytes:
    buffer = io.BytesIO()
    header = struct.pack(
        f">2xBB{array.ndim}I",
        {np.uint8: 8, np.int16: 0x0B, np.float64: 0x0E}[array.dtype.type],
        array.ndim,
        *array.shape,
    )
    raw = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    if not compress:
        return raw
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as stream:
        stream.write(raw)
    return buffer.getvalue()


IDX_SEEDS = [
    idx_bytes(np.arange(60, dtype=np.uint8).reshape(5, 4, 3), False),
    idx_bytes(np.arange(12, dtype=np.int16).reshape(3, 4), False),
    idx_bytes(np.linspace(0, 1, 7), False),
    idx_bytes(np.arange(60, dtype=np.uint8).reshape(5, 4, 3), True),
]


@FUZZ
@given(data=st.data(), seed=st.sampled_from(IDX_SEEDS))
def test_idx_reader_survives_damaged_files(tmp_path, data, seed):
    path = tmp_path / "x-idx3-ubyte"
    content = data.draw(damaged(seed))
    path.write_bytes(content)
    gz = content[:2] == b"\x1f\x8b"
    # Plain: the header is checked against the file's size before allocating; gzip: data is
    # decompressed in 1 MiB pieces, and never more than deflate's 1032:1 expansion can give.
    bound = (1032 * len(content) + 3 * 2**20) if gz else (4 * len(content) + 2**18)
    parse_within(read_idx, path, bound)


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_an_idx_header_claiming_2_to_the_31_images_in_1_kb_allocates_nothing(tmp_path, compress):
    header = struct.pack(">2xBBIII", 0x08, 3, 2**31, 28, 28)
    content = header + bytes(1024 - len(header))
    if compress:
        content = gzip.compress(content)
    path = tmp_path / "huge-idx3-ubyte"
    path.write_bytes(content)
    tracemalloc.start()
    try:
        # Plain, the file's length refutes the header; gzip, the budget (nnscratch.budget).
        refused = "declares 1,605,632.0 MB of data" if compress else "truncated IDX data"
        with pytest.raises(NNScratchError, match=refused):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**21  # the claim is 1.7 GB


# --- CSV --------------------------------------------------------------------------------------


def csv_bytes(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("csv")
    images = np.random.default_rng(0).integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    write_digits_csv(folder / "seed.csv", images, np.array([3, 1, 4], dtype=np.uint8))
    return (folder / "seed.csv").read_bytes()


@pytest.fixture(scope="module")
def csv_seed(tmp_path_factory):
    return csv_bytes(tmp_path_factory)


@FUZZ
@given(data=st.data())
def test_csv_reader_survives_damaged_files(tmp_path, csv_seed, data):
    content = data.draw(damaged(csv_seed))
    path = tmp_path / "digits.csv"
    path.write_bytes(content)
    # Lines and fields become Python strings before NumPy sees them: a few dozen times the
    # file, whatever it claims (CSV has no header that could claim anything).
    parse_within(read_digits_csv, path, 64 * len(content) + 2**20)


# --- model files ------------------------------------------------------------------------------


def tiny_model() -> Sequential:
    return Sequential(
        [Flatten(), Dense(6, 4), ReLU(), Dropout(0.5), Dense(4, 3)], input_scale=1 / 255, seed=0
    )


@pytest.fixture(scope="module")
def model_seed(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("model") / "m.npz"
    tiny_model().save(path, preset="tiny", metrics={"dev_accuracy": 0.5})
    return path.read_bytes()


def zip_members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(members: dict[str, bytes]) -> bytes:
    """A fresh, self-consistent zip (right CRCs): damage then reaches the .npy and JSON parsers."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@st.composite
def damaged_zip(draw, original: bytes) -> bytes:
    """Damage to the bytes of the file, or to one member's bytes inside a rebuilt zip."""
    if draw(st.booleans()):
        return draw(damaged(original))
    members = zip_members(original)
    name = draw(st.sampled_from(sorted(members)))
    members[name] = draw(damaged(members[name]))
    return rezip(members)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def wrong_types(draw, document: dict) -> dict:
    """``document`` with 1 to 4 values (anywhere in it) replaced by random JSON, or removed."""
    document = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 4))):
        parent, key = None, None
        node = document
        while isinstance(node, (dict, list)) and node and (parent is None or draw(st.booleans())):
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            parent, key = node, draw(st.sampled_from(keys))
            node = node[key]
        if parent is None:
            continue
        if isinstance(parent, dict) and draw(st.integers(0, 4)) == 0:
            del parent[key]
        else:
            parent[key] = draw(JSON)
    return document


def with_document(content: bytes, document: dict, tmp_path) -> bytes:
    """The file ``content`` rewritten with ``document``, the arrays' SHA-256 made to match."""
    source = tmp_path / "source.npz"
    source.write_bytes(content)
    _, arrays = read_model_file(source)
    target = tmp_path / "rewritten.npz"
    write_model_file(target, document, arrays)
    return target.read_bytes()


def document_of(content: bytes, tmp_path) -> dict:
    path = tmp_path / "seed.npz"
    path.write_bytes(content)
    return read_model_file(path)[0]


MODEL_BOUND = 16  # times the file's size, plus 1 MiB: zip bookkeeping, JSON, a tiny network


@FUZZ
@given(data=st.data())
def test_model_file_reader_survives_damaged_files(tmp_path, model_seed, data):
    content = data.draw(damaged_zip(model_seed))
    path = tmp_path / "m.npz"
    path.write_bytes(content)
    parse_within(Sequential.load, path, MODEL_BOUND * len(content) + 2**20)


@FUZZ
@given(data=st.data())
def test_model_file_reader_survives_wrong_types_in_its_document(tmp_path, model_seed, data):
    document = data.draw(wrong_types(document_of(model_seed, tmp_path)))
    try:
        content = with_document(model_seed, document, tmp_path)
    except ValueError:  # json.dumps refuses some values (inf): no file to test
        return
    path = tmp_path / "m.npz"
    path.write_bytes(content)
    parse_within(Sequential.load, path, MODEL_BOUND * len(content) + 2**20)


@pytest.fixture(scope="module")
def described_seed(tmp_path_factory) -> bytes:
    """A model file with every section ``train`` records, as ``info`` shows them."""
    path = tmp_path_factory.mktemp("described") / "m.npz"
    tiny_model().save(
        path,
        preset="tiny",
        recipe={"name": "tiny", "hidden": [8], "lr": 0.1},
        preprocessing={"scale": 1 / 255, "image_shape": [2, 3]},
        data={
            "name": "mnist",
            "source": "bundled MNIST",
            "sha256": "0" * 64,
            "train_size": 9,
            "dev_size": 1,
        },
        seed=0,
        metrics={"train_seconds": 1.5, "test_accuracy": 0.5, "test_loss": None},
        history={"epoch": [1, 2], "loss": [0.9, 0.5], "stopped": "completed"},
        optimizer={"name": "sgd", "lr": 0.1},
        environment={"python": "3.11", "numpy": "2"},
    )
    return path.read_bytes()


@FUZZ
@given(data=st.data())
def test_info_survives_wrong_types_in_a_model_document(tmp_path, described_seed, data):
    """Issue 25, defect 11: metadata of the wrong type reaches ``info`` (its description, its
    tables at 80 columns, its JSON) only as our error naming the key."""
    import json

    from rich.console import Console

    from nnscratch.cli.options import print_json
    from nnscratch.cli.tables import info_view
    from nnscratch.usecases.describe import describe_model_file

    document = data.draw(wrong_types(document_of(described_seed, tmp_path)))
    try:
        content = with_document(described_seed, document, tmp_path)
    except ValueError:  # json.dumps refuses some values (inf): no file to test
        return
    path = tmp_path / "m.npz"
    path.write_bytes(content)
    try:
        description = describe_model_file(path)
    except NNScratchError:
        return
    Console(file=io.StringIO(), width=80).print(info_view(description))
    json.dumps(description, allow_nan=False)
    print_json(description)


def npy_member(header: dict | str, payload: bytes) -> bytes:
    text = (header if isinstance(header, str) else repr(header)).encode("latin1")
    text += b" " * (63 - (10 + len(text)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + payload


@pytest.mark.parametrize(
    "header, message",
    [
        ({"descr": "<f4", "fortran_order": False, "shape": (2**31, 784)}, "declares shape"),
        ({"descr": "|O", "fortran_order": False, "shape": (2,)}, "pickled object"),
        ({"descr": "<U9", "fortran_order": False, "shape": (2,)}, "numbers only"),
    ],
    ids=["huge-shape", "object-array", "strings"],
)
def test_hostile_npy_headers_are_refused_before_any_allocation(
    tmp_path, model_seed, header, message
):
    members = zip_members(model_seed)
    members["layers.1.W.npy"] = npy_member(header, bytes(64))
    path = tmp_path / "m.npz"
    path.write_bytes(rezip(members))
    tracemalloc.start()
    try:
        with pytest.raises(NNScratchError, match=message):
            Sequential.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**21  # the huge shape claims 6.7 GB


def test_a_header_with_a_bad_escape_is_refused_without_a_warning(tmp_path, model_seed):
    members = zip_members(model_seed)
    header = r"{'descr': '<f4\ ', 'fortran_order': False, 'shape': (2,), }"
    members["layers.1.W.npy"] = npy_member(header, bytes(8))
    path = tmp_path / "m.npz"
    path.write_bytes(rezip(members))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(NNScratchError, match="damaged"):
            Sequential.load(path)
    assert [str(w.message) for w in caught] == []


def test_a_member_claiming_more_bytes_than_the_file_holds_is_refused(tmp_path, model_seed):
    content = bytearray(model_seed)
    with zipfile.ZipFile(io.BytesIO(model_seed)) as archive:
        info = archive.getinfo("layers.1.W.npy")
    # Its central directory entry (after every member): the sizes are at offsets 20 and 24,
    # the name at 46.
    central = content.rfind(b"layers.1.W.npy") - 46
    assert content[central : central + 4] == b"PK\x01\x02"
    struct.pack_into("<II", content, central + 20, 2**31, 2**31)
    path = tmp_path / "m.npz"
    path.write_bytes(bytes(content))
    with pytest.raises(NNScratchError, match="claim more bytes|inconsistent sizes|damaged"):
        Sequential.load(path)
    assert info.file_size < 2**31


# --- checkpoints ------------------------------------------------------------------------------

TINY = Recipe(
    name="tiny",
    hidden=(4,),
    dropout=0.25,
    epochs=3,
    batch_size=8,
    dev_size=6,
    schedule="warmup_cosine",
    early_stopping=2,
)
IMAGES = np.random.default_rng(1).integers(0, 256, size=(30, 2, 3), dtype=np.uint8)
LABELS = (np.arange(30) % 10).astype(np.uint8)


@pytest.fixture(scope="module")
def checkpoint_seeds(tmp_path_factory) -> list[bytes]:
    """Checkpoints of a tiny run: after epoch 1 and 2, and the final one."""
    folder = tmp_path_factory.mktemp("checkpoints")
    config = run_config(TINY, data="tiny", data_sha256="0" * 64, out="tiny.npz", checkpoint_every=1)
    train_recipe(TINY, IMAGES, LABELS, callbacks=[Checkpointer(folder, config=config)])
    return [path.read_bytes() for _, path in list_checkpoints(folder)]


def resume_tiny(path) -> None:
    """Everything ``nnscratch train --resume`` does with a checkpoint before training on:
    read it, rebuild the recipe and its network, and restore the run's state into it."""
    checkpoint = read_checkpoint(path)
    recipe = saved_recipe(checkpoint)
    model = build_model(recipe, image_shape=(2, 3))
    x, y = model.prepare(IMAGES[:24]), LABELS[:24].astype(np.intp)
    trainer = Trainer(
        model,
        build_optimizer(recipe, 24),
        epochs=recipe.epochs,
        batch_size=recipe.fit_batch_size,
        x=x,
        y=y,
        x_dev=IMAGES[24:],
        y_dev=LABELS[24:],
        shuffle=True,
        rng=model.rng,
        callbacks=[],
    )
    trainer.restore(checkpoint.state)


CHECKPOINT_BOUND = 16


def test_the_checkpoint_seeds_resume(tmp_path, checkpoint_seeds):
    """The undamaged files pass every check (else the properties below test nothing)."""
    assert len(checkpoint_seeds) == 3
    for content in checkpoint_seeds:
        path = tmp_path / "c.npz"
        path.write_bytes(content)
        resume_tiny(path)


@FUZZ
@given(data=st.data())
def test_checkpoint_reader_survives_damaged_files(tmp_path, checkpoint_seeds, data):
    content = data.draw(damaged_zip(data.draw(st.sampled_from(checkpoint_seeds))))
    path = tmp_path / "c.npz"
    path.write_bytes(content)
    parse_within(resume_tiny, path, CHECKPOINT_BOUND * len(content) + 2**20)


@FUZZ
@given(data=st.data())
def test_checkpoint_reader_survives_wrong_types_in_its_document(tmp_path, checkpoint_seeds, data):
    seed = data.draw(st.sampled_from(checkpoint_seeds))
    document = data.draw(wrong_types(document_of(seed, tmp_path)))
    try:
        content = with_document(seed, document, tmp_path)
    except ValueError:
        return
    path = tmp_path / "c.npz"
    path.write_bytes(content)
    parse_within(resume_tiny, path, CHECKPOINT_BOUND * len(content) + 2**20)
