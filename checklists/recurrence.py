"""Recurring work: when each occurrence of a schedule is due, and whether it was done.

Pure: nothing reads the clock or a database; every function is given the dates, the site's
IANA timezone and the times it needs, so a phone offline and the server agree.

Rules are read in the site's local time. A day is midnight to midnight on the wall clock
(23 or 25 hours on the days clocks change), and a window within it is its two wall-clock
times. Each local time becomes one instant: a time the clocks go back over is its first
pass, a time they skip is the moment of the jump (02:30 on a spring-forward night in
Berlin is 03:00). So windows never run backwards and days tile exactly. A window the jump
swallows whole (02:00-03:00 that night) does not vanish: it opens at the jump and lasts as
long as it does on the clock face (03:00-04:00), even if that overlaps the next window. A
window whose end is earlier than its start ends the next day (a night patrol 22:00-06:00)
and belongs to the day it starts.

An occurrence is done on time by an inspection inside its window and done late by one
after the window but before the next occurrence of the schedule opens (`late_until`);
one inspection never answers for two occurrences. Only business times count: an
inspection synced a week late was still done when it was done.
"""

import calendar as gregorian
import datetime as dt
import functools
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from itertools import pairwise
from typing import Annotated, ClassVar, Literal
from zoneinfo import ZoneInfo

import msgspec
from msgspec import Meta

from checklists.calendar import IsoWeekday, SchoolCalendar

Clock = Annotated[str, Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
Status = Literal["done", "done_late", "due", "upcoming", "overdue", "excused"]

# Beyond this, the next occurrence is too far off to bound lateness: an occurrence with
# none sooner may be done late at any time (`late_until` is None).
LATE_HORIZON = dt.timedelta(days=732)

_DAY = dt.timedelta(days=1)
_MIDNIGHT = dt.time(0, 0)
_WEEKDAYS_ONLY = SchoolCalendar()


class CalendarRequired(ValueError):
    code: ClassVar[str] = "schedule.calendar_required"

    def __init__(self) -> None:
        super().__init__("a rule of n times per term needs the site's calendar and its terms")


class _Parsed(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Subclasses say `frozen=True` again: msgspec inherits it, type checkers do not (PEP 681)."""


class TimeWindow(_Parsed, dict=True, frozen=True):
    """`{"start": "07:30", "end": "08:30"}`; an end before the start is on the next day."""

    start: Clock
    end: Clock

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError(
                f"window {self.start}-{self.end} is empty; leave windows out for the whole day"
            )

    @property
    def crosses_midnight(self) -> bool:
        return self.end < self.start

    @functools.cached_property
    def times(self) -> tuple[dt.time, dt.time]:
        return dt.time.fromisoformat(self.start), dt.time.fromisoformat(self.end)


Windows = Annotated[tuple[TimeWindow, ...], Meta(max_length=24)]


class _Rule(_Parsed, tag_field="every", frozen=True):
    pass


class _DayRule(_Rule, frozen=True):
    """A rule whose occurrences fall on days, each day in `windows` (none: the whole day).

    Windows are in order and never overlap, also from one day into the next, so that an
    inspection can only ever be inside one of them.
    """

    windows: Windows = ()

    def __post_init__(self) -> None:
        for earlier, later in pairwise(self.windows):
            if later.start <= earlier.start:
                raise ValueError("windows must be given in order of their start")
            if earlier.crosses_midnight or later.start < earlier.end:
                raise ValueError(f"windows {earlier.start} and {later.start} overlap")
        last = self.windows[-1] if self.windows else None
        if last is not None and last.crosses_midnight and last.end > self.windows[0].start:
            raise ValueError("the window past midnight runs into the next day's first")


class DailyRule(_DayRule, tag="daily", frozen=True):
    """`school_days_only`: the calendar's school days (Monday to Friday without one)."""

    school_days_only: bool = False


class WeeklyRule(_DayRule, tag="weekly", kw_only=True, frozen=True):
    """`weekdays` are ISO: 1 is Monday (playground equipment is checked every Monday)."""

    weekdays: Annotated[tuple[IsoWeekday, ...], Meta(min_length=1, max_length=7)]

    def __post_init__(self) -> None:
        if len(set(self.weekdays)) != len(self.weekdays):
            raise ValueError("weekdays repeats a day")
        super().__post_init__()


class MonthlyRule(_DayRule, tag="monthly", kw_only=True, frozen=True):
    """A day past a month's end (the 31st in April) is that month's last day."""

    day: Annotated[int, Meta(ge=1, le=31)] | Literal["last"]


class YearlyRule(_DayRule, tag="yearly", kw_only=True, frozen=True):
    """29 February falls on 28 February in a year that has none."""

    month: Annotated[int, Meta(ge=1, le=12)]
    day: Annotated[int, Meta(ge=1, le=31)]

    def __post_init__(self) -> None:
        if self.day > gregorian.monthrange(2000, self.month)[1]:
            raise ValueError(f"month {self.month} has no day {self.day}")
        super().__post_init__()


class PerTermRule(_Rule, tag="per_term", kw_only=True, frozen=True):
    """Each term split into `times` windows of whole days, as equal as days allow; the
    occurrence is due at any time in its window and is dated by the window's first day."""

    times: Annotated[int, Meta(ge=1, le=20)]


Rule = DailyRule | WeeklyRule | MonthlyRule | PerTermRule | YearlyRule


class ScheduleVersion(_Parsed, frozen=True):
    """One schedule's rule from `effective_from` until the next version; a `rule` of None
    stops the schedule. Each day is governed by the version in effect that day, so an edit
    takes effect from a date and never changes what was due before it."""

    effective_from: dt.date
    rule: Rule | None
    skip_holidays: bool = False


class Schedule(_Parsed, frozen=True):
    key: Annotated[str, Meta(min_length=1, max_length=100)]
    versions: Annotated[tuple[ScheduleVersion, ...], Meta(min_length=1, max_length=1000)]

    def __post_init__(self) -> None:
        _in_order(self.versions)


class Occurrence(msgspec.Struct, frozen=True, kw_only=True):
    """`key` names the occurrence within its schedule forever (`2026-11-23`,
    `2026-11-23T07:30`, `term-2026-autumn#2of4`); the times are UTC and the window is
    `[due_start, due_end)`."""

    key: str
    local_date: dt.date
    due_start: dt.datetime
    due_end: dt.datetime
    late_until: dt.datetime | None


class PlannedWork(msgspec.Struct, frozen=True, kw_only=True):
    schedule: str
    occurrence: Occurrence


def occurrences(
    rule: Rule,
    start: dt.date,
    end: dt.date,
    *,
    tz: str,
    calendar: SchoolCalendar | None = None,
    skip_holidays: bool = False,
) -> list[Occurrence]:
    """Occurrences dated `start` to `end` inclusive, in order of their windows."""
    version = ScheduleVersion(effective_from=start, rule=rule, skip_holidays=skip_holidays)
    return occurrences_for([version], start, end, tz=tz, calendar=calendar)


def occurrences_for(
    versions: Sequence[ScheduleVersion],
    start: dt.date,
    end: dt.date,
    *,
    tz: str,
    calendar: SchoolCalendar | None = None,
) -> list[Occurrence]:
    """Occurrences of one schedule dated `start` to `end`, each from the version in effect
    on its date. Raises `CalendarRequired` for a per-term rule without a calendar."""
    if end < start:
        return []
    wall = _WallClock(ZoneInfo(tz))
    found: list[_Due] = []
    following = None
    for due in _stream(_in_order(versions), start, end + LATE_HORIZON, wall, calendar):
        if due[0] > end:
            following = due
            break
        found.append(due)
    result = []
    for at, due in enumerate(found):
        after = found[at + 1] if at + 1 < len(found) else following
        late_until = None
        if after is not None and after[0] - due[0] <= LATE_HORIZON:
            late_until = max(after[2], due[3])
        result.append(
            Occurrence(
                key=due[1],
                local_date=due[0],
                due_start=due[2],
                due_end=due[3],
                late_until=late_until,
            )
        )
    return result


def status(
    occurrence: Occurrence, completed_at: Iterable[dt.datetime], excused: bool, now: dt.datetime
) -> Status:
    """The occurrence as of `now`, given the business times of the inspections of its target
    with its template. Inspections later than `now` are not yet known, so a past `now`
    gives the status as it was then. Work done outranks an excusal: done, done late,
    excused, then by time upcoming, due or overdue."""
    if now.tzinfo is None:
        raise ValueError("now must carry its timezone")
    late = False
    for at in completed_at:
        if at.tzinfo is None:
            raise ValueError("completion times must carry their timezone")
        if at > now or at < occurrence.due_start:
            continue
        if at < occurrence.due_end:
            return "done"
        if occurrence.late_until is None or at < occurrence.late_until:
            late = True
    return _open_status(occurrence, late, excused, now)


def statuses(
    occurrences: Sequence[Occurrence],
    completed_at: Iterable[dt.datetime],
    excused: Iterable[str],
    now: dt.datetime,
) -> list[Status]:
    """`status` of each occurrence of one schedule on one target, `excused` naming the
    excused keys: the same answers, sorting the completions once instead of per occurrence."""
    if now.tzinfo is None:
        raise ValueError("now must carry its timezone")
    times = sorted(completed_at)
    if times and (times[0].tzinfo is None or times[-1].tzinfo is None):
        raise ValueError("completion times must carry their timezone")
    times = times[: bisect_right(times, now)]
    excused_keys = set(excused)
    result: list[Status] = []
    for occurrence in occurrences:
        at = bisect_left(times, occurrence.due_start)
        if at < len(times) and times[at] < occurrence.due_end:
            result.append("done")
            continue
        at = bisect_left(times, occurrence.due_end, lo=at)
        late = at < len(times) and (
            occurrence.late_until is None or times[at] < occurrence.late_until
        )
        result.append(_open_status(occurrence, late, occurrence.key in excused_keys, now))
    return result


def month_plan(
    schedules: Iterable[Schedule],
    year: int,
    month: int,
    *,
    tz: str,
    calendar: SchoolCalendar | None = None,
) -> dict[dt.date, list[PlannedWork]]:
    """The 行事表 of a month: every day of it, in order, with the work dated that day."""
    first = dt.date(year, month, 1)
    last = first.replace(day=gregorian.monthrange(year, month)[1])
    plan: dict[dt.date, list[PlannedWork]] = {
        first + dt.timedelta(days=n): [] for n in range(last.day)
    }
    for schedule in schedules:
        for occurrence in occurrences_for(schedule.versions, first, last, tz=tz, calendar=calendar):
            plan[occurrence.local_date].append(
                PlannedWork(schedule=schedule.key, occurrence=occurrence)
            )
    for work in plan.values():
        work.sort(key=lambda w: (w.occurrence.due_start, w.schedule, w.occurrence.key))
    return plan


def _open_status(occurrence: Occurrence, late: bool, excused: bool, now: dt.datetime) -> Status:
    if late:
        return "done_late"
    if excused:
        return "excused"
    if now < occurrence.due_start:
        return "upcoming"
    if now < occurrence.due_end:
        return "due"
    return "overdue"


def _in_order(versions: Iterable[ScheduleVersion]) -> list[ScheduleVersion]:
    ordered = sorted(versions, key=lambda version: version.effective_from)
    for earlier, later in pairwise(ordered):
        if earlier.effective_from == later.effective_from:
            raise ValueError(f"two versions take effect on {later.effective_from}")
    return ordered


class _WallClock:
    """Wall-clock times of one zone as UTC instants. Most days have one UTC offset from
    midnight to midnight; it is found once per day and the slow, exact reading is kept for
    the days clocks change."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._offsets: dict[dt.date, dt.timedelta | None] = {}

    def instant(self, day: dt.date, clock: dt.time) -> dt.datetime:
        try:
            offset = self._offsets[day]
        except KeyError:
            offset = self._offsets[day] = self._offset(day)
        if offset is None:
            return _instant(day, clock, self.zone)
        return dt.datetime.combine(day, clock, tzinfo=dt.UTC) - offset

    def _offset(self, day: dt.date) -> dt.timedelta | None:
        """The day's one offset, or None if the day begins, ends or passes a change."""
        offsets = set()
        for midnight in (
            dt.datetime.combine(day, _MIDNIGHT),
            dt.datetime.combine(day + _DAY, _MIDNIGHT),
        ):
            offsets.add(self.zone.utcoffset(midnight))
            offsets.add(self.zone.utcoffset(midnight.replace(fold=1)))
        return offsets.pop() if len(offsets) == 1 else None


def _instant(day: dt.date, clock: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of a wall-clock time (fold 0 is the first pass of a repeated time)."""
    local = dt.datetime.combine(day, clock)
    instant = local.replace(tzinfo=zone).astimezone(dt.UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local:
        return instant
    return _jump_over(local, instant, zone)


def _jump_over(local: dt.datetime, after: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The moment clocks jumped over `local`, given an instant past the jump. Transitions
    fall on whole seconds, and no zone has two within two days."""
    before = after - 2 * _DAY
    low, high = 0, 2 * 86_400
    while low < high:
        middle = (low + high) // 2
        if (before + dt.timedelta(seconds=middle)).astimezone(zone).replace(tzinfo=None) > local:
            high = middle
        else:
            low = middle + 1
    return before + dt.timedelta(seconds=low)


# (local date, key, due start, due end): an occurrence before its lateness is known.
_Due = tuple[dt.date, str, dt.datetime, dt.datetime]


def _stream(
    versions: list[ScheduleVersion],
    start: dt.date,
    until: dt.date,
    wall: _WallClock,
    calendar: SchoolCalendar | None,
) -> Iterator[_Due]:
    for at, version in enumerate(versions):
        first = max(start, version.effective_from)
        last = until if at + 1 == len(versions) else versions[at + 1].effective_from - _DAY
        last = min(last, until)
        if version.rule is None or first > last:
            continue
        if isinstance(version.rule, PerTermRule):
            if calendar is None:
                raise CalendarRequired()
            yield from _per_term(version.rule, first, last, wall, calendar)
            continue
        rule = version.rule
        for day in _days(rule, first, last, calendar or _WEEKDAYS_ONLY):
            if version.skip_holidays and calendar is not None and calendar.is_holiday(day):
                continue
            yield from _on_day(rule, day, wall)


def _days(
    rule: _DayRule, first: dt.date, last: dt.date, calendar: SchoolCalendar
) -> Iterator[dt.date]:
    if isinstance(rule, MonthlyRule):
        year, month = first.year, first.month
        while (year, month) <= (last.year, last.month):
            length = gregorian.monthrange(year, month)[1]
            day = dt.date(year, month, length if rule.day == "last" else min(rule.day, length))
            if first <= day <= last:
                yield day
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return
    if isinstance(rule, YearlyRule):
        for year in range(first.year, last.year + 1):
            length = gregorian.monthrange(year, rule.month)[1]
            day = dt.date(year, rule.month, min(rule.day, length))
            if first <= day <= last:
                yield day
        return
    weekdays = set(rule.weekdays) if isinstance(rule, WeeklyRule) else None
    school_only = isinstance(rule, DailyRule) and rule.school_days_only
    day = first
    while day <= last:
        if weekdays is not None:
            if day.isoweekday() in weekdays:
                yield day
        elif not school_only or calendar.is_school_day(day):
            yield day
        day += _DAY


def _on_day(rule: _DayRule, day: dt.date, wall: _WallClock) -> list[_Due]:
    if not rule.windows:
        return [
            (
                day,
                day.isoformat(),
                wall.instant(day, _MIDNIGHT),
                wall.instant(day + _DAY, _MIDNIGHT),
            )
        ]
    found = []
    for window in rule.windows:
        opens, closes = window.times
        end_day = day + _DAY if window.crosses_midnight else day
        due_start = wall.instant(day, opens)
        due_end = wall.instant(end_day, closes)
        if due_end <= due_start:
            # Swallowed by a spring-forward jump: as long as on the clock, from the jump.
            length = dt.datetime.combine(end_day, closes) - dt.datetime.combine(day, opens)
            due_end = due_start + length
        found.append((day, f"{day.isoformat()}T{window.start}", due_start, due_end))
    found.sort(key=lambda due: (due[2], due[1]))
    return found


def _per_term(
    rule: PerTermRule, first: dt.date, last: dt.date, wall: _WallClock, calendar: SchoolCalendar
) -> Iterator[_Due]:
    for term in calendar.terms_from(first):
        if term.first_day > last:
            return
        bounds = [
            term.first_day + dt.timedelta(days=term.days * part // rule.times)
            for part in range(rule.times + 1)
        ]
        for part in range(rule.times):
            opens, closes = bounds[part], bounds[part + 1]
            # A term shorter than `times` days has windows of no day at all: none is due.
            if opens == closes or not first <= opens <= last:
                continue
            key = f"term-{term.key}#{part + 1}of{rule.times}"
            yield opens, key, wall.instant(opens, _MIDNIGHT), wall.instant(closes, _MIDNIGHT)
