"""The endpoints of the served networks: the models, a prediction, the views inside a network,
probes and MNIST test digits (the maps that explain an answer: :mod:`.lessons`). Each reads its
request, calls :mod:`nnscratch.web.answers`, returns JSON."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from .. import answers, glance_schemas, schemas
from ..served import ServedModels
from . import ok_or_problems

router = APIRouter(prefix="/api")


def _models(request: Request) -> ServedModels:
    return request.app.state.models


@router.get("/models", responses=ok_or_problems(schemas.ModelsAnswer), summary="The served models")
def models(request: Request) -> JSONResponse:
    state = request.app.state
    return JSONResponse(
        answers.models_answer(
            _models(request), training=state.live is not None, digits=state.digits is not None
        )
    )


PREDICT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/PredictRequest"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "additionalProperties": False,
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "a picture: PNG, JPEG, BMP, GIF, WebP, TIFF",
                        },
                        "models": {
                            "type": "string",
                            "description": "model names separated by commas (no spaces)",
                        },
                        "steps": {"type": "boolean"},
                    },
                }
            },
        },
    }
}


@router.post(
    "/predict",
    responses=ok_or_problems(schemas.PredictAnswer),
    openapi_extra=PREDICT_BODY,
    summary="Each model's answer for a drawing, a picture or 28x28 pixels",
)
async def predict(request: Request) -> JSONResponse:
    given = await _predict_input(request)
    if given.kind != "pixels":  # decoding a photo or rendering a drawing: not on the event loop
        return JSONResponse(
            await run_in_threadpool(answers.predict_answer, _models(request), given)
        )
    # 28x28 pixels take a few milliseconds: answered on the event loop, without handing the
    # work to a thread and back (measured: 320 answers per second from 16 clients, against 170
    # through the thread pool, which spends the rest passing the GIL around).
    return JSONResponse(answers.predict_answer(_models(request), given))


async def _predict_input(request: Request) -> answers.PredictInput:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            body = schemas.PredictRequest.model_validate_json(await request.body())
        except ValidationError as error:
            raise RequestValidationError(error.errors(), body=None) from None
        given = body.given()
        if isinstance(given, schemas.Drawing):
            return answers.PredictInput("drawing", given.model_dump(), body.models, body.steps)
        return answers.PredictInput("pixels", given, body.models, body.steps)
    if kind == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=3)
        unknown = sorted(set(form) - {"file", "models", "steps"})
        if unknown:
            raise HTTPException(
                422,
                f"unknown form field {unknown[0]!r}; send file, and optionally models and steps",
            )
        repeated = sorted(key for key in set(form) if len(form.getlist(key)) > 1)
        if repeated:
            raise HTTPException(422, f"the form field {repeated[0]!r} is sent more than once")
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise HTTPException(422, "send the picture as a file in the form field 'file'")
        names = form.get("models")
        steps = str(form.get("steps", "false"))
        if steps not in ("true", "false"):  # as the schema's boolean is written in a form
            raise HTTPException(422, f"steps must be true or false, got {steps!r}")
        picked = None
        if names is not None:
            picked = str(names).split(",")
            _models(request).pick(picked)  # ConfigError (422) naming an unknown one
        return answers.PredictInput("picture", await upload.read(), picked, steps == "true")
    raise HTTPException(
        415, "send JSON (application/json) or a picture as multipart/form-data in the field 'file'"
    )


@router.post(
    "/inside",
    responses=ok_or_problems(schemas.InsideAnswer),
    summary="Each hidden layer's activations and the output's evidence",
)
def inside(body: schemas.InsideRequest, request: Request) -> JSONResponse:
    return JSONResponse(answers.inside_answer(_models(request), body.pixels, body.model))


@router.post(
    "/network",
    responses=ok_or_problems(glance_schemas.NetworkAnswer, 404),
    summary="The network at a glance: each layer named, its values and strongest contributions",
)
def network(body: glance_schemas.NetworkRequest, request: Request) -> JSONResponse:
    return JSONResponse(
        answers.network_answer(_models(request), body.pixels, body.model, body.keep)
    )


@router.post(
    "/unit",
    responses=ok_or_problems(schemas.UnitAnswer, 404),
    summary="One unit's or feature map's weights, and weights times input",
)
def unit(body: schemas.UnitRequest, request: Request) -> JSONResponse:
    return JSONResponse(
        answers.unit_answer(_models(request), body.pixels, body.model, body.layer, body.unit)
    )


@router.post(
    "/probe",
    responses=ok_or_problems(schemas.ProbeAnswer),
    summary="The probabilities over a range of shifts, rotations, thickness or noise",
)
def probe(body: schemas.ProbeRequest, request: Request) -> JSONResponse:
    return JSONResponse(answers.probe_answer(_models(request), body.pixels, body.kind, body.models))


@router.get(
    "/test-digits/{index}",
    responses=ok_or_problems(schemas.MnistDigit),
    summary="An image of the bundled MNIST test set, with its label",
)
def test_digit(index: int = Path(ge=0, le=9999)) -> JSONResponse:
    return JSONResponse(answers.mnist_digit_answer(index))
