"""Each chart, drawn from a real small model on real MNIST, shows the numbers it claims to.

The charts are read back from the matplotlib objects they drew (texts, line data, bar heights,
image arrays) and compared with what the library computes: the metrics module, the model's own
predictions, the training history.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

from nnscratch import Dense, Flatten, ReLU, Sequential, plots
from nnscratch.datasets import load_mnist
from nnscratch.engine.metrics import classification_report, confusion_matrix
from nnscratch.usecases.inspect import hardest_indices, inspect_model, misclassified_indices

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def run():
    """A 784-32-10 network trained for 3 epochs on 3,000 MNIST images, and 1,000 test images
    it gets partly wrong (so there are mistakes to draw)."""
    x, y = load_mnist("train")
    x_test, y_test = load_mnist("test")
    model = Sequential(
        [Flatten(), Dense(784, 32), ReLU(), Dense(32, 10)], input_scale=1 / 255, seed=0
    )
    history = model.fit(
        x[:3000], y[:3000], epochs=3, batch_size=64, optimizer="adam", validation_split=500
    )
    return {
        "model": model,
        "history": history,
        "x_test": x_test[:1000],
        "y_test": y_test[:1000],
        "x": x[:3000],
        "y": y[:3000],
        "seen": inspect_model(model, x_test[:1000], y_test[:1000]),
    }


def test_inspection_agrees_with_the_model_and_the_metrics(run):
    model, seen = run["model"], run["seen"]
    np.testing.assert_array_equal(seen.predicted, model.predict(run["x_test"]))
    np.testing.assert_allclose(seen.probabilities, model.predict_proba(run["x_test"]), atol=1e-5)
    assert seen.report == classification_report(
        model.predict(run["x_test"]), run["y_test"], loss=seen.report["loss"]
    )
    evaluated = model.evaluate(run["x_test"], run["y_test"])
    assert seen.report["accuracy"] == evaluated["accuracy"]
    assert seen.report["loss"] == pytest.approx(evaluated["loss"], rel=1e-4)
    # Each loss is -log p(label): the probability the model gives the true label.
    p_true = seen.probabilities[np.arange(len(seen.labels)), seen.labels]
    np.testing.assert_allclose(np.exp(-seen.losses), p_true, rtol=1e-9)
    assert 0.5 < seen.report["accuracy"] < 1.0  # it learnt, and it still makes mistakes


def test_confusion_heatmap_shows_the_metrics_counts(run):
    seen = run["seen"]
    expected = confusion_matrix(seen.predicted, seen.labels)
    figure = plots.new_figure(6, 5)
    ax = plots.confusion_heatmap(figure.add_subplot(), seen.report["confusion_matrix"])
    texts = {
        (round(t.get_position()[1]), round(t.get_position()[0])): int(t.get_text())
        for t in ax.texts
    }
    assert len(ax.texts) == 100
    shown = np.array([[texts[(r, c)] for c in range(10)] for r in range(10)])
    np.testing.assert_array_equal(shown, expected)
    # The colours come from the same counts (zeros are masked: blank cells).
    image = ax.images[0].get_array()
    np.testing.assert_array_equal(image.filled(0), expected)
    assert image.mask.sum() == np.count_nonzero(expected == 0)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("predicted label", "true label")


def test_learning_curves_plot_the_history_and_mark_the_best_epoch(run):
    history = run["history"]
    figure = plots.learning_curves(plots.new_figure(9, 3.4), history.as_dict())
    loss_ax, accuracy_ax = figure.axes
    for ax, figure_name in ((loss_ax, "loss"), (accuracy_ax, "accuracy")):
        lines = {line.get_label(): line for line in ax.get_lines()}
        for split in ("train", "dev"):
            np.testing.assert_array_equal(lines[split].get_xdata(), history.epoch)
            np.testing.assert_allclose(
                lines[split].get_ydata(), getattr(history, f"{split}_{figure_name}")
            )
        best = lines[f"best dev (epoch {history.best_epoch})"]
        assert list(best.get_xdata()) == [history.best_epoch] * 2
        assert ax.get_xlabel() == "epoch"
    best_dev = history.epoch[int(np.argmax(history.dev_accuracy))]
    assert history.best_epoch == best_dev


def test_full_batch_curves_count_iterations_and_skip_a_missing_dev_set():
    history = {
        "epoch": [1, 2, 3],
        "train_loss": [2.0, 1.5, 1.2],
        "train_accuracy": [0.2, 0.4, 0.5],
        "dev_loss": [None] * 3,
        "dev_accuracy": [None] * 3,
        "best_epoch": None,
    }
    ax = plots.loss_curves(plots.new_figure(4, 3).add_subplot(), history, unit="iteration")
    assert [line.get_label() for line in ax.get_lines()] == ["train"]
    assert ax.get_xlabel() == "iteration"


def test_per_class_scores_plot_the_report(run):
    report = run["seen"].report
    ax = plots.per_class_scores(plots.new_figure(8, 3.6).add_subplot(), report)
    lines = {line.get_label(): line for line in ax.get_lines()}
    bottom, top = ax.get_ylim()
    for key, label in (("precision", "precision"), ("recall", "recall"), ("f1", "F1")):
        values = [row[key] for row in report["per_class"]]
        np.testing.assert_allclose(lines[label].get_ydata(), values)
        np.testing.assert_allclose(np.round(lines[label].get_xdata()), range(10))
        assert bottom <= min(values) and max(values) <= top  # nothing clipped


def test_misclassified_gallery_shows_the_most_confident_mistakes(run):
    seen = run["seen"]
    wrong = misclassified_indices(seen.probabilities, seen.labels)
    mistakes = seen.report["count"] - round(seen.report["accuracy"] * seen.report["count"])
    assert len(wrong) == mistakes
    assert np.all(seen.predicted[wrong] != seen.labels[wrong])
    confidence = seen.probabilities[wrong, seen.predicted[wrong]]
    assert np.all(np.diff(confidence) <= 0)

    shown = wrong[:16]
    figure = plots.misclassified_gallery(
        plots.new_figure(9, 3), seen.images, seen.labels, seen.probabilities, shown
    )
    drawn = tiles(figure)
    assert len(drawn) == 16
    for (image, caption), i, p in zip(drawn, shown, confidence[:16], strict=True):
        np.testing.assert_array_equal(image.get_array(), seen.images[i])
        assert (
            caption == f"pred {seen.predicted[i]} ({plots.percent(p)})\ntrue {seen.labels[i]}  #{i}"
        )


def test_hardest_gallery_shows_the_highest_losses(run):
    model = run["model"]
    seen = inspect_model(model, run["x"], run["y"])
    hardest = hardest_indices(seen.losses, 8)
    assert hardest[0] == np.argmax(seen.losses)
    assert np.all(np.diff(seen.losses[hardest]) <= 0)
    assert seen.losses[hardest[-1]] >= np.sort(seen.losses)[-8]
    figure = plots.hardest_gallery(
        plots.new_figure(9, 2), seen.images, seen.labels, seen.losses, seen.probabilities, hardest
    )
    for (image, title), i in zip(tiles(figure), hardest, strict=True):
        np.testing.assert_array_equal(image.get_array(), run["x"][i])
        assert title.startswith(f"label {run['y'][i]}  #{i}\n")
        assert title.endswith(f"loss {seen.losses[i]:.1f}")


def tiles(figure):
    """The (image, caption) pairs of a tile grid, in drawing order."""
    (ax,) = figure.axes
    return [(image, text.get_text()) for image, text in zip(ax.images, ax.texts, strict=True)]


def overlap(a, b) -> float:
    """The area two display boxes share."""
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(width, 0) * max(height, 0)


@pytest.mark.parametrize(("size", "count"), [((9, 1.85), 8), ((9, 3), 16), ((9, 6.2), 32)])
def test_tile_grids_keep_tiles_and_captions_apart_and_inside_the_figure(run, size, count):
    seen = run["seen"]
    shown = misclassified_indices(seen.probabilities, seen.labels)[:count]
    assert len(shown) == count
    figure = plots.misclassified_gallery(
        plots.new_figure(*size), seen.images, seen.labels, seen.probabilities, shown
    )
    renderer = figure.canvas.get_renderer()
    frame = figure.bbox
    ax = figure.axes[0]
    boxes = [image.get_window_extent(renderer) for image in ax.images]
    boxes += [text.get_window_extent(renderer) for text in ax.texts]
    assert len(boxes) == 2 * len(shown)
    for k, box in enumerate(boxes):
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1, k
        assert frame.y0 <= box.y0 and box.y1 <= frame.y1, k
        assert all(overlap(box, other) == 0 for other in boxes[k + 1 :]), k


def test_first_layer_weights_draws_each_units_column(run):
    weights = run["model"].layers[1].params["W"]  # (784, 32)
    figure = plots.first_layer_weights(plots.new_figure(8, 4), weights, count=20)
    drawn = tiles(figure)
    assert len(drawn) == 20
    for unit, (image, caption) in enumerate(drawn):
        np.testing.assert_array_equal(image.get_array(), weights[:, unit].reshape(28, 28))
        low, high = image.get_clim()
        assert low == -high == -np.abs(weights[:, unit]).max()  # zero is mid-grey
        assert caption == str(unit)


def test_conv_filters_draws_each_kernel():
    from nnscratch.engine.layers import Conv2D

    conv = Conv2D(1, 12, 5)
    conv.initialize(np.random.default_rng(0), np.dtype(np.float32))
    kernels = conv.params["W"]  # (12, 1, 5, 5)
    figure = plots.conv_filters(plots.new_figure(6, 2), kernels, count=10)
    drawn = tiles(figure)
    assert len(drawn) == 10
    for channel, (image, _) in enumerate(drawn):
        np.testing.assert_array_equal(image.get_array(), kernels[channel, 0])
        assert image.get_clim() == (
            -np.abs(kernels[channel]).max(),
            np.abs(kernels[channel]).max(),
        )
    assert "10 of 12 5x5" in figure.get_suptitle()


def test_probability_view_shows_every_digits_probability(run):
    seen = run["seen"]
    i = int(misclassified_indices(seen.probabilities, seen.labels, 1)[0])
    figure = plots.probability_view(
        plots.new_figure(7, 3), seen.images[i], seen.probabilities[i], int(seen.labels[i])
    )
    image_ax, bars_ax = figure.axes
    np.testing.assert_array_equal(image_ax.images[0].get_array(), seen.images[i])
    heights = [bar.get_height() for bar in bars_ax.patches]
    np.testing.assert_allclose(heights, seen.probabilities[i])
    guess, label = int(seen.predicted[i]), int(seen.labels[i])
    verdict = f"predicted {guess} ({plots.percent(seen.probabilities[i, guess])})"
    assert image_ax.get_title() == f"{verdict}\nlabel {label}: WRONG"
    assert bars_ax.patches[label].get_hatch() == "///"
    colours = {bar.get_facecolor() for k, bar in enumerate(bars_ax.patches) if k != guess}
    assert len(colours) == 1 and bars_ax.patches[guess].get_facecolor() not in colours
    assert bars_ax.get_xticklabels()[label].get_text() == f"{label}\ntrue"


def ink_tops(figure, ax) -> list[int]:
    """The pixel row where each x tick label's ink begins (its digit's top), as drawn."""
    figure.canvas.draw()
    grey = np.asarray(figure.canvas.buffer_rgba())[..., :3].mean(axis=2)
    height = grey.shape[0]
    tops = []
    for label in ax.get_xticklabels():
        box = label.get_window_extent()
        top = int(height - box.y1)
        region = grey[top : math.ceil(height - box.y0), int(box.x0) : math.ceil(box.x1)]
        tops.append(top + int(np.flatnonzero((region < 128).any(axis=1))[0]))
    return tops


@pytest.mark.parametrize("dpi", [100, 200])
@pytest.mark.parametrize("label", [0, 5, 9, None])
def test_the_true_labels_digit_sits_level_with_its_neighbours(dpi, label):
    probabilities = np.full(10, 0.01)
    probabilities[3] = 0.91
    figure = plots.probability_view(
        plots.new_figure(7, 3, dpi=dpi), np.zeros((28, 28), np.uint8), probabilities, label
    )
    tops = ink_tops(figure, figure.axes[1])
    assert len(set(tops)) == 1, tops


def test_percent_never_rounds_a_doubt_away():
    assert plots.percent(0.4049) == "40.5%"
    assert plots.percent(0.9994) == ">99.9%"  # not "99.9%" nor "100.0%"
    assert plots.percent(1.0) == "100.0%"


def test_png_bytes_decode_to_the_figure_size():
    import matplotlib.image

    figure = plots.new_figure(3, 2, dpi=50)
    plots.digit_gallery(figure, np.zeros((0, 28, 28), np.uint8), [])  # the "none" figure
    data = plots.png_bytes(figure)
    assert data.startswith(PNG_SIGNATURE)
    pixels = matplotlib.image.imread(io.BytesIO(data), format="png")
    assert pixels.shape[:2] == (100, 150)
    assert math.isclose(float(pixels[..., :3].min()), 0.0, abs_tol=0.2)  # "none" is written
