"""The school calendar: terms, holidays, make-up school days, and what schedules make of them."""

import datetime as dt

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checklists import (
    CalendarRequired,
    DailyRule,
    Holiday,
    PerTermRule,
    ScheduleVersion,
    SchoolCalendar,
    Term,
    WeeklyRule,
    occurrences,
    occurrences_for,
)

D = dt.date
SHANGHAI = "Asia/Shanghai"

# A school year in Shanghai as a site would enter it. The make-up days are this test's own
# choice: a Sunday before 国庆节 and a Saturday after it.
SCHOOL_YEAR = {
    "terms": [
        {"key": "2026-autumn", "name": "2026-2027学年第一学期", "first_day": "2026-09-01",
         "last_day": "2027-01-22"},
        {"key": "2027-spring", "name": "2026-2027学年第二学期", "first_day": "2027-02-22",
         "last_day": "2027-07-02"},
    ],
    "holidays": [
        {"name": "国庆节", "first_day": "2026-10-01", "last_day": "2026-10-07"},
        {"name": "元旦", "first_day": "2027-01-01", "last_day": "2027-01-03"},
        {"name": "寒假", "first_day": "2027-01-23", "last_day": "2027-02-21"},
    ],
    "extra_school_days": ["2026-09-27", "2026-10-10"],
}  # fmt: skip


def school_year(**changes: object) -> SchoolCalendar:
    return msgspec.convert({**SCHOOL_YEAR, **changes}, SchoolCalendar)


def dates(found: list) -> list[dt.date]:
    return [occurrence.local_date for occurrence in found]


def test_calendar_decodes_from_json_with_chinese_names():
    body = msgspec.json.encode(SCHOOL_YEAR)
    calendar = msgspec.json.decode(body, type=SchoolCalendar)
    assert calendar.holiday_of(D(2026, 10, 3)) == Holiday(
        name="国庆节", first_day=D(2026, 10, 1), last_day=D(2026, 10, 7)
    )
    assert calendar.school_weekdays == (1, 2, 3, 4, 5)
    assert msgspec.json.decode(msgspec.json.encode(calendar), type=SchoolCalendar) == calendar


@pytest.mark.parametrize(
    "change",
    [
        {"term": []},
        {"holidays": [{"name": "国庆节", "first_day": "2026-10-01", "last": "2026-10-07"}]},
    ],
)
def test_unknown_fields_are_refused(change):
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({**SCHOOL_YEAR, **change}, SchoolCalendar)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            {"terms": [
                {"key": "t", "name": "t", "first_day": "2026-09-02", "last_day": "2026-09-01"},
            ]},
            "ends before it begins",
        ),
        (
            {"holidays": [{"name": "x", "first_day": "2026-10-07", "last_day": "2026-10-01"}]},
            "ends before it begins",
        ),
        (
            {"holidays": [{"name": "x", "first_day": "2026-01-01", "last_day": "2027-01-02"}]},
            "longer than a year",
        ),
        (
            {"terms": [
                {"key": "a", "name": "a", "first_day": "2026-09-01", "last_day": "2027-01-22"},
                {"key": "b", "name": "b", "first_day": "2027-01-22", "last_day": "2027-07-02"},
            ]},
            "overlap",
        ),
        (
            {"terms": [
                {"key": "a", "name": "a", "first_day": "2026-09-01", "last_day": "2027-01-22"},
                {"key": "a", "name": "b", "first_day": "2027-02-22", "last_day": "2027-07-02"},
            ]},
            "same key",
        ),
        ({"school_weekdays": [1, 2, 2]}, "repeats"),
        ({"school_weekdays": []}, "length >= 1"),
        ({"school_weekdays": [0]}, ">= 1"),
    ],
)  # fmt: skip
def test_inconsistent_calendars_are_refused_when_decoded(change, reason):
    with pytest.raises(msgspec.ValidationError, match=reason):
        msgspec.convert({**SCHOOL_YEAR, **change}, SchoolCalendar)


def test_a_term_key_is_a_lower_case_slug():
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(
            {
                "key": "2026 Autumn",
                "name": "x",
                "first_day": "2026-09-01",
                "last_day": "2026-09-02",
            },
            Term,
        )


def test_term_of_covers_first_and_last_day_and_nothing_between_terms():
    calendar = school_year()
    assert calendar.term_of(D(2026, 8, 31)) is None
    assert calendar.term_of(D(2026, 9, 1)).key == "2026-autumn"
    assert calendar.term_of(D(2027, 1, 22)).key == "2026-autumn"
    assert calendar.term_of(D(2027, 2, 1)) is None
    assert calendar.term_of(D(2027, 2, 22)).key == "2027-spring"
    assert calendar.term_of(D(2027, 7, 3)) is None


def test_school_days_are_term_weekdays_that_are_not_holidays():
    calendar = school_year()
    assert calendar.is_school_day(D(2026, 9, 30))  # Wednesday
    assert not calendar.is_school_day(D(2026, 10, 5))  # Monday in 国庆节
    assert not calendar.is_school_day(D(2026, 9, 26))  # Saturday
    assert not calendar.is_school_day(D(2026, 8, 31))  # Monday before term: not in a term
    assert not calendar.is_school_day(D(2027, 2, 1))  # Monday in 寒假


def test_make_up_days_are_school_days_even_at_weekends():
    calendar = school_year()
    assert D(2026, 9, 27).isoweekday() == 7
    assert calendar.is_school_day(D(2026, 9, 27))
    assert D(2026, 10, 10).isoweekday() == 6
    assert calendar.is_school_day(D(2026, 10, 10))


def test_a_make_up_day_inside_a_holiday_is_no_holiday():
    calendar = school_year(extra_school_days=["2026-10-07"])
    assert calendar.is_school_day(D(2026, 10, 7))
    assert not calendar.is_holiday(D(2026, 10, 7))
    assert calendar.holiday_of(D(2026, 10, 6)).name == "国庆节"


def test_without_terms_every_weekday_that_is_no_holiday_is_a_school_day():
    calendar = school_year(terms=[])
    assert calendar.is_school_day(D(2026, 8, 3))
    assert not calendar.is_school_day(D(2026, 8, 1))
    assert not calendar.is_school_day(D(2026, 10, 2))


def test_a_school_with_saturday_classes_says_so():
    calendar = school_year(school_weekdays=[1, 2, 3, 4, 5, 6])
    assert calendar.is_school_day(D(2026, 9, 26))
    assert not calendar.is_school_day(D(2026, 9, 20))


def test_the_first_holiday_listed_names_a_day_two_holidays_cover():
    calendar = school_year(
        holidays=[
            {"name": "中秋节", "first_day": "2026-09-25", "last_day": "2026-09-27"},
            {"name": "秋假", "first_day": "2026-09-26", "last_day": "2026-09-30"},
        ],
        extra_school_days=[],
    )
    assert calendar.holiday_of(D(2026, 9, 26)).name == "中秋节"
    assert calendar.holiday_of(D(2026, 9, 28)).name == "秋假"


@settings(max_examples=200, deadline=None, database=None)
@given(
    day=st.dates(D(2026, 8, 1), D(2027, 8, 1)),
    weekdays=st.sets(st.integers(1, 7), min_size=1),
    with_terms=st.booleans(),
)
def test_the_index_agrees_with_the_definition_of_a_school_day(day, weekdays, with_terms):
    calendar = school_year(
        school_weekdays=sorted(weekdays), **({} if with_terms else {"terms": []})
    )
    extra = day in calendar.extra_school_days
    holiday = any(h.first_day <= day <= h.last_day for h in calendar.holidays)
    in_term = any(t.first_day <= day <= t.last_day for t in calendar.terms)
    expected = extra or (
        not holiday and day.isoweekday() in weekdays and (in_term or not calendar.terms)
    )
    assert calendar.is_school_day(day) is expected
    assert calendar.is_holiday(day) is (holiday and not extra)


# Schedules and the calendar


def test_daily_on_school_days_follows_holidays_and_make_up_days():
    rule = DailyRule(school_days_only=True)
    found = occurrences(rule, D(2026, 9, 24), D(2026, 10, 12), tz=SHANGHAI, calendar=school_year())
    assert dates(found) == [
        D(2026, 9, 24),
        D(2026, 9, 25),
        D(2026, 9, 27),  # Sunday, a make-up day
        D(2026, 9, 28),
        D(2026, 9, 29),
        D(2026, 9, 30),
        D(2026, 10, 8),
        D(2026, 10, 9),
        D(2026, 10, 10),  # Saturday, a make-up day
        D(2026, 10, 12),
    ]


def test_daily_on_school_days_without_a_calendar_is_monday_to_friday():
    found = occurrences(
        DailyRule(school_days_only=True), D(2026, 9, 28), D(2026, 10, 11), tz=SHANGHAI
    )
    assert [day.isoweekday() for day in dates(found)] == [1, 2, 3, 4, 5] * 2


def test_every_day_means_weekends_and_holidays_too_unless_they_are_skipped():
    calendar = school_year()
    every_day = occurrences(
        DailyRule(), D(2026, 9, 30), D(2026, 10, 8), tz=SHANGHAI, calendar=calendar
    )
    assert len(every_day) == 9
    skipping = occurrences(
        DailyRule(),
        D(2026, 9, 30),
        D(2026, 10, 8),
        tz=SHANGHAI,
        calendar=calendar,
        skip_holidays=True,
    )
    assert dates(skipping) == [D(2026, 9, 30), D(2026, 10, 8)]


def test_weekly_on_a_holiday_is_skipped_only_when_the_schedule_says_so():
    rule = WeeklyRule(weekdays=(4,))  # Thursdays; 1 October 2026 is one
    calendar = school_year()
    kept = occurrences(rule, D(2026, 9, 24), D(2026, 10, 15), tz=SHANGHAI, calendar=calendar)
    assert dates(kept) == [D(2026, 9, 24), D(2026, 10, 1), D(2026, 10, 8), D(2026, 10, 15)]
    skipped = occurrences(
        rule, D(2026, 9, 24), D(2026, 10, 15), tz=SHANGHAI, calendar=calendar, skip_holidays=True
    )
    assert dates(skipped) == [D(2026, 9, 24), D(2026, 10, 8), D(2026, 10, 15)]


def test_the_occurrence_before_a_skipped_holiday_can_be_done_late_until_after_it():
    found = occurrences(
        WeeklyRule(weekdays=(4,)),
        D(2026, 9, 24),
        D(2026, 10, 8),
        tz=SHANGHAI,
        calendar=school_year(),
        skip_holidays=True,
    )
    assert found[0].late_until == found[1].due_start
    assert found[1].local_date == D(2026, 10, 8)


def test_skipping_holidays_without_a_calendar_skips_nothing():
    found = occurrences(
        DailyRule(), D(2026, 10, 1), D(2026, 10, 7), tz=SHANGHAI, skip_holidays=True
    )
    assert len(found) == 7


def test_per_term_splits_each_term_into_equal_windows_of_whole_days():
    calendar = school_year()
    found = occurrences(
        PerTermRule(times=2), D(2026, 9, 1), D(2027, 7, 31), tz=SHANGHAI, calendar=calendar
    )
    assert [o.key for o in found] == [
        "term-2026-autumn#1of2",
        "term-2026-autumn#2of2",
        "term-2027-spring#1of2",
        "term-2027-spring#2of2",
    ]
    # Autumn: 144 days, 72 each; spring: 131 days, 65 then 66.
    assert dates(found) == [D(2026, 9, 1), D(2026, 11, 12), D(2027, 2, 22), D(2027, 4, 28)]
    # Local midnight to local midnight, the last window up to the end of the term's last day.
    assert found[0].due_start == dt.datetime(2026, 8, 31, 16, tzinfo=dt.UTC)
    assert found[0].due_end == found[1].due_start
    assert found[1].due_end == dt.datetime(2027, 1, 22, 16, tzinfo=dt.UTC)
    assert found[3].due_end == dt.datetime(2027, 7, 2, 16, tzinfo=dt.UTC)


def test_per_term_can_be_done_late_only_after_the_last_window_until_the_next_term():
    calendar = school_year()
    found = occurrences(
        PerTermRule(times=2), D(2026, 9, 1), D(2027, 7, 31), tz=SHANGHAI, calendar=calendar
    )
    # The second half opens as the first closes: an inspection then answers for the second.
    assert found[0].late_until == found[0].due_end
    assert found[1].late_until == found[2].due_start
    # No later term is known yet: late at any time.
    assert found[3].late_until is None


def test_per_term_windows_are_dated_by_their_first_day():
    found = occurrences(
        PerTermRule(times=4), D(2026, 10, 1), D(2026, 10, 31), tz=SHANGHAI, calendar=school_year()
    )
    assert [o.key for o in found] == ["term-2026-autumn#2of4"]
    assert found[0].local_date == D(2026, 10, 7)


def test_a_term_shorter_than_its_number_of_windows_has_one_a_day():
    calendar = SchoolCalendar(
        terms=(
            Term(key="summer-camp", name="夏令营", first_day=D(2026, 7, 6), last_day=D(2026, 7, 8)),
        )
    )
    found = occurrences(
        PerTermRule(times=5), D(2026, 7, 1), D(2026, 7, 31), tz=SHANGHAI, calendar=calendar
    )
    assert dates(found) == [D(2026, 7, 6), D(2026, 7, 7), D(2026, 7, 8)]
    assert len({o.key for o in found}) == 3


def test_per_term_needs_a_calendar():
    with pytest.raises(CalendarRequired) as raised:
        occurrences(PerTermRule(times=2), D(2026, 9, 1), D(2026, 12, 31), tz=SHANGHAI)
    assert raised.value.code == "schedule.calendar_required"


def test_per_term_changed_mid_term_keeps_keys_apart():
    # Four drills a term, then two from mid-October: the second window of each version
    # falls in its own version's days, and the keys still tell them apart.
    versions = [
        ScheduleVersion(effective_from=D(2026, 9, 1), rule=PerTermRule(times=4)),
        ScheduleVersion(effective_from=D(2026, 10, 20), rule=PerTermRule(times=2)),
    ]
    found = occurrences_for(
        versions, D(2026, 9, 1), D(2027, 1, 31), tz=SHANGHAI, calendar=school_year()
    )
    assert [o.key for o in found] == [
        "term-2026-autumn#1of4",
        "term-2026-autumn#2of4",
        "term-2026-autumn#2of2",
    ]
