"""What every answer carries and what none shows (pure ASGI middleware): the hardening headers
on every response (the page, JSON, downloads, errors, the refusals of the outer middleware), and
the server's folders by the names answers give them, never as absolute paths."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..datasets.digitset import DigitSet
    from .served import ServedModels

SECURITY_HEADERS = {
    # Everything comes from this server: no CDN, no inline script, nothing framed.
    "content-security-policy": "default-src 'self'; img-src 'self' data: blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    # Not no-referrer: under it the Fetch standard has a same-origin POST say "Origin: null"
    # (Chromium sends the origin anyway; measured), which the Origin check (origin.py) must
    # refuse. same-origin sends our origin to us and nothing to other sites.
    "referrer-policy": "same-origin",
}
_ENCODED = [(name.encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]


class HardeningHeaders:
    """Add :data:`SECURITY_HEADERS` to every HTTP response (those already set are kept)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_hardened(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or ())
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in _ENCODED if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_hardened)


class Folders:
    """The server's own folders (pairs ``(name, path)``), and :meth:`shown`, which writes any
    path under one of them as ``name/rest``: what answers, events and messages show."""

    def __init__(self, folders: Iterable[tuple[str, str | os.PathLike[str]]]) -> None:
        spellings: dict[str, str] = {}
        for name, folder in folders:
            for spelling in {os.path.abspath(folder), str(Path(folder).resolve())}:
                spellings.setdefault(spelling.rstrip(os.sep), name)
        # Longest first: a folder inside another (runs/models) is named by the inner one.
        self._spellings = sorted(spellings.items(), key=lambda item: -len(item[0]))

    def shown(self, text: str | os.PathLike[str]) -> str:
        """``text`` (a path, or a message naming paths) with each of the server's folders
        written as its name."""
        text = os.fspath(text)
        for spelling, name in self._spellings:
            text = text.replace(spelling + os.sep, name + "/").replace(spelling, name)
        return text

    def shown_in(self, value: Any) -> Any:
        """``value`` (JSON-able data) with :meth:`shown` applied to every string in it."""
        if isinstance(value, str):
            return self.shown(value)
        if isinstance(value, dict):
            return {key: self.shown_in(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.shown_in(item) for item in value]
        return value


def server_folders(
    models: ServedModels, *, runs: Path | None = None, digits: DigitSet | None = None
) -> Folders:
    """The folders answers may name, by the names they show: the runs (``runs``), the digits
    (``digits``) and each served model's folder (by its own name)."""
    named: list[tuple[str, str | os.PathLike[str]]] = []
    for served in models:
        if served.path is not None:
            folder = Path(served.path).parent
            named.append((folder.resolve().name or "models", folder))
    if runs is not None:
        named.append(("runs", runs))
    if digits is not None:
        named.append(("digits", digits.folder))
    return Folders(named)
