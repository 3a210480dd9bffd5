"""The application: the page, the API, and one shape for every error (``{"detail": "..."}``,
a 4xx with a message a person can act on)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from ..datasets.digitset import DigitSet
from ..errors import NNScratchError
from . import schemas
from .answers import Conflict, NotFound
from .hardening import SECURITY_HEADERS, HardeningHeaders, server_folders
from .limits import MAX_BODY_BYTES, BodyLimit
from .live import LiveTraining
from .origin import LOOPBACK_NAMES, OwnOrigin
from .routes import digits as digit_routes
from .routes import lessons, live_training, network
from .served import ServedModels

PAGE_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",  # the page's ES modules, app.js the entry
}
# The page's files, fixed when the package is imported: the static folder's HTML, CSS and JS.
PAGE_FILES = {
    entry.name: PAGE_TYPES[Path(entry.name).suffix]
    for entry in resources.files(__package__).joinpath("static").iterdir()
    if Path(entry.name).suffix in PAGE_TYPES
}


def create_app(
    models: ServedModels,
    *,
    max_body: int = MAX_BODY_BYTES,
    live: LiveTraining | None = None,
    digits: DigitSet | None = None,
    hosts: Iterable[str] = LOOPBACK_NAMES,
) -> FastAPI:
    """The FastAPI application serving ``models``: the page at ``/``, the API under ``/api``,
    its description at ``/openapi.json``. With ``live``, it trains runs the page starts
    (``/api/training``); with ``digits``, it keeps the user's digits (``/api/digits``).

    ``hosts``: the names a request may give as its Host (``origin.allowed_hosts`` of the bound
    address); any other is refused, and so is a state-changing request from another site's
    page (see :mod:`nnscratch.web.origin`)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        if live is not None:  # a run still training pauses with a checkpoint, then ends
            live.close()
            live.join()

    # No /docs or /redoc: their pages load scripts from a CDN. /openapi.json says it all.
    app = FastAPI(
        title="nnscratch",
        version=_version(),
        docs_url=None,
        redoc_url=None,
        description="Draw a digit, see what the network sees, look inside it.",
        lifespan=lifespan,
    )
    app.state.models, app.state.live, app.state.digits = models, live, digits
    app.state.folders = server_folders(
        models, runs=None if live is None else live.runs, digits=digits
    )
    app.include_router(network.router)
    app.include_router(lessons.router)
    if live is not None:
        app.include_router(live_training.router)
    if digits is not None:
        app.include_router(digit_routes.router)
    app.add_middleware(BodyLimit, limit=max_body)
    app.add_middleware(OwnOrigin, hosts=hosts)  # before any work
    app.add_middleware(HardeningHeaders)  # added last: the outermost, on every answer
    page = {
        # One step at a time: Python 3.10's Traversable.joinpath takes a single name.
        name: resources.files(__package__).joinpath("static").joinpath(name).read_bytes()
        for name in PAGE_FILES
    }

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return Response(
            page["index.html"], media_type=PAGE_FILES["index.html"], headers=SECURITY_HEADERS
        )

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in page:  # a fixed set of files: no path from a client reaches the disk
            raise HTTPException(404, f"no such file: {name}")
        return Response(page[name], media_type=PAGE_FILES[name], headers=SECURITY_HEADERS)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        documented = app.openapi().get("paths", {}).get(request.url.path)
        if documented is not None and request.method.lower() not in documented:
            # DELETE /api/digits/export: routed as digit "export", yet the path is the
            # export's, which takes POST only.
            allow = ", ".join(sorted(method.upper() for method in documented))
            return problem(405, "Method Not Allowed", {"Allow": allow})
        problems = error.errors()
        if any(p.get("type") == "json_invalid" for p in problems):
            return _problem(400, "malformed JSON: " + str(problems[0].get("msg", "")))
        return problem(
            422,
            "; ".join(_describe(p) for p in problems[:3])
            + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""),
        )

    @app.exception_handler(ClientDisconnect)
    async def gone(request: Request, error: ClientDisconnect) -> JSONResponse:
        # The client left (or was closed for being too slow: slow_clients.py) while sending its
        # request; the answer goes nowhere, and it is no error of the server's.
        return _problem(400, "the request did not arrive whole")

    @app.exception_handler(NNScratchError)
    async def unusable(request: Request, error: NNScratchError) -> JSONResponse:
        status = 404 if isinstance(error, NotFound) else 409 if isinstance(error, Conflict) else 422
        return problem(status, " ".join(str(error).split()))

    @app.exception_handler(HTTPException)
    async def http_problem(request: Request, error: HTTPException) -> JSONResponse:
        headers = error.headers
        allowed = allowed_methods(app.openapi(), request.url.path)
        if error.status_code == 405 and allowed:  # every method the path takes, not one route's
            headers = {"Allow": ", ".join(allowed)}
        return problem(error.status_code, str(error.detail), headers)

    def problem(status: int, detail: str, headers=None) -> JSONResponse:
        return _problem(status, app.state.folders.shown(detail), headers)

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            request = schemas.PredictRequest.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(request.pop("$defs", {}))
            components["PredictRequest"] = request
            _describe_served(components, app.state.models)
            _describe_picture_form(schema, app.state.models)
            app.openapi_schema = schema
        return app.openapi_schema

    # FastAPI's documented way to change the schema; mypy refuses assigning to a method.
    app.openapi = openapi  # type: ignore[method-assign]
    return app


def allowed_methods(schema: dict, path: str) -> list[str] | None:
    """The methods the API's schema gives ``path``: those of the path written as it is, else
    those of the paths with parameters it fits (``/api/digits/export`` is the export's path,
    not digit "export"); None for a path the schema does not describe."""
    paths = schema.get("paths", {})
    if path in paths:
        return sorted(method.upper() for method in paths[path])
    fitting = [
        methods
        for template, methods in paths.items()
        if "{" in template
        and re.fullmatch(re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(template)), path)
    ]
    return sorted({method.upper() for methods in fitting for method in methods}) or None


def _describe_served(components: dict, models: ServedModels) -> None:
    """Say in the schema what only the served models decide: the image's shape and the
    models' names, so a client (or schemathesis) knows what will be accepted."""
    height, width = models.image_shape
    names = [served.name for served in models]
    for name, component in components.items():
        if component.get("additionalProperties") is not False:
            continue  # answers, not requests
        properties = component.get("properties", {})
        if "pixels" in properties:
            properties["pixels"] = {
                "type": "array",
                "minItems": height,
                "maxItems": height,
                "description": f"{height} rows of {width} pixels 0-255, light ink on 0",
                "items": {
                    "type": "array",
                    "minItems": width,
                    "maxItems": width,
                    "items": {"type": "integer", "minimum": 0, "maximum": 255},
                },
            }
            if name == "AddDigitRequest":  # a digit added has ink: some row has a pixel over 0
                properties["pixels"]["contains"] = {
                    "type": "array",
                    "contains": {"type": "integer", "minimum": 1},
                }
        if "model" in properties:
            properties["model"] = {"type": "string", "enum": names}
        if "target" in properties:
            properties["target"] = {
                "anyOf": [
                    {"type": "integer", "minimum": 0, "maximum": models.classes - 1},
                    {"type": "null"},
                ],
                "description": properties["target"].get("description", ""),
            }
        if "models" in properties:
            properties["models"] = {
                "anyOf": [
                    {"type": "array", "maxItems": 32, "items": {"type": "string", "enum": names}},
                    {"type": "null"},
                ]
            }


def _describe_picture_form(schema: dict, models: ServedModels) -> None:
    """The picture form's ``models``: served names, separated by commas."""
    name = "(?:" + "|".join(re.escape(served.name) for served in models) + ")"
    form = (
        schema.get("paths", {})
        .get("/api/predict", {})
        .get("post", {})
        .get("requestBody", {})
        .get("content", {})
        .get("multipart/form-data", {})
        .get("schema", {})
    )
    if "models" in form.get("properties", {}):
        form["properties"]["models"]["pattern"] = f"^{name}(?:,{name})*$"


def _describe(problem: dict) -> str:
    where = ".".join(str(part) for part in problem.get("loc", ()) if part != "body")
    return f"{where or 'body'}: {problem.get('msg', 'invalid')}"


def _problem(status: int, detail: str, headers=None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _version() -> str:
    from .. import __version__

    return __version__
