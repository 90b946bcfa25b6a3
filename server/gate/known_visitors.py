"""Repeat visitors: what the gate knew of a document at its latest visit, so that a gate
device fills the form for a visitor who came before, offline, from the keyed hash of the
number the visitor shows (feed entity `known_visitor`, audience GATE).

An entity is a document at a site: its id is the `id_key` (64 hex, the site's key), its
data what the latest check-in with that key gave, masked as the register masks it. Never
a full phone or ID number (a gate device keeps its own check-ins' full phone locally if it
wants to offer it again). A purged visit is not a source: the retention purge removes the
entry with the visit's personal fields.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec

from server.db import json_bytes
from server.feeds import Audience, Feed
from server.gate.documents import DocumentKind
from server.gate.tables import VisitRow
from server.gate.wire import VisitOut


class KnownVisitor(msgspec.Struct, frozen=True, kw_only=True):
    id_key: str
    site_id: uuid.UUID
    name: str
    id_type: DocumentKind | None
    id_masked: str | None
    organisation: str
    phone_masked: str | None
    plate: str | None
    last_visit_at: datetime


def known_of(visit: VisitOut, id_key: str) -> KnownVisitor | None:
    if visit.visitor is None or visit.checked_in_at is None:
        return None
    return KnownVisitor(
        id_key=id_key,
        site_id=visit.site_id,
        name=visit.visitor,
        id_type=visit.id_type,
        id_masked=visit.id_masked,
        organisation=visit.organisation,
        phone_masked=visit.phone_masked,
        plate=visit.plate,
        last_visit_at=visit.checked_in_at,
    )


def version_of(known: KnownVisitor) -> int:
    """Later visits give higher versions: the time of the latest check-in, in ms."""
    return int(known.last_visit_at.timestamp() * 1000)


async def latest(site_id: uuid.UUID, keys: Iterable[str]) -> dict[str, KnownVisitor]:
    """The latest known visit of each key at the site (keys without one left out)."""
    wanted = sorted(set(keys))
    found: dict[str, KnownVisitor] = {}
    for start in range(0, len(wanted), 500):
        rows = await VisitRow.select(VisitRow.id_key, VisitRow.summary).where(
            (VisitRow.site == site_id)
            & VisitRow.id_key.is_in(wanted[start : start + 500])
            & VisitRow.purged_at.is_null()
            & (VisitRow.version > 0)
        )
        _keep_latest(found, rows)
    return found


def record_known(site_id: uuid.UUID, known: dict[str, KnownVisitor]) -> None:
    """Send gate devices the latest of these keys (inside the write transaction)."""
    for key, item in known.items():
        KNOWN_VISITOR_FEED.record(site_id, key, version=version_of(item), data=item)


async def snapshot_known(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, KnownVisitor]]:
    """A page of the site's documents in order of their key: the keys first (distinct,
    from the index), then the latest visit of each."""
    query = (
        VisitRow.select(VisitRow.id_key)
        .distinct()
        .where(
            (VisitRow.site == site_id)
            & VisitRow.id_key.is_not_null()
            & VisitRow.purged_at.is_null()
            & (VisitRow.version > 0)
        )
    )
    if after is not None:
        query = query.where(VisitRow.id_key > after)
    keys = [r["id_key"] for r in await query.order_by(VisitRow.id_key).limit(limit)]
    found = await latest(site_id, keys)
    return [(key, version_of(found[key]), found[key]) for key in sorted(found)]


def _keep_latest(found: dict[str, KnownVisitor], rows: list[dict[str, Any]]) -> None:
    """The latest check-in of each key; of two at one instant, the later visit id."""
    order: dict[str, tuple[datetime, str]] = {}
    for row in rows:
        visit = _SUMMARY.decode(json_bytes(row["summary"]))
        item = known_of(visit, row["id_key"])
        if item is None:
            continue
        rank = (item.last_visit_at, str(visit.id))
        if row["id_key"] not in order or rank > order[row["id_key"]]:
            order[row["id_key"]] = rank
            found[row["id_key"]] = item


_SUMMARY = msgspec.json.Decoder(VisitOut)

KNOWN_VISITOR_FEED = Feed("known_visitor", Audience.GATE, snapshot_known)
