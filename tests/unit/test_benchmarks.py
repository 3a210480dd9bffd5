"""The benchmark suite's own arithmetic: the turn order, the ratios and targets it reports, and
the classic baseline being the same maths as nnscratch. (No timing here: speed lives in the
suite, never in tests.)"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks import report, tutorial_classic  # noqa: E402
from benchmarks.interleave import interleave, stats  # noqa: E402


@pytest.fixture
def without_kernel_limits(monkeypatch):
    """No kernel variables in the environment (this machine's shell may set
    OPENBLAS_CORETYPE): else a native run would start itself again, for real."""
    from benchmarks import run

    for name in run.AVX2_ONLY:
        monkeypatch.delenv(name, raising=False)


def test_contenders_take_turns_in_a_rotating_order():
    calls = []
    units = {name: (lambda name=name: calls.append(name) or float(len(calls))) for name in "ABC"}
    seconds = interleave(units, rounds=4)
    assert calls == list("ABCBCACABABC")
    assert seconds["A"] == [1.0, 6.0, 8.0, 10.0]  # what each call returned, in its order
    assert stats([3.0, 1.0, 2.0, 10.0]) == {"median": 2.5, "min": 1.0, "max": 10.0, "n": 4}


def fake_results(
    ours_epoch, torch_epoch, floor_epoch, ours_latency, torch_latency, floor_latency=2.8e-5
):
    def s(x):
        return {"median": x, "min": x, "max": x, "n": 1}

    return {
        "mlp": {
            "nnscratch": {
                "epoch_seconds": s(ours_epoch),
                "epoch_seconds_all": [ours_epoch],
                "test_accuracy": 0.98,
            },
            "pytorch": {"epoch_seconds": s(torch_epoch), "test_accuracy": 0.98},
            "floor (GEMMs only)": {"epoch_seconds": s(floor_epoch)},
        },
        "classic": {
            "nnscratch": {"train_seconds": s(10.0), "dev_accuracy": 0.85, "iterations": 500},
            "tutorial float64": {"train_seconds": s(25.0), "dev_accuracy": 0.86, "iterations": 500},
        },
        "inference": {
            "nnscratch": {
                "latency_seconds": s(ours_latency),
                "images_per_second": 30000.0,
                "batch_seconds": s(1 / 3),
            },
            "pytorch": {
                "latency_seconds": s(torch_latency),
                "images_per_second": 20000.0,
                "batch_seconds": s(0.5),
            },
            "floor (products only)": {"latency_seconds": s(floor_latency)},
        },
        "process": {"help_seconds": s(0.2), "train_peak": {"peak_rss_bytes": 700e6}},
    }


def test_targets_are_the_issue_ratios_with_the_right_direction():
    got = {
        name: (round(value, 6), met)
        for name, value, _, met in report.targets(fake_results(2.0, 4.0, 1.0, 3e-5, 1e-4))
    }
    assert got["mlp epoch / PyTorch's"] == (0.5, True)
    assert got["mlp epoch / floor"] == (2.0, False)
    assert got["classic training time / tutorial float64"] == (0.4, True)
    assert got["classic dev accuracy - tutorial's"] == (-0.01, False)
    assert got["single-image latency / PyTorch's"] == (0.3, True)
    assert got["single-image latency / floor"] == (round(3e-5 / 2.8e-5, 6), True)
    assert got["batch throughput / PyTorch's"] == (1.5, True)
    assert got["`nnscratch --help` seconds"] == (0.2, True)
    assert got["`nnscratch train` peak memory (MB)"] == (700.0, False)
    slower = dict(
        (n, m) for n, _, _, m in report.targets(fake_results(4.0, 4.0, 3.0, 1.2e-4, 1e-4, 1e-4))
    )
    assert not slower["mlp epoch / PyTorch's"] and slower["mlp epoch / floor"]
    assert not slower["single-image latency / PyTorch's"]
    assert not slower["single-image latency / floor"]


def test_table_rows_give_nnscratch_over_each_contender():
    rows = report.rows(fake_results(2.0, 4.0, 1.0, 3e-5, 1e-4))
    epoch = {
        contender: ratio
        for measure, contender, _, _, ratio in rows
        if measure == "mlp: seconds per epoch"
    }
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
    np.testing.assert_array_equal(
        tutorial_classic.predict((W1, b1, W2, b2), X), model.predict(images)
    )


def two_conv_net_products(c1, c2):
    """The matrix products (m, k, n, transposed a, transposed b) of a training step of a batch
    of 128: conv 1 -> c1 (5x5, 24x24 out), 2x2 pool, conv c1 -> c2 (5x5, 8x8 out), 2x2 pool,
    dense c2·16 -> 128 -> 10. The first layer of each kind but the very first computes its
    input's gradient too."""
    flat = c2 * 4 * 4
    return [
        (c1, 25, 24 * 24 * 128, False, False),
        (c1, 24 * 24 * 128, 25, False, True),
        (c2, c1 * 25, 8 * 8 * 128, False, False),
        (c2, 8 * 8 * 128, c1 * 25, False, True),
        (c1 * 25, c2, 8 * 8 * 128, True, False),
        (128, flat, 128, False, False),
        (flat, 128, 128, True, False),
        (128, 128, flat, False, True),
        (128, 128, 10, False, False),
        (128, 128, 10, True, False),
        (128, 10, 128, False, True),
    ]


def test_the_cnn_workload_times_the_cnn_preset_and_its_products():
    from benchmarks import cnn

    from nnscratch.model.presets import build_model

    ours, preset = cnn.nnscratch_network(), build_model("cnn")
    assert [layer.config() for layer in ours.layers] == [layer.config() for layer in preset.layers]
    for mine, theirs in zip(ours.layers, preset.layers, strict=True):  # the same initial weights
        for key in theirs.params:
            np.testing.assert_array_equal(mine.params[key], theirs.params[key])
    assert ours.input_scale is None  # it is fed floats in [0, 1], as PyTorch is
    # conv 1 -> 16, conv 16 -> 32, dense 512 -> 128 -> 10
    assert cnn.gemm_shapes(ours) == two_conv_net_products(16, 32)


@pytest.mark.parametrize("network", ["cnn-bn", "lstm"])
def test_the_cnn_bn_and_lstm_workloads_train_their_presets_networks(network):
    from benchmarks import cnn, run

    from nnscratch.model.presets import build_model

    assert network in cnn.NETWORKS and network in run.WORKLOADS
    assert set(run.RUNNERS) == set(run.WORKLOADS)
    ours, preset = cnn.nnscratch_network(network), build_model(network)
    assert [layer.config() for layer in ours.layers] == [layer.config() for layer in preset.layers]
    for mine, theirs in zip(
        ours.layers, preset.layers, strict=True
    ):  # the same initial weights, buffers
        for key, value in {**theirs.params, **theirs.buffers}.items():
            np.testing.assert_array_equal({**mine.params, **mine.buffers}[key], value)


def test_the_mlp_floor_holds_the_networks_weights_and_times_its_steps():
    from benchmarks import floor

    gemms = floor.GemmFloor(steps=2)
    assert [w.shape for w in gemms.W] == [(784, 512), (512, 512), (512, 10)]
    assert [g.shape for g in gemms.dW] == [w.shape for w in gemms.W]
    assert gemms.epoch() > 0
    # the products ran: the first layer's output is its input times its weights
    a = gemms.a
    np.testing.assert_allclose(a[1], a[0] @ gemms.W[0], rtol=1e-5)


def test_the_cnn_bn_and_lstm_floors_count_their_products():
    from benchmarks import cnn

    # cnn-bn: conv 1 -> 32, conv 32 -> 64, dense 1,024 -> 128 -> 10; its BatchNorms have no product
    assert cnn.gemm_shapes(cnn.nnscratch_network("cnn-bn")) == two_conv_net_products(32, 64)
    # lstm: 28 steps of 28 pixels, 128 units (4 gates: 512 rows), then dense 128 -> 10; the
    # LSTM is the first layer with weights, so no gradient of its input
    steps, n, h, rows = 28, 128, 128, 512
    assert cnn.gemm_shapes(cnn.nnscratch_network("lstm")) == (
        [(steps * n, 28, rows, False, True)]
        + [(n, h, rows, False, True)] * steps
        + [(n, rows, h, False, False)] * steps
        + [(rows, steps * n, 28, True, False), (rows, steps * n, h, True, False)]
        + [(n, h, 10, False, False), (h, n, 10, True, False), (n, 10, h, False, True)]
    )


def test_cnn_bn_and_lstm_rows_and_no_target_of_their_own():
    def s(x):
        return {"median": x, "min": x, "max": x, "n": 1}

    results = {
        network: {
            "nnscratch": {
                "epoch_seconds": s(12.0),
                "epoch_seconds_all": [12.0],
                "test_accuracy": 0.98,
            },
            "pytorch": {"epoch_seconds": s(8.0), "test_accuracy": 0.97},
            "floor (GEMMs only)": {"epoch_seconds": s(4.0)},
        }
        for network in ("cnn-bn", "lstm")
    }
    rows = {(m, c): r for m, c, _, _, r in report.rows(results)}
    for network in ("cnn-bn", "lstm"):
        assert rows[(f"{network}: seconds per epoch", "pytorch")] == "1.50x"
        assert rows[(f"{network}: seconds per epoch", "floor (GEMMs only)")] == "3.00x"
        assert (f"{network}: test accuracy after 1 epoch", "nnscratch") in rows
    assert report.targets(results) == []  # the issue's targets are the cnn's


def test_scaling_points_are_whole_batches_of_a_bounded_size():
    from benchmarks import scaling

    n = scaling.examples_for(512, 128, 4e10)
    assert n % 128 == 0 and 8 * 128 <= n <= 60_000
    assert scaling.examples_for(4096, 128, 4e10) == 8 * 128  # at least 8 steps
    assert scaling.examples_for(128, 1024, 1e15) == 58 * 1024  # at most an epoch
    x, y = np.arange(10).reshape(5, 2), np.arange(5)
    xt, yt = scaling.tiled(x, y, 12)
    assert xt.shape == (12, 2) and list(yt) == [0, 1, 2, 3, 4] * 2 + [0, 1]


def scaling_results():
    def s(x):
        return {"median": x, "min": x, "max": x, "n": 1}

    return {
        "chunk": 16384,
        "batch": [
            {"hidden": 512, "batch": b, "examples": 1024, "nnscratch": s(t), "pytorch": s(2 * t)}
            for b, t in ((16, 40.0), (1024, 4.0))
        ],
        "width": [
            {"hidden": h, "batch": 128, "examples": 1024, "nnscratch": s(t), "pytorch": s(t / 2)}
            for h, t in ((128, 1.0), (4096, 100.0))
        ],
        "classic": [
            {
                "size": n,
                "nnscratch": s(n / 1e5),
                "pytorch": s(n / 2e5),
                "working_memory": {
                    "nnscratch": m,
                    "nnscratch, one chunk": n * 400,
                    "pytorch": n * 300,
                },
            }
            for n, m in ((10_000, 1.5e6), (60_000, 2.8e6), (240_000, 3.0e6))
        ],
    }


def test_scaling_rows_and_the_flat_memory_target():
    results = {"scaling": scaling_results()}
    rows = report.rows(results)
    ratio = {(measure, contender): r for measure, contender, _, _, r in rows}
    assert ratio[("scaling: mlp epoch seconds, batch 16", "pytorch")] == "0.50x"
    assert ratio[("scaling: mlp epoch seconds, width 4,096", "pytorch")] == "2.00x"
    assert ("scaling: classic working memory (MB), 240,000 images", "pytorch") in ratio
    ((name, value, _, met),) = report.targets(results)
    # compared from the first size above one chunk: 60,000, not 10,000 (below it, memory grows)
    assert name == "classic working memory, 240,000 / 60,000 images"
    assert round(value, 3) == round(3.0 / 2.8, 3) and met
    results["scaling"]["classic"][-1]["working_memory"]["nnscratch"] = 6e6
    assert not report.targets(results)[0][3]


def test_the_scaling_charts_are_drawn(tmp_path):
    from benchmarks import charts

    paths = charts.draw(scaling_results(), tmp_path, "a CPU")
    assert [p.name for p in paths] == [
        "scaling-batch.png",
        "scaling-width.png",
        "scaling-classic.png",
    ]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)


def test_training_set_sizes_close_on_the_log_axis_keep_their_tick_but_not_a_label():
    from benchmarks.charts import size_labels

    sizes = [10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 240_000]
    assert size_labels(sizes) == ["10k", "20k", "30k", "", "50k", "", "240k"]
    assert size_labels([10_000, 12_000]) == ["10k", "12k"]  # the last always says its size


def test_cnn_rows_and_target():
    def s(x):
        return {"median": x, "min": x, "max": x, "n": 1}

    results = {
        "cnn": {
            "nnscratch": {
                "epoch_seconds": s(8.0),
                "epoch_seconds_all": [8.0] * 3,
                "test_accuracy": 0.97,
            },
            "pytorch": {"epoch_seconds": s(10.0), "test_accuracy": 0.97},
            "floor (GEMMs only)": {"epoch_seconds": s(5.0)},
        }
    }
    ratio = {c: r for m, c, _, _, r in report.rows(results) if m == "cnn: seconds per epoch"}
    assert ratio == {"nnscratch": "", "pytorch": "0.80x", "floor (GEMMs only)": "1.60x"}
    ((name, value, limit, met),) = report.targets(results)
    assert (name, value, met) == ("cnn epoch / PyTorch's", 0.8, True)


def test_one_run_rewrites_the_readme_block_and_says_where_it_ran():
    torch = {"version": "2.13.0+cpu", "blas": "MKL", "threads": 2}
    from benchmarks import readme

    document = {
        "machine": {
            "cpu": "AMD EPYC",
            "cores": 2,
            "numpy": "2.4.6",
            "blas": [
                {
                    "internal_api": "openblas",
                    "version": "0.3.31",
                    "architecture": "Haswell",
                    "num_threads": 2,
                }
            ],
            "torch": torch,
            "load_average": [0.2, 0.1, 0.1],
            "load_average_end": [1.9, 1, 1],
        },
        "quick": False,
        "finished": "1 December 2026 at 12:00 UTC",
        "results": fake_results(2.0, 4.0, 1.0, 3e-5, 1e-4),
    }
    sentence = readme.machine_sentence(document)
    assert sentence.startswith("One run of `python -m benchmarks` on 1 December 2026")
    assert "openblas 0.3.31 (Haswell kernels, 2 threads)" in sentence
    assert "PyTorch 2.13.0+cpu with MKL, 2 threads" in sentence
    assert "load average 0.2 when the run started, 1.9 at its end" in sentence
    old = f"intro\n{readme.BEGIN}\nold table\n{readme.END}\nafter\n"
    new = readme.rewrite(old, readme.block(document))
    assert new.startswith("intro\n" + readme.BEGIN) and new.endswith(readme.END + "\nafter\n")
    assert "old table" not in new and "| mlp epoch / floor | 2 | <= 1.5 | no |" in new
    assert "--quick" in readme.machine_sentence({**document, "quick": True})
    assert "AVX2" not in sentence
    avx2 = {**document, "isa": "avx2"}
    avx2["machine"] = {**document["machine"], "torch": {**torch, "cpu_capability": "AVX2"}}
    assert "with `--isa avx2`" in readme.machine_sentence(avx2)
    assert "PyTorch 2.13.0+cpu with MKL, 2 threads, AVX2 kernels" in readme.machine_sentence(avx2)
    with pytest.raises(ValueError, match="no <!-- benchmarks: begin -->"):
        readme.rewrite("no block here", "x")


def test_the_server_rows_and_targets_come_from_its_runs():
    def run(rate, p50, p99):
        return {"answers_per_second": rate, "p50_seconds": p50, "p99_seconds": p99}

    results = {
        "server": {
            "nnscratch": {
                "1 worker": {
                    "1 clients": run(250.0, 0.0035, 0.006),
                    "16 clients": run(180.0, 0.09, 0.1),
                },
                "2 workers": {"16 clients": run(320.0, 0.045, 0.0612)},
                "drawing_points": 81,
            }
        }
    }
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


def test_the_server_workload_asks_for_the_preset_models_as_serve_does(monkeypatch, tmp_path):
    import inspect

    from benchmarks import server

    from nnscratch.web import launch

    calls, signature = [], inspect.signature(launch.preset_models)

    def preset_models(*args, **kwargs):  # what the real one would take, or TypeError
        calls.append(signature.bind(*args, **kwargs))

    monkeypatch.setattr(launch, "preset_models", preset_models)
    monkeypatch.setattr(launch, "cache_dir", lambda: tmp_path)
    assert server.model_files() == [
        tmp_path / "models" / f"{name}.npz" for name in launch.DEFAULT_PRESETS
    ]
    assert len(calls) == 1 and callable(calls[0].arguments["train"])


def test_a_failing_workload_costs_the_others_nothing(monkeypatch, tmp_path, without_kernel_limits):
    import subprocess

    from benchmarks import run

    def isolated(workload, args):
        if workload == "process":
            raise subprocess.CalledProcessError(1, ["python", "-m", "benchmarks"])
        return {"help_seconds": [0.1]} if workload == "process" else {}

    monkeypatch.setattr(run, "_isolated", isolated)
    monkeypatch.setattr(run, "_print_tables", lambda results, quick: None)
    out = tmp_path / "run.json"
    assert run.main(["--only", "process,server", "--out", str(out), "--no-table"]) == 1
    import json

    assert set(json.loads(out.read_text())["results"]) == {"server"}


def test_time_to_the_goal_is_the_first_check_that_reaches_it():
    from benchmarks import fast

    checks = [(1.0, 0.95), (2.0, 0.991), (3.0, 0.989), (4.0, 0.993)]
    assert fast.time_to_goal(checks) == 2.0
    assert fast.time_to_goal(checks, goal=0.992) == 4.0
    assert fast.time_to_goal(checks, goal=0.995) is None
    assert fast.checkpoints_every(461) == 461 // fast.CHECKS_PER_EPOCH
    assert fast.checkpoints_every(3) == 1


def test_the_fast_workload_checks_the_accuracy_along_a_run_of_the_preset():
    from benchmarks import fast

    from nnscratch.datasets import load_mnist

    x, y = load_mnist("train")
    x_test, y_test = load_mnist("test")
    recipe = fast._recipe(seed=0, epochs=1)
    assert recipe.name == "fast" and recipe.epochs == 1
    recipe = recipe.with_overrides(dev_size=100)
    done = fast.nnscratch_run(recipe, x[:1380], y[:1380], x_test[:500], y_test[:500])
    steps = -(-1280 // recipe.batch_size)  # 10 steps: a check after each
    seconds = [s for s, _ in done["checks"]]
    assert len(seconds) == steps and seconds == sorted(seconds)
    assert seconds[-1] <= done["train_seconds"]  # and the end of the epoch after it
    assert done["test_accuracy"] == done["checks"][-1][1] > 0.5  # it learns within the epoch
    assert done["seconds_to_goal"] == fast.time_to_goal(done["checks"])


def test_pytorch_takes_the_fast_runs_batches_in_nnscratchs_order():
    from benchmarks import fast

    from nnscratch.datasets import load_mnist
    from nnscratch.model import build_model
    from nnscratch.training import Callback
    from nnscratch.usecases.train import train_recipe

    recipe = fast._recipe(seed=3, epochs=2).with_overrides(dev_size=100)
    x, y = load_mnist("train")
    drawn = []

    class Orders(Callback):
        def on_epoch_begin(self, trainer, epoch):
            drawn.append(trainer.order.copy())

    train_recipe(recipe, x[:740], y[:740], callbacks=[Orders()])
    expected = fast.batch_orders(build_model(recipe), 640, recipe.epochs)
    assert len(drawn) == len(expected) == 2
    for order, wanted in zip(drawn, expected, strict=True):
        np.testing.assert_array_equal(order, wanted)
    assert not np.array_equal(expected[0], expected[1])  # a new order each epoch


def test_fast_rows_and_targets():
    def s(x):
        return {"median": x, "min": x, "max": x, "n": 3}

    results = {
        "fast": {
            "nnscratch": {
                "train_seconds": s(18.0),
                "seconds_to_goal": s(15.0),
                "test_accuracy": s(0.992),
            },
            "pytorch": {
                "train_seconds": s(24.0),
                "seconds_to_goal": s(20.0),
                "test_accuracy": s(0.991),
            },
        }
    }
    ratio = {(m, c): r for m, c, _, _, r in report.rows(results)}
    assert ratio[("fast: seconds to 99.0 % test accuracy", "pytorch")] == "0.75x"
    assert ratio[("fast: training seconds", "pytorch")] == "0.75x"
    goals = {name: (value, met) for name, value, _, met in report.targets(results)}
    assert goals["fast: seconds to 99 % test accuracy"] == (15.0, True)
    assert goals["fast: time to 99 % / PyTorch's"] == (0.75, True)
    results["fast"]["nnscratch"]["seconds_to_goal"] = None  # no run reached it: no target met
    assert "fast: seconds to 99 % test accuracy" not in {n for n, *_ in report.targets(results)}


def test_isa_avx2_runs_the_suite_again_with_every_library_limited_to_avx2(
    monkeypatch, without_kernel_limits
):
    import subprocess

    from benchmarks import run

    calls = []

    def again(command, env, cwd):
        calls.append((command, env))
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(run.subprocess, "run", again)
    assert run.main(["--only", "fast", "--isa", "avx2"]) == 0
    [(command, env)] = calls
    assert command[1:] == ["-m", "benchmarks", "--only", "fast", "--isa", "avx2"]
    assert env["OPENBLAS_CORETYPE"] == "Haswell" and env["ONEDNN_MAX_CPU_ISA"] == "AVX2"
    assert env["MKL_ENABLE_INSTRUCTIONS"] == "AVX2" and env["ATEN_CPU_CAPABILITY"] == "avx2"


def test_native_runs_again_without_kernel_limits_the_shell_set(monkeypatch):
    # A shell with OPENBLAS_CORETYPE=Haswell would give NumPy AVX2 kernels on an AVX-512 CPU.
    import subprocess

    from benchmarks import run

    calls = []

    def again(command, env, cwd):
        calls.append((command, env))
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setenv("OPENBLAS_L2_SIZE", "512")  # not a kernel limit: kept
    monkeypatch.setattr(run.subprocess, "run", again)
    assert run.main(["--only", "fast"]) == 0
    [(command, env)] = calls
    assert command[1:] == ["-m", "benchmarks", "--only", "fast"]
    assert not set(run.AVX2_ONLY) & set(env) and env["OPENBLAS_L2_SIZE"] == "512"


def test_limits_count_each_products_multiply_adds_three_times_but_the_firsts_twice():
    from benchmarks.limits import training_flops

    from nnscratch.engine.layers import LSTM, Conv2D, Dense, Flatten, ReLU, Reshape

    layers = [Reshape((1, 5, 5)), Conv2D(1, 2, 3), ReLU(), Flatten(), Dense(18, 4)]
    conv, dense = 2 * 2 * 9 * 3 * 3, 2 * 18 * 4  # C_out·C_in·k²·H_out·W_out; in·out
    assert training_flops(layers, (5, 5)) == 2 * conv + 3 * dense
    lstm = 2 * 3 * 4 * 4 * (2 + 4)  # steps·gates·H·(F + H)
    assert training_flops([LSTM(2, 4), Dense(4, 3)], (3, 2)) == 2 * lstm + 3 * 2 * 4 * 3


def test_conv_layers_finds_every_convolution_of_the_presets_with_its_input():
    from benchmarks.conv_layers import cases

    found = {(c.preset, c.input_shape, c.first) for c in cases(("cnn", "best"))}
    assert found == {
        ("cnn", (128, 1, 28, 28), True),
        ("cnn", (128, 16, 12, 12), False),  # 24x24 pooled
        ("best", (64, 1, 28, 28), True),
        ("best", (64, 32, 26, 26), False),
        ("best", (64, 32, 12, 12), False),  # 24x24 pooled
        ("best", (64, 64, 10, 10), False),
    }
    second = next(c for c in cases(("cnn",)) if not c.first)
    # forward, weight gradient and input gradient: 32 x (16·5·5) x (8·8) multiply-adds an image
    assert second.training_flops() == 3 * 2 * 32 * 400 * 64 * 128
    first = next(c for c in cases(("cnn",)) if c.first)
    assert first.training_flops() == 2 * 2 * 16 * 25 * 24 * 24 * 128
