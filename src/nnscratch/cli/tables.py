"""Rich tables for ``nnscratch evaluate``, ``predict``, ``info`` and ``gradcheck``: a face,
drawing what the library returns (:mod:`nnscratch.usecases.evaluate`,
:mod:`nnscratch.usecases.predict`, :mod:`nnscratch.usecases.describe`,
:mod:`nnscratch.usecases.gradcheck`) and computing nothing of its own."""

from __future__ import annotations

from typing import Any, Literal

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..usecases.describe import scale_text

PREDICTION_ROWS = 20  # rows shown before "... N more": a Kaggle test file has 28,000

Justify = Literal["default", "left", "center", "right", "full"]  # as Rich spells it


def evaluation_view(report: dict[str, Any]) -> Group:
    """Which data, loss and accuracy; the per-class table with its averages; the confusion
    matrix (rows true label, columns predicted)."""
    data = report["data"]
    parts: list[Any] = [
        Text.from_markup(
            f"[bold]model[/] {report['model']}\n[bold]data[/] {data['source']}, "
            f"{data['split']} split, {data['count']:,} images"
        )
    ]
    if report["seen_in_training"]:
        parts.append(
            Text.from_markup(
                "[yellow]note: the model was trained on this data "
                "(less its dev set); these figures flatter it[/]"
            )
        )
    parts.append(
        Text.from_markup(
            f"[bold]loss[/] {report['loss']:.4f}   [bold]accuracy[/] {report['accuracy']:.4f}"
        )
    )
    per_class = Table(title="per class", title_justify="left")
    for name in ("label", "precision", "recall", "f1", "support"):
        per_class.add_column(name, justify="right")
    for row in report["per_class"]:
        per_class.add_row(str(row["label"]), *_figures(row))
    per_class.add_section()
    for name in ("macro_avg", "weighted_avg"):
        per_class.add_row(name.replace("_avg", " avg"), *_figures(report[name]))
    parts.append(per_class)

    confusion = Table(
        title="confusion matrix (rows: true label, columns: predicted)", title_justify="left"
    )
    classes = len(report["confusion_matrix"])
    confusion.add_column("true", justify="right", style="bold")
    for c in range(classes):
        confusion.add_column(str(c), justify="right")
    for c, row in enumerate(report["confusion_matrix"]):
        confusion.add_row(
            str(c),
            *(
                f"[green]{n}[/]" if k == c else (str(n) if n else "[dim]0[/]")
                for k, n in enumerate(row)
            ),
        )
    parts.append(confusion)
    return Group(*parts)


def _figures(row: dict[str, Any]) -> list[str]:
    return [
        f"{row['precision']:.4f}",
        f"{row['recall']:.4f}",
        f"{row['f1']:.4f}",
        f"{row['support']:,}",
    ]


def source_text(source: dict[str, Any]) -> str:
    """``test.csv row 3``, ``t10k-images-idx3-ubyte index 0`` or ``seven.png``."""
    for key in ("row", "index"):
        if key in source:
            return f"{source['file']} {key} {source[key]}"
    return str(source["file"])


def prediction_view(predictions, top: int | None = None, rows: int = PREDICTION_ROWS) -> Group:
    """A table of the first ``rows`` predictions: image number (Kaggle's ImageId), source,
    label and confidence, or the ``top`` most likely labels with their probabilities."""
    table = Table()
    table.add_column("#", justify="right")
    table.add_column("source", overflow="fold")
    table.add_column("label", justify="right", style="bold")
    table.add_column("confidence", justify="right")
    if top:
        table.add_column(f"top {top}", no_wrap=True)
        labels, probabilities = predictions.top(top)
    count = len(predictions.labels)
    for i in range(min(count, rows)):
        cells = [
            str(i + 1),
            source_text(predictions.sources[i]),
            str(predictions.labels[i]),
            f"{predictions.probabilities[i, predictions.labels[i]]:.4f}",
        ]
        if top:
            cells.append(
                "  ".join(
                    f"{k}: {p:.4f}" for k, p in zip(labels[i], probabilities[i], strict=False)
                )
            )
        table.add_row(*cells)
    parts: list[Any] = [table]
    if count > rows:
        parts.append(
            Text(
                f"... and {count - rows:,} more ({count:,} images); --output writes "
                f"them all as CSV, --json prints them all"
            )
        )
    return Group(*parts)


def info_view(info: dict[str, Any]) -> Group:
    """The architecture table, then the file, recipe, data and metrics as key-value tables."""
    has_buffers = any(layer.get("buffers") for layer in info["architecture"])
    arch = Table(
        title=f"architecture ({info['parameter_count']:,} parameters, "
        f"{info['dtype']}, loss {info['loss']})",
        title_justify="left",
        caption="in parentheses: buffers (running averages), saved but not learnt"
        if has_buffers
        else None,
        caption_justify="left",
    )
    columns: tuple[tuple[str, Justify], ...] = (
        ("#", "right"),
        ("layer", "left"),
        ("input", "right"),
        ("output", "right"),
        ("parameters", "left"),
        ("count", "right"),
    )
    for name, justify in columns:
        # fold: at 80 columns "Conv2D(kernel_size=5," is wider than its column; cut with "…" it
        # would hide the setting the column is there to show.
        arch.add_column(name, justify=justify, overflow="fold")
    for layer in info["architecture"]:
        # Sizes and channels are in the shape columns already.
        config = ", ".join(
            f"{k}={v}"
            for k, v in layer["config"].items()
            if k
            not in (
                "in_features",
                "out_features",
                "in_channels",
                "out_channels",
                "shape",
                "features",
                "input_size",
                "hidden_size",
            )
        )
        arrays = "  ".join(f"{k} {_shape(v)}" for k, v in layer["parameters"].items())
        buffers = layer.get("buffers") or {}  # files written before buffers existed lack it
        if buffers:
            arrays += "  (" + "  ".join(f"{k} {_shape(v)}" for k, v in buffers.items()) + ")"
        arch.add_row(
            str(layer["index"]),
            f"{layer['type']}({config})",
            _shape(layer["input_shape"]),
            _shape(layer["output_shape"]),
            arrays,
            f"{layer['parameter_count']:,}" if layer["parameter_count"] else "",
        )
    pre = info["preprocessing"]
    image = _shape(pre["image_shape"]) if pre.get("image_shape") else "-"
    data = info["data"] or {}
    parts: list[Any] = [
        arch,
        _pairs(
            "file",
            [
                ("path", info["file"]),
                ("format", f"{info['format']} version {info['format_version']}"),
                (
                    "written by",
                    f"nnscratch {info['library_version']}" if info["library_version"] else "-",
                ),
                ("arrays SHA-256", f"{info['arrays_sha256']} (verified)"),
                ("file SHA-256", info["file_sha256"]),
                ("input", f"images {image}, pixels x {scale_text(pre.get('scale'))}"),
            ],
        ),
        _pairs(
            "training",
            [
                ("preset", info["preset"]),
                ("data", data.get("source")),
                ("data SHA-256", data.get("sha256")),
                (
                    "train / dev images",
                    f"{_count(data.get('train_size'))} / {_count(data.get('dev_size'))}"
                    if "train_size" in data
                    else None,
                ),
                ("seed", info["seed"]),
                ("epochs", f"{info['epochs']} ({info['stopped']})" if info["epochs"] else None),
                ("optimizer", _mapping(info["optimizer"])),
            ],
        ),
    ]
    if info.get("fine_tuned_from"):
        parts.append(_pairs("fine-tuned from", _fine_tune_rows(info["fine_tuned_from"])))
    if info["hyperparameters"]:
        parts.append(
            _pairs(
                "hyperparameters",
                [
                    (k, v)
                    for k, v in info["hyperparameters"].items()
                    if k not in ("name", "summary")
                ],
            )
        )
    if info["metrics"]:
        parts.append(
            _pairs(
                "metrics at save time",
                [
                    (
                        k,
                        f"{v:.1f} s"
                        if k.endswith("seconds") and v is not None
                        else f"{v:.4f}"
                        if isinstance(v, float)
                        else v,
                    )
                    for k, v in info["metrics"].items()
                ],
            )
        )
    return Group(*parts)


def _fine_tune_rows(record: dict[str, Any]) -> list[tuple[str, Any]]:
    """Where a fine-tuned model started and its accuracy before and after (a file may hold
    anything: what is not as written is shown as -)."""
    start = _table(record.get("from"))
    rows = [
        ("model file", start.get("file")),
        ("its SHA-256", start.get("sha256")),
        ("its data", start.get("data")),
    ]
    before, after = _table(record.get("before")), _table(record.get("after"))
    for key, what in (("held_out", "held-out new digits"), ("mnist_test", "MNIST's test set")):
        old, new = before.get(key), after.get(key)
        if isinstance(old, (int, float)) and isinstance(new, (int, float)):
            rows.append((f"accuracy on {what}", f"{old:.4f} before, {new:.4f} after"))
    return rows


def _count(value: Any) -> str:
    return "-" if value is None else f"{value:,}"


def _table(value: Any) -> dict[str, Any]:
    """``value`` if it is a table, else an empty one (a file may hold anything)."""
    return value if isinstance(value, dict) else {}


def _pairs(title: str, rows: list[tuple[str, Any]]) -> KeyValues:
    return KeyValues(title, [(key, "-" if value is None else str(value)) for key, value in rows])


class KeyValues:
    """A two-column table of keys and values, laid out for the console it is printed on: when
    room is short the keys wrap, so that a value's longest word (a SHA-256: 64 hex digits) keeps
    its whole width; only a console too narrow for that word folds it."""

    BORDERS = 7  # "│ key │ value │": three rules and four spaces of padding

    def __init__(self, title: str, rows: list[tuple[str, str]]) -> None:
        self.title, self.rows = title, rows

    def __rich_console__(self, console, options):
        def longest_word(texts):
            return max((len(word) for text in texts for word in text.split()), default=1)

        keys, values = [key for key, _ in self.rows], [value for _, value in self.rows]
        room = options.max_width - self.BORDERS - longest_word(values)
        widest_key = max((len(key) for key in keys), default=0)  # a section may be empty
        table = Table(title=self.title, title_justify="left", show_header=False)
        table.add_column(
            style="bold", max_width=None if room >= widest_key else max(room, longest_word(keys))
        )
        table.add_column(overflow="fold")
        for key, value in self.rows:
            table.add_row(key, value)
        yield table


def _shape(shape) -> str:
    return "x".join(str(n) for n in shape)


def _mapping(values: dict | None) -> str | None:
    """``name=adam, lr=0.002, schedule=warmup_cosine(total_steps=2580, ...)``."""
    if not values:
        return None
    parts = []
    for key, value in values.items():
        if isinstance(value, dict):
            inner = {k: v for k, v in value.items() if k != "name"}
            value = f"{value.get('name', '')}({_mapping(inner) or ''})"
        parts.append(f"{key}={value}")
    return ", ".join(parts)


def gradcheck_view(report) -> Table:
    """One row per array checked: layer, array, shape, entries compared, relative error."""
    table = Table(
        title=f"gradient check of {report.target} (float64, central differences; "
        f"pass below {report.tolerance:g})",
        title_justify="left",
    )
    columns: tuple[tuple[str, Justify], ...] = (
        ("#", "right"),
        ("layer", "left"),
        ("array", "left"),
        ("shape", "right"),
        ("checked", "right"),
        ("relative error", "right"),
        ("", "left"),
    )
    for name, justify in columns:
        table.add_column(name, justify=justify)
    for row in report.rows:
        table.add_row(
            "" if row.index is None else str(row.index),
            row.layer,
            row.array,
            _shape(row.shape),
            f"{row.checked:,}",
            f"{row.error:.1e}",
            "ok" if row.passed else "[bold red]FAIL[/]",
        )
    return table
