"""The benchmark suite runs whole: every workload of ``python -m benchmarks --quick``, as the
performance page tells a developer to run it, finishes with results (with the contenders this
environment has; PyTorch is not installed for the tests). A workload that raises is reported
and skipped by the suite itself, so only a run to the end says each still works."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_workload_of_the_quick_suite_finishes_with_results(tmp_path):
    from benchmarks import run

    out = tmp_path / "quick.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--no-table", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "failed" not in done.stderr, done.stderr[-3000:]
    results = json.loads(out.read_text())["results"]
    assert set(results) == set(run.RUNNERS)
    assert all(results[workload] for workload in results), results
    # nnscratch and its products-only floor ran in each epoch workload (they need no extra)
    for workload in ("mlp", "cnn", "cnn-bn", "lstm"):
        for contender in ("nnscratch", "floor (GEMMs only)"):
            assert results[workload][contender]["epoch_seconds"]["median"] > 0, workload
