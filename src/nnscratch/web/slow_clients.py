"""uvicorn's HTTP/1.1 protocol with a deadline for each request to arrive: a client that opens a
connection and sends nothing, or a request's head or body a few bytes at a time, is closed.

uvicorn's own settings time out only an idle connection between two requests
(``timeout_keep_alive``); nothing bounds how long a request itself may take to arrive, so a few
hundred slow clients would hold the server's connections (and its memory) for as long as they
like. Imported only where uvicorn runs the server (``serve``).
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

REQUEST_SECONDS = 30.0  # a 4 MB upload on a slow network link; a loopback request takes ms


class TimedH11Protocol(H11Protocol):
    """H11Protocol, closing a connection whose request (head and body) has not arrived
    :attr:`request_seconds` after the connection opened or the previous answer ended. A
    request that has arrived may take as long as its answer takes (an event stream, a run)."""

    request_seconds: float = REQUEST_SECONDS

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.request_seconds, self._late)

    def _disarm(self) -> None:
        deadline = getattr(self, "_deadline", None)
        if deadline is not None:
            deadline.cancel()
            self._deadline = None

    def _late(self) -> None:
        self._deadline = None
        # IDLE: the request's head has not all come; SEND_BODY: its body has not.
        if not self.transport.is_closing() and self.conn.their_state in (h11.IDLE, h11.SEND_BODY):
            self.transport.close()
