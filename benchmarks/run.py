"""``python -m benchmarks``: run the workloads, print the table, write the results as JSON."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

WORKLOADS = (
    "classic",
    "mlp",
    "fast",
    "cnn",
    "cnn-bn",
    "lstm",
    "inference",
    "process",
    "server",
    "scaling",
)
RESULTS = Path(__file__).parent / "results"
# What --isa avx2 sets: the variables each library reads to limit its kernels to AVX2
AVX2_ONLY = {
    "OPENBLAS_CORETYPE": "Haswell",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "MKL_ENABLE_INSTRUCTIONS": "AVX2",
    "ATEN_CPU_CAPABILITY": "avx2",
}

# (full, --quick) sizes of each workload
MLP_EPOCHS = (10, 1)
MLP_QUICK_IMAGES = 10_000
CNN = ({"epochs": 3, "images": None}, {"epochs": 1, "images": 5_000})
CLASSIC = (
    {"iterations": 500, "block": 50, "repeats": 1},
    {"iterations": 20, "block": 10, "repeats": 1},
)
# the fast workload's seeds (one round each) and, for --quick, its epochs and images
FAST = (
    {"seeds": (0, 1, 2), "epochs": None, "images": None},
    {"seeds": (0,), "epochs": 1, "images": 5_000},
)
INFERENCE = ({"rounds": 6, "singles": 300}, {"rounds": 2, "singles": 50})
HELP_REPEATS = (10, 3)
# clients: requests per client, and the time limit of each run in seconds
SERVER = (
    {"requests": {1: 500, 16: 150}, "seconds": 30.0},
    {"requests": {1: 50, 16: 10}, "seconds": 10.0},
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: every workload, much smaller (about a minute)",
    )
    parser.add_argument(
        "--only",
        default=",".join(WORKLOADS),
        help=f"comma-separated workloads among {', '.join(WORKLOADS)}",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="BLAS / PyTorch threads for every contender (default: the "
        "libraries' own default, one per core)",
    )
    parser.add_argument(
        "--isa",
        choices=("native", "avx2"),
        default="native",
        help="avx2: every library's kernels limited to AVX2 (OpenBLAS's Haswell kernels, "
        "oneDNN, MKL and PyTorch's own at AVX2), to measure an AVX2-only CPU on one with "
        "AVX-512; native (default): what each library picks for the CPU (any of these "
        "variables set in the environment is left out)",
    )
    parser.add_argument("--no-table", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="JSON file to write (default: benchmarks/results/<date>-<time>.json)",
    )
    args = parser.parse_args(argv)
    chosen = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = set(chosen) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads {sorted(unknown)}; choose among {', '.join(WORKLOADS)}")
    # The libraries read these variables when they load: to change them the whole run goes
    # again, set (avx2) or left out (native: a shell that sets OPENBLAS_CORETYPE=Haswell would
    # otherwise give NumPy AVX2 kernels on a CPU with AVX-512, and the table would not say).
    wanted = AVX2_ONLY if args.isa == "avx2" else dict.fromkeys(AVX2_ONLY)
    if any(os.environ.get(k) != v for k, v in wanted.items()):
        again = [sys.executable, "-m", "benchmarks", *(sys.argv[1:] if argv is None else argv)]
        env = {k: v for k, v in os.environ.items() if k not in AVX2_ONLY}
        env |= {k: v for k, v in wanted.items() if v is not None}
        return subprocess.run(again, env=env, cwd=Path(__file__).parent.parent).returncode
    if args.threads is not None:
        _limit_threads(args.threads)

    from . import machine, report

    q = 1 if args.quick else 0
    info = machine.describe()
    if not args.no_table:
        print(
            f"machine: {info['cpu']}, {info['cores']} cores"
            + (" (--isa avx2)" if args.isa == "avx2" else "")
            + "; BLAS "
            + ", ".join(
                f"{b.get('internal_api')} {b.get('version')} "
                f"({b.get('architecture') or 'its own'} kernels, {b.get('num_threads')} threads)"
                for b in info["blas"]
            ),
            file=sys.stderr,
        )
    results: dict = {}
    failed = []
    for workload in chosen:
        if not args.no_table:
            print(f"running {workload} ...", file=sys.stderr, flush=True)
        if len(chosen) == 1:
            results[workload] = RUNNERS[workload](q)
            continue
        try:
            results[workload] = _isolated(workload, args)
        except subprocess.CalledProcessError:
            # A broken workload must not cost the others' minutes of measuring.
            failed.append(workload)
            print(
                f"benchmarks: the {workload} workload failed (its error is above); "
                f"the others go on",
                file=sys.stderr,
                flush=True,
            )

    info["load_average_end"] = os.getloadavg()
    if not args.no_table:
        _print_tables(results, args.quick)
    out = args.out or RESULTS / f"{datetime.datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    finished = datetime.datetime.now(datetime.timezone.utc)
    document = {
        "machine": info,
        "quick": args.quick,
        "isa": args.isa,
        "threads": args.threads,
        "finished": f"{finished:%d %B %Y at %H:%M} UTC",
        "results": results,
        "markdown": report.markdown(results),
    }
    out.write_text(json.dumps(document, indent=1) + "\n")
    if not args.no_table:
        print(
            f"results written to {out}; put them in the README with: python -m "
            f"benchmarks.readme {out}",
            file=sys.stderr,
        )
    if failed:
        print(f"benchmarks: failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def _print_tables(results: dict, quick: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    from . import report

    table = Table(title="nnscratch benchmarks" + (" (--quick)" if quick else ""))
    for column in ("measure", "contender", "median", "min-max", "nnscratch / this"):
        table.add_column(column, justify="left" if column in ("measure", "contender") else "right")
    for row in report.rows(results):
        table.add_row(*row)
    goals = Table(title="targets")
    for column in ("target", "measured", "limit", "met"):
        goals.add_column(column)
    for name, value, limit, met in report.targets(results):
        goals.add_row(name, f"{value:.3g}", limit, "yes" if met else "[red]no[/]")
    console = Console(width=max(Console().width, 110))
    console.print(table, goals)


def _isolated(workload: str, args) -> dict:
    """Run one workload in a fresh Python process and return its results.

    Each workload gets a process of its own: thread pools that one library left spinning
    (PyTorch's OpenMP after training, scikit-learn's imports) must not slow the next workload's
    contenders. Within a workload the contenders share the process, taking turns.
    """
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"{workload}.json"
        command = (
            [
                sys.executable,
                "-m",
                "benchmarks",
                "--only",
                workload,
                "--out",
                str(out),
                "--no-table",
            ]
            + (["--quick"] if args.quick else [])
            + ([] if args.threads is None else ["--threads", str(args.threads)])
        )
        subprocess.run(command, check=True, cwd=Path(__file__).parent.parent)
        return json.loads(out.read_text())["results"][workload]


def _limit_threads(threads: int) -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:
        pass


def _classic(q: int) -> dict:
    from nnscratch.datasets import load_mnist

    from . import classic

    return classic.run(*load_mnist("train"), **CLASSIC[q])


def _mlp(q: int) -> dict:
    from . import floor, mlp
    from .data import mnist_rows
    from .peers import optional

    x, y = mnist_rows("train")
    if q:
        x, y = x[:MLP_QUICK_IMAGES], y[:MLP_QUICK_IMAGES]
    steps = -(-len(x) // mlp.BATCH)
    extra = [floor.GemmFloor(steps)]
    if optional("torch"):
        extra.append(floor.TorchGemmFloor(steps))
    return mlp.run(x, y, *mnist_rows("test"), epochs=MLP_EPOCHS[q], extra=extra)


def _cnn(q: int, network: str = "cnn") -> dict:
    from . import cnn
    from .data import mnist_rows

    x, y = mnist_rows("train")
    images = CNN[q]["images"]
    if images:
        x, y = x[:images], y[:images]
    return cnn.run(x, y, *mnist_rows("test"), epochs=CNN[q]["epochs"], network=network)


def _fast(q: int) -> dict:
    from nnscratch.datasets import load_mnist

    from . import fast

    x, y = load_mnist("train")
    images = FAST[q]["images"]
    if images:
        x, y = x[:images], y[:images]
    return fast.run(x, y, *load_mnist("test"), seeds=FAST[q]["seeds"], epochs=FAST[q]["epochs"])


def _scaling(q: int) -> dict:
    from . import scaling
    from .data import mnist_rows

    return scaling.run(*mnist_rows("train"), quick=bool(q))


def _inference(q: int) -> dict:
    from nnscratch.datasets import load_mnist

    from . import inference

    return inference.run(load_mnist("test")[0], **INFERENCE[q])


def _process(q: int) -> dict:
    from . import process

    return {
        "help_seconds": process.help_seconds(HELP_REPEATS[q]),
        "train_peak": process.train_peak_memory(["--epochs", "1"] if q else []),
    }


def _server(q: int) -> dict:
    from . import server

    return server.run(**SERVER[q])


RUNNERS = {
    "classic": _classic,
    "mlp": _mlp,
    "fast": _fast,
    "cnn": _cnn,
    "cnn-bn": lambda q: _cnn(q, "cnn-bn"),
    "lstm": lambda q: _cnn(q, "lstm"),
    "inference": _inference,
    "process": _process,
    "server": _server,
    "scaling": _scaling,
}
