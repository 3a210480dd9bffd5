"""Answers sent by the server's ASGI middleware before a request reaches a route."""

from __future__ import annotations

import json


async def send_json_error(send, status: int, detail: str) -> None:
    """Answer ``status`` with ``{"detail": detail}`` (the routes' error shape) and close the
    connection: what the client sent after the refused request is not read."""
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
