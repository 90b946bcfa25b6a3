"""A site's school calendar: its terms, its holidays and its make-up school days (调休).

Decoded from requests and carried to devices, so every struct is frozen and refuses
unknown fields. Dates are the site's local dates; the calendar knows nothing of time zones.

A school day is a day on one of the calendar's school weekdays (Monday to Friday unless
it says otherwise) that lies in a term, when the calendar has terms at all, and is not a
holiday; a make-up school day (a Saturday worked so that 国庆节 can be a week) is a school
day whatever else is true of it. The summer break is not a holiday unless it is entered as
one: it is simply not in a term.
"""

import bisect
import datetime as dt
import functools
from itertools import pairwise
from typing import Annotated

import msgspec
from msgspec import Meta

TermKey = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
Name = Annotated[str, Meta(min_length=1, max_length=200)]
IsoWeekday = Annotated[int, Meta(ge=1, le=7)]


class _Parsed(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Subclasses say `frozen=True` again: msgspec inherits it, type checkers do not (PEP 681)."""


class Term(_Parsed, frozen=True):
    """`key` ends up in the keys of per-term occurrences (`term-2026-autumn#2/2`), which are
    referred to forever, so it must not change once the term has been scheduled against."""

    key: TermKey
    name: Name
    first_day: dt.date
    last_day: dt.date

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValueError(f"term {self.key!r} ends before it begins")

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


class Holiday(_Parsed, frozen=True):
    """At most a year long: every day of a holiday is looked up, so it is kept in memory."""

    name: Name
    first_day: dt.date
    last_day: dt.date

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValueError(f"holiday {self.name!r} ends before it begins")
        if (self.last_day - self.first_day).days >= 366:
            raise ValueError(f"holiday {self.name!r} is longer than a year")


class SchoolCalendar(_Parsed, dict=True, frozen=True):
    terms: Annotated[tuple[Term, ...], Meta(max_length=500)] = ()
    holidays: Annotated[tuple[Holiday, ...], Meta(max_length=2000)] = ()
    extra_school_days: Annotated[tuple[dt.date, ...], Meta(max_length=2000)] = ()
    school_weekdays: Annotated[tuple[IsoWeekday, ...], Meta(min_length=1, max_length=7)] = (
        1,
        2,
        3,
        4,
        5,
    )

    def __post_init__(self) -> None:
        if len(set(self.school_weekdays)) != len(self.school_weekdays):
            raise ValueError("school_weekdays repeats a weekday")
        if len({term.key for term in self.terms}) != len(self.terms):
            raise ValueError("two terms have the same key")
        ordered = sorted(self.terms, key=lambda term: term.first_day)
        for earlier, later in pairwise(ordered):
            if later.first_day <= earlier.last_day:
                raise ValueError(f"terms {earlier.key!r} and {later.key!r} overlap")

    def term_of(self, day: dt.date) -> Term | None:
        return self._index.term_of(day)

    def holiday_of(self, day: dt.date) -> Holiday | None:
        """The holiday a day falls in; None on a make-up school day inside a holiday."""
        return self._index.holiday_of(day)

    def is_holiday(self, day: dt.date) -> bool:
        return self._index.holiday_of(day) is not None

    def is_school_day(self, day: dt.date) -> bool:
        return self._index.is_school_day(day)

    def terms_from(self, day: dt.date) -> list[Term]:
        """Terms that end on or after `day`, earliest first."""
        return [term for term in self._index.terms if term.last_day >= day]

    @functools.cached_property
    def _index(self) -> "_CalendarIndex":
        # Built once per calendar: schedules ask about every day of a year.
        return _CalendarIndex(self)


class _CalendarIndex:
    def __init__(self, calendar: SchoolCalendar) -> None:
        self.terms = sorted(calendar.terms, key=lambda term: term.first_day)
        self._term_starts = [term.first_day for term in self.terms]
        self._extra = frozenset(calendar.extra_school_days)
        self._weekdays = frozenset(calendar.school_weekdays)
        self._holidays: dict[dt.date, Holiday] = {}
        # The first holiday listed names a day that two holidays cover.
        for holiday in reversed(calendar.holidays):
            day = holiday.first_day
            while day <= holiday.last_day:
                self._holidays[day] = holiday
                day += dt.timedelta(days=1)

    def term_of(self, day: dt.date) -> Term | None:
        at = bisect.bisect_right(self._term_starts, day) - 1
        if at >= 0 and day <= self.terms[at].last_day:
            return self.terms[at]
        return None

    def holiday_of(self, day: dt.date) -> Holiday | None:
        if day in self._extra:
            return None
        return self._holidays.get(day)

    def is_school_day(self, day: dt.date) -> bool:
        if day in self._extra:
            return True
        if day in self._holidays or day.isoweekday() not in self._weekdays:
            return False
        return not self.terms or self.term_of(day) is not None
