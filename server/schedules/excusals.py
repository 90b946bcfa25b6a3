"""Excusing one occurrence of a schedule on one target: "won't do, with a reason".

An excusal is a fact, made on a phone offline as readily as on the web: its id is made by the
client, the same id with the same content is the same excusal (answered again, stored once),
and the same id with other content is a conflict where the first one stays. The web and the
`occurrence.excused` op share the planning and the writing below.

Inspectors and managers of the site may excuse. The occurrence must be one the schedule has
under its versions, on a thing the schedule covers on that day; a past occurrence may be
excused (an overdue check that cannot be done) and so may a future one (a room closed for
works). Work done outranks an excusal: an excused occurrence later inspected is done.

Where the site asks for a manager's approval, an inspector's excusal arrives pending
(approval.py); a manager's decision is a fact of its own (decisions.py), and an excusal
decided is sent to devices again as its version 2.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from server import clock
from server.accounts.access import MANAGERS, Caller
from server.errors import DomainError, not_found
from server.facts import Candidate, FactHandler, Plan, Stored
from server.feeds import Audience, Feed
from server.schedules.approval import approval_required, decisions_of, excusal_state
from server.schedules.due import SiteWork, covering, find_occurrence, site_work
from server.schedules.schedules import schedules_by_id
from server.schedules.tables import OccurrenceExcusal
from server.schedules.wire import ExcusalOut, OccurrenceExcuse
from sync.bulk import insert_rows

EXCUSERS = frozenset({"admin", "manager", "inspector"})
RECENT = timedelta(days=90)
"""Excusals of occurrences dated this long ago or later are sent to a new device."""


class OccurrenceExcused(FactHandler[OccurrenceExcuse]):
    """An occurrence on one target excused, "won't do, with a reason" (the
    `occurrence.excused` op and `POST /api/occurrences/excusals`)."""

    type = "occurrence.excused"
    body = OccurrenceExcuse
    noun = "excusal"
    id_code = "occurrence.id_not_uuid7"
    conflict_code = "occurrence.conflict"
    table = OccurrenceExcusal

    async def stored(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, Stored]:
        rows = await OccurrenceExcusal.select().where(OccurrenceExcusal.id.is_in(ids))
        return {row["id"]: Stored(row["site"], row["content_sha256"], row) for row in rows}

    def current(self, stored: Stored) -> Any:
        return excusal_out(stored.row)

    async def admit(
        self, caller: Caller, candidates: list[Candidate[OccurrenceExcuse]], *, now: datetime
    ) -> list[Plan[OccurrenceExcuse] | DomainError]:
        schedules = await schedules_by_id(c.body.schedule_id for c in candidates)
        works: dict[uuid.UUID, SiteWork] = {}
        approving: dict[uuid.UUID, bool] = {}
        received = clock.utcnow()
        results: list[Plan[OccurrenceExcuse] | DomainError] = []
        for candidate in candidates:
            try:
                results.append(
                    await _admit_one(
                        caller, candidate, schedules, works, approving, received=received
                    )
                )
            except DomainError as exc:
                schedule = schedules.get(candidate.body.schedule_id)
                if schedule is not None and schedule.site_id in caller.roles:
                    exc.site_id = schedule.site_id
                results.append(exc)
        return results

    async def store(self, caller: Caller, plans: list[Plan[OccurrenceExcuse]]) -> None:
        await insert_rows(OccurrenceExcusal, [p.row for p in plans])
        for plan in plans:
            record_excusal(plan.row)


EXCUSED = OccurrenceExcused()


async def _admit_one(
    caller: Caller,
    candidate: Candidate[OccurrenceExcuse],
    schedules: dict,
    works: dict[uuid.UUID, SiteWork],
    approving: dict[uuid.UUID, bool],
    *,
    received: datetime,
) -> Plan[OccurrenceExcuse]:
    excusal = candidate.body
    if (excusal.asset_id is None) == (excusal.location_id is None):
        raise DomainError(
            "occurrence.target_required",
            "an excusal is of exactly one asset or one location",
            field="asset_id",
        )
    schedule = schedules.get(excusal.schedule_id)
    if schedule is None or schedule.site_id not in caller.roles:
        raise DomainError("not_found", "schedule not found", field="schedule_id")
    role = caller.require(schedule.site_id, EXCUSERS, "schedule")
    work = works.get(schedule.site_id)
    if work is None:
        work = works[schedule.site_id] = await site_work(schedule.site_id, caller.organization_id)
    schedule = next(s for s in work.schedules if s.id == schedule.id)
    target = excusal.asset_id or excusal.location_id
    assert target is not None
    occurrence = find_occurrence(work, schedule, excusal.occurrence_key)
    if occurrence is None:
        raise DomainError(
            "occurrence.unknown",
            f"the schedule has no occurrence {excusal.occurrence_key!r} under its versions",
            field="occurrence_key",
        )
    if not covering(work, schedule, target, occurrence.local_date):
        what = "asset" if excusal.asset_id else "location"
        raise DomainError(
            "occurrence.not_a_target",
            f"the schedule does not cover this {what} on {occurrence.local_date.isoformat()}",
            field=f"{what}_id",
        )
    if schedule.site_id not in approving:
        approving[schedule.site_id] = await approval_required(schedule.site_id)
    row = {
        "id": excusal.id,
        "site": schedule.site_id,
        "schedule": schedule.id,
        "occurrence_key": excusal.occurrence_key,
        "occurrence_date": occurrence.local_date,
        "asset": excusal.asset_id,
        "location": excusal.location_id,
        "reason": excusal.reason,
        "excused_by": caller.user_id,
        "received_at": received,
        "content_sha256": candidate.digest,
        "needs_approval": approving[schedule.site_id] and role not in MANAGERS,
    }
    return candidate.accept(schedule.site_id, row)


async def excuse_occurrence(caller: Caller, excusal: OccurrenceExcuse) -> tuple[ExcusalOut, bool]:
    """Store an excusal; the flag says whether it is new."""
    plan = await EXCUSED.accept(caller, excusal)
    if plan.outcome == "new":
        return excusal_out(plan.row), True
    return excusal_out(plan.row, (await decisions_of([excusal.id])).get(excusal.id)), False


async def get_excusal(caller: Caller, excusal_id: uuid.UUID) -> ExcusalOut:
    row = await OccurrenceExcusal.select().where(OccurrenceExcusal.id == excusal_id).first()
    if row is None or row["site"] not in caller.roles:
        raise not_found("excusal")
    return excusal_out(row, (await decisions_of([excusal_id])).get(excusal_id))


def excusal_out(row: dict[str, Any], decision: dict[str, Any] | None = None) -> ExcusalOut:
    return ExcusalOut(
        id=row["id"],
        site_id=row["site"],
        schedule_id=row["schedule"],
        occurrence_key=row["occurrence_key"],
        occurrence_date=row["occurrence_date"],
        asset_id=row["asset"],
        location_id=row["location"],
        reason=row["reason"],
        excused_by=row["excused_by"],
        received_at=row["received_at"].astimezone(UTC),
        state=excusal_state(
            bool(row["needs_approval"]), decision["decision"] if decision else None
        ),
        decided_by=decision["decided_by"] if decision else None,
        decided_at=decision["decided_at"].astimezone(UTC) if decision else None,
        decision_note=decision["note"] if decision else "",
    )


def record_excusal(row: dict[str, Any], decision: dict[str, Any] | None = None) -> None:
    EXCUSAL_FEED.record(
        row["site"],
        row["id"],
        version=1 if decision is None else 2,
        data=excusal_out(row, decision),
    )


async def snapshot_excusal(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, ExcusalOut]]:
    """Excusals of the site's occurrences dated in the last 90 days or later: what a phone
    needs to show what is due and overdue now."""
    if limit < 1:
        return []
    since = clock.utcnow().date() - RECENT
    query = OccurrenceExcusal.select().where(
        (OccurrenceExcusal.site == site_id) & (OccurrenceExcusal.occurrence_date >= since)
    )
    if after is not None:
        query = query.where(OccurrenceExcusal.id > uuid.UUID(after))
    rows = await query.order_by(OccurrenceExcusal.id).limit(limit)
    decided = await decisions_of(row["id"] for row in rows)
    return [
        (
            str(row["id"]),
            1 if row["id"] not in decided else 2,
            excusal_out(row, decided.get(row["id"])),
        )
        for row in rows
    ]


EXCUSAL_FEED = Feed("excusal", Audience.SITE, snapshot_excusal)
