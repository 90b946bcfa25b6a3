"""The 行事表 of a month: every day with the recurring work dated that day."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from bisect import bisect_left, bisect_right

import checklists
from server.accounts.access import EVERYONE, Caller
from server.errors import DomainError
from server.schedules.due import Covered, occurrence_out, site_work
from server.schedules.wire import MonthPlan, PlanDay, PlannedWorkOut
from server.wire import EARLIEST, LATEST

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


async def plan_month(caller: Caller, site_id: uuid.UUID, month: str) -> MonthPlan:
    """Every day of a month with the recurring work dated that day: each schedule's
    occurrence with its template's titles and how many things it is due on that day."""
    caller.require(site_id, EVERYONE)
    parsed = _MONTH.match(month)
    if parsed is None or not EARLIEST.year <= int(parsed.group(1)) < LATEST.year:
        raise DomainError(
            "request.invalid",
            f"month is YYYY-MM from {EARLIEST.year} to {LATEST.year - 1}, e.g. 2026-11",
            field="month",
        )
    work = await site_work(site_id, caller.organization_id)
    by_id = {str(s.id): s for s in work.schedules}
    plan = checklists.month_plan(
        [
            checklists.Schedule(key=str(s.id), versions=tuple(s.rules))
            for s in work.schedules
            if work.calendar is not None or not s.per_term
        ],
        int(parsed.group(1)),
        int(parsed.group(2)),
        tz=work.timezone,
        calendar=work.calendar,
    )
    counters = {s.id: _Counter(work.targets(s)) for s in work.schedules}
    days = []
    for day, planned in plan.items():
        work_of_day = []
        for item in planned:
            schedule = by_id[item.schedule]
            count = counters[schedule.id].on(day)
            if count == 0:
                continue
            title_zh, title_en = work.titles.get(schedule.template_key, ("", ""))
            work_of_day.append(
                PlannedWorkOut(
                    schedule_id=schedule.id,
                    template_key=schedule.template_key,
                    title_zh=title_zh,
                    title_en=title_en,
                    targets=count,
                    occurrence=occurrence_out(item.occurrence),
                )
            )
        days.append(PlanDay(date=day, work=work_of_day))
    return MonthPlan(site_id=site_id, month=month, days=days)


class _Counter:
    """How many of a schedule's targets are covered on a day, by bisection."""

    def __init__(self, targets: list[Covered]) -> None:
        self._from = sorted(first for _, first, _ in targets)
        self._until = sorted(last for _, _, last in targets if last is not None)

    def on(self, day: dt.date) -> int:
        return bisect_right(self._from, day) - bisect_left(self._until, day)
