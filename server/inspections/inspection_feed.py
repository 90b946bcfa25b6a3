"""Inspections as devices pull them: what was checked, when, by whom and how it came out,
without the answers. A phone works out from these what is done, due and overdue, and
shows a thing's recent results, offline.

An inspection is a fact; the one change it ever sees is being superseded by a correction,
which is its version 2.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import msgspec

from server import clock
from server.feeds import Audience, Feed
from server.inspections.tables import Inspection

if TYPE_CHECKING:
    from server.inspections.inspections import InspectionRow

HORIZON = timedelta(days=200)
"""A new device is sent the inspections completed this recently. Overdue work looks back
60 days and a per-term occurrence can span a whole term (up to about five months), so the
last completion of anything still due lies inside it; older results are history, read
online."""

_COLUMNS = (
    Inspection.id,
    Inspection.site,
    Inspection.template_key,
    Inspection.template_version,
    Inspection.asset,
    Inspection.location,
    Inspection.inspector,
    Inspection.completed_at,
    Inspection.result,
    Inspection.score,
    Inspection.critical_failure,
)


class PulledInspection(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    site_id: uuid.UUID
    template_key: str
    template_version: int
    asset_id: uuid.UUID | None
    location_id: uuid.UUID | None
    inspector_id: uuid.UUID
    completed_at: datetime
    """In UTC."""
    result: str
    score: float
    critical_failure: bool
    superseded_by: uuid.UUID | None


def pulled_inspection(row: dict[str, Any], superseded_by: uuid.UUID | None) -> PulledInspection:
    return PulledInspection(
        id=row["id"],
        site_id=row["site"],
        template_key=row["template_key"],
        template_version=row["template_version"],
        asset_id=row["asset"],
        location_id=row["location"],
        inspector_id=row["inspector"],
        completed_at=row["completed_at"].astimezone(UTC),
        result=row["result"],
        # PostgreSQL keeps the score as a single-precision REAL; scores are rounded to
        # tenths, so rounding again gives the same number from either database.
        score=round(row["score"], 1),
        critical_failure=bool(row["critical_failure"]),
        superseded_by=superseded_by,
    )


def _version(superseded_by: uuid.UUID | None) -> int:
    return 1 if superseded_by is None else 2


async def record_inspections(rows: list[InspectionRow]) -> None:
    """Record a batch of new inspections, and each inspection they correct, with its
    `superseded_by`. Call in the transaction that inserted them."""
    corrections = {row.supersedes: row.id for row in rows if row.supersedes is not None}
    new = {row.id for row in rows}
    for row in rows:
        by = corrections.get(row.id)
        INSPECTION_FEED.record(
            row.site,
            row.id,
            version=_version(by),
            data=pulled_inspection(row.to_dict(), by),
        )
    earlier = [old for old in corrections if old not in new]
    if not earlier:
        return
    for stored in await Inspection.select(*_COLUMNS).where(Inspection.id.is_in(earlier)):
        by = corrections[stored["id"]]
        INSPECTION_FEED.record(
            stored["site"],
            stored["id"],
            version=_version(by),
            data=pulled_inspection(stored, by),
        )


async def snapshot_inspection(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, PulledInspection]]:
    """The site's inspections completed within `HORIZON`, superseded ones included (with
    their `superseded_by`, so a device can tell them apart)."""
    if limit < 1:
        return []
    query = Inspection.select(*_COLUMNS).where(
        (Inspection.site == site_id) & (Inspection.completed_at > clock.utcnow() - HORIZON)
    )
    if after is not None:
        query = query.where(Inspection.id > uuid.UUID(after))
    rows = await query.order_by(Inspection.id).limit(limit)
    if not rows:
        return []
    # The page's ids as a range (on the index of `supersedes`), not a list of 500 values;
    # the range may hold other sites' inspections, left out here.
    corrections = await Inspection.select(Inspection.id, Inspection.supersedes).where(
        (Inspection.supersedes >= rows[0]["id"]) & (Inspection.supersedes <= rows[-1]["id"])
    )
    page = {row["id"] for row in rows}
    superseded_by = {c["supersedes"]: c["id"] for c in corrections if c["supersedes"] in page}
    return [
        (
            str(row["id"]),
            _version(superseded_by.get(row["id"])),
            pulled_inspection(row, superseded_by.get(row["id"])),
        )
        for row in rows
    ]


INSPECTION_FEED = Feed("inspection", Audience.SITE, snapshot_inspection)
