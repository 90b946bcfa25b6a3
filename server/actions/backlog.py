"""A site's backlog of corrective actions, counted in the database: how many are still to be
put right, how long they have waited, who owns them, how many await a sign-off. The office
reads these figures every morning; a site may hold thousands of actions, so none is loaded.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Count

from server.actions.tables import CorrectiveAction

TO_DO = ["open", "in_progress"]
"""Not yet put right: the work still to be done (a fixed one awaits its sign-off)."""


@dataclass(frozen=True)
class OwnerLoad:
    owner_id: uuid.UUID | None
    """None: no one owns them yet."""
    open: int
    overdue: int


@dataclass(frozen=True)
class Backlog:
    open: int
    """Open or in progress."""
    aged: dict[int, int]
    """For each age asked about, in days: how many were raised at least that long ago."""
    overdue: int
    """Open or in progress past their due time."""
    awaiting_sign_off: int
    """Fixed, not yet verified."""
    owners: list[OwnerLoad]
    """Every owner of open actions (and no one), the most open first."""


async def site_backlog(site_id: uuid.UUID, now: datetime, ages: tuple[int, ...]) -> Backlog:
    """The site's backlog as of `now` (for callers already authorised). An action raised
    exactly `n` days ago counts as `n` days old, as the repairs list's `older_than_days`
    filter and the morning digest count it."""
    to_do = (CorrectiveAction.site == site_id) & CorrectiveAction.state.is_in(TO_DO)
    late = to_do & (CorrectiveAction.due_at < now)

    async def count(where: Any) -> int:
        return await CorrectiveAction.count().where(where)

    async def by_owner(where: Any) -> dict[uuid.UUID | None, int]:
        rows = (
            await CorrectiveAction.select(CorrectiveAction.owner, Count(alias="n"))
            .where(where)
            .group_by(CorrectiveAction.owner)
        )
        return {row["owner"]: row["n"] for row in rows}

    owned, owned_late = await by_owner(to_do), await by_owner(late)
    owners = [OwnerLoad(owner_id=o, open=n, overdue=owned_late.get(o, 0)) for o, n in owned.items()]
    owners.sort(key=lambda o: (-o.open, -o.overdue, str(o.owner_id or "")))
    return Backlog(
        open=await count(to_do),
        aged={
            days: await count(to_do & (CorrectiveAction.raised_at <= now - timedelta(days=days)))
            for days in ages
        },
        overdue=await count(late),
        awaiting_sign_off=await count(
            (CorrectiveAction.site == site_id) & (CorrectiveAction.state == "fixed")
        ),
        owners=owners,
    )
