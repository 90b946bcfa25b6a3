"""What is due: each schedule's occurrences on each of its targets, with their status.

An occurrence is done by an inspection of that target with that template whose business
time (`completed_at`) falls in its window, however late the inspection reached the server;
done late by one after the window and before the next occurrence opens; excused by a
"won't do" with a reason that stands (approval.py: not one pending or rejected); otherwise
upcoming, due, then overdue. A done one says how it came out: passed or failed, by the last
inspection that did it, as corrected. Statuses are as of now:
asking about a past period gives what was due then, under the schedule versions in force
then, with what has been done about it since.

The lists look back a bounded time: `overdue` covers occurrences whose window closed in the
last 60 days (`OVERDUE_LOOKBACK`); older ones are for reports, which ask for a period.

`overdue_occurrences` is the hook for notifications.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo

import checklists
from checklists import CalendarRequired, DailyRule, Occurrence, SchoolCalendar, Status
from server import clock
from server.accounts.access import EVERYONE, Caller
from server.accounts.sites import organization_of_site, site_timezones
from server.accounts.users import display_names
from server.errors import DomainError
from server.inspections.history import completion_times
from server.registry.targets import SiteThing, site_things
from server.schedules.approval import Excused, due_excusal, standing_excusals, stands
from server.schedules.calendars import calendar_of
from server.schedules.schedules import (
    LoadedSchedule,
    coverage,
    select_targets,
    site_schedules,
    target_id,
)
from server.schedules.wire import (
    DueCounts,
    DueEntry,
    DueList,
    DueOccurrence,
    DueTarget,
    OverdueOccurrence,
)
from server.templates.templates import template_titles

OVERDUE_LOOKBACK = dt.timedelta(days=60)
MAX_PERIOD_DAYS = 92
"""The longest period one request may ask about (a quarter)."""

Scope = Literal["today", "week", "overdue"]
Covered = tuple[SiteThing, dt.date, dt.date | None]

_DATE_KEY = re.compile(r"^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2})?$")
_TERM_KEY = re.compile(r"^term-(?P<term>[a-z0-9][a-z0-9_-]*)#\d+of\d+$")


@dataclass
class SiteWork:
    """Everything one site's due work is computed from, read once per request."""

    site_id: uuid.UUID
    timezone: str
    calendar: SchoolCalendar | None
    schedules: list[LoadedSchedule]
    things: list[SiteThing]
    titles: dict[str, tuple[str, str]]
    _targets: dict[uuid.UUID, list[Covered]] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def today(self, now: dt.datetime) -> dt.date:
        return now.astimezone(self.zone).date()

    def targets(self, schedule: LoadedSchedule) -> list[Covered]:
        """The schedule's targets, each with the local dates it is covered on."""
        found = self._targets.get(schedule.id)
        if found is None:
            zone = self.zone
            found = self._targets[schedule.id] = [
                (thing, *coverage(thing, zone))
                for thing in select_targets(schedule.targets, self.things)
            ]
        return found

    def occurrences(
        self, schedule: LoadedSchedule, first: dt.date, last: dt.date
    ) -> list[Occurrence]:
        try:
            return checklists.occurrences_for(
                schedule.rules, first, last, tz=self.timezone, calendar=self.calendar
            )
        except CalendarRequired:
            # Creating a per-term schedule needs a calendar, and one is never removed.
            return []

    def reach_back(self, schedule: LoadedSchedule) -> dt.timedelta:
        """How long before its date an occurrence's window may still be open: a day (a
        window past midnight), or a whole term for work spread over a term."""
        if schedule.per_term and self.calendar is not None and self.calendar.terms:
            return dt.timedelta(days=max(term.days for term in self.calendar.terms))
        return dt.timedelta(days=1)


async def site_work(
    site_id: uuid.UUID,
    organization_id: uuid.UUID | None = None,
    schedule_ids: Iterable[uuid.UUID] | None = None,
) -> SiteWork:
    schedules = await site_schedules(site_id, schedule_ids)
    if organization_id is None:
        organization_id = await organization_of_site(site_id)
    return SiteWork(
        site_id=site_id,
        timezone=(await site_timezones([site_id]))[site_id],
        calendar=await calendar_of(site_id),
        schedules=schedules,
        things=await site_things(site_id) if schedules else [],
        titles=await template_titles(organization_id, {s.template_key for s in schedules})
        if organization_id is not None
        else {},
    )


@dataclass(frozen=True)
class Found:
    schedule: LoadedSchedule
    thing: SiteThing
    occurrence: Occurrence
    status: Status
    result: str | None = None
    inspection_id: uuid.UUID | None = None
    excusal: Excused | None = None


async def find_due(
    work: SiteWork,
    first: dt.date,
    last: dt.date,
    now: dt.datetime,
    *,
    reaching_in: bool = False,
    only: Callable[[SiteThing], bool] | None = None,
) -> list[Found]:
    """Every occurrence dated `first` to `last` on every covered target, with its status as
    of `now`. `reaching_in` also takes earlier occurrences whose windows may reach into the
    period (the caller keeps those that do)."""
    planned: list[tuple[LoadedSchedule, list[Occurrence], list[Covered]]] = []
    for schedule in work.schedules:
        targets = [c for c in work.targets(schedule) if only is None or only(c[0])]
        if not targets:
            continue
        start = first - work.reach_back(schedule) if reaching_in else first
        found = work.occurrences(schedule, start, last)
        if found:
            planned.append((schedule, found, targets))
    if not planned:
        return []
    wanted = {target_id(c[0]) for _, _, targets in planned for c in targets}
    completions = await completion_times(
        work.site_id,
        {schedule.template_key for schedule, _, _ in planned},
        min(o.due_start for _, found, _ in planned for o in found),
        now,
        wanted if len(wanted) <= 200 else None,
    )
    excused = await standing_excusals(
        work.site_id,
        {schedule.id for schedule, _, _ in planned},
        min(found[0].local_date for _, found, _ in planned),
        max(found[-1].local_date for _, found, _ in planned),
    )
    result: list[Found] = []
    for schedule, found, targets in planned:
        for thing, covered_from, covered_until in targets:
            covered = found
            if covered_from > found[0].local_date or (
                covered_until is not None and covered_until < found[-1].local_date
            ):
                covered = [
                    o
                    for o in found
                    if covered_from <= o.local_date
                    and (covered_until is None or o.local_date <= covered_until)
                ]
            if not covered:
                continue
            key = target_id(thing)
            done = sorted(completions.get((schedule.template_key, key), ()))
            excusals = excused.get((schedule.id, key), {})
            statuses = checklists.statuses(
                covered,
                [at for at, _, _ in done],
                [k for k, e in excusals.items() if stands(e.state)],
                now,
            )
            for o, s in zip(covered, statuses, strict=True):
                by = outcome(o, s, done, now)
                result.append(
                    Found(
                        schedule,
                        thing,
                        o,
                        s,
                        by[1] if by else None,
                        by[2] if by else None,
                        excusals.get(o.key),
                    )
                )
    result.sort(
        key=lambda f: (
            f.occurrence.due_start,
            f.schedule.template_key,
            f.thing.name,
            target_id(f.thing),
            f.occurrence.key,
        )
    )
    return result


def outcome(
    occurrence: Occurrence,
    status: Status,
    done: list[tuple[dt.datetime, str, uuid.UUID]],
    now: dt.datetime,
) -> tuple[dt.datetime, str, uuid.UUID] | None:
    """The inspection a done occurrence is answered by, with how it came out: the last one
    in the span that made it done (its window, or after it for one done late), `done` in
    time order; at the same instant a failure outweighs a pass."""
    end: dt.datetime | None
    if status == "done":
        start, end = occurrence.due_start, occurrence.due_end
    elif status == "done_late":
        start, end = occurrence.due_end, occurrence.late_until
    else:
        return None
    last: tuple[dt.datetime, str, uuid.UUID] | None = None
    for at, result, inspection in done:
        if at > now or at < start or (end is not None and at >= end):
            continue
        if last is None or at > last[0] or result == "fail":
            last = (at, result, inspection)
    return last


async def due_entries(work: SiteWork, found: list[Found]) -> list[DueEntry]:
    """The found occurrences as the API sends them, the people named in their excusals."""
    people = {
        person
        for f in found
        if f.excusal is not None
        for person in (
            f.excusal.row["excused_by"],
            f.excusal.decision["decided_by"] if f.excusal.decision else None,
        )
        if person is not None
    }
    names = await display_names(list(people))
    return [due_entry(work, f, names) for f in found]


def due_counts(entries: Iterable[DueEntry]) -> DueCounts:
    counts = dict.fromkeys(DueCounts.__struct_fields__, 0)
    for entry in entries:
        if entry.status in ("done", "done_late"):
            counts["failed" if entry.result == "fail" else "passed"] += 1
        else:
            counts[entry.status] += 1
            if entry.excusal is not None and entry.excusal.state == "pending":
                counts["awaiting_approval"] += 1
    return DueCounts(**counts)


def due_entry(work: SiteWork, found: Found, names: dict[uuid.UUID, str]) -> DueEntry:
    title_zh, title_en = work.titles.get(found.schedule.template_key, ("", ""))
    return DueEntry(
        schedule_id=found.schedule.id,
        template_key=found.schedule.template_key,
        title_zh=title_zh,
        title_en=title_en,
        target=DueTarget(
            asset_id=found.thing.asset_id,
            location_id=found.thing.location_id if found.thing.asset_id is None else None,
            name=found.thing.name,
        ),
        occurrence=occurrence_out(found.occurrence),
        status=found.status,
        result=found.result,  # type: ignore[arg-type]
        inspection_id=found.inspection_id,
        excusal=None if found.excusal is None else due_excusal(found.excusal, names),
    )


def occurrence_out(occurrence: Occurrence) -> DueOccurrence:
    return DueOccurrence(
        key=occurrence.key,
        due_start=occurrence.due_start,
        due_end=occurrence.due_end,
        late_until=occurrence.late_until,
    )


def _days(timezone: str, first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """From the start of `first` to the end of `last` at the site, by the same reading of
    the wall clock as the schedules' own days."""
    days = checklists.occurrences(DailyRule(), first, last, tz=timezone)
    return days[0].due_start, days[-1].due_end


def _overlapping(found: Found, start: dt.datetime, end: dt.datetime) -> bool:
    return found.occurrence.due_start < end and found.occurrence.due_end > start


# --- lists ----------------------------------------------------------------------------


async def list_due(
    caller: Caller,
    site_id: uuid.UUID,
    *,
    scope: Scope = "today",
    first_day: dt.date | None = None,
    last_day: dt.date | None = None,
    mine: bool = False,
    building: uuid.UUID | None = None,
    checklist: str | None = None,
    text: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> DueList:
    """`today` and `week`: every occurrence whose window is open at some time of today or
    of this week (Monday to Sunday), whatever its status. `overdue`: occurrences overdue
    now whose windows closed in the last 60 days. A period (`first_day` to `last_day`, at
    most 92 days): every occurrence dated in it, as the schedules stood on each of its days.

    `mine`: the occurrences on things I keep; an inspector also gets those on things no
    one keeps (locations, assets without a keeper), as the people who do the checks.
    `building`: things in that place or under it; `checklist`: one template's work;
    `text`: things whose name, or the name of a place they are in, holds it. `limit` and
    `offset`: one page of the list (a list is worked out afresh each time, so a page is
    an offset into it); the counts are of the whole list."""
    role = caller.require(site_id, EVERYONE)
    now = clock.utcnow()
    work = await site_work(site_id, caller.organization_id)
    if checklist:
        work.schedules = [s for s in work.schedules if s.template_key == checklist]
    tests: list[Callable[[SiteThing], bool]] = []
    if mine:
        tests.append(
            lambda thing: (
                thing.keeper_id == caller.user_id
                or (thing.keeper_id is None and role == "inspector")
            )
        )
    if building is not None or text:
        tests.append(_place_filter(work.things, building, text))
    only = (lambda thing: all(test(thing) for test in tests)) if tests else None

    today = work.today(now)
    if first_day is not None or last_day is not None:
        if first_day is None or last_day is None:
            raise DomainError(
                "request.invalid", "give both `from` and `to`, or a scope", field="from"
            )
        if last_day < first_day or (last_day - first_day).days >= MAX_PERIOD_DAYS:
            raise DomainError(
                "request.invalid",
                f"`to` must be on or after `from`, at most {MAX_PERIOD_DAYS} days in all",
                field="to",
            )
        found = await find_due(work, first_day, last_day, now, only=only)
    elif scope == "overdue":
        first_day, last_day = (now - OVERDUE_LOOKBACK).astimezone(work.zone).date(), today
        found = [
            f
            for f in await find_due(work, first_day, last_day, now, reaching_in=True, only=only)
            if f.status == "overdue" and f.occurrence.due_end > now - OVERDUE_LOOKBACK
        ]
    else:
        first_day = today if scope == "today" else today - dt.timedelta(days=today.weekday())
        last_day = today if scope == "today" else first_day + dt.timedelta(days=6)
        start, end = _days(work.timezone, first_day, last_day)
        found = [
            f
            for f in await find_due(work, first_day, last_day, now, reaching_in=True, only=only)
            if _overlapping(f, start, end)
        ]
    items = await due_entries(work, found)
    return DueList(
        first_day=first_day,
        last_day=last_day,
        items=items[offset:] if limit is None else items[offset : offset + limit],
        counts=due_counts(items),
        total=len(items),
    )


@dataclass(frozen=True)
class DueTally:
    """A site's due work counted, not listed: `list_due`'s `today` list by status, and the
    length of its `overdue` list."""

    schedules: int
    today: dict[str, int]
    overdue: int


async def tally_due(site_id: uuid.UUID) -> DueTally:
    """What `list_due` would list for today and as overdue, counted (for callers already
    authorised: a morning page must not carry thousands of entries to count them)."""
    now = clock.utcnow()
    work = await site_work(site_id)
    if not work.schedules:
        return DueTally(schedules=0, today={}, overdue=0)
    today = work.today(now)
    start, end = _days(work.timezone, today, today)
    since = now - OVERDUE_LOOKBACK
    # One pass over the look-back period: it holds every occurrence reaching into today too.
    statuses: dict[str, int] = {}
    overdue = 0
    for f in await find_due(work, since.astimezone(work.zone).date(), today, now, reaching_in=True):
        if _overlapping(f, start, end):
            statuses[f.status] = statuses.get(f.status, 0) + 1
        if f.status == "overdue" and f.occurrence.due_end > since:
            overdue += 1
    return DueTally(schedules=len(work.schedules), today=statuses, overdue=overdue)


def _place_filter(
    things: list[SiteThing], building: uuid.UUID | None, text: str | None
) -> Callable[[SiteThing], bool]:
    """Whether a thing is in `building` (or is it, or under it) and its name or a place
    above it holds `text`, case aside."""
    places = {t.location_id: t for t in things if t.asset_id is None}
    needle = (text or "").strip().casefold()

    def chain(thing: SiteThing) -> list[SiteThing]:
        found = [thing]
        at = places.get(thing.location_id if thing.asset_id is not None else thing.parent_id)
        while at is not None and len(found) < 64:
            found.append(at)
            at = places.get(at.parent_id)
        return found

    def keep(thing: SiteThing) -> bool:
        above = chain(thing)
        if building is not None and not any(
            t.asset_id is None and t.location_id == building for t in above
        ):
            return False
        return not needle or any(needle in t.name.casefold() for t in above)

    return keep


async def due_on(
    caller: Caller, site_id: uuid.UUID, asset_id: uuid.UUID | None, location_id: uuid.UUID | None
) -> list[DueEntry]:
    """What one thing has due: this week's occurrences (done ones too) and those overdue
    from the last 60 days, by due time. For the answer to a tag scan."""
    now = clock.utcnow()
    work = await site_work(site_id, caller.organization_id)
    if not work.schedules:
        return []
    wanted = asset_id if asset_id is not None else location_id
    today = work.today(now)
    monday = today - dt.timedelta(days=today.weekday())
    start, end = _days(work.timezone, monday, monday + dt.timedelta(days=6))
    since = now - OVERDUE_LOOKBACK
    found = await find_due(
        work,
        min(monday, since.astimezone(work.zone).date()),
        monday + dt.timedelta(days=6),
        now,
        reaching_in=True,
        only=lambda thing: (
            target_id(thing) == wanted and (thing.asset_id is None) == (asset_id is None)
        ),
    )
    return await due_entries(
        work,
        [
            f
            for f in found
            if _overlapping(f, start, end)
            or (f.status == "overdue" and f.occurrence.due_end > since)
        ],
    )


async def overdue_occurrences(
    site_id: uuid.UUID, since: dt.datetime, now: dt.datetime
) -> list[OverdueOccurrence]:
    """Occurrences of the site's schedules that are overdue at `now` and whose windows
    closed at or after `since`, oldest first: for a notifications dispatcher to raise an
    `occurrence.overdue` event for each.

    Each carries a stable `key`, `schedule_id:occurrence_key:target_id`: calling again with
    an overlapping `since` finds the same occurrences under the same keys, so a dispatcher
    that remembers the keys it sent (or sends them as delivery ids) notifies once; one done
    late or excused meanwhile is simply no longer returned. `since` is held to at most 92
    days before `now`. Not scoped by a caller: the dispatcher acts for the site."""
    since = max(since, now - dt.timedelta(days=MAX_PERIOD_DAYS))
    work = await site_work(site_id)
    found = await find_due(
        work,
        since.astimezone(work.zone).date(),
        work.today(now),
        now,
        reaching_in=True,
    )
    overdue = [f for f in found if f.status == "overdue" and f.occurrence.due_end >= since]
    overdue.sort(key=lambda f: (f.occurrence.due_end, f.schedule.template_key, f.thing.name))
    return [
        OverdueOccurrence(
            **{name: getattr(entry, name) for name in DueEntry.__struct_fields__},
            key=f"{f.schedule.id}:{f.occurrence.key}:{target_id(f.thing)}",
            site_id=site_id,
        )
        for f, entry in zip(overdue, await due_entries(work, overdue), strict=True)
    ]


# --- one occurrence ------------------------------------------------------------------


def find_occurrence(work: SiteWork, schedule: LoadedSchedule, key: str) -> Occurrence | None:
    """The occurrence a key names under the schedule's versions, if there is one."""
    dated = _DATE_KEY.match(key)
    if dated is not None:
        try:
            day = dt.date.fromisoformat(dated.group(1))
        except ValueError:
            return None
        first = last = day
    else:
        termed = _TERM_KEY.match(key)
        if termed is None or work.calendar is None:
            return None
        term = next((t for t in work.calendar.terms if t.key == termed.group("term")), None)
        if term is None:
            return None
        first, last = term.first_day, term.last_day
    return next((o for o in work.occurrences(schedule, first, last) if o.key == key), None)


def covering(work: SiteWork, schedule: LoadedSchedule, target: uuid.UUID, day: dt.date) -> bool:
    """Whether the schedule covers this thing on this local date."""
    return any(
        target_id(thing) == target and first <= day and (last is None or day <= last)
        for thing, first, last in work.targets(schedule)
    )
