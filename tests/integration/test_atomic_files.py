"""Output files are written atomically: a reader sees the old file or the new one, never half
of one, whatever happens during the write (an exception, a full disk, a read-only folder, a
SIGKILL), and no temporary file is left behind except by a SIGKILL."""

from __future__ import annotations

import errno
import io
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import nnscratch.fileio as fileio
import nnscratch.modelfile as modelfile
from nnscratch import Dense, Sequential
from nnscratch.errors import ModelFileError
from nnscratch.training.checkpoint import Checkpointer


def small_model(seed: int) -> Sequential:
    return Sequential([Dense(20, 5)], seed=seed)


def files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def old(tmp_path):
    """A model file already on disk, and its bytes."""
    path = tmp_path / "model.npz"
    small_model(0).save(path)
    return path, path.read_bytes()


def test_a_write_interrupted_midway_leaves_the_old_file_intact(old, monkeypatch):
    path, before = old
    real_savez = np.savez

    def half_then_killed(handle, **arrays):
        buffer = io.BytesIO()
        real_savez(buffer, **arrays)
        data = buffer.getvalue()
        handle.write(data[: len(data) // 2])  # half the new file is on disk ...
        raise KeyboardInterrupt  # ... when the process is stopped

    monkeypatch.setattr(modelfile.np, "savez", half_then_killed)
    with pytest.raises(KeyboardInterrupt):
        small_model(1).save(path)
    assert path.read_bytes() == before
    assert files(path.parent) == ["model.npz"]  # the half-written temporary file is gone
    monkeypatch.undo()
    assert (
        Sequential.load(path).get_weights()["layers.0.W"].tobytes()
        == small_model(0).get_weights()["layers.0.W"].tobytes()
    )


def test_a_full_disk_gives_a_clear_error_and_no_partial_file(old, monkeypatch):
    path, before = old

    def disk_full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(fileio.os, "fsync", disk_full)
    with pytest.raises(ModelFileError, match=r"cannot write .*model\.npz: No space left"):
        small_model(1).save(path)
    assert path.read_bytes() == before
    assert files(path.parent) == ["model.npz"]


def test_a_read_only_folder_gives_a_clear_error(tmp_path, monkeypatch):
    # Tests may run as root, for whom chmod does not protect a folder: refuse as the OS would.
    def read_only(path, flags, mode=0o777):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), path)

    monkeypatch.setattr(fileio.os, "open", read_only)
    with pytest.raises(ModelFileError, match=r"cannot write .*model\.npz: Read-only file system"):
        small_model(1).save(tmp_path / "model.npz")
    assert files(tmp_path) == []


def test_a_checkpoint_that_cannot_be_written_stops_with_our_error(tmp_path, monkeypatch):
    x = np.random.default_rng(0).normal(size=(40, 20)).astype(np.float32)
    y = np.arange(40) % 5
    model = small_model(0)
    checkpointer = Checkpointer(tmp_path / "ck")

    def disk_full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(fileio.os, "fsync", disk_full)
    with pytest.raises(ModelFileError, match="No space left"):
        model.fit(x, y, epochs=2, batch_size=8, callbacks=[checkpointer])
    assert files(tmp_path / "ck") == []


WRITER = """
import sys
from nnscratch import Dense, Sequential
path = sys.argv[1]
models = [Sequential([Dense(300, 300), Dense(300, 300)], seed=s) for s in range(2)]
print("ready", flush=True)
for i in range(10**9):
    models[i % 2].save(path)
"""


def test_sigkill_during_writes_never_leaves_a_partial_model_file(tmp_path):
    """A process saves two models in turn, over and over, and is killed at a random moment:
    the file then holds one model or the other, whole."""
    path = tmp_path / "model.npz"
    expected = [
        Sequential([Dense(300, 300), Dense(300, 300)], seed=s).get_weights() for s in range(2)
    ]
    for _attempt in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout.readline().strip() == "ready"
        while not path.exists():
            time.sleep(0.001)
        time.sleep(np.random.default_rng().uniform(0.05, 0.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        proc.stdout.close()
        weights = Sequential.load(path).get_weights()
        assert any(all(weights[k].tobytes() == w[k].tobytes() for k in w) for w in expected)
        for temp in tmp_path.glob(".model.npz.*.tmp"):  # what the SIGKILL cut short
            temp.unlink()


class Trap:
    """Unpickling this creates a file: proof that code ran."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.mark.parametrize("kind", ["model", "checkpoint"])
def test_opening_a_model_or_checkpoint_file_never_runs_code(tmp_path, kind):
    from nnscratch.training.checkpoint import read_checkpoint

    trap = tmp_path / "code-ran"
    path = tmp_path / f"{kind}.npz"
    small_model(0).save(path)
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["layers.0.W"] = np.array([Trap(str(trap))], dtype=object)
    np.savez(path, **arrays)  # NumPy pickles object arrays when asked to save them
    load = Sequential.load if kind == "model" else read_checkpoint
    with pytest.raises(ModelFileError, match="pickled object array; refusing"):
        load(path)
    assert not trap.exists()
