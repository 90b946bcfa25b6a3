"""Checks on every request before any route sees it: what its address carries and what
kind of body it sends.

Text with a NUL character cannot be stored or compared by PostgreSQL (it answers an error
for the whole statement), so a path or query string that carries one (`%00`) is refused
here, once for every route, with the same problem body as any other bad request. Bodies
are checked where they are decoded (`server.wire.Request`); here only that the API's
bodies are JSON.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import unquote_to_bytes

import msgspec
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Receive,
    Scope,
    Send,
)

from server.errors import STATUS, DomainError, Problem

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FILE_BODY_ROUTES = frozenset(
    {
        ("PUT", "/api/blobs/{sha256}"),  # a photo or signature, as the raw file
        ("POST", "/api/sites/{site_id}/assets/import"),  # a CSV or XLSX file
        ("POST", "/api/sites/{site_id}/assets/import/check"),  # the same, checked only
        ("POST", "/api/templates"),  # a YAML or JSON template file
        ("POST", "/api/templates/check"),  # the same, checked and not published
    }
)
"""The API's only unsafe routes whose body is a file by design, whatever its Content-Type;
each still needs a bearer token, or a session and its CSRF header."""


def json_bodies_only(app: ASGIApp) -> ASGIApp:
    """Every unsafe request to /api/ that carries a body must say it is JSON (415 otherwise),
    but those of FILE_BODY_ROUTES. A page on another site can post a form or text/plain
    without asking the browser's permission, never application/json: so no other site can
    log a visitor in to an account of its choosing (login needs no CSRF token, as there is
    no session yet), nor reach any other route with a body the handler might still read."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            _require_json(cast(HTTPScope, scope))
        await app(scope, receive, send)

    return middleware


def _require_json(scope: HTTPScope) -> None:
    route = (scope["method"], scope.get("path_template"))
    if (
        scope["method"] not in UNSAFE_METHODS
        or not scope["path"].startswith("/api/")
        or route in FILE_BODY_ROUTES
    ):
        return
    headers = {name.lower(): value for name, value in scope["headers"]}
    content_type = headers.get(b"content-type")
    has_body = headers.get(b"content-length", b"0").strip() != b"0" or (
        b"transfer-encoding" in headers
    )
    if content_type is None and not has_body:
        return  # a DELETE, a logout: nothing to read
    media_type = (content_type or b"").partition(b";")[0].strip().lower()
    if media_type != b"application/json":
        raise DomainError(
            "request.unsupported_media_type",
            "send the body as JSON, with 'Content-Type: application/json'",
        )


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
