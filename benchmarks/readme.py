"""Put one run of the suite into the documentation's performance page (docs/performance.md):
``python -m benchmarks.readme RESULTS.json``.

Rewrites the block between the page's ``<!-- benchmarks: begin -->`` and
``<!-- benchmarks: end -->`` lines with the run's machine, its table and its targets, and draws
the scaling charts into ``docs/`` (when the run has the scaling workload). One run makes the
whole block, so its figures always come from one machine at one time.
"""

from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path

from . import charts, report

ROOT = Path(__file__).parent.parent
PAGE = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- benchmarks: begin -->", "<!-- benchmarks: end -->"


def machine_sentence(document: dict) -> str:
    """Where and when the run was made: CPU, cores, BLAS kernels and threads, load."""
    machine = document.get("machine", {})
    blas = [pool for pool in machine.get("blas", []) if pool.get("internal_api")]
    pools = (
        "; ".join(
            f"{pool['internal_api']} {pool.get('version')} "
            f"({pool.get('architecture') or 'unknown'} kernels, "
            f"{pool.get('num_threads')} threads)"
            for pool in blas
        )
        or "unknown BLAS"
    )
    torch = machine.get("torch")
    torch_text = (
        f"; PyTorch {torch['version']} with {torch['blas']}, {torch['threads']} threads"
        + (f", {torch['cpu_capability']} kernels" if torch.get("cpu_capability") else "")
        if torch
        else ""
    )
    start, end = machine.get("load_average"), machine.get("load_average_end")
    load = ""
    if start:
        load = f"; load average {start[0]:.1f} when the run started"
        if end:
            load += f", {end[0]:.1f} at its end"
    when = document.get("finished", "")
    quick = " (`--quick`: a smoke run, not figures to quote)" if document.get("quick") else ""
    if document.get("isa") == "avx2":
        quick += " with `--isa avx2` (every library's kernels limited to AVX2)"
    return (
        f"One run of `python -m benchmarks`{quick}{' on ' + when if when else ''}: "
        f"{machine.get('cpu', 'unknown CPU')}, {machine.get('cores')} cores; NumPy "
        f"{machine.get('numpy')} with {pools}{torch_text}{load}."
    )


def block(document: dict) -> str:
    """The page's block for one results document (pictures beside it, in docs/)."""
    lines = [BEGIN, "", machine_sentence(document), "", report.markdown(document["results"])]
    if "scaling" in document["results"]:
        lines += [
            "",
            "![seconds per mlp epoch against batch size](scaling-batch.png)",
            "![seconds per mlp epoch against width](scaling-width.png)",
            "![the classic preset against training-set size: seconds and working "
            "memory](scaling-classic.png)",
        ]
    return "\n".join(lines + ["", END])


def rewrite(readme: str, new_block: str) -> str:
    """``readme`` (the page's text) with its benchmarks block replaced (ValueError when it has
    none)."""
    start, stop = readme.find(BEGIN), readme.find(END)
    if start < 0 or stop < start:
        raise ValueError(f"the page has no {BEGIN} ... {END} block")
    return readme[:start] + new_block + readme[stop + len(END) :]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.readme", description=__doc__)
    parser.add_argument("results", type=Path, help="a JSON file the suite wrote")
    parser.add_argument("--readme", type=Path, default=PAGE)
    args = parser.parse_args(argv)
    document = json.loads(args.results.read_text())
    document.setdefault(
        "finished",
        datetime.datetime.fromtimestamp(
            args.results.stat().st_mtime, datetime.timezone.utc
        ).strftime("%d %B %Y at %H:%M UTC"),
    )
    scaling = document["results"].get("scaling")
    if scaling:
        charts.draw(scaling, ROOT / "docs", document.get("machine", {}).get("cpu", ""))
    args.readme.write_text(rewrite(args.readme.read_text(), block(document)))
    print(f"{args.readme} rewritten from {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
