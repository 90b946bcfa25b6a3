"""A site's school calendar: read by members, replaced by managers, recorded for devices,
and never changed on a past day a schedule was in force."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.factories import make_person, make_school
from tests.inspections.helpers import extinguisher_school
from tests.schedules.scheduling import (
    FRIDAY,
    born,
    due,
    keys,
    make_schedule,
    put_calendar,
    set_now,
)
from tests.syncing.recorded import recorded

AUTUMN = {
    "key": "2026-autumn",
    "name": "秋季学期",
    "first_day": "2026-09-01",
    "last_day": "2027-01-22",
}
NATIONAL_DAY = {"name": "国庆节", "first_day": "2026-10-01", "last_day": "2026-10-07"}
NEW_YEAR = {"name": "元旦", "first_day": "2027-01-01", "last_day": "2027-01-03"}


async def test_a_site_without_a_calendar_answers_the_empty_one(api):
    school, _admin, inspector, _ = await extinguisher_school()
    answer = await api.get(f"/api/sites/{school.site_id}/calendar", headers=inspector.headers)
    assert answer.status_code == 200
    assert answer.json() == {
        "site_id": str(school.site_id),
        "calendar": {
            "terms": [],
            "holidays": [],
            "extra_school_days": [],
            "school_weekdays": [1, 2, 3, 4, 5],
        },
        "version": 0,
        "updated_at": None,
    }


async def test_a_manager_replaces_the_calendar_and_each_change_is_recorded(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    school, admin, inspector, _ = await extinguisher_school()
    calendar = {"terms": [AUTUMN], "holidays": [NATIONAL_DAY], "extra_school_days": ["2026-10-10"]}
    first = await put_calendar(api, admin, school.site_id, calendar)
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 1
    assert first.json()["calendar"]["holidays"] == [NATIONAL_DAY]
    read = await api.get(f"/api/sites/{school.site_id}/calendar", headers=inspector.headers)
    assert read.json() == first.json()
    second = await put_calendar(
        api, admin, school.site_id, {**calendar, "holidays": [NATIONAL_DAY, NEW_YEAR]}
    )
    assert second.json()["version"] == 2
    changes = await recorded("calendar", scope=school.site_id)
    assert [(c.id, c.op, c.version) for c in changes] == [
        (str(school.site_id), "put", 1),
        (str(school.site_id), "put", 2),
    ]
    assert changes[-1].data == {
        "site_id": str(school.site_id),
        "calendar": second.json()["calendar"],
    }


async def test_an_impossible_calendar_is_refused_and_records_nothing(api):
    school, admin, _, _ = await extinguisher_school()
    overlapping = {
        "terms": [
            AUTUMN,
            {**AUTUMN, "key": "other", "first_day": "2027-01-01", "last_day": "2027-06-30"},
        ]
    }
    refused = await put_calendar(api, admin, school.site_id, overlapping)
    assert refused.status_code == 400
    assert "overlap" in refused.json()["detail"]
    backwards = {"holidays": [{"name": "x", "first_day": "2026-10-07", "last_day": "2026-10-01"}]}
    assert (await put_calendar(api, admin, school.site_id, backwards)).status_code == 400
    assert await recorded("calendar") == []


async def test_only_managers_replace_it_and_strangers_see_nothing(api):
    school, _admin, inspector, _ = await extinguisher_school()
    refused = await put_calendar(api, inspector, school.site_id, {"terms": [AUTUMN]})
    assert refused.status_code == 403
    stranger = await make_person(await make_school(), "admin")
    assert (await put_calendar(api, stranger, school.site_id, {})).status_code == 404
    read = await api.get(f"/api/sites/{school.site_id}/calendar", headers=stranger.headers)
    assert read.status_code == 404


async def test_past_days_a_schedule_was_in_force_on_cannot_change(api, monkeypatch):
    school, admin, _, asset = await extinguisher_school()
    await born(datetime(2026, 8, 1, tzinfo=UTC), assets=(asset,))
    set_now(monkeypatch, datetime(2026, 9, 1, 1, 0, tzinfo=UTC))
    assert (await put_calendar(api, admin, school.site_id, {"terms": [AUTUMN]})).status_code == 200
    await make_schedule(
        api,
        admin,
        school.site_id,
        {"every": "daily", "school_days_only": True},
        skip_holidays=True,
    )
    set_now(monkeypatch, FRIDAY)
    refused = await put_calendar(
        api, admin, school.site_id, {"terms": [AUTUMN], "holidays": [NATIONAL_DAY]}
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "calendar.past_changed")
    assert "2026-10-01" in refused.json()["detail"]
    shortened = await put_calendar(
        api, admin, school.site_id, {"terms": [{**AUTUMN, "first_day": "2026-09-07"}]}
    )
    assert (shortened.status_code, shortened.json()["code"]) == (409, "calendar.past_changed")
    # From today on the calendar is the manager's to change.
    future = await put_calendar(
        api, admin, school.site_id, {"terms": [AUTUMN], "holidays": [NEW_YEAR]}
    )
    assert future.status_code == 200, future.text
    october = await due(api, admin, school.site_id, **{"from": "2026-10-01", "to": "2026-10-02"})
    assert keys(october) == ["2026-10-01", "2026-10-02"]
    january = await due(api, admin, school.site_id, **{"from": "2026-12-31", "to": "2027-01-04"})
    assert keys(january) == ["2026-12-31", "2027-01-04"]


async def test_before_any_schedule_the_past_of_the_calendar_is_free(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    school, admin, _, _ = await extinguisher_school()
    answer = await put_calendar(
        api, admin, school.site_id, {"terms": [AUTUMN], "holidays": [NATIONAL_DAY]}
    )
    assert answer.status_code == 200
    # A schedule starting today: the past is still not its to keep.
    await make_schedule(api, admin, school.site_id, {"every": "weekly", "weekdays": [1]})
    again = await put_calendar(api, admin, school.site_id, {"terms": [AUTUMN]})
    assert again.status_code == 200, again.text


async def test_terms_stay_while_work_is_spread_over_terms(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    school, admin, _, _ = await extinguisher_school()
    spring = {
        "key": "2027-spring",
        "name": "春季学期",
        "first_day": "2027-02-22",
        "last_day": "2027-07-02",
    }
    await put_calendar(api, admin, school.site_id, {"terms": [AUTUMN, spring]})
    await make_schedule(
        api, admin, school.site_id, {"every": "per_term", "times": 2}, effective_from="2027-02-01"
    )
    dropped = await put_calendar(api, admin, school.site_id, {"terms": []})
    assert (dropped.status_code, dropped.json()["code"]) == (422, "schedule.calendar_required")
    moved = await put_calendar(
        api, admin, school.site_id, {"terms": [AUTUMN, {**spring, "first_day": "2027-03-01"}]}
    )
    assert moved.status_code == 200, moved.text
    spread = await due(api, admin, school.site_id, **{"from": "2027-02-01", "to": "2027-05-03"})
    # 124 days from 1 March to 2 July: two windows of 62 days, each dated by its first day.
    assert keys(spread) == ["term-2027-spring#1of2", "term-2027-spring#2of2"]
    assert [i["occurrence"]["due_start"] for i in spread] == [
        "2027-02-28T16:00:00Z",
        "2027-05-01T16:00:00Z",
    ]
    assert spread[0]["occurrence"]["due_end"] == spread[1]["occurrence"]["due_start"]
    assert spread[1]["occurrence"]["due_end"] == "2027-07-02T16:00:00Z"
