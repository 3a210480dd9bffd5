"""The documentation cannot drift from the code: every ``nnscratch`` command shown in the README
and on the site's pages names a command and options that exist, every snippet a page includes
from the source is there, and the executed notebook the site shows is the notebook CI runs."""

from __future__ import annotations

import re
import shlex

import pytest
import typer.main

from nnscratch.cli import app
from readme_text import DOCS, PAGES, README, ROOT

SHOWN = {"README.md": README, **{f"docs/{name}": text for name, text in PAGES.items()}}


def shown_commands():
    """(where, words) for every ``nnscratch ...`` command of a bash block (a ``\\`` ends a line
    that goes on, ``#`` starts a comment, ``&&``, ``;`` and ``|`` separate commands) and every
    inline code span of the prose that starts with ``nnscratch ``."""
    found = []
    for where, text in SHOWN.items():
        lines = [
            line
            for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S)
            for line in block.replace("\\\n", " ").splitlines()
        ]
        prose = re.sub(r"```.*?```", "", text, flags=re.S)
        lines += re.findall(r"`((?:\.venv/bin/)?nnscratch [^`]+)`", prose.replace("\n", " "))
        for line in lines:
            for part in re.split(r"&&|;|\|", line.split(" #")[0]):
                words = shlex.split(part.strip(), comments=True)
                while words and words[0] in ("do", "then"):
                    words = words[1:]
                if words and words[0] in ("nnscratch", ".venv/bin/nnscratch"):
                    found.append((where, words))
    return found


COMMANDS = shown_commands()


def test_the_docs_show_many_commands_from_the_readme_and_the_pages():
    wheres = {where for where, _ in COMMANDS}
    assert len(COMMANDS) >= 100 and "README.md" in wheres and "docs/training.md" in wheres


def option_names(command) -> set[str]:
    return {name for param in command.params for name in [*param.opts, *param.secondary_opts]}


@pytest.mark.parametrize(
    "where, words", COMMANDS, ids=[f"{w}:{' '.join(c[:3])}" for w, c in COMMANDS]
)
def test_a_shown_command_and_its_options_exist(where, words):
    group = typer.main.get_command(app)
    if len(words) == 1 or words[1] == "--help" or words[1].isupper():
        return  # `nnscratch`, `nnscratch --help`, or `nnscratch COMMAND --help` for any command
    command = group.commands.get(words[1])
    assert command is not None, f"{where}: no command {words[1]!r} in {' '.join(words)}"
    known = option_names(command) | {"--help"}
    for word in words[2:]:
        if word.startswith("-") and not re.fullmatch(r"-\d.*", word):
            assert word.split("=")[0] in known, f"{where}: {words[1]} has no option {word}"


def snippet_includes():
    """(page, file, section) for every ``--8<-- "FILE:SECTION"`` a page includes."""
    return [
        (name, path, part)
        for name, text in PAGES.items()
        for path, part in re.findall(r'^--8<-- "([^":]+)(?::([\w-]+))?"$', text, flags=re.M)
    ]


def test_the_pages_include_code_from_the_source():
    included = {path for _, path, _ in snippet_includes()}
    assert {"src/nnscratch/engine/layers/dense.py", "src/nnscratch/engine/losses.py"} <= included


@pytest.mark.parametrize("page, path, part", snippet_includes())
def test_an_included_snippet_is_in_its_file(page, path, part):
    source = ROOT / path
    assert source.is_file(), f"docs/{page} includes {path}, which does not exist"
    if part:
        text = source.read_text(encoding="utf-8")
        start = re.search(rf"--8<-- \[start:{part}\]", text)
        end = re.search(rf"--8<-- \[end:{part}\]", text)
        assert start and end and start.end() < end.start(), f"{path} has no section {part}"
        assert text[start.end() : end.start()].strip().count("\n") >= 1


def needs_the_docs_extra(module: str) -> None:
    """The site's hooks run inside MkDocs: their tests need the docs extra, which .ci/run
    installs; the sdist's own runs (test extra only, and Python 3.10, where mkdocs-material
    9.8 does not install) go without them."""
    pytest.importorskip(module, reason="the docs extra (pip install -e '.[docs]')")


def notebook_hook():
    """docs/hooks/notebook.py, loaded as MkDocs loads a hook (it is not a package module)."""
    import importlib.util

    needs_the_docs_extra("mkdocs")

    spec = importlib.util.spec_from_file_location("notebook_hook", DOCS / "hooks" / "notebook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def executed_like(tmp_path, edit=None):
    """docs/tutorial.ipynb as if executed (counts, no outputs), after ``edit(notebook)``."""
    import nbformat

    notebook = nbformat.read(DOCS / "tutorial.ipynb", as_version=4)
    for count, cell in enumerate(c for c in notebook.cells if c.cell_type == "code"):
        cell.execution_count = count + 1
    if edit:
        edit(notebook)
    path = tmp_path / "tutorial-notebook.ipynb"
    nbformat.write(notebook, path)
    return path


def test_the_site_shows_the_notebook_ci_runs_and_refuses_any_other(tmp_path, monkeypatch):
    import nbformat

    hook = notebook_hook()
    good = executed_like(tmp_path)
    monkeypatch.setenv(hook.ENVIRONMENT, str(good))
    assert hook.executed_copy() == good
    files = hook.on_files([], {"site_dir": str(tmp_path / "site"), "use_directory_urls": True})
    assert [(f.src_uri, f.abs_src_path) for f in files] == [(hook.PAGE, str(good))]

    def stale(notebook):
        notebook.cells[-1].source += "\n# edited after the run"

    def failed(notebook):
        code = next(c for c in notebook.cells if c.cell_type == "code")
        code.outputs = [nbformat.v4.new_output("error", ename="E", evalue="", traceback=[])]

    def unrun(notebook):
        next(c for c in notebook.cells if c.cell_type == "code").execution_count = None

    for edit, message in ((stale, "cells differ"), (failed, "error"), (unrun, "not executed")):
        monkeypatch.setenv(hook.ENVIRONMENT, str(executed_like(tmp_path, edit)))
        with pytest.raises(hook.NotebookError, match=message):
            hook.executed_copy()
    monkeypatch.setenv(hook.ENVIRONMENT, str(tmp_path / "missing.ipynb"))
    with pytest.raises(hook.NotebookError, match="did the notebook gate run"):
        hook.executed_copy()


def test_the_readme_is_short():
    assert len(README.splitlines()) <= 200


def test_the_benchmarks_write_their_table_into_the_performance_page():
    from benchmarks import readme

    page = PAGES["performance.md"]
    assert page.count(readme.BEGIN) == 1 and page.count(readme.END) == 1
    assert readme.BEGIN not in README
    assert readme.PAGE.resolve() == (DOCS / "performance.md").resolve()  # --readme's default
    drawn = re.findall(r"\]\((scaling-\w+\.png)\)", readme.block({"results": {"scaling": {}}}))
    assert drawn and all((DOCS / name).is_file() for name in drawn)


def test_the_sites_docstrings_show_reST_roles_as_code():
    import importlib.util

    needs_the_docs_extra("griffe")

    path = DOCS / "hooks" / "docstring_roles.py"
    spec = importlib.util.spec_from_file_location("docstring_roles", path)
    roles = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(roles)
    text = (
        "is :func:`evaluate_file` plus a table; in Python::\n\n"
        "    x = 1\n\nSee :class:`~nnscratch.model.Sequential` and :mod:`nnscratch.plots`."
    )
    assert roles.plain(text) == (
        "is `evaluate_file` plus a table; in Python:\n\n"
        "    x = 1\n\nSee `Sequential` and `nnscratch.plots`."
    )
