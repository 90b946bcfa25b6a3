"""A manager's approval or rejection of an excusal: a fact, made on a phone offline as on the
web (`excusal.decided` op, `POST /api/occurrences/excusals/decisions`).

Managers (and admins) of the excusal's site decide. An excusal is decided once: a second
decision, whoever makes it and whatever it says, is refused with `excusal.already_decided`
and the excusal as it stands, so two managers deciding at once learn which one counted.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from server import clock
from server.accounts.access import MANAGERS, Caller
from server.db import is_sqlite
from server.errors import DomainError
from server.facts import FUTURE_TOLERANCE, Candidate, FactHandler, Plan, Stored
from server.schedules.approval import decisions_of
from server.schedules.excusals import excusal_out, record_excusal
from server.schedules.tables import ExcusalDecision, OccurrenceExcusal
from server.schedules.wire import ExcusalDecide, ExcusalOut
from sync.bulk import insert_rows


class ExcusalDecided(FactHandler[ExcusalDecide]):
    type = "excusal.decided"
    body = ExcusalDecide
    noun = "decision"
    id_code = "excusal.id_not_uuid7"
    conflict_code = "excusal.conflict"
    table = ExcusalDecision
    utc_fields = ("decided_at",)

    async def admit(
        self, caller: Caller, candidates: list[Candidate[ExcusalDecide]], *, now: datetime
    ) -> list[Plan[ExcusalDecide] | DomainError]:
        wanted = list({c.body.excusal_id for c in candidates})
        query = OccurrenceExcusal.select().where(OccurrenceExcusal.id.is_in(wanted))
        if not is_sqlite():
            # Two managers deciding at once: the second waits and then finds the first.
            query = query.lock_rows("UPDATE")
        excusals = {row["id"]: row for row in await query}
        decided = await decisions_of(wanted)
        received = clock.utcnow()
        results: list[Plan[ExcusalDecide] | DomainError] = []
        for candidate in candidates:
            decision = candidate.body
            excusal = excusals.get(decision.excusal_id)
            if excusal is None or excusal["site"] not in caller.roles:
                results.append(DomainError("not_found", "excusal not found", field="excusal_id"))
                continue
            try:
                caller.require(excusal["site"], MANAGERS, "excusal")
                if decision.decided_at > now + FUTURE_TOLERANCE:
                    raise DomainError(
                        "excusal.decided_in_future",
                        "decided_at is in the future beyond the tolerated clock drift",
                        field="decided_at",
                    )
                earlier = decided.get(decision.excusal_id)
                if earlier is not None:
                    raise DomainError(
                        "excusal.already_decided",
                        "this excusal was decided already; the first decision stands",
                        field="excusal_id",
                        current=excusal_out(excusal, earlier),
                    )
            except DomainError as exc:
                exc.site_id = excusal["site"]
                results.append(exc)
                continue
            row = {
                "id": decision.id,
                "site": excusal["site"],
                "excusal": excusal["id"],
                "decision": decision.decision,
                "note": decision.note,
                "decided_by": caller.user_id,
                "decided_at": decision.decided_at,
                "received_at": received,
                "content_sha256": candidate.digest,
            }
            # A later decision on the same excusal in this batch finds this one.
            decided[excusal["id"]] = row
            results.append(candidate.accept(excusal["site"], row))
        return results

    async def store(self, caller: Caller, plans: list[Plan[ExcusalDecide]]) -> None:
        await insert_rows(ExcusalDecision, [p.row for p in plans])
        excusals = await OccurrenceExcusal.select().where(
            OccurrenceExcusal.id.is_in([p.row["excusal"] for p in plans])
        )
        by_id = {row["id"]: row for row in excusals}
        for plan in plans:
            record_excusal(by_id[plan.row["excusal"]], plan.row)

    async def stored(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, Stored]:
        rows = await ExcusalDecision.select().where(ExcusalDecision.id.is_in(ids))
        return {row["id"]: Stored(row["site"], row["content_sha256"], row) for row in rows}


DECIDED = ExcusalDecided()


async def decide_excusal(caller: Caller, decision: ExcusalDecide) -> tuple[ExcusalOut, bool]:
    """Store a decision; returns the excusal as decided, and whether the decision is new."""
    plan = await DECIDED.accept(caller, decision)
    row: dict[str, Any] | None = (
        await OccurrenceExcusal.select().where(OccurrenceExcusal.id == plan.row["excusal"]).first()
    )
    assert row is not None
    return excusal_out(row, plan.row), plan.outcome == "new"
