"""The benchmark suite's own arithmetic: the turn order, the ratios and targets it reports, and
the classic baseline being the same maths as nnscratch. (No timing here: speed lives in the
suite, never in tests.)"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import report, tutorial_classic  # noqa: E402
from benchmarks.interleave import interleave, stats  # noqa: E402


def test_contenders_take_turns_in_a_rotating_order():
    calls = []
    units = {name: (lambda name=name: calls.append(name) or float(len(calls)))
             for name in "ABC"}
    seconds = interleave(units, rounds=4)
    assert calls == list("ABC" "BCA" "CAB" "ABC")
    assert seconds["A"] == [1.0, 6.0, 8.0, 10.0]  # what each call returned, in its order
    assert stats([3.0, 1.0, 2.0, 10.0]) == {"median": 2.5, "min": 1.0, "max": 10.0, "n": 4}


def fake_results(ours_epoch, torch_epoch, floor_epoch, ours_latency, torch_latency):
    def s(x):
        return {"median": x, "min": x, "max": x, "n": 1}
    return {
        "mlp": {"nnscratch": {"epoch_seconds": s(ours_epoch), "epoch_seconds_all": [ours_epoch],
                              "test_accuracy": 0.98},
                "pytorch": {"epoch_seconds": s(torch_epoch), "test_accuracy": 0.98},
                "floor (GEMMs only)": {"epoch_seconds": s(floor_epoch)}},
        "classic": {"nnscratch": {"train_seconds": s(10.0), "dev_accuracy": 0.85,
                                  "iterations": 500},
                    "tutorial float64": {"train_seconds": s(25.0), "dev_accuracy": 0.86,
                                         "iterations": 500}},
        "inference": {"nnscratch": {"latency_seconds": s(ours_latency),
                                    "images_per_second": 30000.0,
                                    "batch_seconds": s(1 / 3)},
                      "pytorch": {"latency_seconds": s(torch_latency),
                                  "images_per_second": 20000.0,
                                    "batch_seconds": s(0.5)}},
        "process": {"help_seconds": s(0.2), "train_peak": {"peak_rss_bytes": 700e6}},
    }


def test_targets_are_the_issue_ratios_with_the_right_direction():
    got = {name: (round(value, 6), met) for name, value, _, met in
           report.targets(fake_results(2.0, 4.0, 1.0, 3e-5, 1e-4))}
    assert got["mlp epoch / PyTorch's"] == (0.5, True)
    assert got["mlp epoch / floor"] == (2.0, False)
    assert got["classic training time / tutorial float64"] == (0.4, True)
    assert got["classic dev accuracy - tutorial's"] == (-0.01, False)
    assert got["single-image latency / PyTorch's"] == (0.3, True)
    assert got["batch throughput / PyTorch's"] == (1.5, True)
    assert got["`nnscratch --help` seconds"] == (0.2, True)
    assert got["`nnscratch train` peak memory (MB)"] == (700.0, False)
    slower = dict((n, m) for n, _, _, m in report.targets(fake_results(4.0, 4.0, 3.0, 1e-4,
                                                                        1e-4)))
    assert not slower["mlp epoch / PyTorch's"] and slower["mlp epoch / floor"]
    assert not slower["single-image latency / PyTorch's"]


def test_table_rows_give_nnscratch_over_each_contender():
    rows = report.rows(fake_results(2.0, 4.0, 1.0, 3e-5, 1e-4))
    epoch = {contender: ratio for measure, contender, _, _, ratio in rows
             if measure == "mlp: seconds per epoch"}
    assert epoch == {"nnscratch": "", "pytorch": "0.50x", "floor (GEMMs only)": "2.00x"}
    markdown = report.markdown(fake_results(2.0, 4.0, 1.0, 3e-5, 1e-4))
    assert "| mlp epoch / floor | 2 | <= 1.5 | no |" in markdown


def test_the_tutorial_baseline_takes_the_same_steps_as_nnscratch():
    # The classic workload compares speed only if both contenders compute the same thing.
    from nnscratch import SGD
    from nnscratch.datasets import load_mnist
    from nnscratch.model.presets import build_model
    images, labels = load_mnist("train")
    images, labels = images[:200], labels[:200].astype(np.intp)
    model = build_model("classic", dtype="float64")
    dense = [layer for layer in model.layers if layer.params]
    params = []
    for layer in dense:
        params += [layer.params["W"].T.copy(), layer.params["b"].reshape(-1, 1).copy()]
    model.fit(images, labels, epochs=3, batch_size=None, optimizer=SGD(lr=0.1))
    X = images.reshape(len(images), -1).T / 255.0
    W1, b1, W2, b2 = tutorial_classic.gradient_descent(params, X, labels, 0.1, 3)
    np.testing.assert_allclose(W1, dense[0].params["W"].T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b2[:, 0], dense[1].params["b"], rtol=1e-10, atol=1e-12)
    assert not np.allclose(W2, params[2])  # three steps did move the weights
    np.testing.assert_array_equal(tutorial_classic.predict((W1, b1, W2, b2), X),
                                  model.predict(images))


def test_the_server_rows_and_targets_come_from_its_runs():
    def run(rate, p50, p99):
        return {"answers_per_second": rate, "p50_seconds": p50, "p99_seconds": p99}
    results = {"server": {"nnscratch": {
        "1 worker": {"1 clients": run(250.0, 0.0035, 0.006), "16 clients": run(180.0, 0.09, 0.1)},
        "2 workers": {"16 clients": run(320.0, 0.045, 0.0612)}, "drawing_points": 81}}}
    rows = {(measure, median) for measure, _, median, _, _ in report.rows(results)}
    assert ("server, 1 worker: answers per second (1 client)", "250") in rows
    assert ("server, 2 workers: p99 latency, ms (16 clients)", "61.2") in rows
    got = {name: (round(value, 6), met) for name, value, _, met in report.targets(results)}
    assert got["server answers per second, 16 clients, 2 workers"] == (320.0, True)
    assert got["server p99 latency (ms), 16 clients, 2 workers"] == (61.2, False)
    assert got["server answers per second, 16 clients, 1 worker"] == (180.0, False)


def test_the_server_benchmark_takes_percentiles_between_ranks():
    from benchmarks.server import percentile
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.5
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile([3.0], 99) == 3.0
