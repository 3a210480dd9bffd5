"""The web face: ``nnscratch serve``'s page and JSON API (FastAPI), thin over the library.

:func:`nnscratch.web.app.create_app` builds the application for a set of models;
:mod:`nnscratch.web.launch` finds the models and runs the server. FastAPI and uvicorn are
imported only here, so the rest of nnscratch (and ``nnscratch --help``) never loads them;
without them (the ``web`` extra) importing this package says what to install.
"""

from ..environment import require

require("web", "the web page (nnscratch serve)")
