"""The tutorial notebook runs from a clean kernel as committed, every assertion in its cells
holding (it trains three networks on part of MNIST: a learning gate). With
NNSCRATCH_EXECUTED_NOTEBOOK set, the executed notebook is written there for the documentation
site to show (.ci/run builds the site after the tests; see docs/hooks/notebook.py)."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "tutorial.ipynb"


def test_the_notebook_runs_from_a_clean_kernel_and_its_assertions_hold(tmp_path):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # A fresh kernel of this Python, in an empty folder: nothing but the notebook's own cells.
    client = NotebookClient(
        notebook,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    outputs = [
        output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    ]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if o.output_type == "display_data" and "image/png" in o.data]
    assert len(images) >= 5  # learning curves, three predictions, the confusion matrix
    printed = "".join(o.text for o in outputs if o.output_type == "stream")
    assert "forward and backward by hand = the model's" in printed
    if target := os.environ.get("NNSCRATCH_EXECUTED_NOTEBOOK"):
        partial = Path(target).with_suffix(".partial")
        nbformat.write(notebook, partial)
        partial.replace(target)  # whole or not at all
