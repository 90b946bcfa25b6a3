"""`POST /api/sync/pull`: per scope (a site the caller may see), a snapshot for a new
device, then the change log; everything read in one snapshot of the database (R30)."""

from __future__ import annotations

from server.accounts.access import Caller
from server.clock import utcnow
from server.db import snapshot
from server.syncing.entities import FEEDS
from server.syncing.push import check_device
from sync import engine, feed
from sync.tables import SyncDevice
from sync.wire import PullRequest, PullResponse


async def pull_changes(caller: Caller, request: PullRequest) -> PullResponse:
    check_device(caller, request.device_id, request.protocol)
    allowed = {str(site_id) for site_id in caller.site_ids()}
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
                    feeds=FEEDS,
                    counter=counter,
                    limit=request.limit,
                )
            )
        device = (
            await SyncDevice.select(SyncDevice.last_applied_seq)
            .where(SyncDevice.id == request.device_id)
            .first()
        )
    now = utcnow()
    return PullResponse(
        scopes=pages,
        last_applied_seq=device["last_applied_seq"] if device else 0,
        server_now=now,
        server_hlc=str(engine.server_hlc(now)),
    )
