"""The lessons' endpoints: explanations measured on the class's logit, the maths of one unit
with your numbers, and one step of learning on your drawing (on a copy: the served models never
change). Each reads its request, calls :mod:`nnscratch.web.lesson_answers`, returns JSON."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .. import lesson_answers as answers
from .. import lesson_schemas as schemas
from ..served import ServedModels
from . import ok_or_problems

router = APIRouter(prefix="/api")


def _models(request: Request) -> ServedModels:
    return request.app.state.models


@router.post(
    "/attributions",
    responses=ok_or_problems(schemas.AttributionsAnswer),
    summary="Maps of what pushes the class's logit: gradient, gradient x input, integrated "
    "gradients, occlusion; each with its sentence",
)
def attributions(body: schemas.AttributionsRequest, request: Request) -> JSONResponse:
    return JSONResponse(
        answers.attributions_answer(_models(request), body.pixels, body.model, body.target)
    )


@router.post(
    "/unit-maths",
    responses=ok_or_problems(schemas.UnitMathsAnswer),
    summary="One unit's z = sum w_i a_i + b with your numbers, its activation, and the shapes",
)
def unit_maths(body: schemas.UnitMathsRequest, request: Request) -> JSONResponse:
    return JSONResponse(
        answers.unit_maths_answer(
            _models(request),
            body.pixels,
            body.model,
            body.layer,
            body.unit,
            body.position,
            body.top,
        )
    )


@router.post(
    "/one-step",
    responses=ok_or_problems(schemas.OneStepAnswer),
    summary="One step of gradient descent on your drawing and its true label, on a copy",
)
def one_step(body: schemas.OneStepRequest, request: Request) -> JSONResponse:
    return JSONResponse(
        answers.one_step_answer(
            _models(request), body.pixels, body.model, body.label, body.learning_rate
        )
    )
