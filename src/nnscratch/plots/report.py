"""One self-contained HTML report of a trained model, made from its model file alone.

The page holds the run's configuration, data, environment, timings and metrics, and every chart
of :mod:`nnscratch.plots` as a PNG embedded in a ``data:`` URI. Its CSS is inline and it links
to nothing, so it opens offline, can be mailed, and never fetches anything. All text from the
model file or the data is HTML-escaped.
"""

from __future__ import annotations

import datetime
import html
import os
from collections.abc import Callable
from pathlib import Path

from ..errors import ConfigError
from ..fileio import atomic_write, check_outputs
from ..model import Sequential
from ..usecases.data import check_fit, data_inputs, load_model_data, recorded_data_spec
from ..usecases.inspect import inspect_model
from .report_html import SECTIONS, esc
from .report_insides import examples_section, first_layer_section
from .report_run import (
    configuration_section,
    data_section,
    environment_section,
    summary_section,
    timings_section,
)
from .report_scores import (
    confusion_section,
    hardest_section,
    learning_curves_section,
    metrics_section,
    misclassified_section,
    per_class_section,
)

__all__ = ["SECTIONS", "build_report", "write_report"]

CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b;
       max-width: 1000px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc;
     padding-bottom: 0.2em; margin-top: 1.8em; }
nav ol { columns: 3; font-size: 0.9em; } .muted { color: #555; }
table { border-collapse: collapse; margin: 0.6em 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
td.num, th.num { text-align: right; } th { background: #f0f0f0; }
code { font-size: 0.9em; word-break: break-all; }
figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; }
figcaption { color: #444; font-size: 0.9em; } .note { background: #fff6d6; padding: 0.4em 0.8em; }
.big { font-size: 1.3em; font-weight: 600; }
.columns { display: flex; flex-wrap: wrap; gap: 0 2.5em; align-items: flex-start; }
"""


# Told what the report is doing: (steps done, steps in all, what comes next).
Progress = Callable[[int, int, str], None]

SECTION_RENDERERS = (
    summary_section,
    configuration_section,
    data_section,
    environment_section,
    timings_section,
    metrics_section,
    learning_curves_section,
    confusion_section,
    per_class_section,
    misclassified_section,
    hardest_section,
    first_layer_section,
    examples_section,
)
MEASURING_STEPS = 2  # the model on its training images, then on the evaluated ones


def build_report(
    model_path: str | os.PathLike, *, data: str | None = None, progress: Progress | None = None
) -> str:
    """The HTML text of the report on the model file ``model_path``.

    ``data`` is a ``--data`` spec (``mnist``, an IDX folder or a CSV file); by default the data
    the model file records. The model is measured on that data's test set (on its training set
    when it has none); the hardest images are taken from its training set. ``progress``, if
    given, is called before each step with (steps done, steps in all, what comes next).
    """
    return _build_report(model_path, data=data, progress=progress)


def _build_report(
    model_path: str | os.PathLike,
    *,
    data: str | None = None,
    output: Path | None = None,
    progress: Progress | None = None,
) -> str:
    """:func:`build_report`, refusing an ``output`` that is one of the data's files as soon as
    the data the model file records is known, before any measuring."""
    model = Sequential.load(model_path)
    meta = model.metadata
    if output is not None:  # the data's files, once the model file says which, before loading
        spec = data if data is not None else recorded_data_spec(meta)
        check_outputs(
            [("--output", output, "report.html")],
            [("the model file MODEL", model_path), *data_inputs(spec, recorded=data is None)],
        )
    loaded = load_model_data(meta, data)
    dataset = loaded.dataset
    check_fit(model, dataset.train_images, os.fspath(model_path), dataset.source)
    total = MEASURING_STEPS + len(SECTION_RENDERERS)
    tell = progress or (lambda done, total, what: None)
    tell(0, total, "measuring the model on its training images")
    training = inspect_model(model, dataset.train_images, dataset.train_labels)
    tell(1, total, "measuring the model on the evaluated images")
    if dataset.test is not None:
        evaluated = inspect_model(model, *dataset.test)
        evaluated_on = f"the test set of {dataset.source} ({len(evaluated.labels):,} images)"
    else:
        evaluated = training
        evaluated_on = (
            f"the training set of {dataset.source} ({len(dataset.train_labels):,} "
            f"images; the data has no test set, so these figures include the "
            f"images the model learnt from)"
        )
    recipe = model.recipe
    context = dict(
        model=model,
        meta=meta,
        path=Path(model_path),
        loaded=loaded,
        evaluated=evaluated,
        evaluated_on=evaluated_on,
        training=training,
        recipe=recipe,
        unit=recipe.unit if recipe is not None else "epoch",
        image_shape=model.image_shape,
    )
    parts = []
    sections = zip(SECTION_RENDERERS, SECTIONS, strict=True)
    for done, (render, (_, name)) in enumerate(sections, MEASURING_STEPS):
        tell(done, total, name)
        parts.append(render(context))
    tell(total, total, "done")
    body = "\n".join(parts)
    title = f"nnscratch report: {Path(model_path).name}"
    made = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    nav = "".join(f'<li><a href="#{key}">{html.escape(name)}</a></li>' for key, name in SECTIONS)
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f'<header><h1>{esc(title)}</h1>\n<p class="muted">made {made} by nnscratch '
        f"from <code>{esc(os.fspath(model_path))}</code></p></header>\n"
        f"<nav><ol>{nav}</ol></nav>\n{body}\n</body>\n</html>\n"
    )


def write_report(
    model_path: str | os.PathLike,
    output: str | os.PathLike,
    *,
    data: str | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write :func:`build_report` to ``output`` (atomically, UTF-8); returns its path."""
    output = Path(output)
    # Checked once the model file is read (it says which data is an input), before measuring.
    text = _build_report(model_path, data=data, output=output, progress=progress)
    with atomic_write(output, ConfigError) as handle:
        handle.write(text.encode("utf-8"))
    return output
