"""The divergence guard: a non-finite loss, or one that explodes past DIVERGENCE_FACTOR times
the first batch's loss, stops training with the weights of the last good epoch put back; runs
that merely wobble are never stopped; a resumed run decides as an uninterrupted one.

NaN-only divergence (SGD at lr 1e6 or 1e30) is also covered by test_cli.py, test_checkpoint.py
and test_resume_cli.py; here are the runs that only explode: Adam and the classic preset at
lr 1e6, which used to end with a loss of 1e17, 10 % accuracy, exit status 0 and the model file
overwritten.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mini_mnist import write_mnist_folder
from nnscratch import SGD, Adam, Dense, Flatten, ReLU, Sequential
from nnscratch.datasets import load_mnist
from nnscratch.engine.losses import MeanSquaredError, SoftmaxCrossEntropy
from nnscratch.errors import CheckpointError, ConfigError, TrainingDiverged
from nnscratch.model import PRESETS
from nnscratch.training import Callback, TrainingState
from nnscratch.training.checkpoint import (
    Checkpointer,
    load_latest,
    read_checkpoint,
    write_checkpoint,
)
from nnscratch.training.loop import DIVERGENCE_FACTOR
from nnscratch.usecases.train import train_recipe
from stop_at import StopAt

EXPLODED = (
    r"training diverged: the loss rose to \S+, over 10,000 times the first batch's "
    r"loss \((?P<start>[\d.]+)\), at epoch (?P<epoch>\d+), batch (?P<batch>\d+) "
    r"\(learning rate \S+\); the (?P<kept>.+) were kept\. Try a lower learning rate"
)


@pytest.fixture(scope="module")
def digits():
    x, y = load_mnist("train")
    return x[:1500], y[:1500]


def small_mlp(seed=0):
    return Sequential(
        [Flatten(), Dense(784, 64), ReLU(), Dense(64, 10)], input_scale=1 / 255, seed=seed
    )


class Losses(Callback):
    """Records every batch's loss."""

    def __init__(self):
        self.values = []

    def on_batch_end(self, run, step, loss):
        self.values.append(loss)

    def worst_rise(self):
        return max(self.values) / max(self.values[0], 1.0)


# --- runs that explode ----------------------------------------------------------------------


def test_adam_at_lr_1e6_raises_and_puts_back_the_initial_weights(digits):
    model = small_mlp()
    initial = {k: v.tobytes() for k, v in model.get_weights().items()}
    with np.errstate(all="ignore"), pytest.raises(TrainingDiverged) as caught:
        model.fit(*digits, epochs=1, optimizer=Adam(lr=1e6), validation_split=300)
    found = re.search(EXPLODED, str(caught.value))
    assert found, str(caught.value)
    assert (found["epoch"], found["batch"], found["kept"]) == ("1", "2", "initial weights")
    assert 2.0 < float(found["start"]) < 2.6  # ~ln 10: the untrained network's loss
    assert caught.value.history.stopped == "diverged"
    assert {k: v.tobytes() for k, v in model.get_weights().items()} == initial


def test_a_blow_up_after_good_epochs_keeps_the_weights_of_the_last_good_one(digits):
    class AtEpoch3(Callback):
        def on_epoch_begin(self, run, epoch):
            if epoch == 3:
                run.optimizer.lr = 1e6
                self.good = {k: v.tobytes() for k, v in run.model.get_weights().items()}

    blow_up = AtEpoch3()
    model = small_mlp()
    with (
        np.errstate(all="ignore"),
        pytest.raises(TrainingDiverged, match="epoch 3, batch 2") as caught,
    ):
        model.fit(
            *digits, epochs=5, optimizer=Adam(lr=1e-3), validation_split=300, callbacks=[blow_up]
        )
    assert "the weights after epoch 2 were kept" in str(caught.value)
    assert {k: v.tobytes() for k, v in model.get_weights().items()} == blow_up.good


def test_the_classic_preset_at_lr_1e6_raises(digits):
    recipe = PRESETS["classic"].with_overrides(lr=1e6, epochs=30, dev_size=300)
    with np.errstate(all="ignore"), pytest.raises(TrainingDiverged) as caught:
        train_recipe(recipe, *digits)
    # Full batch: the one step of iteration 1 lands the dev loss far past the limit.
    assert "diverged: the dev loss rose to" in str(caught.value)
    assert "over 10,000 times the first batch's loss" in str(caught.value)
    assert "at iteration 1 (learning rate 1e+06)" in str(caught.value)  # the CLI's word


# --- the rule itself, on scripted losses ----------------------------------------------------


class Scripted(SoftmaxCrossEntropy):
    """Softmax cross-entropy whose forward reports the given values in turn (the gradient is
    the real one): one value per training batch and per dev evaluation."""

    def __init__(self, values):
        self.values = iter(values)

    def forward(self, outputs, targets):
        super().forward(outputs, targets)
        return next(self.values)


def scripted_run(values, *, dev=False):
    """Full-batch runs on 40 digits: one training loss per epoch, then a dev loss if ``dev``."""
    x, y = load_mnist("train")
    model = Sequential([Flatten(), Dense(784, 10)], input_scale=1 / 255, loss=Scripted(values))
    epochs = len(values) // (2 if dev else 1)
    return model, lambda: model.fit(
        x[:40],
        y[:40],
        epochs=epochs,
        batch_size=None,
        optimizer=SGD(lr=1e-3),
        validation_data=(x[40:60], y[40:60]) if dev else None,
    )


@pytest.mark.parametrize(
    "values",
    [
        [2.0, 19_999.0, 3.0],  # just below 10,000 times the start
        [1e-3, 5.0, 9_999.0],  # a start below 1 counts as 1: a rise from 0.001 to 5 is no explosion
        [0.0, 9_999.0],
        [1e6, 9e9, 1e6],  # a large start (MSE on large targets) sets a large limit
    ],
    ids=["below", "small-start", "zero-start", "large-start"],
)
def test_losses_below_the_limit_never_stop_a_run(values):
    _, run = scripted_run(values)
    assert run().stopped == "completed"


@pytest.mark.parametrize(
    "values",
    [[2.0, 3.0, 20_001.0], [1e-3, 10_001.0], [1e6, 1.1e10]],
    ids=["above", "small-start", "large-start"],
)
def test_a_loss_past_the_limit_stops_the_run(values):
    _, run = scripted_run(values)
    with pytest.raises(
        TrainingDiverged,
        match=rf"the loss rose to \S+, over 10,000 times .*"
        rf"at iteration {len(values)} ",
    ):
        run()


def test_the_small_start_is_named_in_the_message():
    _, run = scripted_run([0.0123, 10_001.0])
    with pytest.raises(
        TrainingDiverged,
        match=r"the loss rose to 1e\+04, over 10,000 times 1 "
        r"\(the first batch's loss, 0\.0123, counts "
        r"as 1\), at iteration 2 ",
    ):
        run()


def test_an_exploded_dev_loss_stops_the_run_and_keeps_the_epoch_before():
    # train, dev, train, dev: the second iteration's dev loss is past 10,000 times 2.
    _, run = scripted_run([2.0, 2.1, 1.9, 20_001.0], dev=True)
    with pytest.raises(
        TrainingDiverged,
        match=r"the dev loss rose to 2e\+04, .* at iteration 2 "
        r"\(learning rate .*the weights after "
        r"iteration 1 were kept",
    ):
        run()


# --- legitimate runs never trip it ----------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "overrides"),
    [
        ("classic", {"epochs": 100}),
        ("mlp", {"epochs": 3}),
        ("cnn", {"epochs": 1}),
        ("mlp", {"epochs": 8, "early_stopping": 1, "lr": 1e-2}),  # a high rate and early stopping
    ],
)
def test_the_presets_never_trip_the_guard(digits, preset, overrides):
    losses = Losses()
    recipe = PRESETS[preset].with_overrides(dev_size=300, **overrides)
    run = train_recipe(recipe, *digits, callbacks=[losses])
    assert run.history.stopped in ("completed", "early_stopping")
    # Far from the limit: a tenth of it would still leave these runs running.
    assert losses.worst_rise() < DIVERGENCE_FACTOR / 10, losses.worst_rise()


def test_mean_squared_error_from_a_large_start_never_trips_it():
    # Targets in the thousands: the first loss is ~1e6, and gradient descent brings it down.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 8))
    y = x @ rng.standard_normal((8, 3)) * 1000
    model = Sequential([Dense(8, 3)], loss=MeanSquaredError(), dtype="float64")
    losses = Losses()
    history = model.fit(x, y, epochs=30, batch_size=20, optimizer=SGD(lr=0.02), callbacks=[losses])
    assert history.stopped == "completed"
    assert losses.values[0] > 1e5 and losses.values[-1] < losses.values[0] / 100


def test_binary_cross_entropy_from_a_large_start_never_trips_it():
    # Weights 100 times too large: logits near ±100, a first loss 50 times ln 2.
    rng = np.random.default_rng(1)
    x = rng.standard_normal((300, 6))
    t = (x @ rng.standard_normal((6, 2)) > 0).astype(float)
    model = Sequential([Dense(6, 2)], loss="binary_cross_entropy", dtype="float64")
    model.layers[0].params["W"] *= 100
    losses = Losses()
    history = model.fit(x, t, epochs=30, batch_size=30, optimizer=Adam(lr=0.5), callbacks=[losses])
    assert history.stopped == "completed"
    assert losses.values[0] > 30 and losses.values[-1] < losses.values[0] / 100


# --- resuming ---------------------------------------------------------------------------------


class RaiseLrAt(Callback):
    """From epoch ``at`` on, lr 1e6: Adam's loss explodes (finite) at that epoch's batch 2."""

    def __init__(self, at):
        self.at = at

    def on_epoch_begin(self, run, epoch):
        if epoch >= self.at:
            run.optimizer.lr = 1e6


def diverge(digits, *, callbacks=(), resume=None):
    model = small_mlp()
    with np.errstate(all="ignore"), pytest.raises(TrainingDiverged) as caught:
        model.fit(
            *digits,
            epochs=4,
            optimizer=Adam(lr=1e-3),
            validation_split=300,
            callbacks=[RaiseLrAt(3), *callbacks],
            resume=resume,
        )
    return str(caught.value), {k: v.tobytes() for k, v in model.get_weights().items()}


def test_a_resumed_run_diverges_exactly_as_the_run_never_stopped(digits, tmp_path):
    uninterrupted = diverge(digits)
    model = small_mlp()
    model.fit(
        *digits,
        epochs=4,
        optimizer=Adam(lr=1e-3),
        validation_split=300,
        callbacks=[StopAt(12), Checkpointer(tmp_path)],
    )  # stops in epoch 2
    checkpoint = load_latest(tmp_path)
    assert (checkpoint.epoch, checkpoint.step) == (1, 2)  # 10 batches per epoch
    reference = checkpoint.state.reference_loss
    assert math.isfinite(reference) and f"({reference:.3g})" in uninterrupted[0]
    assert diverge(digits, resume=checkpoint.state) == uninterrupted


def test_a_checkpoint_without_a_reference_loss_still_resumes(digits, tmp_path):
    # Written before the guard had one: the first batch after the resume becomes it.
    model = small_mlp()
    model.fit(
        *digits,
        epochs=2,
        optimizer=Adam(lr=1e-3),
        validation_split=300,
        callbacks=[StopAt(12), Checkpointer(tmp_path)],
    )
    document, arrays = load_latest(tmp_path).state.to_file()
    del document["reference_loss"]
    resumed = small_mlp()
    history = resumed.fit(
        *digits,
        epochs=2,
        optimizer=Adam(lr=1e-3),
        validation_split=300,
        resume=TrainingState.from_file(document, arrays),
    )
    assert history.stopped == "completed" and history.epoch == [1, 2]


@pytest.mark.parametrize(
    "bad", ["2.3", True, [2.3], {"v": 1}], ids=["text", "bool", "list", "dict"]
)
def test_a_malformed_reference_loss_is_refused(digits, tmp_path, bad):
    model = small_mlp()
    model.fit(
        *digits,
        epochs=1,
        optimizer=Adam(lr=1e-3),
        validation_split=300,
        callbacks=[Checkpointer(tmp_path)],
    )
    state = load_latest(tmp_path).state
    document, arrays = state.to_file()
    with pytest.raises(ConfigError, match="reference loss"):
        TrainingState.from_file({**document, "reference_loss": bad}, arrays)
    path = load_latest(tmp_path).path
    state.reference_loss = bad
    write_checkpoint(tmp_path / "bad.npz", model, state)
    with pytest.raises(CheckpointError, match="training.reference_loss"):
        read_checkpoint(tmp_path / "bad.npz")
    assert read_checkpoint(path).state.reference_loss > 0


# --- the command line -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Path:
    return write_mnist_folder(tmp_path_factory.mktemp("data") / "mini", 2000, 200)


@pytest.mark.parametrize(
    "args",
    [
        ["--lr", "1e6", "--epochs", "1"],
        ["--preset", "classic", "--lr", "1e6", "--epochs", "20"],
    ],
    ids=["adam", "classic"],
)
def test_train_at_lr_1e6_exits_2_and_leaves_the_model_file_byte_identical(mini, tmp_path, args):
    old = tmp_path / "m.npz"
    old.write_bytes(b"a good model of yesterday\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "nnscratch",
            "train",
            "--data",
            str(mini),
            "--dev-size",
            "300",
            "--out",
            "m.npz",
            *args,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 2, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("nnscratch: error:")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "training diverged:" in errors[0] and "rose to" in errors[0]
    assert "over 10,000 times the first batch's loss" in errors[0]
    assert "lower learning rate (--lr)" in errors[0]
    assert "nothing was written to m.npz" in result.stdout
    assert old.read_bytes() == b"a good model of yesterday\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


@pytest.mark.parametrize("key", ["reference_loss", "loss_sum"])
def test_an_integer_too_large_for_a_float_is_refused_with_our_error(digits, tmp_path, key):
    # JSON integers have no limit; math.isfinite raised OverflowError on 10**400.
    model = small_mlp()
    model.fit(
        *digits,
        epochs=1,
        optimizer=Adam(lr=1e-3),
        validation_split=300,
        callbacks=[Checkpointer(tmp_path)],
    )
    state = load_latest(tmp_path).state
    document, arrays = state.to_file()
    with pytest.raises(ConfigError, match="not valid"):
        TrainingState.from_file({**document, key: 10**400}, arrays)
    setattr(state, key, 10**400)
    write_checkpoint(tmp_path / "huge.npz", model, state)
    with pytest.raises(CheckpointError, match=f"training.{key}"):
        read_checkpoint(tmp_path / "huge.npz")
