"""The report page's HTML pieces: its sections in page order, and the escaped tables, key-value
lists, numbers and embedded PNG figures the sections are written with."""

from __future__ import annotations

import base64
import html
from typing import Any

from . import charts

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


def esc(value: Any) -> str:
    """The value as text, HTML-escaped."""
    return html.escape(str(value))


def section(key: str, *parts: str) -> str:
    """A ``<section>`` with the id ``key`` and its heading from :data:`SECTIONS`, around
    ``parts``."""
    heading = dict(SECTIONS)[key]
    return f'<section id="{key}">\n<h2>{esc(heading)}</h2>\n' + "\n".join(parts) + "\n</section>"


def table(rows, header=None, numeric=()) -> str:
    """rows: sequences of cells (escaped here); ``numeric``: column indexes aligned right."""

    def cells(row, tag):
        return "".join(
            f"<{tag}{' class=num' if i in numeric else ''}>{esc(c)}</{tag}>"
            for i, c in enumerate(row)
        )

    head = f"<thead><tr>{cells(header, 'th')}</tr></thead>" if header else ""
    body = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in rows)
    return f"<table>{head}<tbody>{body}</tbody></table>"


def key_values(pairs) -> str:
    """A two-column table of ``(name, value)`` pairs, values written as :func:`plain` does."""
    return table([(k, plain(v)) for k, v in pairs])


def plain(value) -> str:
    """A JSON value as a reader writes it: '-' for none, 'a=1, b=2' for a dict."""
    if value is None:
        return "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}={plain(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(plain(v) for v in value)
    return str(value)


def embedded_figure(figure, alt: str, caption: str) -> str:
    """The figure as a PNG in a ``data:`` URI, with its alt text and caption."""
    data = base64.b64encode(charts.png_bytes(figure)).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def count(n: int, unit: str) -> str:
    """``n`` and the unit, in the plural unless n is 1: '1 epoch', '1,200 images'."""
    return f"{n:,} {unit}" + ("" if n == 1 else "s")


def fmt(value, digits=4) -> str:
    """A number with ``digits`` decimals; '-' for None."""
    return "-" if value is None else f"{value:.{digits}f}"
