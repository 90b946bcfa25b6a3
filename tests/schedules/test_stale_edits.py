"""A change made from a stale copy is refused, through the API on both databases: a calendar
replaced whole, or a schedule changed or ended, against a version that is no longer the
stored one (409, nothing changes); without a version, the last change wins as before."""

from __future__ import annotations

from tests.inspections.helpers import extinguisher_school
from tests.schedules.scheduling import FRIDAY, make_schedule, put_calendar, set_now

TERM = {
    "key": "2026-autumn",
    "name": "秋季学期",
    "first_day": "2026-09-01",
    "last_day": "2027-01-20",
}
HOLIDAY = {"name": "元旦", "first_day": "2027-01-01", "last_day": "2027-01-01"}


async def test_a_calendar_saved_from_a_stale_copy_is_refused(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    school, admin, *_ = await extinguisher_school()
    path = f"/api/sites/{school.site_id}/calendar"

    first = await api.put(
        path, params={"version": 0}, json={"terms": [TERM]}, headers=admin.headers
    )
    assert first.status_code == 200 and first.json()["version"] == 1, first.text
    stale = await api.put(
        path, params={"version": 0}, json={"holidays": [HOLIDAY]}, headers=admin.headers
    )
    assert stale.status_code == 409
    assert (stale.json()["code"], stale.json()["field"]) == ("calendar.version_conflict", "version")
    stored = (await api.get(path, headers=admin.headers)).json()
    assert stored["version"] == 1 and stored["calendar"]["terms"] == [TERM]

    fresh = await api.put(
        path,
        params={"version": 1},
        json={"terms": [TERM], "holidays": [HOLIDAY]},
        headers=admin.headers,
    )
    assert fresh.status_code == 200 and fresh.json()["version"] == 2, fresh.text
    unchecked = await put_calendar(api, admin, school.site_id, {"terms": [TERM]})
    assert unchecked.status_code == 200 and unchecked.json()["version"] == 3


async def test_a_schedule_changed_or_ended_from_a_stale_copy_is_refused(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    school, admin, *_ = await extinguisher_school()
    made = await make_schedule(api, admin, school.site_id, {"every": "daily"})
    path = f"/api/sites/{school.site_id}/schedules/{made['id']}"
    weekly = {"every": "weekly", "weekdays": [1]}

    changed = await api.post(
        f"{path}/versions",
        json={"rule": weekly, "effective_from": "2026-11-23", "version": 1},
        headers=admin.headers,
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2, changed.text
    stale = await api.post(
        f"{path}/versions",
        json={"rule": {"every": "daily"}, "effective_from": "2026-11-30", "version": 1},
        headers=admin.headers,
    )
    assert stale.status_code == 409
    assert (stale.json()["code"], stale.json()["field"]) == ("schedule.version_conflict", "version")
    ended_stale = await api.delete(
        path, params={"effective_from": "2026-12-01", "version": 1}, headers=admin.headers
    )
    assert ended_stale.status_code == 409
    assert ended_stale.json()["code"] == "schedule.version_conflict"
    stored = (await api.get(path, headers=admin.headers)).json()
    assert [v["effective_from"] for v in stored["versions"]] == ["2026-11-20", "2026-11-23"]

    ended = await api.delete(
        path, params={"effective_from": "2026-12-01", "version": 2}, headers=admin.headers
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["versions"][-1]["rule"] is None and ended.json()["version"] == 3
