"""Night rounds across midnight, in Shanghai and over both clock changes in Berlin, and a duty
roster with a substitute, through the API on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from server.patrols.windows import round_id_for
from tests.factories import make_person
from tests.patrols.patrolling import (
    FRIDAY,
    Patrol,
    day,
    local,
    made_long_ago,
    patrol_school,
    round_detail,
)
from tests.schedules.scheduling import set_now
from tests.syncing.device import device_of


async def night_schedule(api, p: Patrol, who: dict[str, Any], every: int = 120) -> dict:
    made = await api.post(
        f"/api/sites/{p.school.site_id}/patrol/schedules",
        json={
            "name": "宿舍夜间巡查",
            "name_en": "Dormitory night rounds",
            "route_id": p.route["id"],
            "times": {
                "kind": "repeating",
                "every_minutes": every,
                "start": "22:00",
                "end": "06:00",
                "grace_minutes": 20,
            },
            "who": who,
        },
        headers=p.admin.headers,
    )
    assert made.status_code == 201, made.text
    await made_long_ago(made.json()["id"])
    return made.json()


async def test_a_night_round_after_midnight_belongs_to_the_evening_it_started(api, monkeypatch):
    set_now(monkeypatch, local(6, 30, day=21))
    p = await patrol_school(api, min_gap=None)
    p.schedule = await night_schedule(api, p, {"kind": "role", "role": "guard"})
    window = "2026-11-20T02:00+1"
    ops = [p.start(window, local(2, 5, day=21))]
    ops += [p.scan(window, tag, local(2, 10 + 5 * i, day=21)) for i, tag in enumerate(p.tags)]
    ops.append(p.finish(window, local(2, 40, day=21)))
    await p.phone.push_ok(ops)

    night = [r for r in (await day(api, p, date="2026-11-20"))["rounds"] if r["window"]]
    night = [r for r in night if r["schedule_id"] == p.schedule["id"]]
    assert [r["window"][11:] for r in night] == ["22:00", "00:00+1", "02:00+1", "04:00+1"]
    walked = next(r for r in night if r["window"] == window)
    assert walked["id"] == str(round_id_for(p.schedule["id"], window))
    assert (walked["state"], walked["late"], walked["flags"]) == ("completed", False, [])
    assert walked["window_start"].startswith("2026-11-20T18:00")  # 02:00 on the 21st, +08:00
    assert [r["state"] for r in night if r["window"] != window] == ["missed"] * 3
    # The next day's list starts with its own evening.
    next_day = (await day(api, p, date="2026-11-21"))["rounds"]
    assert not any(r["window"] == window for r in next_day)


async def test_night_windows_tile_both_clock_change_nights_in_berlin(api, monkeypatch):
    set_now(monkeypatch, datetime(2026, 10, 26, 12, 0, tzinfo=UTC))
    p = await patrol_school(api, min_gap=None, timezone="Europe/Berlin")
    p.schedule = await night_schedule(api, p, {"kind": "role", "role": "guard"}, every=60)
    await made_long_ago(p.schedule["id"], days=365)

    async def night(date: str) -> list[dict]:
        rounds = (await day(api, p, date=date))["rounds"]
        return [r for r in rounds if r["schedule_id"] == p.schedule["id"]]

    autumn = await night("2026-10-24")  # clocks go back at 03:00 on the 25th
    assert len(autumn) == 8
    hours = [
        (datetime.fromisoformat(r["window_end"]) - datetime.fromisoformat(r["window_start"]))
        for r in autumn
    ]
    assert hours.count(timedelta(hours=2)) == 1 and hours.count(timedelta(hours=1)) == 7
    for before, after in pairwise(autumn):
        assert before["window_end"] == after["window_start"]

    set_now(monkeypatch, datetime(2026, 3, 30, 12, 0, tzinfo=UTC))
    spring = await night("2026-03-28")  # clocks jump from 02:00 to 03:00 on the 29th
    keys = [r["window"][11:] for r in spring]
    # The 02:00 slot the clocks skip is kept from the jump for its hour on the clock face,
    # beside the 03:00 one: never dropped from the duty sheet, and no gap in the night.
    assert "02:00+1" in keys and len(spring) == 8
    skipped = next(r for r in spring if r["window"].endswith("02:00+1"))
    assert skipped["window_start"] == "2026-03-29T01:00:00Z"
    for before, after in pairwise(spring):
        assert before["window_start"] <= after["window_start"] <= before["window_end"]
    total = datetime.fromisoformat(spring[-1]["window_end"]) - datetime.fromisoformat(
        spring[0]["window_start"]
    )
    assert total == timedelta(hours=7)


async def test_the_roster_names_who_is_due_and_a_substitute_stands_in(api, monkeypatch):
    set_now(monkeypatch, local(6, 30, day=21))
    p = await patrol_school(api, min_gap=None)
    stand_in = await make_person(p.school, "guard")
    rostered = str(p.guard.user_id)
    p.schedule = await night_schedule(
        api,
        p,
        {
            "kind": "roster",
            "duties": [{"day": "2026-11-20", "person": rostered}],
            "substitutes": [
                {"day": "2026-11-20", "person": str(stand_in.user_id), "replaces": rostered}
            ],
        },
    )
    window = "2026-11-20T22:00"
    walker = await device_of(api, stand_in)
    p_stand_in = Patrol(**{**p.__dict__, "guard": stand_in, "phone": walker})
    ops = [p_stand_in.start(window, local(22, 5))]
    ops += [p_stand_in.scan(window, t, local(22, 10 + 5 * i)) for i, t in enumerate(p.tags[:3])]
    await walker.push_ok(ops)
    # The rostered guard, replaced tonight, scans the last checkpoint on the same round.
    await p.phone.push_ok([p.scan(window, p.tags[3], local(22, 30))])

    detail = await round_detail(api, p, p.round_of(window))
    summary = detail["round"]
    assert [person["id"] for person in summary["on_duty"]] == [str(stand_in.user_id)]
    assert summary["person"]["id"] == str(stand_in.user_id)
    flags = {s["tag"]: s["flags"] for s in detail["scans"]}
    assert all(flags[t] == [] for t in p.tags[:3])
    assert set(flags[p.tags[3]]) == {"scan.off_duty", "scan.other_device"}

    nobody = "2026-11-20T00:00+1"
    owed = next(
        r for r in (await day(api, p, date="2026-11-20"))["rounds"] if r["window"] == nobody
    )
    assert owed["state"] == "missed"
    assert [person["id"] for person in owed["on_duty"]] == [str(stand_in.user_id)]


async def test_a_roster_naming_a_stranger_is_refused(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    p = await patrol_school(api)
    other = await patrol_school(api)
    made = await api.post(
        f"/api/sites/{p.school.site_id}/patrol/schedules",
        json={
            "name": "夜巡",
            "route_id": p.route["id"],
            "times": {"kind": "repeating", "every_minutes": 120, "start": "22:00", "end": "06:00"},
            "who": {
                "kind": "roster",
                "duties": [{"day": "2026-11-20", "person": str(other.guard.user_id)}],
            },
        },
        headers=p.admin.headers,
    )
    assert made.status_code == 422, made.text
    assert (made.json()["code"], made.json()["field"]) == (
        "patrol_schedule.person_unknown",
        "who.duties[0].person",
    )
