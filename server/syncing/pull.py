"""`POST /api/sync/pull`: per scope (a site and an audience the caller's role there admits,
R43-R46), a snapshot for a new device, then the change log; everything read in one snapshot
of the database (R30)."""

from __future__ import annotations

import hashlib

from server import clock
from server.accounts.access import Caller
from server.db import snapshot
from server.feeds import parse_scope
from server.syncing import entities
from server.syncing.push import check_device
from sync import engine, feed
from sync.tables import SyncDevice
from sync.wire import PullRequest, PullResponse


def cursor_key(secret_key: str) -> bytes:
    """The key that signs pull cursors, derived from the server's secret key (so a cursor
    made by one deployment is reset by another, R29)."""
    return hashlib.sha256(b"roundkeeper pull cursor\0" + secret_key.encode()).digest()


async def pull_changes(caller: Caller, request: PullRequest, *, key: bytes) -> PullResponse:
    check_device(caller, request.device_id, request.protocol)
    feeds = entities.feeds_of(entities.FEEDS)
    allowed = {str(scope) for scope in caller.scopes(feeds)}
    pages = []
    async with snapshot():
        counter = await feed.read_counter()
        for scope in sorted(set(request.cursors) | allowed):
            if scope not in allowed:
                pages.append(feed.removed(scope))
                continue
            pages.append(
                await feed.pull_scope(
                    scope,
                    request.cursors.get(scope),
                    feeds=feeds[parse_scope(scope).audience],  # type: ignore[union-attr]
                    counter=counter,
                    limit=request.limit,
                    key=key,
                )
            )
        device = (
            await SyncDevice.select(SyncDevice.last_applied_seq)
            .where(SyncDevice.id == request.device_id)
            .first()
        )
    now = clock.utcnow()
    return PullResponse(
        scopes=pages,
        last_applied_seq=device["last_applied_seq"] if device else 0,
        server_now=now,
        server_hlc=str(engine.server_hlc(now)),
    )
