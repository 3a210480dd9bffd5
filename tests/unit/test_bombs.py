"""No bomb costs memory: a small file whose headers declare far more than it holds (a gzip IDX
upload declaring a million images, a 22 kB PNG of 12 megapixels, a model file whose zip member
inflates a thousandfold, a JSON document nested a thousand deep) is refused from its headers,
or read at a bounded cost, with our error or a 4xx naming the file.

Each is run in a fresh Python process, which reports how far its peak resident memory
(``ru_maxrss``) rose during the call: Pillow's and zlib's buffers are not Python allocations,
so tracemalloc would not see them. Linux only (/proc/self/status), as the project is."""

from __future__ import annotations

import gzip
import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

import nnscratch.budget as budget
from nnscratch.errors import DataError, ModelFileError

MB = 1024 * 1024
HARNESS = """
import json, sys
from pathlib import Path

{setup}

def peak():
    # VmHWM, this process's own peak: ru_maxrss would start at the parent's (pytest's) peak.
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024

with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")  # the peak starts again from the memory held now
before = peak()
try:
    outcome = run()
except Exception as error:
    outcome = f"{{type(error).__name__}}: {{error}}"
print(json.dumps({{"rise": peak() - before, "outcome": str(outcome)}}))
"""


def measured(setup: str, folder: Path) -> dict:
    """Run ``setup`` (which defines ``run()``) in a fresh process; returns how far its peak
    memory rose during ``run()`` (bytes) and what it returned or raised."""
    env = {**os.environ, "BOMB_DIR": str(folder)}
    code = HARNESS.format(setup=textwrap.dedent(setup))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def gzip_of_zeros(header: bytes, zeros: int) -> bytes:
    """``header`` followed by ``zeros`` zero bytes, gzip-compressed a piece at a time."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=9) as stream:
        stream.write(header)
        chunk = bytes(MB)
        for start in range(0, zeros, MB):
            stream.write(chunk[: min(MB, zeros - start)])
    return out.getvalue()


def idx_header(shape) -> bytes:
    return struct.pack(f">2xBB{len(shape)}I", 0x08, len(shape), *shape)


@pytest.fixture(scope="module")
def idx_bomb(tmp_path_factory) -> Path:
    """The trial's bomb: under 1 MB of gzip whose header declares 1.2 million 28x28 images,
    and whose zeros really do inflate to 940 MB; with 1.2 million labels beside it."""
    folder = tmp_path_factory.mktemp("idx-bomb")
    count = 1_200_000
    images = gzip_of_zeros(idx_header((count, 28, 28)), count * 28 * 28)
    assert len(images) < MB
    (folder / "train-images-idx3-ubyte.gz").write_bytes(images)
    labels = gzip_of_zeros(idx_header((count,)), count)
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(labels)
    return folder


def test_a_gzip_idx_upload_declaring_a_million_images_is_refused_from_its_header(
    idx_bomb, small_models
):
    result = measured(
        f"""
        import os
        from fastapi import testclient
        from nnscratch.datasets.digitset import DigitSet
        from nnscratch.web.app import create_app
        from nnscratch.web.served import ServedModels

        folder = Path(os.environ["BOMB_DIR"])
        app = create_app(
            ServedModels.from_files([{str(small_models["mlp"])!r}]),
            digits=DigitSet(folder / "digits"),
            hosts={{"testserver"}},
        )
        client = testclient.TestClient(app)
        files = [
            ("files", (name, (folder / name).read_bytes()))
            for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
        ]
        client.get("/api/models")

        def run():
            response = client.post("/api/digits/import", files=files)
            return f"{{response.status_code}} {{response.json()['detail']}}"
        """,
        idx_bomb,
    )
    status, _, detail = result["outcome"].partition(" ")
    assert status == "422", result
    assert "train-images-idx3-ubyte.gz" in detail and "declares 897.2 MB of data" in detail
    assert "/tmp" not in detail  # the upload is named as sent, not as stored
    assert result["rise"] < 40 * MB, result  # before: 2.4-3.0 GB


def test_a_gzip_idx_file_that_inflates_a_thousandfold_is_refused_on_the_command_line_too(
    idx_bomb,
):
    # The default budget allows 2 GB of data, but not a thousandfold inflation.
    result = measured(
        """
        import os
        from nnscratch.datasets.sources import load_source

        def run():
            return load_source(os.environ["BOMB_DIR"])
        """,
        idx_bomb,
    )
    assert result["outcome"].startswith("DataError: "), result
    assert "compression bomb" in result["outcome"]
    assert "train-images-idx3-ubyte.gz" in result["outcome"]
    assert result["rise"] < 20 * MB, result


def test_an_honest_header_still_may_not_inflate_past_the_ratio(tmp_path):
    # 40 MB of zeros declared truly: under the server's data budget, but 1,000 times the gzip.
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    count = 40 * MB // 784
    path.write_bytes(gzip_of_zeros(idx_header((count, 28, 28)), count * 784))
    from nnscratch.datasets.idx import read_idx

    with budget.limited(data_bytes=64 * MB), pytest.raises(DataError, match="compression bomb"):
        read_idx(path)


def test_real_gzip_idx_files_inflate_within_the_budget(tmp_path):
    # MNIST's own test images compress about 5 times: well inside the ratio.
    from nnscratch.datasets import load_mnist
    from nnscratch.datasets.idx import read_idx, write_idx

    images = load_mnist("test")[0]
    write_idx(tmp_path / "images.gz", images)
    assert os.path.getsize(tmp_path / "images.gz") * 100 > images.nbytes
    with budget.limited(data_bytes=64 * MB):
        assert np.array_equal(read_idx(tmp_path / "images.gz"), images)


# --- pictures ---------------------------------------------------------------------------------


def picture_of_a_digit(path: Path, width: int, height: int) -> None:
    """A picture of ``width`` x ``height`` pixels: a dark 7 on white paper (compresses to kB)."""
    picture = Image.new("L", (width, height), 255)
    pen = ImageDraw.Draw(picture)
    side = min(width, height)
    x0, y0 = (width - side // 2) // 2, (height - side // 2) // 2
    stroke = max(1, side // 30)
    pen.line([(x0, y0), (x0 + side // 2, y0), (x0 + side // 5, y0 + side // 2)], 0, stroke)
    picture.save(path, optimize=True)


def test_a_12_megapixel_png_costs_tens_of_mb_not_hundreds(tmp_path):
    picture_of_a_digit(tmp_path / "photo.png", 4000, 3000)
    assert os.path.getsize(tmp_path / "photo.png") < 200_000
    result = measured(
        """
        import os
        from nnscratch.datasets.pictures import read_picture

        path = Path(os.environ["BOMB_DIR"]) / "photo.png"

        def run():
            return int(read_picture(path).argmax() >= 0)
        """,
        tmp_path,
    )
    assert result["outcome"] == "1", result  # it is read: a photo is not a bomb
    assert result["rise"] < 80 * MB, result  # before: about 215 MB


def test_eight_photos_at_once_cost_two_decodings_at_most(tmp_path, small_models):
    # The server decodes two pictures at a time (answers.PICTURE_SLOTS); the rest wait.
    picture_of_a_digit(tmp_path / "photo.png", 4000, 3000)
    result = measured(
        f"""
        import os
        from concurrent.futures import ThreadPoolExecutor
        from fastapi import testclient
        from nnscratch.web.app import create_app
        from nnscratch.web.limits import return_large_blocks_to_the_system
        from nnscratch.web.served import ServedModels

        return_large_blocks_to_the_system()  # what serve sets in the process it serves from
        photo = (Path(os.environ["BOMB_DIR"]) / "photo.png").read_bytes()
        app = create_app(
            ServedModels.from_files([{str(small_models["mlp"])!r}]), hosts={{"testserver"}}
        )
        client = testclient.TestClient(app).__enter__()
        client.post("/api/predict", files={{"file": ("photo.png", photo)}})  # Pillow loaded

        def one(_):
            return client.post("/api/predict", files={{"file": ("photo.png", photo)}}).status_code

        def run():
            with ThreadPoolExecutor(8) as pool:
                return sorted(set(pool.map(one, range(8))))
        """,
        tmp_path,
    )
    assert result["outcome"] == "[200]", result
    assert result["rise"] < 120 * MB, result  # before: 8 at once reached 1 GB


def test_a_picture_declaring_too_many_pixels_is_refused_before_decoding(tmp_path):
    picture_of_a_digit(tmp_path / "bomb.png", 10_000, 6_000)  # 60 MP, a few hundred kB
    result = measured(
        """
        import os
        from nnscratch.datasets.pictures import read_picture

        def run():
            return read_picture(Path(os.environ["BOMB_DIR"]) / "bomb.png")
        """,
        tmp_path,
    )
    assert result["outcome"].startswith("DataError: "), result
    assert "bomb.png: picture of 10000x6000 pixels is larger than 40,000,000" in result["outcome"]
    assert result["rise"] < 20 * MB, result


def test_the_server_takes_fewer_pixels_than_the_command_line(tmp_path, small_models):
    from fastapi import testclient

    from nnscratch.web.app import create_app
    from nnscratch.web.served import ServedModels

    picture_of_a_digit(tmp_path / "big.png", 4500, 3000)  # 13.5 MP: over the server's 12
    app = create_app(ServedModels.from_files([small_models["mlp"]]), hosts={"testserver"})
    with testclient.TestClient(app) as client:
        big = (tmp_path / "big.png").read_bytes()
        response = client.post("/api/predict", files={"file": ("big.png", big)})
    assert response.status_code == 422
    assert "4500x3000 pixels is larger than 12,000,000" in response.json()["detail"]
    with budget.limited(pixels=100):  # and a narrowed budget holds in this thread
        from nnscratch.datasets.pictures import read_picture

        with pytest.raises(DataError, match="larger than 100 pixels"):
            read_picture(tmp_path / "big.png")


def test_a_large_photo_reads_as_the_same_digit_as_its_smaller_copy(tmp_path):
    from nnscratch.datasets.pictures import read_picture

    picture_of_a_digit(tmp_path / "large.png", 4000, 3000)
    Image.open(tmp_path / "large.png").resize((1000, 750), Image.Resampling.BOX).save(
        tmp_path / "small.png"
    )
    large, small = read_picture(tmp_path / "large.png"), read_picture(tmp_path / "small.png")
    # The same digit, placed the same: the ink differs by resampling only.
    assert np.abs(large.astype(int) - small.astype(int)).mean() < 8
    assert ((large > 127) == (small > 127)).mean() > 0.97


# --- model files ------------------------------------------------------------------------------


def _npy(shape, dtype) -> bytes:
    """The start of a .npy file (magic and header) declaring ``shape`` of ``dtype``."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": dtype, "fortran_order": False, "shape": tuple(shape)}
    )
    return header.getvalue()  # the magic, then the header


def model_file_with(path: Path, members: dict[str, tuple[bytes, int]]) -> None:
    """A zip like a model file: each member is (its start, then that many zero bytes),
    deflated a piece at a time."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, (start, zeros) in members.items():
            with archive.open(name, "w", force_zip64=True) as member:
                member.write(start)
                chunk = bytes(MB)
                for done in range(0, zeros, MB):
                    member.write(chunk[: min(MB, zeros - done)])


def document_bytes(text: str) -> tuple[bytes, int]:
    raw = text.encode()
    return _npy((len(raw),), "|u1") + raw, 0


def test_a_model_file_whose_member_inflates_a_thousandfold_is_refused_unread(tmp_path):
    count = 150_000_000  # 600 MB of float32 zeros in about 600 kB
    doc = json.dumps({"format": "nnscratch-model", "format_version": 1})
    model_file_with(
        tmp_path / "bomb.npz",
        {
            "nnscratch.json.npy": document_bytes(doc),
            "layers.1.W.npy": (_npy((count,), "<f4"), count * 4),
        },
    )
    assert os.path.getsize(tmp_path / "bomb.npz") < MB
    result = measured(
        """
        import os
        from nnscratch.model import Sequential

        def run():
            return Sequential.load(Path(os.environ["BOMB_DIR"]) / "bomb.npz")
        """,
        tmp_path,
    )
    assert result["outcome"].startswith("ModelFileError: "), result
    assert "bomb.npz: member 'layers.1.W.npy' inflates" in result["outcome"]
    assert "compression bomb" in result["outcome"]
    assert result["rise"] < 20 * MB, result  # before: 1.6 GB for a 618 kB file


def test_a_model_document_too_large_or_too_deep_is_refused(tmp_path):
    from nnscratch.modelfile import read_model_file

    spaces = 20 * MB
    model_file_with(
        tmp_path / "spaces.npz",
        {"nnscratch.json.npy": (_npy((spaces + 2,), "|u1") + b"{}", spaces)},
    )
    with pytest.raises(ModelFileError, match=r"spaces.npz: member 'nnscratch.json.npy' is 20.0 MB"):
        read_model_file(tmp_path / "spaces.npz")

    deep = "[" * 1000 + "]" * 1000
    model_file_with(tmp_path / "deep.npz", {"nnscratch.json.npy": document_bytes(deep)})
    with pytest.raises(ModelFileError, match="deep.npz: nnscratch.json nests deeper than 64"):
        read_model_file(tmp_path / "deep.npz")


def test_a_model_saved_by_us_loads_within_the_budget(tmp_path):
    from nnscratch.model import Sequential, build_model, get_preset

    model = build_model(get_preset("mlp").with_overrides(hidden=(32,)))
    model.save(tmp_path / "mlp.npz")
    loaded = Sequential.load(tmp_path / "mlp.npz")
    assert all(
        np.array_equal(a, b)
        for a, b in zip(model.get_weights().values(), loaded.get_weights().values(), strict=True)
    )


def test_budgets_only_narrow():
    default = budget.current_budget()
    with budget.limited(data_bytes=MB, pixels=10**12) as inner:
        assert inner.data_bytes == MB and inner.pixels == default.pixels
        with budget.limited(data_bytes=10 * MB) as innermost:
            assert innermost.data_bytes == MB
    assert budget.current_budget() == default
