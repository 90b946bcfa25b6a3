"""Which steps are legal from which state, and when an action falls due."""

from __future__ import annotations

import datetime as dt

from server.actions.rules import ALLOWED, MOVES, ServiceLevel, due_at, next_state

STATES = ("open", "in_progress", "fixed", "verified", "cancelled")
LEGAL = {
    ("open", "start"): "in_progress",
    ("open", "fix"): "fixed",
    ("in_progress", "fix"): "fixed",
    ("fixed", "verify"): "verified",
    ("fixed", "reopen"): "open",
    ("verified", "reopen"): "open",
    ("open", "cancel"): "cancelled",
    ("in_progress", "cancel"): "cancelled",
    ("fixed", "cancel"): "cancelled",
    ("open", "assign"): "open",
    ("in_progress", "assign"): "in_progress",
    ("fixed", "assign"): "fixed",
}


def test_every_transition_from_every_state_is_legal_exactly_as_the_table_says():
    for state in STATES:
        for transition in MOVES:
            assert next_state(state, transition) == LEGAL.get((state, transition)), (
                state,
                transition,
            )


def test_only_managers_cancel_and_assign_and_requesters_sign_off():
    assert ALLOWED["cancel"] == ALLOWED["assign"] == {"manager"}
    assert "requester" in ALLOWED["verify"] and "owner" not in ALLOWED["verify"]


SHANGHAI = "Asia/Shanghai"


def local(text: str, tz: str = SHANGHAI) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz))


def due_local(raised: str, size: str, tz: str = SHANGHAI, **kw) -> str:
    from zoneinfo import ZoneInfo

    return due_at(local(raised, tz), size, tz, **kw).astimezone(ZoneInfo(tz)).isoformat()


def test_small_the_same_day_large_the_next_major_within_three_working_days():
    assert due_local("2026-11-23T09:00", "small") == "2026-11-23T18:00:00+08:00"
    assert due_local("2026-11-23T09:00", "large") == "2026-11-24T18:00:00+08:00"
    assert due_local("2026-11-23T09:00", "major") == "2026-11-26T18:00:00+08:00"


def test_raised_late_in_the_day_or_after_midnight_the_clock_starts_the_next_working_day():
    assert due_local("2026-11-23T17:00", "small") == "2026-11-24T18:00:00+08:00"
    assert due_local("2026-11-23T23:30", "small") == "2026-11-24T18:00:00+08:00"
    assert due_local("2026-11-24T00:15", "small") == "2026-11-24T18:00:00+08:00"


def test_weekends_and_holidays_are_not_working_days():
    # Friday afternoon: large is due Monday; Saturday: small is due Monday.
    assert due_local("2026-11-27T10:00", "large") == "2026-11-30T18:00:00+08:00"
    assert due_local("2026-11-28T10:00", "small") == "2026-11-30T18:00:00+08:00"
    holidays = frozenset({dt.date(2026, 11, 30)})
    assert due_local("2026-11-28T10:00", "small", holidays=holidays) == (
        "2026-12-01T18:00:00+08:00"
    )


def test_a_sites_own_levels_and_a_timezone_with_daylight_saving():
    levels = {"small": ServiceLevel(extra_days=1, min_hours=0)}
    assert due_local("2026-11-23T17:59", "small", levels=levels) == "2026-11-24T18:00:00+08:00"
    # Berlin's clocks go back on Sunday 25 Oct 2026; Friday's large repair is due Monday
    # 18:00 in winter time (UTC+1).
    assert due_local("2026-10-23T10:00", "large", tz="Europe/Berlin") == (
        "2026-10-26T18:00:00+01:00"
    )
