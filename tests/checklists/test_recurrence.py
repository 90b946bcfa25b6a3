"""Recurrence rules, their occurrences across month ends, leap years and clock changes,
schedule versions, the status of an occurrence, and the month's calendar (行事表)."""

import datetime as dt
from itertools import pairwise
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from checklists import (
    DailyRule,
    MonthlyRule,
    Occurrence,
    PerTermRule,
    Rule,
    Schedule,
    ScheduleVersion,
    SchoolCalendar,
    Term,
    TimeWindow,
    WeeklyRule,
    YearlyRule,
    month_plan,
    occurrences,
    occurrences_for,
    status,
    statuses,
)

D = dt.date
UTC = dt.UTC
SHANGHAI = "Asia/Shanghai"
BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
HOUR = dt.timedelta(hours=1)
ZONES = (SHANGHAI, BERLIN, NEW_YORK, "Australia/Lord_Howe", "America/Santiago", "UTC")

FAST = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


def window(start: str, end: str) -> TimeWindow:
    return TimeWindow(start=start, end=end)


def dates(found: list[Occurrence]) -> list[dt.date]:
    return [occurrence.local_date for occurrence in found]


def spans(found: list[Occurrence]) -> list[tuple[dt.datetime, dt.datetime]]:
    return [(o.due_start, o.due_end) for o in found]


def only(rule: Rule, day: dt.date, tz: str) -> list[Occurrence]:
    return occurrences(rule, day, day, tz=tz)


# Rules as JSON


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ({"every": "daily"}, DailyRule()),
        ({"every": "daily", "school_days_only": True}, DailyRule(school_days_only=True)),
        (
            {"every": "daily", "windows": [{"start": "07:30", "end": "08:30"}]},
            DailyRule(windows=(window("07:30", "08:30"),)),
        ),
        ({"every": "weekly", "weekdays": [1, 4]}, WeeklyRule(weekdays=(1, 4))),
        ({"every": "monthly", "day": 31}, MonthlyRule(day=31)),
        ({"every": "monthly", "day": "last"}, MonthlyRule(day="last")),
        ({"every": "per_term", "times": 2}, PerTermRule(times=2)),
        ({"every": "yearly", "month": 11, "day": 9}, YearlyRule(month=11, day=9)),
    ],
)
def test_rules_decode_from_json_and_encode_back(body, rule):
    assert msgspec.json.decode(msgspec.json.encode(body), type=Rule) == rule
    encoded = msgspec.json.decode(msgspec.json.encode(rule))
    assert msgspec.convert(encoded, Rule) == rule


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"every": "daily", "school_day_only": True}, "unknown field"),
        ({"every": "fortnightly"}, "Invalid value"),
        ({"every": "weekly"}, "missing required field `weekdays`"),
        ({"every": "weekly", "weekdays": []}, "length >= 1"),
        ({"every": "weekly", "weekdays": [1, 1]}, "repeats"),
        ({"every": "weekly", "weekdays": [8]}, "<= 7"),
        ({"every": "monthly", "day": 0}, ">= 1"),
        ({"every": "monthly", "day": 32}, "<= 31"),
        ({"every": "monthly", "day": "first"}, "Invalid enum value"),
        ({"every": "yearly", "month": 4, "day": 31}, "month 4 has no day 31"),
        ({"every": "yearly", "month": 2, "day": 30}, "month 2 has no day 30"),
        ({"every": "per_term", "times": 0}, ">= 1"),
        ({"every": "per_term", "times": 2, "windows": []}, "unknown field"),
        ({"every": "daily", "windows": [{"start": "7:30", "end": "08:30"}]}, "matching regex"),
        ({"every": "daily", "windows": [{"start": "24:00", "end": "01:00"}]}, "matching regex"),
        ({"every": "daily", "windows": [{"start": "08:00", "end": "08:00"}]}, "is empty"),
        (
            {"every": "daily", "windows": [{"start": "16:00", "end": "17:00"},
                                           {"start": "07:30", "end": "08:30"}]},
            "in order",
        ),
        (
            {"every": "daily", "windows": [{"start": "07:30", "end": "09:00"},
                                           {"start": "08:30", "end": "10:00"}]},
            "overlap",
        ),
        (
            {"every": "daily", "windows": [{"start": "20:00", "end": "02:00"},
                                           {"start": "22:00", "end": "23:00"}]},
            "overlap",
        ),
        (
            {"every": "daily", "windows": [{"start": "06:00", "end": "07:00"},
                                           {"start": "22:00", "end": "06:30"}]},
            "runs into the next day",
        ),
    ],
)  # fmt: skip
def test_unusable_rules_are_refused_when_decoded(body, reason):
    with pytest.raises(msgspec.ValidationError, match=reason):
        msgspec.convert(body, Rule)


def test_a_window_past_midnight_may_end_where_the_first_window_starts():
    rule = msgspec.convert(
        {"every": "daily", "windows": [{"start": "06:00", "end": "07:00"},
                                       {"start": "22:00", "end": "06:00"}]},
        Rule,
    )  # fmt: skip
    assert rule.windows[-1].crosses_midnight


def test_a_schedule_decodes_with_its_versions():
    body = {
        "key": "playground-weekly",
        "versions": [
            {"effective_from": "2026-09-01", "rule": {"every": "weekly", "weekdays": [1]}},
            {"effective_from": "2027-07-01", "rule": None, "skip_holidays": True},
        ],
    }
    schedule = msgspec.convert(body, Schedule)
    assert schedule.versions[0].rule == WeeklyRule(weekdays=(1,))
    assert schedule.versions[1].rule is None
    with pytest.raises(msgspec.ValidationError, match="two versions take effect on 2026-09-01"):
        msgspec.convert({**body, "versions": [body["versions"][0]] * 2}, Schedule)


def test_an_occurrence_encodes_with_utc_times_and_its_local_date():
    [occurrence] = only(DailyRule(windows=(window("07:30", "08:30"),)), D(2026, 11, 23), SHANGHAI)
    assert msgspec.json.decode(msgspec.json.encode(occurrence)) == {
        "key": "2026-11-23T07:30",
        "local_date": "2026-11-23",
        "due_start": "2026-11-22T23:30:00Z",
        "due_end": "2026-11-23T00:30:00Z",
        "late_until": "2026-11-23T23:30:00Z",
    }


# Month ends, leap years, year boundaries


def test_monthly_on_the_31st_falls_on_the_last_day_of_short_months():
    found = occurrences(MonthlyRule(day=31), D(2027, 1, 1), D(2027, 12, 31), tz=SHANGHAI)
    assert [d.isoformat() for d in dates(found)] == [
        "2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31", "2027-06-30",
        "2027-07-31", "2027-08-31", "2027-09-30", "2027-10-31", "2027-11-30", "2027-12-31",
    ]  # fmt: skip


@pytest.mark.parametrize(("year", "last"), [(2027, 28), (2028, 29), (2100, 28), (2000, 29)])
def test_monthly_in_february_follows_leap_years(year, last):
    for rule in (MonthlyRule(day=31), MonthlyRule(day=30), MonthlyRule(day="last")):
        found = occurrences(rule, D(year, 2, 1), D(year, 2, last), tz=SHANGHAI)
        assert dates(found) == [D(year, 2, last)]
    assert dates(occurrences(MonthlyRule(day=29), D(year, 2, 1), D(year, 3, 31), tz=SHANGHAI)) == [
        D(year, 2, last),
        D(year, 3, 29),
    ]


def test_monthly_last_day_and_keys_are_the_dates():
    found = occurrences(MonthlyRule(day="last"), D(2028, 1, 15), D(2028, 4, 29), tz=SHANGHAI)
    assert [o.key for o in found] == ["2028-01-31", "2028-02-29", "2028-03-31"]


def test_yearly_on_29_february_falls_on_28_february_without_one():
    found = occurrences(YearlyRule(month=2, day=29), D(2026, 1, 1), D(2029, 12, 31), tz=SHANGHAI)
    assert [o.key for o in found] == ["2026-02-28", "2027-02-28", "2028-02-29", "2029-02-28"]


def test_yearly_fire_safety_day_drill_with_a_window():
    rule = YearlyRule(month=11, day=9, windows=(window("09:00", "11:00"),))
    found = occurrences(rule, D(2026, 1, 1), D(2027, 12, 31), tz=SHANGHAI)
    assert [o.key for o in found] == ["2026-11-09T09:00", "2027-11-09T09:00"]
    assert spans(found)[0] == (at(2026, 11, 9, 1), at(2026, 11, 9, 3))
    assert found[0].late_until == found[1].due_start


def test_weekly_on_several_weekdays_across_a_year_boundary():
    found = occurrences(WeeklyRule(weekdays=(4, 1)), D(2026, 12, 24), D(2027, 1, 12), tz=SHANGHAI)
    assert [o.key for o in found] == [
        "2026-12-24", "2026-12-28", "2026-12-31", "2027-01-04", "2027-01-07", "2027-01-11",
    ]  # fmt: skip


def test_daily_across_a_leap_day():
    found = occurrences(DailyRule(), D(2028, 2, 27), D(2028, 3, 1), tz=SHANGHAI)
    assert [o.key for o in found] == ["2028-02-27", "2028-02-28", "2028-02-29", "2028-03-01"]


def test_a_range_that_ends_before_it_starts_has_nothing():
    assert occurrences(DailyRule(), D(2026, 5, 2), D(2026, 5, 1), tz=SHANGHAI) == []


# Windows and time zones


def test_shanghai_days_are_24_hours_from_16_00_utc_all_year():
    found = occurrences(DailyRule(), D(2026, 1, 1), D(2026, 12, 31), tz=SHANGHAI)
    assert len(found) == 365
    assert all(o.due_end - o.due_start == 24 * HOUR for o in found)
    assert found[0].due_start == at(2025, 12, 31, 16)


def test_a_gate_check_twice_a_day_in_shanghai():
    rule = DailyRule(windows=(window("07:30", "08:30"), window("16:00", "17:00")))
    found = occurrences(rule, D(2026, 11, 23), D(2026, 11, 24), tz=SHANGHAI)
    assert [o.key for o in found] == [
        "2026-11-23T07:30", "2026-11-23T16:00", "2026-11-24T07:30", "2026-11-24T16:00",
    ]  # fmt: skip
    assert spans(found)[:2] == [
        (at(2026, 11, 22, 23, 30), at(2026, 11, 23, 0, 30)),
        (at(2026, 11, 23, 8), at(2026, 11, 23, 9)),
    ]
    # The morning check may be done late until the afternoon one opens, and so on.
    assert [o.late_until for o in found[:3]] == [o.due_start for o in found[1:]]


@pytest.mark.parametrize(
    ("tz", "day", "hours"),
    [
        (BERLIN, D(2026, 3, 29), 23),
        (BERLIN, D(2026, 10, 25), 25),
        (NEW_YORK, D(2026, 3, 8), 23),
        (NEW_YORK, D(2026, 11, 1), 25),
        (BERLIN, D(2026, 3, 28), 24),
    ],
)
def test_a_whole_day_is_midnight_to_midnight_on_the_wall_clock(tz, day, hours):
    [occurrence] = only(DailyRule(), day, tz)
    assert occurrence.due_end - occurrence.due_start == hours * HOUR


def test_whole_days_tile_across_both_clock_changes():
    for tz in (BERLIN, NEW_YORK):
        found = occurrences(DailyRule(), D(2026, 1, 1), D(2026, 12, 31), tz=tz)
        assert all(a.due_end == b.due_start for a, b in pairwise(found))
        assert sorted(o.due_end - o.due_start for o in found)[0] == 23 * HOUR
        assert sorted(o.due_end - o.due_start for o in found)[-1] == 25 * HOUR


def test_berlin_windows_on_the_spring_forward_night():
    # Clocks go from 02:00 CET (01:00 UTC) to 03:00 CEST.
    day = D(2026, 3, 29)

    def span(start: str, end: str) -> tuple[dt.datetime, dt.datetime]:
        [occurrence] = only(DailyRule(windows=(window(start, end),)), day, BERLIN)
        return occurrence.due_start, occurrence.due_end

    # Swallowed whole: it opens at the jump and lasts its hour (03:00-04:00 CEST).
    assert span("02:00", "03:00") == (at(2026, 3, 29, 1), at(2026, 3, 29, 2))
    assert span("02:15", "02:45") == (at(2026, 3, 29, 1), at(2026, 3, 29, 1, 30))
    # Partly skipped: the clock reads inside it for as long as it exists.
    assert span("01:30", "02:30") == (at(2026, 3, 29, 0, 30), at(2026, 3, 29, 1))
    assert span("02:30", "04:00") == (at(2026, 3, 29, 1), at(2026, 3, 29, 2))
    assert span("07:30", "08:30") == (at(2026, 3, 29, 5, 30), at(2026, 3, 29, 6, 30))
    assert only(DailyRule(windows=(window("02:00", "03:00"),)), day, BERLIN)[0].key == (
        "2026-03-29T02:00"
    )


def test_new_york_windows_on_both_clock_changes():
    def span(day: dt.date, start: str, end: str) -> tuple[dt.datetime, dt.datetime]:
        [occurrence] = only(DailyRule(windows=(window(start, end),)), day, NEW_YORK)
        return occurrence.due_start, occurrence.due_end

    # Spring: 02:00 EST (07:00 UTC) becomes 03:00 EDT.
    assert span(D(2026, 3, 8), "02:00", "03:00") == (at(2026, 3, 8, 7), at(2026, 3, 8, 8))
    # Autumn: 01:00-02:00 happens twice; the window is open while the clock reads it.
    assert span(D(2026, 11, 1), "01:00", "02:00") == (at(2026, 11, 1, 5), at(2026, 11, 1, 7))
    # A window ending at a repeated time ends at its first pass.
    assert span(D(2026, 11, 1), "00:30", "01:30") == (
        at(2026, 11, 1, 4, 30),
        at(2026, 11, 1, 5, 30),
    )
    assert span(D(2026, 11, 2), "01:00", "02:00") == (at(2026, 11, 2, 6), at(2026, 11, 2, 7))


def test_a_night_patrol_window_crosses_midnight_and_belongs_to_the_day_it_starts():
    rule = DailyRule(windows=(window("22:00", "06:00"),))
    found = occurrences(rule, D(2026, 11, 23), D(2026, 11, 24), tz=SHANGHAI)
    assert [o.key for o in found] == ["2026-11-23T22:00", "2026-11-24T22:00"]
    assert spans(found)[0] == (at(2026, 11, 23, 14), at(2026, 11, 23, 22))
    # Across the night clocks go back in Berlin: 8 hours by the clock, 9 in fact.
    [night] = only(rule, D(2026, 10, 24), BERLIN)
    assert night.due_end - night.due_start == 9 * HOUR


def test_a_window_ending_at_midnight_ends_at_the_next_local_midnight():
    [occurrence] = only(DailyRule(windows=(window("16:00", "00:00"),)), D(2026, 11, 23), SHANGHAI)
    assert occurrence.due_end == at(2026, 11, 23, 16)


def test_an_unknown_timezone_is_an_error():
    with pytest.raises(LookupError):
        occurrences(DailyRule(), D(2026, 1, 1), D(2026, 1, 2), tz="Asia/Beijing")


def reference_instant(day: dt.date, clock: str, zone: ZoneInfo) -> dt.datetime:
    """The module's reading of a wall-clock time, done the slow way: the first pass of a
    repeated time, the first minute past a skipped one."""
    local = dt.datetime.combine(day, dt.time.fromisoformat(clock))
    instant = local.replace(tzinfo=zone).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local:
        return instant
    moment = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
    while moment.astimezone(zone).replace(tzinfo=None) <= local:
        moment += dt.timedelta(minutes=1)
    return moment


@pytest.mark.parametrize("tz", (*ZONES, "Europe/London", "Pacific/Auckland"))
def test_every_day_of_a_year_agrees_with_a_plain_reading_of_the_zone(tz):
    zone = ZoneInfo(tz)
    spans_ = ("00:00-01:30", "01:30-02:15", "02:15-03:00", "03:00-23:00", "23:00-00:00")
    rule = DailyRule(windows=tuple(window(*span.split("-")) for span in spans_))
    found = occurrences(rule, D(2026, 1, 1), D(2026, 12, 31), tz=tz)
    assert len(found) == 365 * len(spans_)
    ends = {w.start: w.end for w in rule.windows}
    for occurrence in found:
        day, start = occurrence.local_date, occurrence.key[11:]
        end = ends[start]
        end_day = day + dt.timedelta(days=1) if end < start else day
        assert occurrence.due_start == reference_instant(day, start, zone)
        closes = reference_instant(end_day, end, zone)
        if closes > occurrence.due_start:
            assert occurrence.due_end == closes
        else:  # swallowed by the jump: as long as on the clock
            on_the_clock = dt.datetime.fromisoformat(
                f"{end_day}T{end}"
            ) - dt.datetime.fromisoformat(f"{day}T{start}")
            assert occurrence.due_end == occurrence.due_start + on_the_clock
    days = occurrences(DailyRule(), D(2026, 1, 1), D(2026, 12, 31), tz=tz)
    assert [o.due_start for o in days] == [
        reference_instant(o.local_date, "00:00", zone) for o in days
    ]


# Lateness bounds


def test_a_whole_day_daily_occurrence_cannot_be_done_late():
    found = occurrences(DailyRule(), D(2026, 11, 23), D(2026, 11, 30), tz=SHANGHAI)
    assert all(o.late_until == o.due_end for o in found)


def test_a_monthly_check_may_be_done_late_until_next_month_opens():
    found = occurrences(MonthlyRule(day=1), D(2026, 11, 1), D(2026, 11, 30), tz=SHANGHAI)
    assert found[0].late_until == at(2026, 11, 30, 16)


def test_lateness_is_the_same_whatever_range_is_asked_for():
    rule = WeeklyRule(weekdays=(1,), windows=(window("08:00", "10:00"),))
    whole = occurrences(rule, D(2026, 1, 1), D(2026, 12, 31), tz=BERLIN)
    part = occurrences(rule, D(2026, 3, 1), D(2026, 3, 31), tz=BERLIN)
    assert part == [o for o in whole if o.local_date.month == 3]


# Schedule versions


def test_an_edit_mid_month_leaves_the_days_before_it_as_they_were():
    before = ScheduleVersion(
        effective_from=D(2026, 1, 1), rule=DailyRule(windows=(window("08:00", "09:00"),))
    )
    after = ScheduleVersion(
        effective_from=D(2026, 3, 15), rule=DailyRule(windows=(window("07:00", "08:00"),))
    )
    old = occurrences_for([before], D(2026, 3, 1), D(2026, 3, 31), tz=SHANGHAI)
    new = occurrences_for([before, after], D(2026, 3, 1), D(2026, 3, 31), tz=SHANGHAI)
    assert new[:13] == old[:13]
    # The 14th keeps its key and window; only its late-until meets the new first window.
    assert (new[13].key, new[13].due_start, new[13].due_end) == (
        old[13].key,
        old[13].due_start,
        old[13].due_end,
    )
    assert new[13].late_until == new[14].due_start == at(2026, 3, 14, 23)
    assert [o.key for o in new[14:16]] == ["2026-03-15T07:00", "2026-03-16T07:00"]
    assert len(new) == 31


def test_a_change_of_rule_takes_effect_on_its_date_not_the_rules_next_date():
    monthly = ScheduleVersion(effective_from=D(2026, 1, 1), rule=MonthlyRule(day=20))
    weekly = ScheduleVersion(effective_from=D(2026, 3, 10), rule=WeeklyRule(weekdays=(1,)))
    found = occurrences_for([weekly, monthly], D(2026, 2, 1), D(2026, 3, 31), tz=SHANGHAI)
    assert [o.key for o in found] == [
        "2026-02-20", "2026-03-16", "2026-03-23", "2026-03-30",
    ]  # fmt: skip


def test_a_stopped_schedule_has_nothing_due_until_a_later_version_restarts_it():
    versions = [
        ScheduleVersion(effective_from=D(2026, 1, 1), rule=DailyRule()),
        ScheduleVersion(effective_from=D(2026, 1, 4), rule=None),
        ScheduleVersion(effective_from=D(2026, 1, 8), rule=DailyRule()),
    ]
    found = occurrences_for(versions, D(2025, 12, 30), D(2026, 1, 9), tz=SHANGHAI)
    assert [o.key for o in found] == [
        "2026-01-01", "2026-01-02", "2026-01-03", "2026-01-08", "2026-01-09",
    ]  # fmt: skip
    # The last day before the stop may be done late until the schedule restarts.
    assert found[2].late_until == found[3].due_start


def test_versions_cannot_share_a_date():
    versions = [ScheduleVersion(effective_from=D(2026, 1, 1), rule=DailyRule())] * 2
    with pytest.raises(ValueError, match="two versions"):
        occurrences_for(versions, D(2026, 1, 1), D(2026, 1, 2), tz=SHANGHAI)


def test_skip_holidays_belongs_to_each_version():
    calendar = msgspec.convert(
        {"holidays": [{"name": "国庆节", "first_day": "2026-10-01", "last_day": "2026-10-07"}]},
        SchoolCalendar,
    )
    versions = [
        ScheduleVersion(effective_from=D(2026, 9, 1), rule=DailyRule()),
        ScheduleVersion(effective_from=D(2026, 10, 4), rule=DailyRule(), skip_holidays=True),
    ]
    found = occurrences_for(
        versions, D(2026, 9, 30), D(2026, 10, 9), tz=SHANGHAI, calendar=calendar
    )
    assert [o.local_date.day for o in found] == [30, 1, 2, 3, 8, 9]


# Status


GATE = DailyRule(windows=(window("07:30", "08:30"), window("16:00", "17:00")))
MORNING, AFTERNOON, _, _ = occurrences(GATE, D(2026, 11, 23), D(2026, 11, 24), tz=SHANGHAI)
# MORNING is 2026-11-22 23:30 to 2026-11-23 00:30 UTC; AFTERNOON opens at 08:00 UTC.


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(2026, 11, 22, 23, 29), "upcoming"),
        (at(2026, 11, 22, 23, 30), "due"),
        (at(2026, 11, 23, 0, 29), "due"),
        (at(2026, 11, 23, 0, 30), "overdue"),
        (at(2027, 1, 1), "overdue"),
    ],
)
def test_with_nothing_done_an_occurrence_is_upcoming_then_due_then_overdue(now, expected):
    assert status(MORNING, [], False, now) == expected


def test_an_inspection_inside_the_window_is_done_on_time():
    assert status(MORNING, [at(2026, 11, 23, 0, 5)], False, at(2026, 11, 23, 0, 6)) == "done"
    assert status(MORNING, [at(2026, 11, 22, 23, 30)], False, at(2026, 11, 23, 1)) == "done"


def test_a_late_synced_on_time_inspection_counts_as_on_time():
    # Done at 07:50 local in a basement, synced three days later: its business time counts.
    done_at = dt.datetime(2026, 11, 23, 7, 50, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert status(MORNING, [done_at], False, at(2026, 11, 26, 9)) == "done"
    assert status(MORNING, [], False, at(2026, 11, 26, 8, 59)) == "overdue"


def test_an_inspection_at_the_end_of_the_window_is_late():
    assert status(MORNING, [at(2026, 11, 23, 0, 30)], False, at(2026, 11, 23, 1)) == "done_late"


def test_done_late_only_before_the_next_occurrence_opens():
    late = at(2026, 11, 23, 7, 59)
    assert status(MORNING, [late], False, at(2026, 11, 23, 9)) == "done_late"
    # At 16:00 local the afternoon check opens: that inspection answers for it, not the morning.
    afternoon = at(2026, 11, 23, 8)
    assert status(MORNING, [afternoon], False, at(2026, 11, 23, 9)) == "overdue"
    assert status(AFTERNOON, [afternoon], False, at(2026, 11, 23, 9)) == "done"


def test_an_inspection_before_the_window_does_not_count():
    early = at(2026, 11, 22, 23, 29)
    assert status(MORNING, [early], False, at(2026, 11, 23, 1)) == "overdue"


def test_an_inspection_not_yet_made_at_now_does_not_count():
    # Asked as of a past moment, the status is what it was then.
    later = at(2026, 11, 23, 0, 10)
    assert status(MORNING, [later], False, at(2026, 11, 23, 0, 5)) == "due"
    assert status(MORNING, [later], False, at(2026, 11, 23, 0, 10)) == "done"


def test_an_excused_occurrence_is_excused_before_during_and_after_its_window():
    for now in (at(2026, 11, 22), at(2026, 11, 23, 0), at(2026, 11, 30)):
        assert status(MORNING, [], True, now) == "excused"


def test_work_done_outranks_an_excusal():
    now = at(2026, 11, 24)
    assert status(MORNING, [at(2026, 11, 23, 0)], True, now) == "done"
    assert status(MORNING, [at(2026, 11, 23, 1)], True, now) == "done_late"
    assert status(MORNING, [at(2026, 11, 23, 8)], True, now) == "excused"


def test_an_occurrence_with_no_next_may_be_done_late_at_any_time():
    calendar = SchoolCalendar(
        terms=(
            Term(
                key="2026-autumn", name="秋季学期", first_day=D(2026, 9, 1), last_day=D(2027, 1, 22)
            ),
        )
    )
    last = occurrences(
        PerTermRule(times=2), D(2026, 9, 1), D(2027, 1, 31), tz=SHANGHAI, calendar=calendar
    )[-1]
    assert last.late_until is None
    assert status(last, [at(2027, 6, 1)], False, at(2027, 6, 2)) == "done_late"


def test_completion_times_must_carry_a_timezone():
    with pytest.raises(ValueError, match="timezone"):
        status(MORNING, [dt.datetime(2026, 11, 23, 7, 50)], False, at(2026, 11, 24))
    with pytest.raises(ValueError, match="timezone"):
        statuses([MORNING], [dt.datetime(2026, 11, 23, 7, 50)], [], at(2026, 11, 24))


def test_statuses_of_a_day_for_one_target():
    found = occurrences(GATE, D(2026, 11, 23), D(2026, 11, 25), tz=SHANGHAI)
    done = [at(2026, 11, 23, 0), at(2026, 11, 23, 10), at(2026, 11, 24, 8, 30)]
    result = statuses(found, done, ["2026-11-24T07:30"], at(2026, 11, 25, 3))
    assert result == ["done", "done_late", "excused", "done", "overdue", "upcoming"]
    assert result == [
        status(o, done, o.key == "2026-11-24T07:30", at(2026, 11, 25, 3)) for o in found
    ]


# The month's calendar (行事表)


def test_a_month_plan_lists_every_day_with_its_work_in_order():
    calendar = msgspec.convert(
        {
            "terms": [{"key": "2026-autumn", "name": "秋季学期", "first_day": "2026-09-01",
                       "last_day": "2027-01-22"}],
            "holidays": [{"name": "国庆节", "first_day": "2026-10-01", "last_day": "2026-10-07"}],
        },
        SchoolCalendar,
    )  # fmt: skip

    def schedule(key: str, rule: Rule, skip_holidays: bool = False) -> Schedule:
        version = ScheduleVersion(
            effective_from=D(2026, 9, 1), rule=rule, skip_holidays=skip_holidays
        )
        return Schedule(key=key, versions=(version,))

    schedules = [
        schedule(
            "kitchen-morning-check",
            DailyRule(school_days_only=True, windows=(window("06:30", "07:30"),)),
        ),
        schedule("playground-equipment", WeeklyRule(weekdays=(1,)), skip_holidays=True),
        schedule("fire-extinguishers", MonthlyRule(day="last")),
        schedule("evacuation-drill", PerTermRule(times=2)),
        schedule("fire-safety-day", YearlyRule(month=11, day=9)),
    ]
    plan = month_plan(schedules, 2026, 11, tz=SHANGHAI, calendar=calendar)
    assert list(plan) == [D(2026, 11, 1) + dt.timedelta(days=n) for n in range(30)]
    assert plan[D(2026, 11, 1)] == []  # a Sunday
    # Whole days first (by schedule key), then the kitchen's 06:30 window.
    assert [w.schedule for w in plan[D(2026, 11, 9)]] == [
        "fire-safety-day", "playground-equipment", "kitchen-morning-check",
    ]  # fmt: skip
    assert [w.schedule for w in plan[D(2026, 11, 12)]] == [
        "evacuation-drill",
        "kitchen-morning-check",
    ]
    assert plan[D(2026, 11, 12)][0].occurrence.key == "term-2026-autumn#2of2"
    assert [w.schedule for w in plan[D(2026, 11, 30)]] == [
        "fire-extinguishers", "playground-equipment", "kitchen-morning-check",
    ]  # fmt: skip
    assert sum(len(work) for work in plan.values()) == 21 + 5 + 1 + 1 + 1
    body = msgspec.json.decode(msgspec.json.encode(plan))
    assert body["2026-11-30"][0] == {
        "schedule": "fire-extinguishers",
        "occurrence": {
            "key": "2026-11-30",
            "local_date": "2026-11-30",
            "due_start": "2026-11-29T16:00:00Z",
            "due_end": "2026-11-30T16:00:00Z",
            "late_until": "2026-12-30T16:00:00Z",
        },
    }


def test_a_month_plan_shows_each_day_under_the_version_in_effect():
    edited = Schedule(
        key="gas-appliances",
        versions=(
            ScheduleVersion(effective_from=D(2026, 1, 1), rule=WeeklyRule(weekdays=(5,))),
            ScheduleVersion(effective_from=D(2026, 2, 16), rule=WeeklyRule(weekdays=(2,))),
        ),
    )
    plan = month_plan([edited], 2026, 2, tz=SHANGHAI)
    assert [day.day for day, work in plan.items() if work] == [6, 13, 17, 24]
    assert len(plan) == 28


# Properties

PROPERTY_CALENDAR = msgspec.convert(
    {
        "terms": [
            {"key": "2026-spring", "name": "春",
             "first_day": "2026-02-23", "last_day": "2026-07-03"},
            {"key": "2026-autumn", "name": "秋",
             "first_day": "2026-09-01", "last_day": "2027-01-22"},
            {"key": "2027-spring", "name": "春",
             "first_day": "2027-02-22", "last_day": "2027-07-02"},
        ],
        "holidays": [
            {"name": "劳动节", "first_day": "2026-05-01", "last_day": "2026-05-05"},
            {"name": "国庆节", "first_day": "2026-10-01", "last_day": "2026-10-07"},
            {"name": "元旦", "first_day": "2027-01-01", "last_day": "2027-01-03"},
        ],
        "extra_school_days": ["2026-04-26", "2026-09-27", "2026-10-10"],
    },
    SchoolCalendar,
)  # fmt: skip


@st.composite
def time_windows(draw: st.DrawFn) -> tuple[TimeWindow, ...]:
    """Windows in order that never overlap, the last perhaps past midnight."""
    count = draw(st.integers(0, 3))
    if count == 0:
        return ()
    points = sorted(
        draw(st.sets(st.integers(0, 24 * 60 - 1), min_size=2 * count, max_size=2 * count))
    )
    clocks = [f"{p // 60:02d}:{p % 60:02d}" for p in points]
    if draw(st.booleans()):
        clocks = clocks[1:] + clocks[:1]
    return tuple(window(clocks[n], clocks[n + 1]) for n in range(0, len(clocks), 2))


@st.composite
def rules(draw: st.DrawFn) -> Rule:
    kind = draw(st.sampled_from(["daily", "weekly", "monthly", "per_term", "yearly"]))
    if kind == "per_term":
        return PerTermRule(times=draw(st.integers(1, 20)))
    windows = draw(time_windows())
    if kind == "daily":
        return DailyRule(windows=windows, school_days_only=draw(st.booleans()))
    if kind == "weekly":
        days = draw(st.lists(st.integers(1, 7), min_size=1, max_size=7, unique=True))
        return WeeklyRule(weekdays=tuple(days), windows=windows)
    if kind == "monthly":
        return MonthlyRule(day=draw(st.integers(1, 31) | st.just("last")), windows=windows)
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 29 if month == 2 else 30 if month in (4, 6, 9, 11) else 31))
    return YearlyRule(month=month, day=day, windows=windows)


@st.composite
def ranges(draw: st.DrawFn) -> tuple[dt.date, dt.date]:
    start = draw(st.dates(D(2025, 12, 1), D(2027, 6, 30)))
    return start, start + dt.timedelta(days=draw(st.integers(0, 200)))


def check_occurrences(found: list[Occurrence], start: dt.date, end: dt.date) -> None:
    assert found == sorted(found, key=lambda o: (o.due_start, o.key))
    assert all(start <= o.local_date <= end for o in found)
    assert len({o.key for o in found}) == len(found)
    assert all(o.due_start < o.due_end for o in found)
    assert all(o.due_start.utcoffset() == dt.timedelta(0) for o in found)
    assert all(o.late_until is None or o.late_until >= o.due_end for o in found)


@FAST
@given(rule=rules(), span=ranges(), tz=st.sampled_from(ZONES), skip=st.booleans())
def test_occurrences_are_sorted_in_range_unique_and_deterministic(rule, span, tz, skip):
    start, end = span
    note(msgspec.json.encode(rule).decode())
    found = occurrences(rule, start, end, tz=tz, calendar=PROPERTY_CALENDAR, skip_holidays=skip)
    check_occurrences(found, start, end)
    again = occurrences(
        msgspec.json.decode(msgspec.json.encode(rule), type=Rule),
        start,
        end,
        tz=tz,
        calendar=msgspec.json.decode(msgspec.json.encode(PROPERTY_CALENDAR), type=SchoolCalendar),
        skip_holidays=skip,
    )
    assert again == found


@FAST
@given(rule=rules(), span=ranges(), tz=st.sampled_from(ZONES), cut=st.integers(0, 200))
def test_a_sub_range_gives_the_same_occurrences_as_the_whole(rule, span, tz, cut):
    start, end = span
    middle = min(end, start + dt.timedelta(days=cut))
    whole = occurrences(rule, start, end, tz=tz, calendar=PROPERTY_CALENDAR)
    first = occurrences(rule, start, middle, tz=tz, calendar=PROPERTY_CALENDAR)
    rest = occurrences(rule, middle + dt.timedelta(days=1), end, tz=tz, calendar=PROPERTY_CALENDAR)
    assert first + rest == whole


@FAST
@given(
    old=rules(),
    new=rules(),
    span=ranges(),
    change=st.integers(1, 200),
    tz=st.sampled_from(ZONES),
)
def test_a_new_version_never_changes_a_window_before_it_takes_effect(old, new, span, change, tz):
    start, end = span
    effective = start + dt.timedelta(days=change)
    first = ScheduleVersion(effective_from=D(2025, 1, 1), rule=old)
    second = ScheduleVersion(effective_from=effective, rule=new)
    before = occurrences_for([first], start, end, tz=tz, calendar=PROPERTY_CALENDAR)
    after = occurrences_for([first, second], start, end, tz=tz, calendar=PROPERTY_CALENDAR)
    check_occurrences(after, start, end)

    def fixed(found: list[Occurrence]) -> list[tuple]:
        return [
            (o.key, o.local_date, o.due_start, o.due_end) for o in found if o.local_date < effective
        ]

    assert fixed(after) == fixed(before)
    assert all(o.local_date >= effective for o in after[len(fixed(after)) :])


@FAST
@given(
    rule=rules(),
    tz=st.sampled_from(ZONES),
    data=st.data(),
)
def test_statuses_agree_with_status_one_by_one(rule, tz, data):
    found = occurrences(rule, D(2026, 9, 1), D(2026, 10, 31), tz=tz, calendar=PROPERTY_CALENDAR)
    moments = st.datetimes(
        dt.datetime(2026, 8, 25), dt.datetime(2026, 11, 10), timezones=st.just(UTC)
    )
    done = data.draw(st.lists(moments, max_size=40))
    excused = data.draw(st.sets(st.sampled_from([o.key for o in found]))) if found else set()
    now = data.draw(moments)
    expected = [status(o, done, o.key in excused, now) for o in found]
    assert statuses(found, done, excused, now) == expected
    # Each inspection answers for one occurrence at most.
    on_time = sum(1 for s in expected if s in ("done", "done_late"))
    assert on_time <= len({t for t in done if t <= now})
