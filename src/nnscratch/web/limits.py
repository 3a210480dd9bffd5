"""A ceiling on request bodies, enforced before they are read whole (pure ASGI middleware)."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

from starlette.exceptions import HTTPException

from .asgi_answers import send_json_error

MAX_BODY_BYTES = 4 * 1024 * 1024  # a phone photo fits; a drawing takes a few kB


class BodyLimit:
    """Refuse bodies over ``limit`` bytes with 413: at once when Content-Length says so, else
    as soon as the bytes received pass it (chunked uploads), without reading the rest.

    Added inside FastAPI's exception handling, so the 413 raised while an endpoint reads the
    body is answered like any other HTTPException.
    """

    def __init__(self, app, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                return await send_json_error(send, 400, "Content-Length is not a number")
            if int(declared) > self.limit:
                return await send_json_error(send, 413, self._message())
        received = 0

        async def counted_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise HTTPException(413, self._message())
            return message

        await self.app(scope, counted_receive, send)

    def _message(self) -> str:
        return f"the request body is larger than {self.limit // (1024 * 1024)} MB"


@functools.cache
def return_large_blocks_to_the_system() -> bool:
    """Make glibc's malloc give blocks of 4 MB and more back to the system when freed.

    By default glibc raises that threshold to the largest block freed so far (up to 32 MB),
    after which each worker thread's arena keeps a decoded picture's buffers: eight threads
    that decode in turn (two at a time) then hold eight pictures' worth of memory. Fixing the
    threshold keeps the server's memory at what is decoded at once; at 4 MB, a training run's
    batches (smaller) are still reused without asking the system. False where it cannot be set
    (not glibc)."""
    mallopt = _glibc_function("mallopt")
    if mallopt is None:
        return False
    m_mmap_threshold = -3  # glibc's malloc.h
    return bool(mallopt(m_mmap_threshold, 4 * 1024 * 1024))


def give_back_freed_memory() -> bool:
    """Ask glibc's malloc to return the free pages of every arena to the system (after a
    training run, whose thread's arena would otherwise keep what the run freed). False where
    it cannot be asked (not glibc)."""
    malloc_trim = _glibc_function("malloc_trim")
    if malloc_trim is None:
        return False
    return bool(malloc_trim(0))


def _glibc_function(name: str):
    """The C library's function ``name``; None where there is none (not glibc)."""
    library = ctypes.util.find_library("c")
    if library is None:
        return None
    try:
        return getattr(ctypes.CDLL(library), name)
    except (OSError, AttributeError):
        return None
