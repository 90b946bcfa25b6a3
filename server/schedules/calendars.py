"""A site's school calendar: its terms, holidays and make-up school days (调休), which
schedules read to skip holidays, to keep to school days and to spread work over a term.

One calendar per site, replaced whole by a manager; every replacement grows its version and
is recorded for devices (entity `calendar`, its id the site's). A replacement may change the
future freely, but not a day before today on which a schedule of the site was in force:
what was due then was decided by the calendar as it stood, and a report of that period must
show the same. The first calendar of a site that already has schedules is held to the same
rule against the empty calendar (Monday to Friday, no terms, no holidays).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from checklists import PerTermRule, Rule, SchoolCalendar
from server import clock
from server.accounts.access import EVERYONE, MANAGERS, Caller
from server.accounts.sites import site_timezones
from server.db import is_sqlite, transaction
from server.errors import DomainError
from server.feeds import Audience, Feed
from server.schedules.tables import Schedule, ScheduleVersion, SiteCalendar
from server.schedules.wire import CalendarOut, CalendarRecord

NO_CALENDAR = SchoolCalendar()


def local_today(timezone: str) -> dt.date:
    # The clock is read through its module so that tests can set the day.
    return clock.utcnow().astimezone(ZoneInfo(timezone)).date()


async def calendar_of(site_id: uuid.UUID) -> SchoolCalendar | None:
    """The site's calendar, or None if it never set one."""
    row = await _row(site_id)
    return None if row is None else _decoded(row["calendar"])


async def get_calendar(caller: Caller, site_id: uuid.UUID) -> CalendarOut:
    caller.require(site_id, EVERYONE)
    row = await _row(site_id)
    if row is None:
        return CalendarOut(site_id=site_id, calendar=NO_CALENDAR, version=0, updated_at=None)
    return _out(row)


async def set_calendar(
    caller: Caller, site_id: uuid.UUID, calendar: SchoolCalendar, version: int | None = None
) -> CalendarOut:
    """Replace the site's calendar. Refused with `calendar.past_changed` when it would change
    a past day a schedule was in force on, with `schedule.calendar_required` when it drops
    every term while a schedule still spreads work over terms, and with
    `calendar.version_conflict` when `version` (the one the change was made against; 0: no
    calendar yet) is no longer the stored one: a whole calendar replaced from a stale copy
    would undo another manager's change."""
    caller.require(site_id, MANAGERS)
    today = local_today((await site_timezones([site_id]))[site_id])
    async with transaction():
        query = SiteCalendar.select().where(SiteCalendar.site == site_id)
        if not is_sqlite():
            query = query.lock_rows("UPDATE")
        row = await query.first()
        stored = 0 if row is None else row["version"]
        if version is not None and version != stored:
            raise DomainError(
                "calendar.version_conflict",
                f"changed by someone else: version is {stored}, you sent {version}",
                field="version",
            )
        before = NO_CALENDAR if row is None else _decoded(row["calendar"])
        rules = await _rules_in_force(site_id)
        _check_past_unchanged(before, calendar, rules, today)
        if not calendar.terms and any(
            isinstance(rule, PerTermRule) and (until is None or until >= today)
            for rule, _, until in rules
        ):
            raise DomainError(
                "schedule.calendar_required",
                "a schedule of this site is due n times per term; the calendar must keep its terms",
                field="terms",
            )
        now = clock.utcnow()
        encoded = msgspec.json.encode(calendar).decode()
        if row is None:
            saved = await SiteCalendar.insert(
                SiteCalendar(
                    id=clock.new_id(),
                    site=site_id,
                    calendar=encoded,
                    version=1,
                    updated_at=now,
                    updated_by=caller.user_id,
                )
            ).returning(*_COLUMNS)
        else:
            saved = (
                await SiteCalendar.update(
                    {
                        SiteCalendar.calendar: encoded,
                        SiteCalendar.version: SiteCalendar.version + 1,
                        SiteCalendar.updated_at: now,
                        SiteCalendar.updated_by: caller.user_id,
                    }
                )
                .where(SiteCalendar.site == site_id)
                .returning(*_COLUMNS)
            )
        out = _out(saved[0])
        record_calendar(out)
    return out


def record_calendar(out: CalendarOut) -> None:
    CALENDAR_FEED.record(
        out.site_id,
        out.site_id,
        version=out.version,
        data=CalendarRecord(site_id=out.site_id, calendar=out.calendar),
    )


async def snapshot_calendar(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, CalendarRecord]]:
    """The site's calendar, if it has one."""
    row = await _row(site_id)
    if row is None or limit < 1 or (after is not None and after >= str(site_id)):
        return []
    out = _out(row)
    return [(str(site_id), out.version, CalendarRecord(site_id=site_id, calendar=out.calendar))]


async def _rules_in_force(site_id: uuid.UUID) -> list[tuple[Rule, dt.date, dt.date | None]]:
    """Every rule any schedule of the site has had, with the dates it governs (until None:
    open-ended)."""
    rows = (
        await ScheduleVersion.select(
            ScheduleVersion.schedule, ScheduleVersion.effective_from, ScheduleVersion.rule
        )
        .where(
            ScheduleVersion.schedule.is_in(
                Schedule.select(Schedule.id).where(Schedule.site == site_id)
            )
        )
        .order_by(ScheduleVersion.schedule)
        .order_by(ScheduleVersion.effective_from)
    )
    spans: list[tuple[Rule, dt.date, dt.date | None]] = []
    for at, row in enumerate(rows):
        following = rows[at + 1] if at + 1 < len(rows) else None
        until = None
        if following is not None and following["schedule"] == row["schedule"]:
            until = following["effective_from"] - dt.timedelta(days=1)
        rule = msgspec.json.decode(row["rule"], type=Rule | None)
        if rule is not None:
            spans.append((rule, row["effective_from"], until))
    return spans


def _check_past_unchanged(
    before: SchoolCalendar,
    after: SchoolCalendar,
    rules: list[tuple[Rule, dt.date, dt.date | None]],
    today: dt.date,
) -> None:
    """Every past day some rule governed must read the same in both calendars: holiday or
    not, school day or not, and, under a per-term rule, the same term."""
    past = [
        (rule, first, min(until or today, today - dt.timedelta(days=1)))
        for rule, first, until in rules
    ]
    past = [(rule, first, last) for rule, first, last in past if first <= last]
    if not past:
        return
    first = min(first for _, first, _ in past)
    last = max(last for _, _, last in past)
    day = first
    while day <= last:
        governing = [rule for rule, start, end in past if start <= day <= end]
        if governing:
            changed = before.is_holiday(day) != after.is_holiday(day) or (
                before.is_school_day(day) != after.is_school_day(day)
            )
            if not changed and any(isinstance(rule, PerTermRule) for rule in governing):
                changed = _term_span(before, day) != _term_span(after, day)
            if changed:
                raise DomainError(
                    "calendar.past_changed",
                    f"the calendar would change {day.isoformat()}, a past day a schedule was "
                    "in force on; what was due then must stay as it was (change only today "
                    "and later)",
                    field="calendar",
                )
        day += dt.timedelta(days=1)


def _term_span(calendar: SchoolCalendar, day: dt.date) -> tuple[str, dt.date, dt.date] | None:
    term = calendar.term_of(day)
    return None if term is None else (term.key, term.first_day, term.last_day)


_COLUMNS = (
    SiteCalendar.site,
    SiteCalendar.calendar,
    SiteCalendar.version,
    SiteCalendar.updated_at,
)


async def _row(site_id: uuid.UUID) -> dict[str, Any] | None:
    return await SiteCalendar.select(*_COLUMNS).where(SiteCalendar.site == site_id).first()


def _decoded(value: Any) -> SchoolCalendar:
    # A JSON column comes back as text unless asked to decode; msgspec decodes it typed.
    if isinstance(value, str):
        return msgspec.json.decode(value, type=SchoolCalendar)
    return msgspec.convert(value, SchoolCalendar)


def _out(row: dict[str, Any]) -> CalendarOut:
    return CalendarOut(
        site_id=row["site"],
        calendar=_decoded(row["calendar"]),
        version=row["version"],
        updated_at=row["updated_at"].astimezone(dt.UTC) if row["updated_at"] else None,
    )


CALENDAR_FEED = Feed("calendar", Audience.SITE, snapshot_calendar)
