"""Whether a site's excusals need a manager's approval, and what that makes of an excusal.

Where a site asks for it, an inspector's excusal is pending when it arrives: the work stays
due (or overdue) for everyone until a manager approves it (then it is excused) or rejects it
(then it is due again, and may be excused anew). A manager's own excusal stands at once. The
rule is judged when an excusal arrives, so changing it leaves the excusals already made as
they were. Where approval is not asked for, an excusal stands at once and a manager may
still approve or reject it afterwards.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from server import clock
from server.accounts.access import EVERYONE, MANAGERS, Caller
from server.db import is_sqlite, transaction
from server.feeds import Audience, Feed
from server.schedules.tables import ExcusalDecision, ExcusalPolicy, OccurrenceExcusal
from server.schedules.wire import (
    DueExcusal,
    ExcusalPolicyChange,
    ExcusalPolicyOut,
    ExcusalPolicyRecord,
    ExcusalState,
)
from server.wire import PersonRef


def excusal_state(needs_approval: bool, decision: str | None) -> ExcusalState:
    if decision == "approve":
        return "approved"
    if decision == "reject":
        return "rejected"
    return "pending" if needs_approval else "accepted"


def stands(state: ExcusalState) -> bool:
    """Whether an excusal in this state excuses its occurrence."""
    return state in ("accepted", "approved")


async def decisions_of(excusal_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """The decision on each of these excusals that has one."""
    ids = list(excusal_ids)
    if not ids:
        return {}
    rows = await ExcusalDecision.select().where(ExcusalDecision.excusal.is_in(ids))
    return {row["excusal"]: row for row in rows}


@dataclass(frozen=True)
class Excused:
    """The excusal that stands for an occurrence, with the decision on it if any."""

    row: dict
    decision: dict | None

    @property
    def state(self) -> ExcusalState:
        return excusal_state(
            bool(self.row["needs_approval"]), self.decision["decision"] if self.decision else None
        )


def _standing(excusals: list[Excused]) -> Excused:
    """Of an occurrence's excusals, the latest not rejected, else the latest."""
    ordered = sorted(excusals, key=lambda e: (e.row["received_at"], e.row["id"]))
    kept = [e for e in ordered if e.state != "rejected"]
    return (kept or ordered)[-1]


async def standing_excusals(
    site_id: uuid.UUID, schedule_ids: set[uuid.UUID], first: dt.date, last: dt.date
) -> dict[tuple[uuid.UUID, uuid.UUID], dict[str, Excused]]:
    """The excusal that stands for each excused occurrence key, by schedule and target."""
    rows = await OccurrenceExcusal.select().where(
        (OccurrenceExcusal.site == site_id)
        & OccurrenceExcusal.schedule.is_in(list(schedule_ids))
        & (OccurrenceExcusal.occurrence_date >= first)
        & (OccurrenceExcusal.occurrence_date <= last)
    )
    decided = await decisions_of(row["id"] for row in rows)
    grouped: dict[tuple[uuid.UUID, uuid.UUID], dict[str, list[Excused]]] = {}
    for row in rows:
        key = row["asset"] if row["asset"] is not None else row["location"]
        grouped.setdefault((row["schedule"], key), {}).setdefault(row["occurrence_key"], []).append(
            Excused(row, decided.get(row["id"]))
        )
    return {
        target: {key: _standing(excusals) for key, excusals in keys.items()}
        for target, keys in grouped.items()
    }


def due_excusal(excused: Excused, names: dict[uuid.UUID, str]) -> DueExcusal:
    row, decision = excused.row, excused.decision
    return DueExcusal(
        id=row["id"],
        reason=row["reason"],
        excused_by=PersonRef(id=row["excused_by"], name=names.get(row["excused_by"], "")),
        excused_at=row["received_at"].astimezone(UTC),
        state=excused.state,
        decided_by=PersonRef(id=decision["decided_by"], name=names.get(decision["decided_by"], ""))
        if decision
        else None,
        decided_at=decision["decided_at"].astimezone(UTC) if decision else None,
        decision_note=decision["note"] if decision else "",
    )


async def approval_required(site_id: uuid.UUID) -> bool:
    row = await _row(site_id)
    return bool(row and row["approval_required"])


async def get_policy(caller: Caller, site_id: uuid.UUID) -> ExcusalPolicyOut:
    caller.require(site_id, EVERYONE)
    row = await _row(site_id)
    if row is None:
        return ExcusalPolicyOut(
            site_id=site_id, approval_required=False, version=0, updated_at=None
        )
    return _out(row)


async def set_policy(
    caller: Caller, site_id: uuid.UUID, change: ExcusalPolicyChange
) -> ExcusalPolicyOut:
    """Ask for (or stop asking for) a manager's approval of the site's excusals (managers)."""
    caller.require(site_id, MANAGERS)
    async with transaction():
        query = ExcusalPolicy.select().where(ExcusalPolicy.site == site_id)
        if not is_sqlite():
            query = query.lock_rows("UPDATE")
        row = await query.first()
        if row is not None and row["approval_required"] == change.approval_required:
            return _out(row)
        now = clock.utcnow()
        if row is None:
            saved = await ExcusalPolicy.insert(
                ExcusalPolicy(
                    id=clock.new_id(),
                    site=site_id,
                    approval_required=change.approval_required,
                    version=1,
                    updated_at=now,
                    updated_by=caller.user_id,
                )
            ).returning(*ExcusalPolicy.all_columns())
        else:
            saved = (
                await ExcusalPolicy.update(
                    {
                        ExcusalPolicy.approval_required: change.approval_required,
                        ExcusalPolicy.version: ExcusalPolicy.version + 1,
                        ExcusalPolicy.updated_at: now,
                        ExcusalPolicy.updated_by: caller.user_id,
                    }
                )
                .where(ExcusalPolicy.site == site_id)
                .returning(*ExcusalPolicy.all_columns())
            )
        out = _out(saved[0])
        POLICY_FEED.record(site_id, site_id, version=out.version, data=_record(out))
    return out


async def _row(site_id: uuid.UUID) -> dict[str, Any] | None:
    return await ExcusalPolicy.select().where(ExcusalPolicy.site == site_id).first()


def _out(row: dict[str, Any]) -> ExcusalPolicyOut:
    return ExcusalPolicyOut(
        site_id=row["site"],
        approval_required=bool(row["approval_required"]),
        version=row["version"],
        updated_at=row["updated_at"].astimezone(UTC),
    )


def _record(out: ExcusalPolicyOut) -> ExcusalPolicyRecord:
    return ExcusalPolicyRecord(site_id=out.site_id, approval_required=out.approval_required)


async def snapshot_policy(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, ExcusalPolicyRecord]]:
    """The site's rule, if it ever set one."""
    row = await _row(site_id)
    if row is None or limit < 1 or (after is not None and after >= str(site_id)):
        return []
    out = _out(row)
    return [(str(site_id), out.version, _record(out))]


POLICY_FEED = Feed("excusal_policy", Audience.SITE, snapshot_policy)
