"""A MkDocs hook that puts the tutorial notebook on the site with its outputs, executed for this
build: no executed copy is kept in the repository, so the page cannot show stale results.

The page ``tutorial-notebook.ipynb`` is ``docs/tutorial.ipynb`` executed from a clean kernel:
- in CI, the copy the learning gate (tests/gates/test_notebook.py) executed and checked, named by
  the environment variable ``NNSCRATCH_EXECUTED_NOTEBOOK`` (``.ci/run`` builds the site after
  the tests, so the notebook runs once);
- otherwise executed here (about five minutes on two cores), kept in ``.cache/docs/`` under
  the notebook's hash so that the next build reuses it.

A copy whose cells differ from ``docs/tutorial.ipynb``, or one with an error or without
outputs, fails the build.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

PAGE = "tutorial-notebook.ipynb"
ENVIRONMENT = "NNSCRATCH_EXECUTED_NOTEBOOK"
ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "docs" / "tutorial.ipynb"
CACHE = ROOT / ".cache" / "docs"

log = logging.getLogger("mkdocs.hooks.notebook")


class NotebookError(PluginError):
    """The executed notebook cannot be shown (MkDocs says so in one line and stops)."""


def cells(notebook) -> list[tuple[str, str]]:
    """The (type, source) of every cell: what must be equal between the notebook and its copy."""
    return [(cell["cell_type"], "".join(cell["source"])) for cell in notebook["cells"]]


def check_executed(path: Path, notebook_path: Path = NOTEBOOK) -> None:
    """Raise NotebookError unless ``path`` is ``notebook_path`` executed without an error."""
    import nbformat

    if not path.is_file():
        raise NotebookError(f"{ENVIRONMENT}={path}: no such file (did the notebook gate run?)")
    shown = nbformat.read(path, as_version=4)
    if cells(shown) != cells(nbformat.read(notebook_path, as_version=4)):
        raise NotebookError(f"{path} is not {notebook_path.name} executed: their cells differ")
    code = [cell for cell in shown.cells if cell.cell_type == "code"]
    if not all(cell.get("execution_count") for cell in code):
        raise NotebookError(f"{path}: some code cells were not executed")
    if any(output.output_type == "error" for cell in code for output in cell.outputs):
        raise NotebookError(f"{path}: a cell ended in an error")


def execute(notebook_path: Path, target: Path) -> None:
    """Run ``notebook_path`` from a clean kernel in an empty folder; write it to ``target``."""
    import tempfile

    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(notebook_path, as_version=4)
    with tempfile.TemporaryDirectory() as folder:
        NotebookClient(
            notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": folder}}
        ).execute()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    nbformat.write(notebook, partial)
    partial.replace(target)


def executed_copy() -> Path:
    """The executed notebook this build shows (see the module's docstring)."""
    given = os.environ.get(ENVIRONMENT)
    if given:
        path = Path(given)
    else:
        digest = hashlib.sha256(NOTEBOOK.read_bytes()).hexdigest()[:16]
        path = CACHE / digest / PAGE
        if not path.is_file():
            log.info("executing %s for the site (about five minutes)", NOTEBOOK.name)
            execute(NOTEBOOK, path)
    check_executed(path)
    return path


@event_priority(100)  # before mkdocs-jupyter's on_files, which turns the page into a notebook page
def on_files(files, config):
    """Add the executed notebook as the page ``tutorial-notebook.ipynb``."""
    path = executed_copy()
    files.append(
        File(
            PAGE,
            src_dir=str(path.parent),
            dest_dir=config["site_dir"],
            use_directory_urls=config["use_directory_urls"],
        )
    )
    return files
