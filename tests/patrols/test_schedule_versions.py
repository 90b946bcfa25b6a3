"""A round schedule owes nothing before it was made, and a change or a retirement never
rewrites a window already owed: a missed round stays missed (both databases)."""

from __future__ import annotations

from tests.patrols.patrolling import FRIDAY, day, local, patrol_school
from tests.schedules.scheduling import set_now


def states(seen: dict, schedule_id: str) -> dict[str, str]:
    return {r["window"][11:]: r["state"] for r in seen["rounds"] if r["schedule_id"] == schedule_id}


async def make(api, p, times: list[dict]) -> dict:
    made = await api.post(
        f"/api/sites/{p.school.site_id}/patrol/schedules",
        json={
            "name": "保健巡查",
            "route_id": p.route["id"],
            "times": {"kind": "fixed", "windows": times},
            "who": {"kind": "role", "role": "guard"},
        },
        headers=p.admin.headers,
    )
    assert made.status_code == 201, made.text
    return made.json()


TIMES = [
    {"start": "07:30", "duration_minutes": 60, "grace_minutes": 30},
    {"start": "09:30", "duration_minutes": 60, "grace_minutes": 30},
    {"start": "15:00", "duration_minutes": 60, "grace_minutes": 30},
]


async def test_a_new_schedule_owes_the_open_window_and_none_before(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)  # 10:00: 07:30 is over, 09:30 is open
    p = await patrol_school(api)
    fresh = await make(api, p, TIMES)
    assert states(await day(api, p), fresh["id"]) == {"09:30": "upcoming", "15:00": "upcoming"}
    yesterday = await day(api, p, date="2026-11-19")
    assert states(yesterday, fresh["id"]) == {}


async def test_a_change_or_a_retirement_keeps_the_windows_already_owed(api, monkeypatch):
    set_now(monkeypatch, local(6, 0))
    p = await patrol_school(api)
    schedule = await make(api, p, TIMES)
    set_now(monkeypatch, local(12, 0))
    changed = await api.put(
        f"/api/patrol/schedules/{schedule['id']}",
        json={
            "name": "保健巡查",
            "route_id": p.route["id"],
            "times": {
                "kind": "fixed",
                "windows": [{"start": "16:00", "duration_minutes": 30, "grace_minutes": 0}],
            },
            "who": {"kind": "role", "role": "guard"},
            "base_version": schedule["version"],
        },
        headers=p.admin.headers,
    )
    assert changed.status_code == 200, changed.text
    assert states(await day(api, p), schedule["id"]) == {
        "07:30": "missed",
        "09:30": "missed",
        "16:00": "upcoming",
    }
    set_now(monkeypatch, local(12, 30))
    retired = await api.post(
        f"/api/patrol/schedules/{schedule['id']}/retire", headers=p.admin.headers
    )
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    set_now(monkeypatch, local(20, 0))
    assert states(await day(api, p), schedule["id"]) == {"07:30": "missed", "09:30": "missed"}
    month = await api.get(
        f"/api/sites/{p.school.site_id}/patrol/month",
        params={"month": "2026-11"},
        headers=p.manager.headers,
    )
    grid = next(g for g in month.json()["schedules"] if g["schedule_id"] == schedule["id"])
    assert grid["counts"]["missed"] == 2
    before = next(d for d in grid["days"] if d["date"] == "2026-11-19")
    assert before["cells"] == [None, None]
