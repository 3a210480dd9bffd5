"""The scaling workload's charts, for the performance page (docs/performance.md):
``python -m benchmarks.charts RESULTS.json`` draws them from a results file into ``docs/`` (or
the folder given with ``--out``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

DOCS = Path(__file__).parent.parent / "docs"
COLOURS = {
    "nnscratch": "#0072b2",
    "pytorch": "#d55e00",  # colour-blind safe (Okabe-Ito)
    "nnscratch, one chunk": "#009e73",
}
STYLES = {"nnscratch": "o-", "pytorch": "s--", "nnscratch, one chunk": "^:"}


def plain_log_y(ax) -> None:
    """A log y axis labelled 0.05, 0.1, 0.2, 0.5, 1, 2, ... rather than in powers of ten."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def size_labels(sizes: list[int]) -> list[str]:
    """``10k``, ``20k``, ... for a log axis of training-set sizes; a size too close to the
    last labelled one (under 1.4 times it) keeps its tick but no label, so none overlap."""
    labels, last = [], None
    for size in sizes:
        if last is None or size >= 1.4 * last or size == sizes[-1]:
            labels.append(f"{size // 1000}k")
            last = size
        else:
            labels.append("")
    return labels


def draw(scaling: dict, folder: Path, machine: str = "") -> list[Path]:
    """One PNG per sweep of the scaling results; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullLocator

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for sweep, axis, label in (
        ("batch", "batch", "batch size (examples per step)"),
        ("width", "hidden", "hidden units per layer (two layers)"),
    ):
        points = scaling.get(sweep) or []
        if not points:
            continue
        figure, (top, bottom) = plt.subplots(
            2, 1, figsize=(6.4, 5.6), sharex=True, gridspec_kw={"height_ratios": [3, 1.4]}
        )
        xs = [p[axis] for p in points]
        for name in ("nnscratch", "pytorch"):
            if all(name in p for p in points):
                top.plot(
                    xs,
                    [p[name]["median"] for p in points],
                    STYLES[name],
                    color=COLOURS[name],
                    label=name,
                )
        top.set_xscale("log", base=2)
        top.set_yscale("log")
        plain_log_y(top)
        top.set_ylabel("seconds per 60,000-image epoch")
        top.legend()
        top.grid(True, which="both", alpha=0.3)
        top.set_title(
            f"mlp epoch against {'batch size' if sweep == 'batch' else 'width'}"
            + (f" ({machine})" if machine else ""),
            fontsize=10,
        )
        if all("pytorch" in p for p in points):
            ratios = [p["nnscratch"]["median"] / p["pytorch"]["median"] for p in points]
            bottom.plot(xs, ratios, "o-", color="#555555")
            bottom.axhline(1.0, color="#999999", linewidth=1)
            bottom.set_ylabel("nnscratch / PyTorch")
            bottom.grid(True, alpha=0.3)
        bottom.set_xlabel(label)
        bottom.set_xticks(xs, [f"{x:,}" for x in xs])
        figure.tight_layout()
        path = folder / f"scaling-{sweep}.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        written.append(path)

    points = scaling.get("classic") or []
    if points:
        figure, (left, right) = plt.subplots(1, 2, figsize=(9.6, 3.8))
        sizes = [p["size"] for p in points]
        for name in ("nnscratch", "pytorch"):
            if all(name in p for p in points):
                left.plot(
                    sizes,
                    [p[name]["median"] for p in points],
                    STYLES[name],
                    color=COLOURS[name],
                    label=name,
                )
        for name in COLOURS:
            values = [(p["working_memory"] or {}).get(name) for p in points]
            if values and all(v is not None for v in values):
                right.plot(
                    sizes, [v / 1e6 for v in values], STYLES[name], color=COLOURS[name], label=name
                )
        left.set_ylabel("seconds per iteration")
        right.set_ylabel("working memory of an iteration (MB)")
        left.set_yscale("log")
        plain_log_y(left)
        for ax in (left, right):
            ax.set_xscale("log")
            ax.set_xlabel("training images")
            ax.set_xticks(sizes, size_labels(sizes))
            ax.xaxis.set_minor_locator(NullLocator())
            ax.grid(True, alpha=0.3)
            ax.legend()
        figure.suptitle(
            "classic preset, full-batch gradient descent" + (f" ({machine})" if machine else ""),
            fontsize=10,
        )
        figure.tight_layout()
        path = folder / "scaling-classic.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.charts", description=__doc__)
    parser.add_argument("results", type=Path, help="a JSON file the suite wrote")
    parser.add_argument("--out", type=Path, default=DOCS, help="folder for the PNG files")
    args = parser.parse_args(argv)
    document = json.loads(args.results.read_text())
    scaling = document["results"].get("scaling")
    if not scaling:
        parser.error(
            f"{args.results} has no scaling results; run: python -m benchmarks --only scaling"
        )
    machine = document.get("machine", {}).get("cpu", "")
    for path in draw(scaling, args.out, machine):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
