"""A MkDocs hook that writes the command-line reference from the commands themselves.

A page holding the line ``<!-- nnscratch-cli-reference -->`` gets, in its place, one section per
command of ``nnscratch`` (in the order ``nnscratch --help`` lists them): its help text, its usage
line and a table of its arguments and options with the help ``--help`` prints for each, read from
the command object Typer builds. Nothing of it is written by hand, so it cannot drift from the
code. (Typer vendors its Click, so the objects are used by their attributes, not imported.)
"""

from __future__ import annotations

from typing import Any

MARKER = "<!-- nnscratch-cli-reference -->"


def _cell(text: str) -> str:
    """Text fit for one cell of a Markdown table."""
    return " ".join(text.split()).replace("|", "\\|")


def command_reference(command: Any, name: str, parent: Any) -> str:
    """One command's section: its help, its usage line and a table of its parameters."""
    context = command.context_class(command, info_name=name, parent=parent)
    lines = [f"## nnscratch {name}", "", (command.help or "").replace("\b\n", "").strip(), ""]
    usage = " ".join(command.collect_usage_pieces(context)).replace("{", "").replace("}", "")
    lines += ["```text", f"nnscratch {name} {usage}", "```", ""]
    records = [
        (param.param_type_name, param.get_help_record(context))
        for param in command.params
        if not getattr(param, "hidden", False)
    ]
    for kind, heading in (("argument", "argument"), ("option", "option")):
        rows = [record for param_kind, record in records if param_kind == kind and record]
        if rows:
            lines += [f"| {heading} | meaning |", "|---|---|"]
            lines += [f"| `{_cell(names)}` | {_cell(meaning)} |" for names, meaning in rows]
            lines.append("")
    return "\n".join(lines)


def cli_reference() -> str:
    """The whole reference: every command of ``nnscratch``, in ``--help``'s order."""
    import typer.main

    from nnscratch.cli import app

    group = typer.main.get_command(app)
    root = group.context_class(group, info_name="nnscratch")
    names = group.list_commands(root)
    return "\n".join(command_reference(group.commands[name], name, root) for name in names)


def on_page_markdown(markdown: str, **_: object) -> str:
    """MkDocs hook: put the reference where a page asks for it."""
    if MARKER in markdown:
        return markdown.replace(MARKER, cli_reference())
    return markdown
