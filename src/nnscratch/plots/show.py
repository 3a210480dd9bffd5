"""``nnscratch show``: the tutorial's view of one image, its prediction and its label.

The tutorial showed "test" predictions from the training set; here the test set is the default
and the split is always named. The view is written to a PNG; a window opens only where there is
a display to open it on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, DataError
from ..fileio import check_outputs
from ..model import Sequential
from ..usecases.data import check_fit, data_inputs, load_model_data
from ..usecases.inspect import inspect_model
from . import charts

SPLITS = ("test", "train")


@dataclass
class ShownDigit:
    """What :func:`show_digit` drew: the image's split and index, its label, the predicted
    label and its probability, the data's source, the PNG written, and why no window opened
    if one was asked for and did not."""

    split: str
    index: int
    label: int
    predicted: int
    probability: float
    source: str
    output: Path
    window_problem: str | None = None  # why a window asked for did not open

    def describe(self) -> str:
        """One line: which image, what the model predicted, right or wrong."""
        verdict = "right" if self.predicted == self.label else "wrong"
        return (
            f"{self.split} image {self.index} of {self.source}: predicted {self.predicted} "
            f"({charts.percent(self.probability)}), label {self.label} ({verdict})"
        )


def show_digit(
    model_path: str | os.PathLike,
    index: int,
    *,
    split: str = "test",
    output: str | os.PathLike | None = None,
    data: str | None = None,
    window: bool = False,
) -> ShownDigit:
    """Draw image ``index`` of the ``split`` set (``test`` or ``train``) beside the model's
    probabilities for every digit, write it to ``output`` (default ``digit-SPLIT-INDEX.png``)
    and, if ``window``, show it in a window too.

    ``data`` is a ``--data`` spec; by default the data the model file records. A window asked
    for where there is no display is refused before any work (ConfigError); when it cannot
    open on the display there is, ``window_problem`` says why.
    """
    if split not in SPLITS:
        raise ConfigError(f"unknown --split {split!r}; choose one of: {', '.join(SPLITS)}")
    if index < 0:
        raise ConfigError(f"INDEX {index} is negative; images are numbered from 0")
    if window and not display_available():
        raise ConfigError(
            "--window: there is no display to open a window on (DISPLAY and "
            "WAYLAND_DISPLAY are not set); without --window the picture is "
            "written to its PNG only"
        )
    output = Path(output or f"digit-{split}-{index}.png")
    outputs = [("--output", output, f"digit-{split}-{index}.png")]
    check_outputs(outputs, [("the model file MODEL", model_path), *data_inputs(data)])
    model = Sequential.load(model_path)
    loaded = load_model_data(model.metadata, data, test_only=split == "test")
    check_outputs(outputs, data_inputs(loaded.spec, recorded=data is None))
    dataset = loaded.dataset
    check_fit(model, dataset.train_images, os.fspath(model_path), dataset.source)
    pair = dataset.test if split == "test" else (dataset.train_images, dataset.train_labels)
    if pair is None:
        raise DataError(f"{dataset.source} has no test set; use --split train")
    images, labels = pair
    if not 0 <= index < len(images):
        raise ConfigError(f"INDEX {index} is outside the {split} set's images 0-{len(images) - 1}")
    seen = inspect_model(model, images[index : index + 1], labels[index : index + 1])
    shown = ShownDigit(
        split=split,
        index=index,
        label=int(seen.labels[0]),
        predicted=int(seen.predicted[0]),
        probability=float(seen.probabilities[0, seen.predicted[0]]),
        source=dataset.source,
        output=output,
    )
    title = f"{split} image {index}"
    figure = charts.probability_view(
        charts.new_figure(7, 3.2), images[index], seen.probabilities[0], shown.label, title=title
    )
    charts.save_png(figure, output)
    if window:
        shown.window_problem = _open_window(
            images[index], seen.probabilities[0], shown.label, title
        )
    return shown


def display_available() -> bool:
    """True when a window could be shown: an X11 or Wayland display is set."""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _open_window(image, probabilities, label, title) -> str | None:
    """The same view in a matplotlib window (the only place pyplot is used); returns why it
    could not open, or None once the window is closed."""
    import warnings

    import matplotlib.pyplot as plt

    with warnings.catch_warnings():
        # Without a usable GUI toolkit pyplot falls back to Agg and warns; that is told below.
        warnings.simplefilter("ignore", UserWarning)
        backend = plt.get_backend().lower()
        if backend in _FILE_BACKENDS:
            return (
                f"matplotlib found no window toolkit (Tk, Qt, GTK or wx) to use; it draws "
                f"with {backend}, which writes files only"
            )
        try:
            figure = plt.figure(figsize=(7, 3.2), layout="constrained")
            charts.probability_view(figure, image, probabilities, label, title=title)
            plt.show()
        except Exception as error:  # e.g. Tk's TclError when the display refuses the connection
            return f"the display refused the window ({' '.join(str(error).split())})"
    return None


# matplotlib's backends that draw into files, never a window.
_FILE_BACKENDS = frozenset({"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"})
