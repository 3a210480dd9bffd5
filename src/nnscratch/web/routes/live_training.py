"""The endpoints of live training: start, pause, continue, stop and save a run, the drawing it
scores as it learns, and its progress as Server-Sent Events (``GET /api/training/events``)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from .. import schemas
from ..answers import pixels_image
from ..live import Conflict, LiveTraining
from . import PROBLEMS

router = APIRouter(prefix="/api/training")
POLL_SECONDS = 0.2  # how often a stream looks for new events
HEARTBEAT_SECONDS = 15  # a comment line this often keeps proxies (and disconnects) honest


def _live(request: Request) -> LiveTraining:
    return request.app.state.live


def _answers(model) -> dict:
    busy = {
        409: {
            "model": schemas.Problem,
            "description": "a run is training already, or the run is in no state to do that",
        }
    }
    return {200: {"model": model}, **PROBLEMS, **busy}


@router.get("", responses=_answers(schemas.TrainingStatus), summary="The run and its state")
def status(request: Request) -> JSONResponse:
    return JSONResponse(_live(request).status())


@router.post(
    "/start",
    responses=_answers(schemas.TrainingStatus),
    summary="Start a run (one at a time; a second start is refused with 409)",
)
def start(body: schemas.TrainRequest, request: Request) -> JSONResponse:
    return _conflict(_live(request).start, body.model_dump())


@router.post(
    "/pause",
    responses=_answers(schemas.TrainingStatus),
    summary="Pause at the next batch, keeping a checkpoint to continue from",
)
def pause(request: Request) -> JSONResponse:
    return _conflict(_live(request).pause)


@router.post(
    "/resume",
    responses=_answers(schemas.TrainingStatus),
    summary="Continue a paused run (or one a stopped server left) from its checkpoint",
)
def resume(request: Request) -> JSONResponse:
    return _conflict(_live(request).resume)


@router.post(
    "/step",
    responses=_answers(schemas.TrainingStatus),
    summary="A paused full-batch run: one iteration, then paused again (409 for other runs)",
)
def step(request: Request) -> JSONResponse:
    return _conflict(_live(request).resume, one_iteration=True)


@router.post(
    "/stop",
    responses=_answers(schemas.TrainingStatus),
    summary="Stop at the next batch; the run keeps the model it has learnt",
)
def stop(request: Request) -> JSONResponse:
    return _conflict(_live(request).stop)


@router.post(
    "/drawing",
    responses=_answers(schemas.Watched),
    summary="The drawing (28x28 pixels) the run scores as it learns",
)
def drawing(body: schemas.WatchRequest, request: Request) -> JSONResponse:
    version = _live(request).watch(pixels_image(request.app.state.models, body.pixels))
    return JSONResponse({"watched": True, "version": version})


@router.post(
    "/save",
    responses=_answers(schemas.SavedModel),
    summary="Save the finished run as a model file and serve it beside the others",
)
def save(body: schemas.SaveRequest, request: Request) -> JSONResponse:
    try:
        served = _live(request).save(body.name)
    except Conflict as error:
        raise HTTPException(409, str(error)) from None
    request.app.openapi_schema = None  # the schema names the served models
    return JSONResponse(
        {"name": served.name, "file": request.app.state.folders.shown(served.path or "")}
    )


@router.get(
    "/events",
    summary="The run's progress as Server-Sent Events",
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "events: start, plan, batch, progress, drawing, "
            "state, done, saved; each data line is JSON",
        }
    },
)
async def events(
    request: Request,
    after: int = Query(0, ge=0, le=2**53),
    last_event_id: str | None = Header(None),
) -> StreamingResponse:
    """Every event of the current run after ``after`` (or the Last-Event-ID a reconnecting
    EventSource sends), then each new one as it comes, until the page goes or the server
    stops. A page that goes stops nothing: the run trains on."""
    live = _live(request)
    if last_event_id is not None and last_event_id.isdigit():
        after = max(after, int(last_event_id))
    return StreamingResponse(
        _stream(live, after),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


async def _stream(live: LiveTraining, after: int):
    live.streams += 1
    try:
        yield b"retry: 2000\n\n"
        quiet = 0.0
        while not live.closing:
            fresh = live.events_after(after)  # all of a new run's, if one began since
            for event in fresh:
                yield event.encode()
                after = event.id
            if fresh:
                quiet = 0.0
                continue
            await asyncio.sleep(POLL_SECONDS)
            quiet += POLL_SECONDS
            if quiet >= HEARTBEAT_SECONDS:
                quiet = 0.0
                yield b": still here\n\n"
    finally:
        live.streams -= 1


def _conflict(call, *args, **options) -> JSONResponse:
    """``call``'s answer; 409 when the run is in no state for it (a second start)."""
    try:
        return JSONResponse(call(*args, **options))
    except Conflict as error:
        raise HTTPException(409, str(error)) from None
