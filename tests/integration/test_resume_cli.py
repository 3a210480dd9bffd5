"""``nnscratch train --checkpoint-dir / --resume``, run as a user runs it, and killed as a
machine kills it: SIGKILL, SIGINT and SIGTERM at a random point of a short run, then a resume,
and the final weights compared byte for byte with a run that was never stopped.

The random point is drawn from a seed printed in every assertion message, so a failure can be
replayed by setting NNSCRATCH_KILL_SEED.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mini_mnist import write_mnist_folder
from nnscratch.training.checkpoint import list_checkpoints, read_checkpoint

EPOCHS = 10  # the signal lands about an epoch after checkpoint 2-4: ample room on a busy machine
# Dropout, a shuffled order, Adam with warm-up and cosine decay, early stopping: every kind
# of state a resume must carry over.
RUN = (
    "--hidden",
    "96",
    "--epochs",
    str(EPOCHS),
    "--batch-size",
    "64",
    "--dev-size",
    "500",
    "--dropout",
    "0.2",
    "--early-stopping",
    "4",
    "--seed",
    "7",
    "--quiet",
)


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Path:
    """5,000 real MNIST training images and 300 test images as an IDX folder."""
    return write_mnist_folder(tmp_path_factory.mktemp("data") / "mini", 5000, 300)


def command(*args) -> list[str]:
    return [sys.executable, "-m", "nnscratch", "train", *[str(a) for a in args]]


def nnscratch(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        command(*args),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "200"},
    )


def saved(path: Path) -> tuple[dict[str, bytes], dict]:
    """The parameter bytes and the history of a model file."""
    with np.load(path, allow_pickle=False) as archive:
        weights = {k: archive[k].tobytes() for k in archive.files if k.startswith("layers.")}
        document = json.loads(archive["nnscratch.json"].tobytes())
    history = {k: document["history"][k] for k in ("epoch", "train_loss", "dev_accuracy")}
    return weights, history


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("nnscratch: error:")]


@pytest.fixture(scope="module")
def reference(mini, tmp_path_factory) -> tuple[dict[str, bytes], dict]:
    """The run never stopped, with no checkpoints at all."""
    cwd = tmp_path_factory.mktemp("reference")
    result = nnscratch("--data", mini, *RUN, "--out", "m.npz", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return saved(cwd / "m.npz")


def kill_at_random_point(mini: Path, cwd: Path, how: signal.Signals):
    """Start the run with checkpoints; once the checkpoint of epoch k (random, 2..4) exists,
    wait a random fraction of the time epoch k took and send ``how``, so the signal lands in the
    epochs still to run however fast (or busy) the machine is. Returns the process, its output
    and the seed."""
    seed = int(os.environ.get("NNSCRATCH_KILL_SEED", random.SystemRandom().randrange(2**32)))
    rng = random.Random(seed)
    k, fraction = rng.randint(2, 4), rng.random()
    out, err = open(cwd / "stdout", "w+"), open(cwd / "stderr", "w+")
    proc = subprocess.Popen(
        command("--data", mini, *RUN, "--out", "m.npz", "--checkpoint-dir", "ck"),
        cwd=cwd,
        stdout=out,
        stderr=err,
    )
    deadline = time.monotonic() + 600
    seen: dict[int, float] = {}  # epoch -> when its checkpoint was first seen
    while k not in seen:
        assert proc.poll() is None, f"seed {seed}: the run ended before checkpoint {k}"
        assert time.monotonic() < deadline
        for (epoch, step), _ in list_checkpoints(cwd / "ck"):
            if step == 0:
                seen.setdefault(epoch, time.monotonic())
        time.sleep(0.002)
    delay = fraction * (seen[k] - seen.get(k - 1, seen[k]))
    time.sleep(delay)
    assert proc.poll() is None, f"seed {seed}: the run ended before the {how.name}"
    proc.send_signal(how)
    proc.wait(timeout=600)
    out.seek(0), err.seek(0)
    return proc, out.read(), err.read(), f"seed {seed} (checkpoint {k}, then {delay:.3f} s)"


def test_sigkill_at_a_random_point_then_resume_ends_byte_identical(mini, reference, tmp_path):
    proc, _, _, why = kill_at_random_point(mini, tmp_path, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL, why
    assert not (tmp_path / "m.npz").exists(), why  # killed before the end
    positions = [position for position, _ in list_checkpoints(tmp_path / "ck")]
    assert positions and all(step == 0 for _, step in positions), why  # epoch ends only
    # --out again: where the model goes is the command line's, never the checkpoint's.
    result = nnscratch("--resume", "ck", "--out", "m.npz", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, f"{why}\n{result.stderr}"
    assert saved(tmp_path / "m.npz") == reference, why
    assert not [p for p in (tmp_path / "ck").iterdir() if p.suffix == ".tmp"], why


@pytest.mark.parametrize(
    "how, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"]
)
def test_a_signal_saves_a_checkpoint_says_how_to_resume_and_resumes_exactly(
    mini, reference, tmp_path, how, status
):
    proc, stdout, stderr, why = kill_at_random_point(mini, tmp_path, how)
    assert proc.returncode == status, f"{why}\n{stderr}"
    assert "Traceback" not in stdout + stderr, why
    hint = re.search(
        r"checkpoint saved to (\S+); resume with: (nnscratch train .+)$", stderr, re.MULTILINE
    )
    assert hint, f"{why}\n{stderr}"
    assert hint[2] == "nnscratch train --resume ck --output m.npz", why  # never the checkpoint's
    checkpoint = read_checkpoint(tmp_path / hint[1])  # the stop's own, at a batch boundary
    assert (checkpoint.epoch, checkpoint.step) == max(
        position for position, _ in list_checkpoints(tmp_path / "ck")
    ), why
    # The command exactly as printed, without the options of the first run.
    result = subprocess.run(
        [sys.executable, "-m", "nnscratch", *hint[2].split()[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"{why}\n{result.stderr}"
    assert "resuming from ck/ckpt-" in result.stdout, why
    assert saved(tmp_path / "m.npz") == reference, why


def test_a_learning_rate_of_1e6_stops_with_the_divergence_message_and_keeps_what_was_good(
    mini, tmp_path
):
    # Two good epochs with checkpoints, then the same run resumed at lr 1e6 (forced).
    first = nnscratch(
        "--data",
        mini,
        "--hidden",
        "512,256",
        "--optimizer",
        "sgd",
        "--lr",
        "0.05",
        "--epochs",
        "2",
        "--dev-size",
        "500",
        "--quiet",
        "--checkpoint-dir",
        "ck",
        "--out",
        "m.npz",
        cwd=tmp_path,
    )
    assert first.returncode == 0, first.stderr
    files = {p.name: p.read_bytes() for p in [tmp_path / "m.npz", *(tmp_path / "ck").iterdir()]}
    result = nnscratch("--resume", "ck", "--epochs", "4", "--lr", "1e6", "--force", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    errors = error_lines(result)
    assert len(errors) == 1 and "Traceback" not in result.stderr
    # Non-finite, or exploded past 10,000 times the first batch's loss of the original run.
    assert re.search(
        r"diverged: the (loss|parameters|dev loss) (became non-finite|rose to \S+, "
        r"over 10,000 times the first batch's loss \(2\.\d+\),) at epoch 3",
        errors[0],
    ), errors[0]
    assert "lower learning rate" in errors[0]
    after = {p.name: p.read_bytes() for p in [tmp_path / "m.npz", *(tmp_path / "ck").iterdir()]}
    assert after == files  # the model and the checkpoints of before, byte for byte
    for _, path in list_checkpoints(tmp_path / "ck"):
        assert all(np.isfinite(a).all() for a in read_checkpoint(path).state.arrays.values())


@pytest.fixture(scope="module")
def finished(mini, tmp_path_factory) -> Path:
    """A folder where a short run left its checkpoints."""
    cwd = tmp_path_factory.mktemp("finished")
    result = nnscratch(
        "--data",
        mini,
        "--hidden",
        "16",
        "--epochs",
        "2",
        "--dev-size",
        "500",
        "--quiet",
        "--checkpoint-dir",
        "ck",
        "--out",
        "m.npz",
        cwd=cwd,
    )
    assert result.returncode == 0, result.stderr
    return cwd


@pytest.mark.parametrize(
    "args, change",
    [
        (["--lr", "0.1"], "lr 0.002 -> 0.1"),
        (["--hidden", "32"], "hidden (16,) -> (32,)"),
        (["--preset", "classic"], "name 'mlp' -> 'classic'"),
        (["--data", "mnist"], "data"),
    ],
)
def test_resuming_with_a_changed_configuration_is_refused(finished, args, change):
    before = sorted(p.name for p in (finished / "ck").iterdir())
    result = nnscratch("--resume", "ck", *args, cwd=finished)
    assert result.returncode == 2, result.stderr
    [error] = error_lines(result)
    assert change in error and "--force" in error
    assert sorted(p.name for p in (finished / "ck").iterdir()) == before


def test_resuming_on_changed_data_is_refused(mini, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for path in mini.iterdir():
        (data / path.name).write_bytes(path.read_bytes())
    first = nnscratch(
        "--data",
        data,
        "--hidden",
        "16",
        "--epochs",
        "2",
        "--dev-size",
        "500",
        "--quiet",
        "--checkpoint-dir",
        "ck",
        cwd=tmp_path,
    )
    assert first.returncode == 0, first.stderr
    labels = data / "train-labels-idx1-ubyte"
    changed = bytearray(labels.read_bytes())
    changed[-1] = (changed[-1] + 1) % 10
    labels.write_bytes(bytes(changed))
    result = nnscratch("--resume", "ck", "--epochs", "3", cwd=tmp_path)
    [error] = error_lines(result)
    assert "SHA-256 differs" in error and "epochs 2 -> 3" in error
    result = nnscratch("--resume", "ck", "--epochs", "3", "--force", cwd=tmp_path)
    assert result.returncode == 0, result.stderr  # forced: accepted, and trained on
    assert [position for position, _ in list_checkpoints(tmp_path / "ck")][-1] == (3, 0)


def test_a_fresh_run_refuses_a_folder_of_checkpoints_unless_forced(mini, finished, tmp_path):
    (tmp_path / "ck").mkdir()
    for path in (finished / "ck").iterdir():
        (tmp_path / "ck" / path.name).write_bytes(path.read_bytes())
    args = (
        "--data",
        mini,
        "--hidden",
        "16",
        "--epochs",
        "1",
        "--dev-size",
        "500",
        "--quiet",
        "--checkpoint-dir",
        "ck",
    )
    result = nnscratch(*args, cwd=tmp_path)
    [error] = error_lines(result)
    assert "holds checkpoints of another run" in error and "--resume ck" in error
    result = nnscratch(*args, "--force", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [position for position, _ in list_checkpoints(tmp_path / "ck")] == [(1, 0)]


@pytest.mark.parametrize(
    "target, message",
    [
        ("missing", "no such checkpoint"),
        ("m.npz", "a model file, not a checkpoint"),
        (".", "no checkpoints in this folder"),
    ],
)
def test_resume_from_what_is_not_a_checkpoint_says_so(finished, target, message):
    result = nnscratch("--resume", target, cwd=finished)
    assert result.returncode == 2
    [error] = error_lines(result)
    assert message in error
