"""The API's endpoints, one module per group: :mod:`.network` (the served networks: predict,
inside, probes), :mod:`.lessons` (maps on the logit, a unit's maths, one step of learning),
:mod:`.live_training` (a training run started from the page) and :mod:`.digits` (your own
digits). Each reads its request, calls the library, returns JSON."""

from __future__ import annotations

from typing import Any

from .. import schemas

PROBLEMS = {
    code: {"model": schemas.Problem, "description": text}
    for code, text in (
        (400, "malformed request"),
        (413, "body too large"),
        (415, "unsupported content type"),
        (422, "an input that cannot be used, with a message saying why"),
    )
}


MORE_PROBLEMS = {
    404: {"model": schemas.Problem, "description": "what the request names does not exist"},
    409: {"model": schemas.Problem, "description": "not possible in the present state"},
}


def ok_or_problems(model: Any, *more: int) -> dict:
    """The ``responses`` of an endpoint answering ``model`` (200) or one of the problems, and
    the ``more`` it may answer (404, 409)."""
    return {200: {"model": model}, **PROBLEMS, **{code: MORE_PROBLEMS[code] for code in more}}
