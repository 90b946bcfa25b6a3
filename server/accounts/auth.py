"""Turning a request into a Caller: a bearer token, or a session cookie plus CSRF header."""

from __future__ import annotations

import ipaddress
import secrets

from litestar import Request

from server.accounts.access import Caller
from server.accounts.sessions import resolve_session
from server.accounts.tokens import resolve_token
from server.errors import DomainError
from server.settings import Settings

SESSION_COOKIE = "rk_session"
CSRF_COOKIE = "rk_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def provide_caller(request: Request) -> Caller:
    authorization = request.headers.get("authorization")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise DomainError("auth.required", "send 'Authorization: Bearer <token>'")
        return await resolve_token(token.strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise DomainError("auth.required", "log in, or send a bearer token")
    caller, csrf_token = await resolve_session(cookie)
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not secrets.compare_digest(sent, csrf_token):
            raise DomainError(
                "auth.csrf_failed", "missing or wrong X-CSRF-Token header for a session request"
            )
    return caller


def client_address(request: Request, settings: Settings) -> str:
    """The client's address; X-Forwarded-For is believed only from a trusted proxy."""
    peer = request.client.host if request.client else ""
    if peer and settings.trusted_proxies and _is_trusted(peer, settings.trusted_proxies):
        forwarded = request.headers.get("x-forwarded-for", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return peer


def _is_trusted(peer: str, proxies: tuple[str, ...]) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    for proxy in proxies:
        try:
            if address in ipaddress.ip_network(proxy, strict=False):
                return True
        except ValueError:
            continue
    return False
