"""What a stopped run says (issue 25, defect 16): lr-find interrupted says so, with no "took
off" and no suggestion its curve does not support; a run stopped within its first epoch
reports the time it trained."""

from __future__ import annotations

import numpy as np
import pytest

from nnscratch.cli.lrfind import lr_find_words
from nnscratch.datasets import load_mnist
from nnscratch.model import get_preset
from nnscratch.training import Callback
from nnscratch.usecases import lrfind
from nnscratch.usecases.train import train_recipe


@pytest.fixture(scope="module")
def mnist():
    x, y = load_mnist("train")
    return x[:2000], y[:2000]


def interrupt_after(monkeypatch, batches: int) -> None:
    """Ctrl-C (a KeyboardInterrupt, as Python delivers SIGINT) after ``batches`` batches."""
    record = lrfind._Sweep.on_batch_end

    def on_batch_end(self, trainer, step, loss):
        record(self, trainer, step, loss)
        if len(self.losses) == batches:
            raise KeyboardInterrupt

    monkeypatch.setattr(lrfind._Sweep, "on_batch_end", on_batch_end)


def test_lr_find_interrupted_while_the_loss_falls_says_so_and_suggests_nothing(monkeypatch, mnist):
    interrupt_after(monkeypatch, 8)
    recipe = get_preset("mlp").with_overrides({"hidden": (16,), "batch_size": 32})
    sweep = lrfind.find_learning_rate(recipe, *mnist, start=1e-5, stop=1.0, steps=60)
    assert sweep.stopped == "interrupted" and len(sweep.lrs) == 8
    assert not sweep.supported
    words = lr_find_words(sweep, 60)
    assert "interrupted after 8 of 60 batches" in words
    assert "took off" not in words and "suggested" not in words
    assert sweep.as_json()["suggestion"] is None


def test_lr_find_that_ran_its_course_still_suggests(mnist):
    recipe = get_preset("mlp").with_overrides({"hidden": (16,), "batch_size": 32})
    sweep = lrfind.find_learning_rate(recipe, *mnist, start=1e-5, stop=10.0, steps=40)
    assert sweep.stopped in ("completed", "took off") and sweep.supported
    assert "suggested learning rate" in lr_find_words(sweep, 40)


class StopAfter(Callback):
    def __init__(self, batches: int) -> None:
        self.batches = batches
        self.seen = 0

    def on_batch_end(self, trainer, step, loss):
        self.seen += 1
        if self.seen == self.batches:
            trainer.stop_requested = "SIGINT"


def test_a_run_stopped_in_its_first_epoch_reports_its_training_time(mnist):
    recipe = get_preset("mlp").with_overrides(
        {"hidden": (16,), "batch_size": 32, "epochs": 3, "dev_size": 0}
    )
    result = train_recipe(recipe, *mnist, None, None, callbacks=[StopAfter(20)])
    assert result.history.epoch == [] and result.history.stopped == "interrupted"
    assert result.metrics["train_seconds"] > 0
    assert result.metrics["train_seconds"] == result.history.total_seconds
    assert np.isfinite(result.metrics["train_seconds"])


def checkpoint_folder(tmp_path):
    folder = tmp_path / "ck"
    folder.mkdir()
    for name in ("ckpt-00001-000000.npz", "ckpt-00002-000000.npz"):
        (folder / name).write_bytes(b"")  # named as checkpoints are; their contents unread here
    return folder


def test_after_a_failed_checkpoint_write_the_message_names_the_checkpoint_kept(tmp_path):
    from nnscratch.usecases.train import _what_checkpoints_hold

    folder = checkpoint_folder(tmp_path)

    class Resumed:  # a resumed run whose first own checkpoint failed: it saved none itself
        last_path = None

    words = _what_checkpoints_hold(Resumed(), folder)
    assert "no checkpoint was saved" not in words
    assert f"the last checkpoint saved is {folder / 'ckpt-00002-000000.npz'}" in words
    assert f"nnscratch train --resume {folder}" in words


def test_a_second_ctrl_c_names_the_checkpoint_it_saved(tmp_path, capsys):
    from pathlib import Path
    from types import SimpleNamespace

    from nnscratch.cli.train import say_what_is_kept

    folder = checkpoint_folder(tmp_path)
    plan = SimpleNamespace(checkpoint_dir=folder, recipe=get_preset("mlp"))
    say_what_is_kept(plan, Path("mlp.npz"))
    said = capsys.readouterr().err
    assert f"the last checkpoint saved is {folder / 'ckpt-00002-000000.npz'}" in said
    assert f"resume with: nnscratch train --resume {folder}" in said
