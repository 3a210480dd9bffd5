"""Learning gates: full training runs of the presets on real MNIST, with their default seeds
(cnn-bn's and best's cut short, see CNN_BN_GATE_EPOCHS and BEST_GATE_EPOCHS).

Slow (from 10 s for mlp to a few minutes for lstm and the short cnn-bn and best on two
cores); marked ``gate`` by their folder, tests/gates, which ``pytest tests`` and CI run.
"""

from __future__ import annotations

import math

import numpy as np

from nnscratch.datasets import load_mnist
from nnscratch.model import PRESETS, Recipe
from nnscratch.usecases.train import train_recipe

# The full cnn-bn run (6 epochs, under 3 minutes with two threads) is long for CI, so the gate
# trains its recipe for 2 epochs (the schedule fitted to them). Measured on 6 December 2026
# (one BLAS thread, Intel Xeon, two runs side by side): test accuracy 0.9930, 0.9930 and 0.9939
# for seeds 0, 1 and 2; 0.991 leaves room for other BLAS kernels and thread counts. The running
# averages evaluation uses are checked too.
CNN_BN_GATE_EPOCHS = 2
CNN_BN_GATE_ACCURACY = 0.991

# The best preset trains 20 epochs (over half an hour with one thread): the gate trains its
# recipe for one epoch, the schedule fitted to it and the weights' average to the same share of
# the run (decay 1 - 20 x (1 - 0.9998): a horizon of a quarter of the steps, as in the full
# run). Measured on 7 December 2026 (AMD EPYC, one BLAS thread beside four other runs): test
# accuracy 0.9947 for seed 0 (0.9941 without the average); with label smoothing, which best
# took later that day, 0.9941 (two threads, alone); 0.99 leaves room for other kernels and
# thread counts.
BEST_GATE_EPOCHS = 1
BEST_GATE_ACCURACY = 0.99


def _train(recipe: Recipe | str):
    """The preset called ``recipe`` (or the recipe itself) trained and measured on MNIST."""
    return train_recipe(recipe, *load_mnist("train"), *load_mnist("test"))


def _running_means(model) -> list[np.ndarray]:
    """Each BatchNorm layer's running mean: what evaluation normalises with."""
    return [layer.buffers["running_mean"] for layer in model.layers if layer.buffers]


def test_classic_preset_reaches_the_tutorial_accuracy():
    run = _train("classic")
    assert run.metrics["dev_accuracy"] >= 0.82, run.metrics
    assert run.dev_size == PRESETS["classic"].dev_size
    history = run.history
    assert history.stopped == "completed"
    assert history.epoch == list(range(1, 501))
    assert len(history.train_accuracy) == len(history.dev_accuracy) == 500
    assert all(math.isfinite(loss) for loss in history.train_loss)
    assert history.train_accuracy[499] > history.train_accuracy[9]
    assert history.dev_accuracy[499] > history.dev_accuracy[9]
    assert history.train_loss[499] < history.train_loss[0]


def test_mlp_preset_reaches_98_percent_on_the_test_set():
    run = _train("mlp")
    assert run.metrics["test_accuracy"] >= 0.98, run.metrics
    history = run.history
    assert history.stopped == "completed"
    assert history.epoch == list(range(1, PRESETS["mlp"].epochs + 1))
    assert history.dev_accuracy[-1] >= history.dev_accuracy[0]
    assert history.train_loss[-1] < history.train_loss[0]
    # The network generalises: the dev set it never trained on agrees with the test set.
    assert abs(run.metrics["dev_accuracy"] - run.metrics["test_accuracy"]) < 0.01


def test_cnn_preset_reaches_99_percent_on_the_test_set():
    run = _train("cnn")
    assert run.metrics["test_accuracy"] >= 0.99, run.metrics
    history = run.history
    assert history.stopped == "completed"
    assert history.epoch == list(range(1, PRESETS["cnn"].epochs + 1))
    assert history.train_loss[-1] < history.train_loss[0]
    assert abs(run.metrics["dev_accuracy"] - run.metrics["test_accuracy"]) < 0.01


def test_fast_preset_reaches_99_percent_on_the_test_set_in_two_epochs():
    # Measured on 6 December 2026 (Intel Xeon, AVX-512, 2 BLAS threads): test accuracy 0.9921,
    # 0.9921 and 0.9924 for seeds 0, 1 and 2; its time is the benchmarks' to show, not a test's.
    run = _train("fast")
    assert run.metrics["test_accuracy"] >= 0.99, run.metrics
    history = run.history
    assert history.stopped == "completed"
    assert history.epoch == [1, 2]
    assert history.train_loss[-1] < history.train_loss[0]
    assert abs(run.metrics["dev_accuracy"] - run.metrics["test_accuracy"]) < 0.01


def test_lstm_preset_reaches_98_5_percent_on_the_test_set():
    # The full preset: each digit read as 28 rows of 28 pixels by an LSTM of 128 units.
    run = _train("lstm")
    assert run.metrics["test_accuracy"] >= 0.985, run.metrics
    history = run.history
    assert history.stopped == "completed"
    assert history.epoch == list(range(1, PRESETS["lstm"].epochs + 1))
    assert history.train_loss[-1] < history.train_loss[0]
    assert abs(run.metrics["dev_accuracy"] - run.metrics["test_accuracy"]) < 0.01


def test_cnn_bn_preset_cut_to_two_epochs_reaches_its_measured_accuracy():
    recipe = PRESETS["cnn-bn"].with_overrides(epochs=CNN_BN_GATE_EPOCHS)
    run = _train(recipe)
    assert run.metrics["test_accuracy"] >= CNN_BN_GATE_ACCURACY, run.metrics
    assert run.history.stopped == "completed"
    assert run.history.train_loss[-1] < run.history.train_loss[0]
    # The running averages are what evaluation uses: they must have moved from 0 and 1.
    running = _running_means(run.model)
    assert running and all(np.abs(mean).max() > 0 for mean in running)


def test_best_preset_cut_to_one_epoch_reaches_its_measured_accuracy():
    best = PRESETS["best"]
    share = best.epochs / BEST_GATE_EPOCHS
    recipe = best.with_overrides(epochs=BEST_GATE_EPOCHS, ema=1 - share * (1 - best.ema))
    run = _train(recipe)
    assert run.metrics["test_accuracy"] >= BEST_GATE_ACCURACY, run.metrics
    assert run.history.stopped == "completed"
    assert run.history.epoch == [1]
    # Its five BatchNorm layers are what evaluation normalises with: each has learnt a mean.
    running = _running_means(run.model)
    assert len(running) == 5 and all(np.abs(mean).max() > 0 for mean in running)
