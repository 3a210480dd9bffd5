"""Checkpoints and exact resume, in-process: a run stopped anywhere and resumed from its
checkpoint ends bit-identical to a run that was never stopped.

The subprocess versions (SIGKILL, SIGINT, SIGTERM against ``nnscratch train``) are in
test_resume_cli.py.
"""

from __future__ import annotations

import math
import os
import signal

import numpy as np
import pytest

from nnscratch import SGD, Adam, Dense, Dropout, Flatten, ReLU, Sequential, WarmupCosine
from nnscratch.datasets import load_mnist
from nnscratch.errors import CheckpointError, ConfigError, ModelFileError, TrainingDiverged
from nnscratch.training import Callback, GracefulStop, History, TrainingState
from nnscratch.training.checkpoint import (
    Checkpointer,
    checkpoint_name,
    list_checkpoints,
    load_latest,
    read_checkpoint,
    write_checkpoint,
)
from stop_at import StopAt

N, DEV, EPOCHS, BATCH = 1200, 200, 4, 128
STEPS = math.ceil((N - DEV) / BATCH)  # 8 per epoch


@pytest.fixture(scope="module")
def digits():
    x, y = load_mnist("train")
    return x[:N], y[:N]


def network(seed=3, dropout=0.25):
    """Everything that consumes randomness or state: dropout masks and the shuffle draw from
    the model's generator, Adam keeps moments and a step count, the schedule follows it."""
    return Sequential(
        [Flatten(), Dense(784, 24), ReLU(), Dropout(dropout), Dense(24, 10)],
        input_scale=1 / 255,
        seed=seed,
    )


def adam():
    return Adam(lr=3e-3, schedule=WarmupCosine(total_steps=EPOCHS * STEPS, warmup_steps=5))


def train(
    digits,
    *,
    epochs=EPOCHS,
    callbacks=(),
    resume=None,
    early_stopping=2,
    optimizer=None,
    batch_size=BATCH,
    model=None,
):
    model = model or network()
    history = model.fit(
        *digits,
        epochs=epochs,
        batch_size=batch_size,
        optimizer=optimizer or adam(),
        validation_split=DEV,
        early_stopping=early_stopping,
        callbacks=list(callbacks),
        resume=resume,
    )
    return model, history


def assert_same_run(a, b):
    (model_a, history_a), (model_b, history_b) = a, b
    weights_a, weights_b = model_a.get_weights(), model_b.get_weights()
    assert weights_a.keys() == weights_b.keys()
    for name in weights_a:
        assert weights_a[name].tobytes() == weights_b[name].tobytes(), name
    for key in ("epoch", "train_loss", "train_accuracy", "dev_loss", "dev_accuracy", "lr"):
        assert getattr(history_a, key) == getattr(history_b, key), key
    assert (history_a.stopped, history_a.best_epoch) == (history_b.stopped, history_b.best_epoch)


@pytest.fixture(scope="module")
def reference(digits):
    return train(digits)


@pytest.mark.parametrize("at", [1, STEPS - 1, STEPS, STEPS + 3, 2 * STEPS, 3 * STEPS + 5])
def test_a_run_stopped_at_any_batch_resumes_bit_identical(digits, reference, tmp_path, at):
    model, history = train(digits, callbacks=[StopAt(at), Checkpointer(tmp_path, every=None)])
    assert history.stopped == "interrupted"
    checkpoint = load_latest(tmp_path)
    assert (checkpoint.epoch, checkpoint.step) == divmod(at, STEPS)
    assert_same_run(reference, train(digits, resume=checkpoint.state))


def test_resuming_twice_from_epoch_checkpoints_is_still_exact(digits, reference, tmp_path):
    train(digits, callbacks=[StopAt(STEPS + 2), Checkpointer(tmp_path)])
    train(
        digits,
        resume=load_latest(tmp_path).state,
        callbacks=[StopAt(STEPS + 1), Checkpointer(tmp_path)],
    )
    assert load_latest(tmp_path).epoch == 2
    assert_same_run(reference, train(digits, resume=load_latest(tmp_path).state))


def test_full_batch_runs_resume_from_every_kth_iteration(digits, tmp_path):
    def sgd():
        return SGD(lr=0.2, momentum=0.9, nesterov=True)

    full = dict(epochs=12, batch_size=None, early_stopping=None)
    reference = train(digits, optimizer=sgd(), **full)
    train(digits, optimizer=sgd(), callbacks=[StopAt(8), Checkpointer(tmp_path, every=3)], **full)
    # Checkpoints at iterations 3 and 6 (every 3rd), and at 8 where the stop was requested.
    assert [position for position, _ in list_checkpoints(tmp_path)] == [(3, 0), (6, 0), (8, 0)]
    os.remove(tmp_path / checkpoint_name(8, 0))  # as if killed: the last complete one is 6
    checkpoint = load_latest(tmp_path)
    assert checkpoint.epoch == 6
    assert_same_run(reference, train(digits, optimizer=sgd(), resume=checkpoint.state, **full))


def test_early_stopping_state_survives_a_resume(digits, tmp_path):
    # A large fixed rate: the dev loss soon stops improving, so patience decides the end.
    def slow():
        return Adam(lr=0.03)

    reference = train(digits, epochs=12, optimizer=slow(), early_stopping=2)
    assert reference[1].stopped == "early_stopping"  # else this test proves nothing
    stopped_at = len(reference[1].epoch)
    train(
        digits,
        epochs=12,
        optimizer=slow(),
        early_stopping=2,
        callbacks=[StopAt((stopped_at - 1) * STEPS), Checkpointer(tmp_path)],
    )
    resumed = train(
        digits, epochs=12, optimizer=slow(), early_stopping=2, resume=load_latest(tmp_path).state
    )
    assert_same_run(reference, resumed)
    # The final checkpoint records the decision: resuming from it trains no further.
    train(
        digits,
        epochs=12,
        optimizer=slow(),
        early_stopping=2,
        callbacks=[Checkpointer(tmp_path / "all")],
    )
    again = train(
        digits,
        epochs=12,
        optimizer=slow(),
        early_stopping=2,
        resume=load_latest(tmp_path / "all").state,
    )
    assert_same_run(reference, again)


def test_pruning_keeps_the_last_few_and_the_best(digits, tmp_path):
    model, history = train(
        digits, epochs=6, early_stopping=None, callbacks=[Checkpointer(tmp_path, keep=2)]
    )
    best = int(np.argmax(history.dev_accuracy)) + 1
    expected = {5, 6, best}
    assert {epoch for (epoch, _), _ in list_checkpoints(tmp_path)} == expected
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_checkpoint_holds_the_full_state(digits, tmp_path):
    optimizer = adam()
    model, history = train(
        digits,
        epochs=2,
        optimizer=optimizer,
        callbacks=[Checkpointer(tmp_path, config={"recipe": "anything JSON-able"})],
    )
    checkpoint = read_checkpoint(tmp_path / checkpoint_name(2, 0))
    doc, arrays = checkpoint.state.document, checkpoint.state.arrays
    assert checkpoint.config == {"recipe": "anything JSON-able"}
    assert checkpoint.model_config == model.config()
    assert doc["optimizer_t"] == 2 * STEPS == optimizer.t
    assert doc["rng"] == model.rng.bit_generator.state
    assert doc["history"]["train_loss"] == history.train_loss
    assert {f"optimizer.{k}.{i}" for k in "mv" for i in range(4)} <= arrays.keys()
    assert "EarlyStopping" in doc["callbacks"]
    for name, value in model.get_weights().items():
        assert arrays[name].tobytes() == value.tobytes()


def test_a_checkpoint_with_non_finite_values_is_never_written(digits, tmp_path):
    model = network()
    state = TrainingState(
        epoch=0,
        step=0,
        in_epoch=False,
        epochs=1,
        steps_per_epoch=1,
        train_size=1,
        stop_training=False,
        loss_sum=0.0,
        correct=0,
        train_seconds=0.0,
        optimizer_t=0,
        reference_loss=None,
        rng={},
        history=History(),
        callbacks={},
        weights=model.get_weights(),
        optimizer={"m.0": np.full(3, np.nan)},
    )
    with pytest.raises(CheckpointError, match="non-finite"):
        write_checkpoint(tmp_path / "c.npz", model, state)
    assert list(tmp_path.iterdir()) == []


class BlowUp(Callback):
    """From epoch ``at`` on, a learning rate no run survives."""

    def __init__(self, at):
        self.at = at

    def on_epoch_begin(self, run, epoch):
        if epoch == self.at:
            run.optimizer.lr = 1e30


def test_divergence_leaves_the_last_good_checkpoints_untouched(digits, tmp_path):
    checkpoints = Checkpointer(tmp_path)
    before = signal.getsignal(signal.SIGINT)
    with (
        pytest.raises(TrainingDiverged, match=r"epoch 3, batch \d+.*lower learning rate"),
        np.errstate(all="ignore"),
    ):
        train(
            digits,
            optimizer=SGD(lr=0.1),
            early_stopping=None,
            callbacks=[BlowUp(3), GracefulStop(), checkpoints],
        )
    assert signal.getsignal(signal.SIGINT) is before  # Ctrl-C works again after the error
    assert [position for position, _ in list_checkpoints(tmp_path)] == [(1, 0), (2, 0)]
    for _, path in list_checkpoints(tmp_path):
        for name, array in read_checkpoint(path).state.arrays.items():
            assert np.isfinite(array).all(), (path, name)


def test_resume_refuses_a_different_network_or_data(digits, tmp_path):
    train(digits, epochs=1, callbacks=[Checkpointer(tmp_path)])
    state = load_latest(tmp_path).state
    wider = Sequential(
        [Flatten(), Dense(784, 30), ReLU(), Dropout(0.25), Dense(30, 10)],
        input_scale=1 / 255,
        seed=3,
    )
    with pytest.raises(ModelFileError, match="shape"):
        train(digits, model=wider, resume=state)
    with pytest.raises(ConfigError, match="1000 examples"):
        train((digits[0][:900], digits[1][:900]), resume=state)
    with pytest.raises(ConfigError, match="steps per epoch"):
        train(digits, resume=state, batch_size=64)


def test_reading_refuses_what_is_not_a_checkpoint(digits, tmp_path):
    model = network()
    model.save(tmp_path / "model.npz")
    with pytest.raises(CheckpointError, match="a model file, not a checkpoint"):
        read_checkpoint(tmp_path / "model.npz")
    with pytest.raises(CheckpointError, match="no checkpoints in this folder"):
        load_latest(tmp_path)
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_latest(tmp_path / "missing")


def test_the_newest_readable_checkpoint_is_taken(digits, tmp_path):
    train(digits, epochs=3, early_stopping=None, callbacks=[Checkpointer(tmp_path)])
    newest = tmp_path / checkpoint_name(3, 0)
    newest.write_bytes(newest.read_bytes()[:1000])  # a disk error, not a crash: writes are atomic
    assert load_latest(tmp_path).epoch == 2


def test_resuming_removes_stale_temporary_files_and_later_checkpoints(digits, tmp_path):
    train(digits, epochs=3, early_stopping=None, callbacks=[Checkpointer(tmp_path)])
    stale = tmp_path / ".ckpt-00004-000000.npz.0123456789ab.tmp"  # a write cut by SIGKILL
    stale.write_bytes(b"half a checkpoint")
    older = read_checkpoint(tmp_path / checkpoint_name(1, 0))
    train(
        digits,
        epochs=3,
        early_stopping=None,
        resume=older.state,
        callbacks=[StopAt(1), Checkpointer(tmp_path)],
    )
    assert not stale.exists()
    assert [position for position, _ in list_checkpoints(tmp_path)] == [(1, 0), (1, 1)]


def test_graceful_stop_turns_a_signal_into_a_stop_at_a_batch_boundary(digits, tmp_path):
    class Signal(Callback):
        def on_batch_end(self, run, step, loss):
            if run.epoch == 1 and step == 3:
                os.kill(os.getpid(), signal.SIGTERM)

    before = signal.getsignal(signal.SIGTERM)
    stopper = GracefulStop()
    model, history = train(digits, callbacks=[Signal(), stopper, Checkpointer(tmp_path)])
    assert history.stopped == "interrupted" and stopper.signal_name == "SIGTERM"
    assert [position for position, _ in list_checkpoints(tmp_path)][-1] == (1, 3)
    assert signal.getsignal(signal.SIGTERM) is before  # handlers put back
    reference = train(digits)
    assert_same_run(reference, train(digits, resume=load_latest(tmp_path).state))


def test_a_second_signal_gives_up_waiting_for_the_batch_boundary(digits):
    class Twice(Callback):
        def on_batch_end(self, run, step, loss):
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)

    before = signal.getsignal(signal.SIGINT)  # SIG_IGN, not Python's, under `cmd &` in a script
    model, history = train(digits, callbacks=[Twice(), GracefulStop()])
    assert history.stopped == "interrupted"
    assert signal.getsignal(signal.SIGINT) is before


def test_a_convolutional_network_resumes_bit_identical(digits, tmp_path):
    from nnscratch.engine.layers import Conv2D, MaxPool2D, Reshape

    def cnn():
        return Sequential(
            [
                Reshape((1, 28, 28)),
                Conv2D(1, 4, 5),
                ReLU(),
                MaxPool2D(2),
                Flatten(),
                Dropout(0.25),
                Dense(4 * 12 * 12, 10),
            ],
            input_scale=1 / 255,
            seed=5,
        )

    reference = train(digits, model=cnn(), epochs=2)
    train(digits, model=cnn(), epochs=2, callbacks=[StopAt(STEPS + 3), Checkpointer(tmp_path)])
    resumed = train(digits, model=cnn(), epochs=2, resume=load_latest(tmp_path).state)
    assert_same_run(reference, resumed)
