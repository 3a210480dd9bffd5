"""One self-contained HTML report of a trained model, made from its model file alone.

The page holds the run's configuration, data, environment, timings and metrics, and every chart
of :mod:`nnscratch.plots` as a PNG embedded in a ``data:`` URI. Its CSS is inline and it links
to nothing, so it opens offline, can be mailed, and never fetches anything. All text from the
model file or the data is HTML-escaped.
"""

from __future__ import annotations

import base64
import datetime
import html
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..environment import environment
from ..errors import ConfigError
from ..fileio import atomic_write, check_outputs
from ..model import Sequential
from ..usecases.data import check_fit, data_inputs, load_model_data
from ..usecases.describe import scale_text
from ..usecases.inspect import Inspection, hardest_indices, inspect_model, misclassified_indices
from . import charts

GALLERY_SIZE = 32  # images per gallery: four rows of eight
WEIGHT_UNITS = 64  # first-layer units drawn

# (id, heading) of every section, in page order; the tests check that each is there.
SECTIONS = [
    ("summary", "Summary"),
    ("configuration", "Configuration"),
    ("data", "Data"),
    ("environment", "Environment"),
    ("timings", "Timings"),
    ("metrics", "Metrics"),
    ("learning-curves", "Learning curves"),
    ("confusion-matrix", "Confusion matrix"),
    ("per-class", "Per-class precision, recall and F1"),
    ("misclassified", "Misclassified images"),
    ("hardest", "Hardest training images"),
    ("first-layer", "First-layer weights"),
    ("examples", "Single images"),
]

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


def build_report(model_path: str | os.PathLike, *, data: str | None = None) -> str:
    """The HTML text of the report on the model file ``model_path``.

    ``data`` is a ``--data`` spec (``mnist``, an IDX folder or a CSV file); by default the data
    the model file records. The model is measured on that data's test set (on its training set
    when it has none); the hardest images are taken from its training set.
    """
    return _build_report(model_path, data=data)


def _build_report(
    model_path: str | os.PathLike, *, data: str | None = None, output: Path | None = None
) -> str:
    """:func:`build_report`, refusing an ``output`` that is one of the data's files as soon as
    the data the model file records is known, before any measuring."""
    model = Sequential.load(model_path)
    meta = model.metadata
    loaded = load_model_data(meta, data)
    if output is not None:
        check_outputs(
            [("--output", output, "report.html")], data_inputs(loaded.spec, recorded=data is None)
        )
    dataset = loaded.dataset
    check_fit(model, dataset.train_images, os.fspath(model_path), dataset.source)
    training = inspect_model(model, dataset.train_images, dataset.train_labels)
    if dataset.test_images is not None:
        evaluated = inspect_model(model, dataset.test_images, dataset.test_labels)
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
    body = "\n".join(
        render(context)
        for render in (
            _summary,
            _configuration,
            _data,
            _environment,
            _timings,
            _metrics,
            _learning_curves,
            _confusion,
            _per_class,
            _misclassified,
            _hardest,
            _first_layer,
            _examples,
        )
    )
    title = f"nnscratch report: {Path(model_path).name}"
    made = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    nav = "".join(f'<li><a href="#{key}">{html.escape(name)}</a></li>' for key, name in SECTIONS)
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f'<header><h1>{_e(title)}</h1>\n<p class="muted">made {made} by nnscratch '
        f"from <code>{_e(os.fspath(model_path))}</code></p></header>\n"
        f"<nav><ol>{nav}</ol></nav>\n{body}\n</body>\n</html>\n"
    )


def write_report(
    model_path: str | os.PathLike, output: str | os.PathLike, *, data: str | None = None
) -> Path:
    """Write :func:`build_report` to ``output`` (atomically, UTF-8); returns its path."""
    output = Path(output)
    # Now, not after measuring the model; the data it records is checked once it is read.
    check_outputs(
        [("--output", output, "report.html")],
        [("the model file MODEL", model_path), *data_inputs(data)],
    )
    text = _build_report(model_path, data=data, output=output)
    with atomic_write(output, ConfigError) as handle:
        handle.write(text.encode("utf-8"))
    return output


# --- HTML pieces ---------------------------------------------------------------------------------


def _e(value: Any) -> str:
    return html.escape(str(value))


def _section(key: str, *parts: str) -> str:
    heading = dict(SECTIONS)[key]
    return f'<section id="{key}">\n<h2>{_e(heading)}</h2>\n' + "\n".join(parts) + "\n</section>"


def _table(rows, header=None, numeric=()) -> str:
    """rows: sequences of cells (escaped here); ``numeric``: column indexes aligned right."""

    def cells(row, tag):
        return "".join(
            f"<{tag}{' class=num' if i in numeric else ''}>{_e(c)}</{tag}>"
            for i, c in enumerate(row)
        )

    head = f"<thead><tr>{cells(header, 'th')}</tr></thead>" if header else ""
    body = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in rows)
    return f"<table>{head}<tbody>{body}</tbody></table>"


def _key_values(pairs) -> str:
    return _table([(k, _plain(v)) for k, v in pairs])


def _plain(value) -> str:
    """A JSON value as a reader writes it: '-' for none, 'a=1, b=2' for a dict."""
    if value is None:
        return "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_plain(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v) for v in value)
    return str(value)


def _figure(figure, alt: str, caption: str) -> str:
    data = base64.b64encode(charts.png_bytes(figure)).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{_e(alt)}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def _count(n: int, unit: str) -> str:
    return f"{n:,} {unit}" + ("" if n == 1 else "s")


def _fmt(value, digits=4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


# --- sections ------------------------------------------------------------------------------------


def _summary(c) -> str:
    meta, report = c["meta"], c["evaluated"].report
    history = meta.get("history") or {}
    epochs = len(history.get("epoch", []))
    figures = [
        ("accuracy", f"{report['accuracy']:.4f}"),
        ("macro F1", f"{report['macro_avg']['f1']:.4f}"),
        (
            "mistakes",
            f"{report['count'] - round(report['accuracy'] * report['count']):,}"
            f" of {report['count']:,}",
        ),
    ]
    big = " &nbsp; ".join(f'<span class="big">{_e(v)}</span> {_e(k)}' for k, v in figures)
    lines = [
        f"<p>{big}</p>",
        f"<p>Measured on {_e(c['evaluated_on'])}.</p>",
        f"<p>Preset <b>{_e(meta.get('preset', '-'))}</b>, {_count(epochs, c['unit'])} "
        f"({_e(history.get('stopped', '-'))}), seed {_e(meta.get('seed', '-'))}, "
        f"{c['model'].parameter_count():,} parameters.</p>",
    ]
    return _section("summary", *lines)


def _arrays(row: dict) -> str:
    """A layer's parameters and, in parentheses, its buffers, with their shapes."""

    def shapes(arrays):
        return ", ".join(f"{k} {'x'.join(map(str, v))}" for k, v in arrays.items())

    text = shapes(row["parameters"])
    if row["buffers"]:
        text += f" ({shapes(row['buffers'])})"
    return text


def _configuration(c) -> str:
    model, meta = c["model"], c["meta"]
    recipe = meta.get("recipe") or {}
    shape = c["image_shape"]
    layers = [
        (
            row["index"],
            row["type"],
            _plain(row["config"]) if row["config"] else "",
            "x".join(map(str, row["input_shape"])),
            "x".join(map(str, row["output_shape"])),
            _arrays(row),
            f"{row['parameter_count']:,}",
        )
        for row in model.architecture(shape)
    ]
    description = (
        c["recipe"].description(shape or (28, 28), model.output_size)
        if c["recipe"] is not None
        else recipe.get("summary")
    )
    # A run in words made from the recipe's fields, so a file whose recorded summary predates
    # a fix still reads true; else the summary an incomplete recipe recorded, if any.
    description = description if isinstance(description, str) else None
    parts = [
        f"<p>{_e(description)}</p>" if description else "",
        "<h3>Layers</h3>",
        _table(
            layers,
            ("#", "layer", "settings", "input", "output", "arrays", "parameters"),
            numeric=(0, 3, 4, 6),
        ),
        "<p>Arrays in parentheses are buffers (BatchNorm's running averages): saved with "
        "the model, but not learnt by gradient descent.</p>"
        if any(row["buffers"] for row in model.architecture(shape))
        else "",
        f"<p>Loss {_e(model.loss.name)}, {_e(model.dtype.name)}, inputs × "
        f"{_e(scale_text(model.input_scale))}.</p>",
    ]
    columns = []
    if recipe:
        # batch_size None is full-batch gradient descent, not a missing value.
        columns.append(
            "<div><h3>Recipe</h3>"
            + _key_values(
                (k, "full batch" if k == "batch_size" and v is None else v)
                for k, v in recipe.items()
                if k != "summary"
            )
            + "</div>"
        )
    if meta.get("optimizer"):
        columns.append(
            "<div><h3>Optimizer</h3>" + _key_values(meta["optimizer"].items()) + "</div>"
        )
    parts.append(f'<div class="columns">{"".join(columns)}</div>')
    return _section("configuration", *parts)


def _data(c) -> str:
    recorded, loaded = c["meta"].get("data") or {}, c["loaded"]
    dataset = loaded.dataset
    same = {
        True: "yes (same SHA-256)",
        False: "NO: the data has changed since training",
        None: "unknown (the model file records no SHA-256)",
    }[loaded.same_as_training]
    rows = [
        ("trained on", recorded.get("source", "-")),
        (
            "training / dev images",
            f"{recorded.get('train_size', '-'):,} / {recorded.get('dev_size', '-'):,}"
            if recorded.get("train_size") is not None
            else "-",
        ),
        ("recorded SHA-256", recorded.get("sha256", "-")),
        ("this report's data", f"{dataset.source} (--data {loaded.spec})"),
        ("its SHA-256", dataset.sha256),
        ("same data as in training", same),
        ("figures measured on", c["evaluated_on"]),
        (
            "hardest images taken from",
            f"the training set of {dataset.source} ({len(dataset.train_labels):,} images, "
            f"the dev images included)",
        ),
    ]
    note = (
        ""
        if loaded.same_as_training is not False
        else ('<p class="note">The data differs from the data the model was trained on.</p>')
    )
    return _section("data", note, _key_values(rows))


def _environment(c) -> str:
    recorded, now = c["meta"].get("environment") or {}, environment()
    keys = list(dict.fromkeys([*recorded, *now]))
    rows = [(k, _plain(recorded.get(k)), _plain(now.get(k))) for k in keys]
    return _section("environment", _table(rows, ("", "training", "this report")))


def _timings(c) -> str:
    meta, evaluated = c["meta"], c["evaluated"]
    history, recorded = meta.get("history") or {}, meta.get("data") or {}
    seconds = history.get("seconds") or []
    unit = c["unit"]
    rows = []
    if seconds:
        total = seconds[-1]
        rows += [
            ("training time", f"{total:.2f} s over {_count(len(seconds), unit)}"),
            (f"per {unit}", f"{total / len(seconds):.3f} s (mean)"),
        ]
        if recorded.get("train_size") and total > 0:
            rate = recorded["train_size"] * len(seconds) / total
            rows.append(("training speed", f"{rate:,.0f} images/s"))
    rows.append(
        (
            "prediction (this report)",
            f"{len(evaluated.labels):,} images in {evaluated.seconds:.2f} s "
            f"({len(evaluated.labels) / max(evaluated.seconds, 1e-9):,.0f} images/s)",
        )
    )
    parts = [_key_values(rows)]
    if 0 < len(seconds) <= 30:
        steps = np.diff([0.0, *seconds])
        parts.append(
            _table(
                [
                    (e, f"{s:.2f}", _fmt(tl), _fmt(ta), _fmt(dl), _fmt(da))
                    for e, s, tl, ta, dl, da in zip(
                        history["epoch"],
                        steps,
                        history["train_loss"],
                        history["train_accuracy"],
                        history["dev_loss"],
                        history["dev_accuracy"],
                        strict=False,
                    )
                ],
                (unit, "seconds", "train loss", "train acc", "dev loss", "dev acc"),
                numeric=range(6),
            )
        )
    parts.append(
        '<p class="muted">Training time counts the training steps only, not data '
        f"loading or the dev evaluation after each {unit}.</p>"
    )
    return _section("timings", *parts)


def _metrics(c) -> str:
    metrics, report = c["meta"].get("metrics") or {}, c["evaluated"].report
    splits = [
        (split, _fmt(metrics.get(f"{split}_accuracy")), _fmt(metrics.get(f"{split}_loss")))
        for split in ("train", "dev", "test")
    ]
    per_class = [
        (
            r["label"],
            f"{r['precision']:.4f}",
            f"{r['recall']:.4f}",
            f"{r['f1']:.4f}",
            f"{r['support']:,}",
        )
        for r in report["per_class"]
    ]
    for name in ("macro_avg", "weighted_avg"):
        avg = report[name]
        per_class.append(
            (
                name.replace("_avg", " average"),
                f"{avg['precision']:.4f}",
                f"{avg['recall']:.4f}",
                f"{avg['f1']:.4f}",
                f"{avg['support']:,}",
            )
        )
    return _section(
        "metrics",
        "<h3>At the end of training</h3>",
        _table(splits, ("split", "accuracy", "loss"), numeric=(1, 2)),
        f"<h3>Per class, on {_e(c['evaluated_on'])}</h3>",
        f"<p>accuracy {report['accuracy']:.4f}, loss {_fmt(report['loss'])}</p>",
        _table(per_class, ("class", "precision", "recall", "F1", "support"), numeric=(1, 2, 3, 4)),
    )


def _learning_curves(c) -> str:
    meta = c["meta"]
    history = meta.get("history")
    if not history or not history.get("epoch"):
        return _section("learning-curves", "<p>The model file holds no training history.</p>")
    figure = charts.learning_curves(charts.new_figure(9, 3.4), history, unit=c["unit"])
    return _section(
        "learning-curves",
        _figure(
            figure,
            "loss and accuracy curves",
            f"Loss and accuracy per {c['unit']} on the "
            f"training and dev sets; the dotted line marks the best dev {c['unit']}.",
        ),
    )


def _confusion(c) -> str:
    figure = charts.new_figure(6.2, 5.2)
    charts.confusion_heatmap(figure.add_subplot(), c["evaluated"].report["confusion_matrix"])
    return _section(
        "confusion-matrix",
        _figure(
            figure,
            "confusion matrix",
            f"Rows: true label; columns: predicted label; on "
            f"{c['evaluated_on']}. Off the diagonal: the mistakes.",
        ),
    )


def _per_class(c) -> str:
    figure = charts.new_figure(8.5, 3.6)
    charts.per_class_scores(figure.add_subplot(), c["evaluated"].report)
    return _section(
        "per-class",
        _figure(
            figure,
            "per-class precision, recall and F1",
            "Precision: of the images predicted as this digit, the share that are. Recall: of the "
            "images of this digit, the share found. F1: their harmonic mean.",
        ),
    )


def _gallery_height(count: int) -> float:
    return 0.4 + 1.45 * max(1, -(-count // 8))


def _misclassified(c) -> str:
    ev: Inspection = c["evaluated"]
    wrong = misclassified_indices(ev.probabilities, ev.labels)
    shown = wrong[:GALLERY_SIZE]
    figure = charts.new_figure(9, _gallery_height(len(shown)))
    charts.misclassified_gallery(figure, ev.images, ev.labels, ev.probabilities, shown)
    return _section(
        "misclassified",
        _figure(
            figure,
            "misclassified images",
            f"The {len(shown)} most confident of the "
            f"{len(wrong):,} mistakes on {c['evaluated_on']}: predicted label (probability), true "
            f"label, image index.",
        ),
    )


def _hardest(c) -> str:
    tr: Inspection = c["training"]
    shown = hardest_indices(tr.losses, GALLERY_SIZE)
    figure = charts.new_figure(9, _gallery_height(len(shown)) + 0.3)
    charts.hardest_gallery(figure, tr.images, tr.labels, tr.losses, tr.probabilities, shown)
    return _section(
        "hardest",
        _figure(
            figure,
            "hardest training images",
            f"The {len(shown)} training images with the highest "
            f"loss -log p(label): label and index, the network's guess, the loss. Mislabelled "
            f"digits hide here.",
        ),
    )


def _first_layer(c) -> str:
    model = c["model"]
    recurrent = next((layer for layer in model.layers if layer.gate_names), None)
    if recurrent is not None and model.layers.index(recurrent) <= 1:
        figure = charts.new_figure(9, 3.6)
        charts.recurrent_input_weights(figure, recurrent.params["W_ih"], recurrent.gate_names)
        return _section(
            "first-layer",
            _figure(
                figure,
                f"the {recurrent.name}'s input weights",
                f"What each unit of the "
                f"{recurrent.name} reads from a row of the image, gate by gate: one row per unit, "
                f"one column per pixel of the image's row (W_ih, its {len(recurrent.gate_names)} "
                f"blocks). Mid-grey is zero, white a positive weight, black a negative one.",
            ),
        )
    first = next((layer for layer in model.layers if "W" in layer.params), None)
    weights = None if first is None else first.params["W"]
    shape = c["image_shape"] or (28, 28)
    caption = (
        "Each tile is one unit's weights, scaled to its own range: mid-grey is zero, "
        "white excites the unit, black inhibits it."
    )
    if weights is not None and weights.ndim == 2 and weights.shape[0] == shape[0] * shape[1]:
        units = min(WEIGHT_UNITS, weights.shape[1])
        figure = charts.new_figure(min(8, units) + 0.2, -(-units // 8) * 1.05 + 0.4)
        charts.first_layer_weights(figure, weights, tuple(shape), count=units)
        return _section(
            "first-layer",
            _figure(
                figure,
                "first-layer weights",
                f"The first Dense layer's weights over the image's "
                f"pixels, one tile per hidden unit. {caption}",
            ),
        )
    if weights is not None and weights.ndim == 4:  # Conv2D: (C_out, C_in, k, k)
        kernels = min(WEIGHT_UNITS, weights.shape[0])
        figure = charts.new_figure(min(8, kernels) * 0.9 + 0.2, -(-kernels // 8) * 0.95 + 0.4)
        charts.conv_filters(figure, weights, count=kernels)
        return _section(
            "first-layer",
            _figure(
                figure,
                "first-layer convolution kernels",
                f"The first convolution's kernels, one tile per output channel. {caption}",
            ),
        )
    return _section(
        "first-layer",
        "<p>The first layer with weights takes neither the image's "
        "pixels nor its channels directly; nothing to draw.</p>",
    )


def _examples(c) -> str:
    ev: Inspection = c["evaluated"]
    picks = [("the first image", 0)]
    wrong = misclassified_indices(ev.probabilities, ev.labels, 1)
    if len(wrong):
        picks.append(("the most confident mistake", int(wrong[0])))
    right = np.flatnonzero(ev.predicted == ev.labels)
    if len(right):  # the least sure of its correct answers
        picks.append(
            (
                "the least confident right answer",
                int(right[np.argmin(ev.probabilities[right, ev.predicted[right]])]),
            )
        )
    parts = []
    for what, i in picks:
        figure = charts.probability_view(
            charts.new_figure(7, 3.0),
            ev.images[i],
            ev.probabilities[i],
            int(ev.labels[i]),
            title=f"image #{i}: {what}",
        )
        parts.append(
            _figure(
                figure,
                f"image {i} and its probabilities",
                f"Image #{i} of {c['evaluated_on']}, {what}.",
            )
        )
    return _section("examples", *parts)
