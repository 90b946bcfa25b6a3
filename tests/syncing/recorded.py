"""Reading what the change log recorded, and paging a snapshot, for the sync tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import msgspec

from server.feeds import Feed
from server.syncing.entities import FEEDS
from sync.tables import SyncChange, SyncCounter


@dataclass(frozen=True)
class Recorded:
    position: int
    scope: str
    entity: str
    id: str
    op: str
    version: int
    raw: str | None

    @property
    def data(self) -> Any:
        return None if self.raw is None else msgspec.json.decode(self.raw)


async def recorded(entity: str | None = None, scope: Any = None) -> list[Recorded]:
    """Changes in the order they were recorded, optionally of one entity or scope."""
    query = SyncChange.select().order_by(SyncChange.id)
    if entity is not None:
        query = query.where(SyncChange.entity == entity)
    if scope is not None:
        query = query.where(SyncChange.scope == str(scope))
    return [
        Recorded(
            position=r["position"],
            scope=r["scope"],
            entity=r["entity"],
            id=r["entity_id"],
            op=r["op"],
            version=r["version"],
            raw=r["data"],
        )
        for r in await query
    ]


async def position() -> int:
    return (await SyncCounter.select(SyncCounter.position).first())["position"]


def feed(name: str) -> Feed:
    return next(f for f in FEEDS if f.name == name)


async def page_through(
    name: str, site_id: uuid.UUID, limit: int = 2
) -> list[list[tuple[str, int, Any]]]:
    """Every page of one feed's snapshot of a site, as a device's cursor would walk it."""
    pages: list[list[tuple[str, int, Any]]] = []
    after = None
    while True:
        page = await feed(name).rows(site_id, after, limit)
        assert len(page) <= limit
        if page:
            pages.append(page)
        if len(page) < limit:
            return pages
        after = page[-1][0]


def encoded(data: Any) -> str:
    return msgspec.json.encode(data).decode()
