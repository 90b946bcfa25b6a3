"""Reading inspections back: lists with filters, a thing's history, the last of each
checklist on a thing."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import datetime
from typing import Any

import msgspec

from checklists import Evaluation
from server.accounts.access import EVERYONE, Caller
from server.accounts.users import display_names
from server.errors import not_found
from server.inspections.tables import Inspection
from server.inspections.wire import InspectionPage, InspectionSummary, LastInspection
from server.registry.targets import asset_site, location_subtree
from server.wire import PersonRef

MAX_PAGE = 200

_SUMMARY = (
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
    Inspection.evaluation,
    Inspection.supersedes,
)


async def list_inspections(
    caller: Caller,
    *,
    site_id: uuid.UUID | None = None,
    location_id: uuid.UUID | None = None,
    asset_id: uuid.UUID | None = None,
    template_key: str | None = None,
    inspector_id: uuid.UUID | None = None,
    result: str | None = None,
    completed_from: datetime | None = None,
    completed_to: datetime | None = None,
    current_only: bool = False,
    after: uuid.UUID | None = None,
    limit: int = 50,
) -> InspectionPage:
    """Newest first by completion time. `location_id` takes the whole subtree (a building
    with its floors and rooms, and the assets in them); `current_only` leaves out
    inspections that a correction superseded."""
    sites = caller.site_ids(EVERYONE)
    if site_id is not None:
        caller.require(site_id, EVERYONE)
        sites = [site_id]
    query = Inspection.select(*_SUMMARY).where(Inspection.site.is_in(sites or [uuid.UUID(int=0)]))
    if location_id is not None:
        _, subtree = await location_subtree(caller, location_id)
        query = query.where(Inspection.location.is_in(list(subtree)))
    if asset_id is not None:
        await asset_site(caller, asset_id)
        query = query.where(Inspection.asset == asset_id)
    if template_key is not None:
        query = query.where(Inspection.template_key == template_key)
    if inspector_id is not None:
        query = query.where(Inspection.inspector == inspector_id)
    if result is not None:
        query = query.where(Inspection.result == result)
    if completed_from is not None:
        query = query.where(Inspection.completed_at >= completed_from)
    if completed_to is not None:
        query = query.where(Inspection.completed_at < completed_to)
    if current_only:
        corrected = Inspection.select(Inspection.supersedes).where(
            Inspection.supersedes.is_not_null()
        )
        query = query.where(Inspection.id.not_in(corrected))
    if after is not None:
        mark = (
            await Inspection.select(Inspection.completed_at).where(Inspection.id == after).first()
        )
        if mark is None:
            raise not_found("inspection given as `after`")
        query = query.where(
            (Inspection.completed_at < mark["completed_at"])
            | ((Inspection.completed_at == mark["completed_at"]) & (Inspection.id < after))
        )
    limit = max(1, min(limit, MAX_PAGE))
    rows = (
        await query.order_by(Inspection.completed_at, ascending=False)
        .order_by(Inspection.id, ascending=False)
        .limit(limit + 1)
    )
    items = await summaries(rows[:limit])
    return InspectionPage(items=items, next_after=items[-1].id if len(rows) > limit else None)


def identity(row: dict[str, Any], names: dict[uuid.UUID, str]) -> dict[str, Any]:
    """What an inspection is of and by whom, as every view of it names it."""
    return {
        "id": row["id"],
        "site_id": row["site"],
        "template_key": row["template_key"],
        "template_version": row["template_version"],
        "asset_id": row["asset"],
        "location_id": row["location"],
        "inspector": PersonRef(id=row["inspector"], name=names.get(row["inspector"], "")),
    }


async def summaries(rows: list[dict[str, Any]]) -> list[InspectionSummary]:
    names = await display_names(list({row["inspector"] for row in rows}))
    corrections = await Inspection.select(Inspection.id, Inspection.supersedes).where(
        Inspection.supersedes.is_in([row["id"] for row in rows] or [uuid.UUID(int=0)])
    )
    superseded_by = {row["supersedes"]: row["id"] for row in corrections}
    return [
        InspectionSummary(
            **identity(row, names),
            completed_at=row["completed_at"],
            result=row["result"],
            score=row["score"],
            critical_failure=row["critical_failure"],
            failed_items=msgspec.json.decode(row["evaluation"], type=Evaluation).failed_items,
            supersedes=row["supersedes"],
            superseded_by=superseded_by.get(row["id"]),
        )
        for row in rows
    ]


async def last_inspections(
    asset_id: uuid.UUID | None, location_id: uuid.UUID | None, template_keys: list[str]
) -> dict[str, LastInspection]:
    """The latest current (not superseded) inspection of each template on one thing."""
    if not template_keys:
        return {}
    target = (
        Inspection.asset == asset_id
        if asset_id is not None
        else (Inspection.asset.is_null() & (Inspection.location == location_id))
    )
    corrected = Inspection.select(Inspection.supersedes).where(
        Inspection.supersedes.is_not_null() & target
    )
    rows = (
        await Inspection.select(
            Inspection.id,
            Inspection.template_key,
            Inspection.result,
            Inspection.score,
            Inspection.completed_at,
            Inspection.inspector,
        )
        .where(
            target & Inspection.template_key.is_in(template_keys) & Inspection.id.not_in(corrected)
        )
        .order_by(Inspection.completed_at)
    )
    latest = {row["template_key"]: row for row in rows}
    names = await display_names(list({row["inspector"] for row in latest.values()}))
    return {
        key: LastInspection(
            id=row["id"],
            result=row["result"],
            score=row["score"],
            completed_at=row["completed_at"],
            inspector=PersonRef(id=row["inspector"], name=names.get(row["inspector"], "")),
        )
        for key, row in latest.items()
    }


async def completion_times(
    site_id: uuid.UUID,
    template_keys: set[str],
    since: dt.datetime,
    now: dt.datetime,
    targets: set[uuid.UUID] | None,
) -> dict[tuple[str, uuid.UUID], list[tuple[dt.datetime, str, uuid.UUID]]]:
    """Business times (`completed_at`) of the inspections of each (template, target) from
    `since` to `now`, each with its result as it stands (a corrected inspection's is its
    latest correction's) and its id. An inspection of an asset is not one of the room it
    stands in."""
    query = Inspection.select(
        Inspection.id,
        Inspection.template_key,
        Inspection.asset,
        Inspection.location,
        Inspection.completed_at,
        Inspection.result,
    ).where(
        (Inspection.site == site_id)
        & Inspection.template_key.is_in(sorted(template_keys))
        & (Inspection.completed_at >= since)
        & (Inspection.completed_at <= now)
    )
    if targets is not None:
        ids = list(targets)
        query = query.where(Inspection.asset.is_in(ids) | Inspection.location.is_in(ids))
    rows = await query
    results = await _as_corrected({row["id"]: row["result"] for row in rows})
    found: dict[tuple[str, uuid.UUID], list[tuple[dt.datetime, str, uuid.UUID]]] = {}
    for row in rows:
        key = row["asset"] if row["asset"] is not None else row["location"]
        found.setdefault((row["template_key"], key), []).append(
            (row["completed_at"], results[row["id"]], row["id"])
        )
    return found


async def _as_corrected(results: dict[uuid.UUID, str]) -> dict[uuid.UUID, str]:
    """Each inspection's result after its corrections, following a chain of them."""
    current = {inspection: inspection for inspection in results}
    results = dict(results)
    frontier = list(results)
    while frontier:
        corrections = await Inspection.select(
            Inspection.id, Inspection.supersedes, Inspection.result
        ).where(Inspection.supersedes.is_in(frontier))
        by_corrected = {row["supersedes"]: row for row in corrections}
        for inspection, latest in current.items():
            correction = by_corrected.get(latest)
            if correction is not None:
                current[inspection] = correction["id"]
                results[inspection] = correction["result"]
        frontier = [row["id"] for row in corrections]
    return results


async def day_results(
    site_id: uuid.UUID, *, day_start: datetime, day_end: datetime
) -> tuple[int, int]:
    """How many inspections of a site were completed in [day_start, day_end), and how many
    of them failed; a corrected one counts once, as its correction (for the morning digest;
    no caller to scope by)."""
    done = await Inspection.select(Inspection.id, Inspection.result).where(
        (Inspection.site == site_id)
        & (Inspection.completed_at >= day_start)
        & (Inspection.completed_at < day_end)
    )
    corrected = {
        r["supersedes"]
        for r in await Inspection.select(Inspection.supersedes).where(
            Inspection.supersedes.is_in([r["id"] for r in done] or [uuid.UUID(int=0)])
        )
    }
    current = [r for r in done if r["id"] not in corrected]
    return len(current), sum(1 for r in current if r["result"] == "fail")
