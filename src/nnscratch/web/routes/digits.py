"""The endpoints of your own digits: the set, adding a drawing with its label, removing a digit,
exporting the set as IDX files and as a Kaggle CSV (written on the server, and downloadable),
and importing such files back."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse

from ...budget import MB, limited
from ...datasets.digitset import IDX_FILES, MAX_DIGITS, Digit, DigitSet, held_out
from ...datasets.pictures import NoDigitError
from ...errors import DataError
from .. import schemas
from ..answers import Conflict, NotFound, pixels_image, render_drawing
from . import ok_or_problems

router = APIRouter(prefix="/api/digits")
CSV_NAME = "digits.csv"
IDX_NAMES = [name for pair in IDX_FILES.values() for name in pair]
EXPORTS = {*IDX_NAMES, CSV_NAME}
# An upload's files may declare this much data (about 80,000 digits), and inflate at most the
# budget's ratio: a small gzip declaring a million images is refused from its header.
IMPORT_DATA_BYTES = 64 * MB
IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "additionalProperties": False,
                    "properties": {
                        "files": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": 4,
                            "items": {"type": "string", "format": "binary"},
                            "description": "a CSV file (label first), or IDX files named as "
                            "MNIST's (train-images-idx3-ubyte, ..., each optionally .gz)",
                        }
                    },
                }
            }
        },
    }
}


def _digits(request: Request) -> DigitSet:
    return request.app.state.digits


def summary(digits: DigitSet, found: list[Digit] | None = None) -> dict:
    """The set in figures, without a pixel: its size, each label's count, the held-out."""
    found = digits.digits() if found is None else found
    counts = [0] * 10
    for digit in found:
        counts[digit.label] += 1
    return {"count": len(found), "counts": counts, "held_out": held_out(found)}


def set_answer(digits: DigitSet, offset: int = 0, limit: int = MAX_DIGITS) -> dict:
    """The set's figures and the digits ``offset`` to ``offset + limit`` (in the order added),
    with their pixels: only those are read."""
    found = digits.digits()
    page = found[offset : offset + limit]
    images, _ = digits.arrays(page)
    return {
        "folder": "digits",  # the server's own folder, by name: no path of this machine
        **summary(digits, found),
        "offset": offset,
        "limit": limit,
        "digits": [
            {"number": digit.number, "label": digit.label, "pixels": image.tolist()}
            for digit, image in zip(page, images, strict=True)
        ],
    }


@router.get(
    "",
    responses=ok_or_problems(schemas.DigitsAnswer),
    summary="Your digits: the set's figures and one page of its digits",
)
def listing(
    request: Request,
    offset: int = Query(0, ge=0, le=MAX_DIGITS, description="the first digit sent, from 0"),
    limit: int = Query(
        MAX_DIGITS, ge=0, le=MAX_DIGITS, description="at most this many digits sent"
    ),
) -> JSONResponse:
    return JSONResponse(set_answer(_digits(request), offset, limit))


@router.post(
    "",
    responses=ok_or_problems(schemas.AddedDigit),
    summary="Add a drawing (or 28x28 pixels) with its label to your digits",
)
def add(body: schemas.AddDigitRequest, request: Request) -> JSONResponse:
    models = request.app.state.models
    digits = _digits(request)
    given = body.given()
    if not isinstance(given, schemas.Drawing):
        image = pixels_image(models, given)
        if not image.any():  # the schema says so too: some pixel is over 0
            raise DataError("the digit is blank: draw one before adding it")
    else:  # a sync endpoint: FastAPI runs it in a worker thread, off the event loop
        try:
            image = render_drawing(given.model_dump(), models.image_shape[0]).field
        except NoDigitError:
            # As /api/predict answers a canvas without ink: nothing to add, and no mistake.
            return JSONResponse(
                {
                    "added": False,
                    "message": "the drawing holds no digit: draw one before adding it",
                    "number": None,
                    "label": None,
                    "pixels": None,
                    **summary(digits),
                }
            )
    digit = digits.add(image, body.label)
    # The set's new figures come along: the page need not fetch the set again.
    return JSONResponse(
        {
            "added": True,
            "message": "",
            "number": digit.number,
            "label": digit.label,
            "pixels": image.tolist(),
            **summary(digits),
        }
    )


@router.delete(
    "/{number}",
    responses=ok_or_problems(schemas.DigitInfo, 404),
    summary="Remove one of your digits",
)
def remove(request: Request, number: int = PathParam(ge=1, le=10**9)) -> JSONResponse:
    if not str(request.path_params.get("number", "")).isdigit():  # "1.0" is no digit's number
        raise HTTPException(422, "number: a digit's number is a whole number, such as 12")
    digits = _digits(request)
    if all(digit.number != number for digit in digits.digits()):
        raise NotFound(f"the set has no digit #{number}")
    digit = next((d for d in digits.digits() if d.number == number), None)
    pixels = digits.pixels(digit).tolist() if digit is not None else None
    removed = digits.remove(number)
    return JSONResponse({"number": removed.number, "label": removed.label, "pixels": pixels})


@router.post(
    "/export",
    responses=ok_or_problems(schemas.ExportAnswer, 409),
    summary="Write your digits as IDX files and as a Kaggle CSV, on the server",
)
def export(request: Request) -> JSONResponse:
    digits = _digits(request)
    if not digits.digits():
        raise Conflict("the set is empty: add digits before exporting it")
    folder, csv = export_paths(digits)
    counts = digits.export_idx(folder)
    digits.export_csv(csv)
    files = [name for name in IDX_NAMES if (folder / name).exists()] + [CSV_NAME]
    shown = request.app.state.folders.shown  # names under the server's folders, no paths
    return JSONResponse(
        {
            "folder": shown(folder),
            "csv": shown(csv),
            **counts,
            "files": files,
            "command": f"nnscratch train --init-from MODEL --data {shown(folder)}",
        }
    )


@router.get("/export/{name}", include_in_schema=False)
def download(name: str, request: Request) -> FileResponse:
    if name not in EXPORTS:  # a fixed set of names: no path from a client reaches the disk
        raise HTTPException(404, f"no such export: {name}")
    folder, csv = export_paths(_digits(request))
    path = csv if name == CSV_NAME else folder / name
    if not path.is_file():
        raise HTTPException(404, f"{name} is not exported yet: export the set first")
    return FileResponse(
        path,
        filename=name,
        media_type="text/csv" if name == CSV_NAME else "application/octet-stream",
    )


@router.post(
    "/import",
    responses=ok_or_problems(schemas.ImportAnswer),
    openapi_extra=IMPORT_BODY,
    summary="Add the digits of a CSV file or of IDX files (an export, say)",
)
async def import_(request: Request) -> JSONResponse:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "multipart/form-data":
        raise HTTPException(415, "send the files as multipart/form-data in the field 'files'")
    form = await request.form(max_files=4, max_fields=0)
    uploads = [
        value for key, value in form.multi_items() if key == "files" and not isinstance(value, str)
    ]
    if not uploads or len(uploads) != len(form.multi_items()):
        raise HTTPException(
            422, "send a CSV file, or IDX files named as MNIST's, in the form field 'files'"
        )
    files = {upload.filename or "": await upload.read() for upload in uploads}
    digits = _digits(request)
    offered, added = await run_in_threadpool(import_files, digits, files)
    return JSONResponse(
        {"added": added, "already_there": offered - added, "count": len(digits.digits())}
    )


def import_files(digits: DigitSet, files: dict[str, bytes]) -> tuple[int, int]:
    """Add the digits of uploaded ``files`` (name: bytes): one CSV, or IDX files named as
    MNIST's, each digit unless the set holds it already. Read by the usual readers; their
    errors name the uploaded file. Returns (digits in the files, digits added)."""
    names = [os.path.basename(name) for name in files]
    is_csv = len(names) == 1 and names[0].lower().endswith(".csv")
    if not is_csv and not all(name.removesuffix(".gz") in IDX_NAMES for name in names):
        raise DataError(
            f"import a CSV file, or IDX files named as MNIST's "
            f"({', '.join(IDX_NAMES)}, each optionally .gz); got "
            f"{', '.join(names) or 'a file without a name'}"
        )
    with (
        limited(data_bytes=IMPORT_DATA_BYTES),
        tempfile.TemporaryDirectory(prefix="nnscratch-import-") as folder,
    ):
        for name, data in zip(names, files.values(), strict=False):
            (Path(folder) / name).write_bytes(data)
        spec = Path(folder) / names[0] if is_csv else Path(folder)
        try:
            offered, added = digits.import_new(spec)
            return offered, len(added)
        except DataError as error:  # the readers name the file: the one the user sent
            raise DataError(
                str(error)
                .replace(f"{Path(folder).resolve()}{os.sep}", "")
                .replace(f"{folder}{os.sep}", "")
                .replace(folder, "the upload")
            ) from None


def export_paths(digits: DigitSet) -> tuple[Path, Path]:
    """Where an export goes: ``FOLDER/export/idx/`` and ``FOLDER/export/digits.csv``."""
    return digits.folder / "export" / "idx", digits.folder / "export" / CSV_NAME
