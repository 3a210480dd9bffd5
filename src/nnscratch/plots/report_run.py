"""The report's sections about the run: summary, configuration, data, environment, timings."""

from __future__ import annotations

import numpy as np

from ..environment import environment
from ..usecases.describe import scale_text
from .report_html import count, esc, fmt, key_values, plain, section, table


def summary_section(c) -> str:
    """The page's opening: accuracy, macro F1 and mistakes on the evaluated images, and the run
    in one line (preset, epochs, seed, parameters)."""
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
    big = " &nbsp; ".join(f'<span class="big">{esc(v)}</span> {esc(k)}' for k, v in figures)
    lines = [
        f"<p>{big}</p>",
        f"<p>Measured on {esc(c['evaluated_on'])}.</p>",
        f"<p>Preset <b>{esc(meta.get('preset', '-'))}</b>, {count(epochs, c['unit'])} "
        f"({esc(history.get('stopped', '-'))}), seed {esc(meta.get('seed', '-'))}, "
        f"{c['model'].parameter_count():,} parameters.</p>",
    ]
    return section("summary", *lines)


def _arrays(row: dict) -> str:
    """A layer's parameters and, in parentheses, its buffers, with their shapes."""

    def shapes(arrays):
        return ", ".join(f"{k} {'x'.join(map(str, v))}" for k, v in arrays.items())

    text = shapes(row["parameters"])
    if row["buffers"]:
        text += f" ({shapes(row['buffers'])})"
    return text


def configuration_section(c) -> str:
    """The recipe and the network, layer by layer with its arrays' shapes."""
    model, meta = c["model"], c["meta"]
    recipe = meta.get("recipe") or {}
    shape = c["image_shape"]
    layers = [
        (
            row["index"],
            row["type"],
            plain(row["config"]) if row["config"] else "",
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
        f"<p>{esc(description)}</p>" if description else "",
        "<h3>Layers</h3>",
        table(
            layers,
            ("#", "layer", "settings", "input", "output", "arrays", "parameters"),
            numeric=(0, 3, 4, 6),
        ),
        "<p>Arrays in parentheses are buffers (BatchNorm's running averages): saved with "
        "the model, but not learnt by gradient descent.</p>"
        if any(row["buffers"] for row in model.architecture(shape))
        else "",
        f"<p>Loss {esc(model.loss.name)}, {esc(model.dtype.name)}, inputs × "
        f"{esc(scale_text(model.input_scale))}.</p>",
    ]
    columns = []
    if recipe:
        # batch_size None is full-batch gradient descent, not a missing value.
        columns.append(
            "<div><h3>Recipe</h3>"
            + key_values(
                (k, "full batch" if k == "batch_size" and v is None else v)
                for k, v in recipe.items()
                if k != "summary"
            )
            + "</div>"
        )
    if meta.get("optimizer"):
        columns.append("<div><h3>Optimizer</h3>" + key_values(meta["optimizer"].items()) + "</div>")
    parts.append(f'<div class="columns">{"".join(columns)}</div>')
    return section("configuration", *parts)


def data_section(c) -> str:
    """The data the model learnt from and was measured on, as recorded and as found."""
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
    return section("data", note, key_values(rows))


def environment_section(c) -> str:
    """The machine and libraries of the training run beside those of this report."""
    recorded, now = c["meta"].get("environment") or {}, environment()
    keys = list(dict.fromkeys([*recorded, *now]))
    rows = [(k, plain(recorded.get(k)), plain(now.get(k))) for k in keys]
    return section("environment", table(rows, ("", "training", "this report")))


def timings_section(c) -> str:
    """Training time in total and per epoch (or step), training and prediction speed, and a
    table of the epochs when there are few."""
    meta, evaluated = c["meta"], c["evaluated"]
    history, recorded = meta.get("history") or {}, meta.get("data") or {}
    seconds = history.get("seconds") or []
    unit = c["unit"]
    rows = []
    if seconds:
        total = seconds[-1]
        rows += [
            ("training time", f"{total:.2f} s over {count(len(seconds), unit)}"),
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
    parts = [key_values(rows)]
    if 0 < len(seconds) <= 30:
        steps = np.diff([0.0, *seconds])
        parts.append(
            table(
                [
                    (e, f"{s:.2f}", fmt(tl), fmt(ta), fmt(dl), fmt(da))
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
    return section("timings", *parts)
