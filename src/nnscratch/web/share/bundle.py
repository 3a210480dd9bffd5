"""A small bundler for the page's ES modules, so that one HTML file holds them: Chromium refuses
``<script type="module">`` imports from ``file://``.

It handles the one subset of module syntax the page's modules are written in, and refuses
anything else with an error naming the module and the line:

* ``import { a, b as c } from "./name.js";`` (named imports of a module beside it);
* ``export function f``, ``export async function f``, ``export const X = ...`` (also ``let``
  and ``class``): named exports declared where they are defined.

Each module becomes a function run once, in dependency order (a module after those it imports),
that returns its exports; an import becomes a ``const`` taken from the exports of the module
it names. Module code is strict, as a module's is. Not handled, and refused: default exports,
``export { ... }`` lists and re-exports, namespace, default and side-effect imports, dynamic
``import()``, ``import.meta``, imports of anything but ``./name.js``, and cycles.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ...errors import ConfigError

_IMPORT = re.compile(
    r"^import\s*\{(?P<names>[^}]*)\}\s*from\s*\"\./(?P<module>[\w.-]+\.js)\"\s*;?[ \t]*$",
    re.MULTILINE,
)
_EXPORT = re.compile(
    r"^export\s+(?P<kind>(?:async\s+)?function\*?|const|let|class)\s+(?P<name>[\w$]+)",
    re.MULTILINE,
)
# What is left of module syntax once the handled forms are taken out: refused.
_LEFT_OVER = re.compile(r"^\s*(?:import|export)\b|\bimport\s*\(|\bimport\.meta\b", re.MULTILINE)


class BundleError(ConfigError):
    """A module the bundler does not handle: syntax outside its subset, a missing module, a
    cycle."""


def _line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _parse(name: str, text: str) -> tuple[str, list[str], list[str]]:
    """A module's body as a function body, the modules it imports, and its exports' names."""
    imports: list[str] = []

    def binding(match: re.Match[str]) -> str:
        pairs = []
        for part in (p.strip() for p in match["names"].split(",")):
            if not part:
                continue
            words = part.split()
            if len(words) == 3 and words[1] == "as":
                pairs.append(f"{words[0]}: {words[2]}")
            elif len(words) == 1:
                pairs.append(words[0])
            else:
                raise BundleError(
                    f"{name}:{_line(text, match.start())}: cannot bundle the import {part!r}"
                )
        imports.append(match["module"])
        newlines = "\n" * match[0].count("\n")  # keep line numbers as they are
        return f"const {{ {', '.join(pairs)} }} = modules[{json.dumps(match['module'])}];{newlines}"

    body = _IMPORT.sub(binding, text)
    exports = [match["name"] for match in _EXPORT.finditer(body)]
    body = _EXPORT.sub(lambda m: m[0].removeprefix("export").lstrip(), body)
    left = _LEFT_OVER.search(body)
    if left:
        line = body[: left.start()].count("\n") + 1
        source = body.splitlines()[line - 1].strip() if body.splitlines() else ""
        raise BundleError(
            f"{name}:{line}: the bundler does not handle this module syntax: {source!r} "
            f'(it takes named imports from "./name.js" and exports declared in place)'
        )
    if "</script" in body.lower():
        raise BundleError(f"{name}: holds '</script', which would end the page's script early")
    return body, imports, exports


def compact(body: str) -> str:
    """A module's text without its whole-line ``//`` comments, blank lines and indentation
    (about a fifth of the page's script); unchanged when a template literal spans lines,
    whose indentation would be part of its text."""
    lines = body.splitlines()
    if any(line.count("`") % 2 for line in lines):
        return body
    kept = (line.strip() for line in lines)
    return "\n".join(line for line in kept if line and not line.startswith("//"))


def bundle(folder: Path, entry: str) -> str:
    """The classic script that runs ``entry`` (a module in ``folder``) and the modules it
    imports, each once, in dependency order. BundleError for a module outside the subset the
    bundler handles, a module that does not exist, or a cycle."""
    parsed: dict[str, tuple[str, list[str], list[str]]] = {}
    order: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            raise BundleError(f"modules import each other in a cycle: {' -> '.join((*path, name))}")
        if name in parsed:
            return
        source = folder / name
        if not source.is_file():
            importer = f" (imported by {path[-1]})" if path else ""
            raise BundleError(f"no module {name} in {folder}{importer}")
        parsed[name] = _parse(name, source.read_text(encoding="utf-8"))
        for dependency in parsed[name][1]:
            visit(dependency, (*path, name))
        order.append(name)

    visit(entry, ())
    parts = ['"use strict";', "const modules = {};"]
    for name in order:
        body, _, exports = parsed[name]
        parts.append(
            f"// --- {name}\nmodules[{json.dumps(name)}] = (() => {{\n{compact(body)}\n"
            f"return {{ {', '.join(exports)} }};\n}})();"
        )
    return "(() => {\n" + "\n".join(parts) + "\n})();\n"
