"""What every chart shares: a bare Agg figure, PNG bytes and files, series styles and colour
maps chosen to read in greyscale, percentages as the charts print them."""

from __future__ import annotations

import io

# Series styles: colour *and* marker/line style, so a greyscale print still tells them apart.
TRAIN_STYLE = dict(color="#1f4e79", linestyle="-", marker="o")
DEV_STYLE = dict(color="#d95f02", linestyle="--", marker="s")
BEST_STYLE = dict(color="0.35", linestyle=":", linewidth=1.2)
HEATMAP_CMAP = "Blues"  # lightness falls monotonically with the count
INK_CMAP = "gray_r"  # digits as ink on paper: 0 is white, 255 is black


def new_figure(width: float, height: float, dpi: int = 100):
    """A matplotlib Figure (width x height inches) with an Agg canvas; no pyplot involved."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def png_bytes(figure, dpi: int | None = None) -> bytes:
    """The figure rendered as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def save_png(figure, path, dpi: int | None = None) -> None:
    """Write the figure to ``path`` as a PNG, atomically."""
    from ..errors import ConfigError
    from ..fileio import atomic_write

    data = png_bytes(figure, dpi)
    with atomic_write(path, ConfigError) as handle:
        handle.write(data)


def percent(p: float) -> str:
    """A probability as a percentage with one decimal; ">99.9%" rather than a 100.0% that
    rounding would claim for 0.9996."""
    return ">99.9%" if 0.999 < p < 1 else f"{p:.1%}"
