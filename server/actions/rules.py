"""The rules of a corrective action, as values in and values out: which transitions are
legal from which state and for whom, and when an action falls due.

    open ──start──▶ in_progress ──fix──▶ fixed ──verify──▶ verified
      └───────────────fix─────────────────▲      │             │
                                                 └──reopen◀────┘  (with a reason)
    cancel (managers, with a reason) from open, in_progress or fixed
    assign (managers) changes the owner in any state that is not closed

A later inspection that passes the item verifies an action from open, in_progress or
fixed: the thing is right again, whoever put it right.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal
from zoneinfo import ZoneInfo

import msgspec

State = Literal["open", "in_progress", "fixed", "verified", "cancelled"]
Transition = Literal["start", "fix", "verify", "reopen", "cancel", "assign"]
Size = Literal["small", "large", "major"]
Role = Literal["owner", "requester", "manager", "maintainer"]

CLOSED: frozenset[str] = frozenset({"verified", "cancelled"})

# transition -> (states it may start from, state it leads to or None for "unchanged")
MOVES: dict[str, tuple[frozenset[str], str | None]] = {
    "start": (frozenset({"open"}), "in_progress"),
    "fix": (frozenset({"open", "in_progress"}), "fixed"),
    "verify": (frozenset({"fixed"}), "verified"),
    "reopen": (frozenset({"fixed", "verified"}), "open"),
    "cancel": (frozenset({"open", "in_progress", "fixed"}), "cancelled"),
    "assign": (frozenset({"open", "in_progress", "fixed"}), None),
}

# Who may do what: the action's owner, the person who asked for it, the site's managers,
# and its maintainers (who may take on and fix any repair).
ALLOWED: dict[str, frozenset[str]] = {
    "start": frozenset({"owner", "manager", "maintainer"}),
    "fix": frozenset({"owner", "manager", "maintainer"}),
    "verify": frozenset({"requester", "manager"}),
    "reopen": frozenset({"requester", "manager"}),
    "cancel": frozenset({"manager"}),
    "assign": frozenset({"manager"}),
}

NEEDS_REASON: frozenset[str] = frozenset({"reopen", "cancel"})


def next_state(state: str, transition: str) -> str | None:
    """The state after `transition`, or None when it is illegal from `state`."""
    sources, target = MOVES[transition]
    if state not in sources:
        return None
    return state if target is None else target


def may(transition: str, capacities: set[str]) -> bool:
    return bool(ALLOWED[transition] & capacities)


class ServiceLevel(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """When an action of one size falls due: by the end of the working day it was raised
    on, plus `extra_days` working days. Raised with less than `min_hours` of that working
    day left, the clock starts the next working day."""

    extra_days: int = msgspec.field(default=0)
    min_hours: float = 2.0


DEFAULT_SERVICE_LEVELS: dict[str, ServiceLevel] = {
    "small": ServiceLevel(extra_days=0),
    "large": ServiceLevel(extra_days=1),
    "major": ServiceLevel(extra_days=3, min_hours=0),
}
WORKDAY_END = dt.time(18, 0)
"""Repairs are due by the end of a working day."""


def is_working_day(day: dt.date, holidays: frozenset[dt.date] = frozenset()) -> bool:
    return day.weekday() < 5 and day not in holidays


def due_at(
    raised_at: dt.datetime,
    size: str,
    tz: str,
    *,
    levels: dict[str, ServiceLevel] | None = None,
    holidays: frozenset[dt.date] = frozenset(),
) -> dt.datetime:
    """The time (UTC) an action raised at `raised_at` falls due, in the site's timezone:
    "small the same day, large the next, three days at most" counted in working days
    (Monday to Friday, less the school's holidays)."""
    level = (levels or DEFAULT_SERVICE_LEVELS)[size]
    zone = ZoneInfo(tz)
    local = raised_at.astimezone(zone)
    day = local.date()
    end_of_day = dt.datetime.combine(day, WORKDAY_END, zone)
    if not is_working_day(day, holidays) or end_of_day - local < dt.timedelta(
        hours=level.min_hours
    ):
        day = _next_working_day(day, holidays)
    for _ in range(level.extra_days):
        day = _next_working_day(day, holidays)
    return dt.datetime.combine(day, WORKDAY_END, zone).astimezone(dt.UTC)


def _next_working_day(day: dt.date, holidays: frozenset[dt.date]) -> dt.date:
    day += dt.timedelta(days=1)
    while not is_working_day(day, holidays):
        day += dt.timedelta(days=1)
    return day
