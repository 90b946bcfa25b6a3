"""Checks on what a request's address carries, before any route sees it.

Text with a NUL character cannot be stored or compared by PostgreSQL (it answers an error
for the whole statement), so a path or query string that carries one (`%00`) is refused
here, once for every route, with the same problem body as any other bad request. Bodies
are checked where they are decoded (`server.wire.Request`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_to_bytes

import msgspec
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Receive,
    Scope,
    Send,
)

from server.errors import STATUS, Problem


def refuse_nul_characters(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _carries_nul(scope):
            await _refuse(send)
            return
        await app(scope, receive, send)

    return middleware


def _carries_nul(scope: Any) -> bool:
    raw_path = scope.get("raw_path") or scope.get("path", "").encode()
    return (
        b"\x00" in unquote_to_bytes(raw_path)
        or "\x00" in scope.get("path", "")
        or b"\x00" in unquote_to_bytes(scope.get("query_string", b""))
    )


async def _refuse(send: Send) -> None:
    body = msgspec.json.encode(
        Problem(
            code="request.invalid",
            detail="the address may not contain NUL characters (%00)",
            field=None,
        )
    )
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": STATUS["request.invalid"],
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(start)
    await send(end)
