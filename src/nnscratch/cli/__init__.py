"""The command-line face (Typer + Rich): ``nnscratch train / evaluate / predict / info / show /
report``. Each command is a few lines over a use case (:mod:`nnscratch.usecases`); this
package is the only code that imports Typer or Rich."""

from .app import app, main

__all__ = ["app", "main"]
