"""A Griffe extension (loaded by mkdocstrings, see mkdocs.yml) that shows the source's reST
cross-reference roles as code on the site.

The docstrings say ``:func:`evaluate```, ``:class:`~nnscratch.model.Sequential``` and end a
line with ``::`` before an example, as Sphinx and Python's own docs do; Markdown would print those
marks as they are. Each role becomes inline code of its target (the last part only, for a
``~``-target), and a closing ``::`` a single colon.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:func|meth|class|mod|data|attr|exc|obj):`(~?)([^`]+)`")
LITERAL_MARK = re.compile(r"(?<=\S)::$", re.M)


def plain(text: str) -> str:
    """``text`` with its roles as inline code and its literal-block marks as colons."""

    def code(match: re.Match[str]) -> str:
        short, target = match.groups()
        return f"`{target.rsplit('.', 1)[-1] if short else target}`"

    return LITERAL_MARK.sub(":", ROLE.sub(code, text))


class DocstringRoles(griffe.Extension):
    """Rewrites every loaded object's docstring with :func:`plain`."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Called by Griffe for every object it loads."""
        if obj.docstring is not None:
            obj.docstring.value = plain(obj.docstring.value)
