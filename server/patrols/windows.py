"""When rounds are due, and who walks them.

Pure: the site's timezone, calendar and dates are given. Wall-clock times become instants
as in `checklists.recurrence` (its occurrences are reused): a time the clocks go back over
is its first pass, a time they skip is the moment of the jump. A round belongs to the local
date its window starts on, so the 02:00 round of a night belongs to the evening before.

Fixed windows (07:30 for 60 minutes) last their duration in elapsed time, also on the
nights clocks change. Repeating windows ("every 120 minutes from 22:00 to 06:00") split
the night into slots of the clock face, each ending where the next begins, so the slots
of a night tile it with no gap and no overlap whatever the clocks do: the slot that holds
the change is an hour shorter or longer. A slot the clocks skip whole (02:00-03:00 with
hourly rounds on a spring-forward night) is kept, from the jump, for as long as it is on
the clock face, as checklists do: a round is never silently dropped from the duty sheet.
Grace is elapsed time after a window's end.
"""

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterator
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from checklists import DailyRule, SchoolCalendar, TimeWindow, occurrences
from checklists.recurrence import Clock

PersonId = Annotated[str, Meta(min_length=1, max_length=100)]
Minutes = Annotated[int, Meta(ge=1, le=720)]
GraceMinutes = Annotated[int, Meta(ge=0, le=720)]

_DAY = dt.timedelta(days=1)
_DAY_MINUTES = 24 * 60


class _Parsed(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Subclasses say `frozen=True` again: msgspec inherits it, type checkers do not (PEP 681)."""


class FixedWindow(_Parsed, frozen=True):
    start: Clock
    duration_minutes: Minutes
    grace_minutes: GraceMinutes = 0


class FixedTimes(_Parsed, tag="fixed", tag_field="kind", frozen=True):
    """Windows in order of their start, never overlapping (five rounds a day)."""

    windows: Annotated[tuple[FixedWindow, ...], Meta(min_length=1, max_length=24)]

    def __post_init__(self) -> None:
        _same_day_rule(self._clock_windows())

    def _clock_windows(self) -> tuple[TimeWindow, ...]:
        return tuple(
            TimeWindow(start=w.start, end=_clock(_minutes(w.start) + w.duration_minutes))
            for w in self.windows
        )


class RepeatingTimes(_Parsed, tag="repeating", tag_field="kind", frozen=True):
    """A round every `every_minutes` from `start` to `end`; an end at or before the start is
    on the next day (night rounds), and an end equal to the start makes it all day."""

    every_minutes: Annotated[int, Meta(ge=15, le=720)]
    start: Clock
    end: Clock
    grace_minutes: GraceMinutes = 0

    def slots(self) -> list[tuple[int, int]]:
        """(start, end) of each slot in minutes from the first day's midnight."""
        first = _minutes(self.start)
        last = _minutes(self.end)
        if last <= first:
            last += _DAY_MINUTES
        starts = list(range(first, last, self.every_minutes))
        return [(at, min(at + self.every_minutes, last)) for at in starts]


Days = Literal["every_day", "school_days", "in_terms"]


class ForRole(_Parsed, tag="role", tag_field="kind", frozen=True):
    role: Annotated[str, Meta(min_length=1, max_length=50)]


class ForPeople(_Parsed, tag="people", tag_field="kind", frozen=True):
    people: Annotated[tuple[PersonId, ...], Meta(min_length=1, max_length=100)]


class Duty(_Parsed, frozen=True):
    day: dt.date
    person: PersonId


class Substitute(_Parsed, frozen=True):
    """替班: `person` walks the rounds of `day` in place of `replaces`."""

    day: dt.date
    person: PersonId
    replaces: PersonId


class ForRoster(_Parsed, tag="roster", tag_field="kind", frozen=True):
    """The duty roster (值班表): who is on duty each date, and who stands in for whom."""

    duties: Annotated[tuple[Duty, ...], Meta(max_length=5000)] = ()
    substitutes: Annotated[tuple[Substitute, ...], Meta(max_length=5000)] = ()


class RoundSchedule(_Parsed, frozen=True):
    """`days`: every day; the calendar's school days; or every day inside one of its terms
    (boarding schools patrol at weekends in term). A night round's days are judged by the
    evening it starts on."""

    key: Annotated[str, Meta(min_length=1, max_length=100)]
    route: Annotated[str, Meta(min_length=1, max_length=100)]
    times: FixedTimes | RepeatingTimes
    who: ForRole | ForPeople | ForRoster
    days: Days = "every_day"


class RoundWindow(msgspec.Struct, frozen=True, kw_only=True):
    """`key` names the window within its schedule forever (`2026-11-23T07:30`, and
    `2026-11-23T02:00+1` for the 02:00 round of the night that starts on the 23rd); the
    times are UTC: the round is walked in `[start, end)` and missed once `grace_end` passes
    with no start."""

    schedule: str
    key: str
    local_date: dt.date
    start: dt.datetime
    end: dt.datetime
    grace_end: dt.datetime


class OnDuty(msgspec.Struct, frozen=True, kw_only=True):
    """Who owes the rounds of a day: a role, or the named people (substitutes in, the people
    they replace out). `replaced` keeps the roster's names so a supervisor sees the swap."""

    role: str | None = None
    people: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()


def round_windows(
    schedule: RoundSchedule,
    calendar: SchoolCalendar | None,
    first_day: dt.date,
    last_day: dt.date,
    tz: str,
) -> list[RoundWindow]:
    """Windows dated `first_day` to `last_day` inclusive, in order of their start. Without a
    calendar, school days are Monday to Friday and there are no terms."""
    calendar = calendar or SchoolCalendar()
    found = list(_windows(schedule, calendar, first_day, last_day, tz))
    found.sort(key=lambda window: (window.start, window.key))
    return found


def who_is_due(schedule: RoundSchedule, day: dt.date) -> OnDuty:
    """Who owes the rounds dated `day` (for a night round, the evening it starts on). A
    substitute for someone not on the roster that day is added all the same: the swap was
    agreed, the roster is what is out of date."""
    who = schedule.who
    if isinstance(who, ForRole):
        return OnDuty(role=who.role)
    if isinstance(who, ForPeople):
        return OnDuty(people=who.people)
    people = [duty.person for duty in who.duties if duty.day == day]
    replaced = []
    for swap in who.substitutes:
        if swap.day != day:
            continue
        if swap.replaces in people:
            people.remove(swap.replaces)
            replaced.append(swap.replaces)
        if swap.person not in people:
            people.append(swap.person)
    return OnDuty(people=tuple(dict.fromkeys(people)), replaced=tuple(replaced))


def _windows(
    schedule: RoundSchedule,
    calendar: SchoolCalendar,
    first_day: dt.date,
    last_day: dt.date,
    tz: str,
) -> Iterator[RoundWindow]:
    times = schedule.times
    if isinstance(times, FixedTimes):
        by_start = {fixed.start: fixed for fixed in times.windows}
        rule = _same_day_rule(times._clock_windows())
        for occurrence in occurrences(rule, first_day, last_day, tz=tz):
            if _is_due(schedule.days, calendar, occurrence.local_date):
                fixed = by_start[occurrence.key.rsplit("T", 1)[1]]
                end = occurrence.due_start + dt.timedelta(minutes=fixed.duration_minutes)
                yield RoundWindow(
                    schedule=schedule.key,
                    key=occurrence.key,
                    local_date=occurrence.local_date,
                    start=occurrence.due_start,
                    end=end,
                    grace_end=end + dt.timedelta(minutes=fixed.grace_minutes),
                )
        return
    grace = dt.timedelta(minutes=times.grace_minutes)
    slots = times.slots()
    evening = tuple(_slot(start, end) for start, end in slots if start < _DAY_MINUTES)
    morning = tuple(_slot(start, end) for start, end in slots if start >= _DAY_MINUTES)
    for windows, shift in ((evening, 0), (morning, 1)):
        if not windows:
            continue
        found = occurrences(
            DailyRule(windows=windows),
            first_day + shift * _DAY,
            last_day + shift * _DAY,
            tz=tz,
        )
        for occurrence in found:
            day = occurrence.local_date - shift * _DAY
            if not _is_due(schedule.days, calendar, day):
                continue
            clock = occurrence.key.rsplit("T", 1)[1]
            yield RoundWindow(
                schedule=schedule.key,
                key=f"{day.isoformat()}T{clock}" + ("+1" if shift else ""),
                local_date=day,
                start=occurrence.due_start,
                end=occurrence.due_end,
                grace_end=occurrence.due_end + grace,
            )


def _is_due(days: Days, calendar: SchoolCalendar, day: dt.date) -> bool:
    if days == "every_day":
        return True
    if days == "school_days":
        return calendar.is_school_day(day)
    return calendar.term_of(day) is not None


def _same_day_rule(windows: tuple[TimeWindow, ...]) -> DailyRule:
    # DailyRule refuses windows out of order or overlapping, also past midnight.
    return DailyRule(windows=windows)


def _slot(start: int, end: int) -> TimeWindow:
    return TimeWindow(start=_clock(start), end=_clock(end))


def _minutes(clock: str) -> int:
    return int(clock[:2]) * 60 + int(clock[3:])


def _clock(minutes: int) -> str:
    minutes %= _DAY_MINUTES
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def round_id_for(schedule_id: str, window_key: str) -> uuid.UUID:
    """The id of a scheduled window's round: the same on every phone, so two phones that
    start the same window offline start one round (and a second device is flagged), and a
    missed window can be explained before anyone walked it. A UUIDv8 (RFC 9562) made of the
    first 16 bytes of SHA-256 of `{schedule_id}/{window_key}`; a voluntary round's id is a
    UUIDv7 the phone makes."""
    digest = bytearray(hashlib.sha256(f"{schedule_id}/{window_key}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x80
    digest[8] = (digest[8] & 0x3F) | 0x80
    return uuid.UUID(bytes=bytes(digest))
