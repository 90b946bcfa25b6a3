"""What is due, through the API on both databases: occurrences at month ends, in leap years
and across clock changes; holidays skipped; completion by business time however late the
inspection synced; excusals on the web and by sync; due lists, the tag scan, the month's
calendar; past periods that a later edit leaves as they were; what devices pull."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from uuid_utils.compat import uuid7

from server.schedules.due import overdue_occurrences
from server.templates.templates import install_library
from tests.factories import make_asset, make_location, make_person, make_school, make_tag
from tests.inspections.helpers import extinguisher_school, submission, submit
from tests.schedules.scheduling import (
    FRIDAY,
    born,
    due,
    keys,
    make_schedule,
    put_calendar,
    set_now,
    statuses,
)
from tests.syncing.device import device_of
from tests.syncing.recorded import recorded
from tests.syncing.test_pull import entities, pull_all

DAILY = {"every": "daily"}
MORNING = {"every": "daily", "windows": [{"start": "08:00", "end": "09:00"}]}
MONDAYS = {"every": "weekly", "weekdays": [1]}


def period(first: str, last: str) -> dict[str, str]:
    return {"from": first, "to": last}


async def inspected(api, person, asset, at: datetime) -> None:
    response = await submit(api, person, submission(asset=asset, completed_at=at))
    assert response.status_code == 201, response.text


# Occurrences, end to end


async def test_monthly_on_the_31st_falls_on_29_february_in_a_leap_year(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    school, admin, _, _ = await extinguisher_school()
    await make_schedule(api, admin, school.site_id, {"every": "monthly", "day": 31})
    leap = await due(api, admin, school.site_id, **period("2028-01-01", "2028-03-31"))
    assert keys(leap) == ["2028-01-31", "2028-02-29", "2028-03-31"]
    february = leap[1]["occurrence"]
    assert february == {
        "key": "2028-02-29",
        "due_start": "2028-02-28T16:00:00Z",
        "due_end": "2028-02-29T16:00:00Z",
        "late_until": "2028-03-30T16:00:00Z",
    }
    assert {i["status"] for i in leap} == {"upcoming"}
    common = await due(api, admin, school.site_id, **period("2027-02-01", "2027-02-28"))
    assert keys(common) == ["2027-02-28"]
    plan = (
        await api.get(
            f"/api/sites/{school.site_id}/plan", params={"month": "2028-02"}, headers=admin.headers
        )
    ).json()
    assert [d["date"] for d in plan["days"]][-1] == "2028-02-29"
    assert [(d["date"], len(d["work"])) for d in plan["days"] if d["work"]] == [("2028-02-29", 1)]


async def test_windows_follow_berlins_clock_changes_and_shanghai_has_none(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    berlin = await make_school(timezone="Europe/Berlin")
    await install_library(berlin.organization_id)
    admin = await make_person(berlin, "admin")
    await make_asset(admin, berlin)
    check = {"every": "daily", "windows": [{"start": "07:30", "end": "08:30"}]}
    await make_schedule(api, admin, berlin.site_id, check)

    def starts(items):
        return [(i["occurrence"]["key"], i["occurrence"]["due_start"]) for i in items]

    spring = await due(api, admin, berlin.site_id, **period("2027-03-27", "2027-03-29"))
    assert starts(spring) == [
        ("2027-03-27T07:30", "2027-03-27T06:30:00Z"),
        ("2027-03-28T07:30", "2027-03-28T05:30:00Z"),
        ("2027-03-29T07:30", "2027-03-29T05:30:00Z"),
    ]
    autumn = await due(api, admin, berlin.site_id, **period("2027-10-30", "2027-10-31"))
    assert starts(autumn) == [
        ("2027-10-30T07:30", "2027-10-30T05:30:00Z"),
        ("2027-10-31T07:30", "2027-10-31T06:30:00Z"),
    ]
    # A whole day is midnight to midnight on the wall clock: 23 hours in spring.
    await make_schedule(api, admin, berlin.site_id, DAILY, template_key="kitchen_gas_weekly")
    day = next(
        i
        for i in await due(api, admin, berlin.site_id, **period("2027-03-28", "2027-03-28"))
        if i["template_key"] == "kitchen_gas_weekly"
    )["occurrence"]
    assert (day["due_start"], day["due_end"]) == ("2027-03-27T23:00:00Z", "2027-03-28T22:00:00Z")

    shanghai, shanghai_admin, _, _ = await extinguisher_school()
    await make_schedule(api, shanghai_admin, shanghai.site_id, check)
    same_night = await due(
        api, shanghai_admin, shanghai.site_id, **period("2027-03-28", "2027-03-28")
    )
    assert starts(same_night) == [("2027-03-28T07:30", "2027-03-27T23:30:00Z")]


async def test_holidays_are_skipped_and_make_up_days_are_school_days(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    school, admin, _, _ = await extinguisher_school()
    calendar = {
        "holidays": [{"name": "国庆节", "first_day": "2027-10-01", "last_day": "2027-10-07"}],
        "extra_school_days": ["2027-09-26", "2027-10-09"],
    }
    assert (await put_calendar(api, admin, school.site_id, calendar)).status_code == 200
    school_days = await make_schedule(
        api, admin, school.site_id, {"every": "daily", "school_days_only": True}
    )
    mondays = await make_schedule(
        api, admin, school.site_id, MONDAYS, skip_holidays=True, template_key="kitchen_gas_weekly"
    )
    every_monday = await make_schedule(
        api, admin, school.site_id, MONDAYS, template_key="water_dispenser_weekly"
    )
    items = await due(api, admin, school.site_id, **period("2027-09-24", "2027-10-11"))

    def of(schedule):
        return keys([i for i in items if i["schedule_id"] == schedule["id"]])

    assert of(school_days) == [
        "2027-09-24",
        "2027-09-26",
        "2027-09-27",
        "2027-09-28",
        "2027-09-29",
        "2027-09-30",
        "2027-10-08",
        "2027-10-09",
        "2027-10-11",
    ]
    assert of(mondays) == ["2027-09-27", "2027-10-11"]
    assert of(every_monday) == ["2027-09-27", "2027-10-04", "2027-10-11"]


# Done, done late, excused


async def test_an_on_time_inspection_synced_late_counts_as_on_time(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)  # 10:00 in Shanghai; the 08:00-09:00 window has closed
    school, admin, inspector, first = await extinguisher_school()
    second = await make_asset(admin, school, asset_number="MHQ-002")
    await born(FRIDAY - timedelta(days=10), assets=(first, second))
    await make_schedule(api, admin, school.site_id, MORNING)
    before = await due(api, inspector, school.site_id)
    assert [i["status"] for i in before] == ["overdue", "overdue"]

    device = await device_of(api, inspector)
    offline = submission(asset=first, completed_at=datetime(2026, 11, 20, 0, 30, tzinfo=UTC))
    answer = await device.push_ok([device.op(offline)])
    assert answer["results"][0]["status"] == "applied"
    await inspected(api, inspector, second, datetime(2026, 11, 20, 1, 30, tzinfo=UTC))

    after = {
        i["target"]["asset_id"]: i["status"] for i in await due(api, inspector, school.site_id)
    }
    assert after == {str(first): "done", str(second): "done_late"}


async def test_an_excused_occurrence_is_excused_once_and_its_id_keeps_its_content(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    school, admin, inspector, asset = await extinguisher_school()
    await born(FRIDAY - timedelta(days=10), assets=(asset,))
    schedule = await make_schedule(api, admin, school.site_id, MORNING)
    body = {
        "id": str(uuid7()),
        "schedule_id": schedule["id"],
        "occurrence_key": "2026-11-20T08:00",
        "asset_id": str(asset),
        "reason": "灭火器送检，明日归还",
    }
    created = await api.post("/api/occurrences/excusals", json=body, headers=inspector.headers)
    assert created.status_code == 201, created.text
    assert created.json() == {
        "id": body["id"],
        "site_id": str(school.site_id),
        "schedule_id": schedule["id"],
        "occurrence_key": "2026-11-20T08:00",
        "occurrence_date": "2026-11-20",
        "asset_id": str(asset),
        "location_id": None,
        "reason": "灭火器送检，明日归还",
        "excused_by": str(inspector.user_id),
        "received_at": "2026-11-20T02:00:00Z",
        "state": "accepted",
        "decided_by": None,
        "decided_at": None,
        "decision_note": "",
    }
    again = await api.post("/api/occurrences/excusals", json=body, headers=inspector.headers)
    assert (again.status_code, again.json()) == (200, created.json())
    other = await api.post(
        "/api/occurrences/excusals", json={**body, "reason": "不想做"}, headers=admin.headers
    )
    assert (other.status_code, other.json()["code"]) == (409, "occurrence.conflict")
    assert statuses(await due(api, admin, school.site_id)) == {"2026-11-20T08:00": "excused"}
    assert [c.id for c in await recorded("excusal", scope=school.site_id)] == [body["id"]]
    # Work done outranks an excusal.
    await inspected(api, inspector, asset, datetime(2026, 11, 20, 1, 45, tzinfo=UTC))
    assert statuses(await due(api, admin, school.site_id)) == {"2026-11-20T08:00": "done_late"}


async def test_an_excusal_names_a_real_occurrence_on_a_covered_thing(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    school, admin, inspector, asset = await extinguisher_school()
    light = await make_asset(admin, school, category="emergency_light", name="应急灯")
    await born(FRIDAY - timedelta(days=10), assets=(asset, light))
    schedule = await make_schedule(api, admin, school.site_id, MORNING)
    guard = await make_person(school, "guard")
    stranger = await make_person(await make_school(), "admin")

    async def excuse(person, **changes):
        body = {
            "id": str(uuid7()),
            "schedule_id": schedule["id"],
            "occurrence_key": "2026-11-21T08:00",
            "asset_id": str(asset),
            "reason": "教学楼封闭施工",
            **changes,
        }
        body = {k: v for k, v in body.items() if v is not None}
        return await api.post("/api/occurrences/excusals", json=body, headers=person.headers)

    refused = {
        "unknown": await excuse(inspector, occurrence_key="2026-11-21T07:00"),
        "before": await excuse(inspector, occurrence_key="2026-11-19T08:00"),
        "not a date": await excuse(inspector, occurrence_key="2026-02-30T08:00"),
        "light": await excuse(inspector, asset_id=str(light)),
        "both": await excuse(inspector, location_id=str(uuid7())),
        "uuid4": await excuse(inspector, id=str(uuid.uuid4())),
        "guard": await excuse(guard),
        "stranger": await excuse(stranger),
        "no schedule": await excuse(inspector, schedule_id=str(uuid7())),
    }
    assert {name: (r.status_code, r.json()["code"]) for name, r in refused.items()} == {
        "unknown": (422, "occurrence.unknown"),
        "before": (422, "occurrence.unknown"),
        "not a date": (422, "occurrence.unknown"),
        "light": (422, "occurrence.not_a_target"),
        "both": (400, "occurrence.target_required"),
        "uuid4": (400, "occurrence.id_not_uuid7"),
        "guard": (403, "auth.forbidden"),
        "stranger": (404, "not_found"),
        "no schedule": (404, "not_found"),
    }
    # A future occurrence may be excused ahead (a closed building).
    assert (await excuse(admin)).status_code == 201
    assert await recorded("excusal") == [(await recorded("excusal"))[0]]


async def test_an_excusal_made_offline_arrives_by_sync_once(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    school, admin, inspector, asset = await extinguisher_school()
    await born(FRIDAY - timedelta(days=10), assets=(asset,))
    schedule = await make_schedule(api, admin, school.site_id, MORNING)
    body = {
        "id": str(uuid7()),
        "schedule_id": schedule["id"],
        "occurrence_key": "2026-11-20T08:00",
        "asset_id": str(asset),
        "reason": "停电，无法检查",
    }
    device = await device_of(api, inspector)
    answer = await device.push_ok(
        [
            device.op(body, type="occurrence.excused"),
            device.op(body, type="occurrence.excused"),
            device.op({**body, "reason": "改了"}, type="occurrence.excused"),
            device.op(
                {**body, "id": str(uuid7()), "occurrence_key": "2026-11-20T07:00"},
                type="occurrence.excused",
            ),
        ]
    )
    results = answer["results"]
    assert [r["status"] for r in results] == ["applied", "duplicate", "conflict", "rejected"]
    assert results[0]["result"] == {"id": body["id"]}
    assert (results[2]["code"], results[3]["code"], results[3]["field"]) == (
        "occurrence.conflict",
        "occurrence.unknown",
        "body.occurrence_key",
    )
    assert statuses(await due(api, admin, school.site_id)) == {"2026-11-20T08:00": "excused"}
    # The same excusal by the web afterwards is the one already stored.
    web = await api.post("/api/occurrences/excusals", json=body, headers=inspector.headers)
    assert web.status_code == 200


# Lists


async def a_school_with_work(api, monkeypatch):
    """Schedules made on Monday 9 November: a daily check of the extinguishers (one kept by
    a maintainer, one by no one) and a Monday check of a classroom; the lists are read on
    Friday 20 November."""
    set_now(monkeypatch, datetime(2026, 11, 9, 1, 0, tzinfo=UTC))
    school, admin, inspector, kept = await extinguisher_school()
    keeper = await make_person(school, "maintainer")
    await api.patch(
        f"/api/assets/{kept}", json={"keeper_id": str(keeper.user_id)}, headers=admin.headers
    )
    unkept = await make_asset(admin, school, asset_number="MHQ-002", name="二氧化碳灭火器")
    room = await make_location(admin, school, "101教室", kind="room")
    await born(datetime(2026, 11, 1, tzinfo=UTC), assets=(kept, unkept), locations=(room,))
    daily = await make_schedule(api, admin, school.site_id, DAILY)
    weekly = await make_schedule(
        api,
        admin,
        school.site_id,
        MONDAYS,
        template_key="building_structure_monthly",
        targets={"by": "named", "location_ids": [str(room)]},
    )
    set_now(monkeypatch, FRIDAY)
    await inspected(api, inspector, kept, datetime(2026, 11, 18, 3, 0, tzinfo=UTC))
    return school, admin, inspector, keeper, kept, unkept, room, daily, weekly


async def test_today_this_week_and_overdue_by_due_time(api, monkeypatch):
    school, admin, *_, kept, unkept, room, daily, _weekly = await a_school_with_work(
        api, monkeypatch
    )

    today = await due(api, admin, school.site_id)
    assert [(i["occurrence"]["key"], i["target"]["name"], i["status"]) for i in today] == [
        ("2026-11-20", "二氧化碳灭火器", "due"),
        ("2026-11-20", "干粉灭火器", "due"),
    ]
    assert today[0] == {
        "schedule_id": daily["id"],
        "template_key": "fire_extinguisher_monthly",
        "title_zh": today[0]["title_zh"],
        "title_en": today[0]["title_en"],
        "target": {"asset_id": str(unkept), "location_id": None, "name": "二氧化碳灭火器"},
        "occurrence": {
            "key": "2026-11-20",
            "due_start": "2026-11-19T16:00:00Z",
            "due_end": "2026-11-20T16:00:00Z",
            "late_until": "2026-11-20T16:00:00Z",
        },
        "status": "due",
        "result": None,
        "inspection_id": None,
        "excusal": None,
    }
    assert today[0]["title_zh"] and today[0]["title_en"]

    week = await due(api, admin, school.site_id, scope="week")
    starts = [i["occurrence"]["due_start"] for i in week]
    assert starts == sorted(starts)
    assert len(week) == 7 * 2 + 1
    room_week = [i for i in week if i["target"]["location_id"] == str(room)]
    assert [(i["occurrence"]["key"], i["status"]) for i in room_week] == [("2026-11-16", "overdue")]
    kept_week = {
        i["occurrence"]["key"]: i["status"] for i in week if i["target"]["asset_id"] == str(kept)
    }
    assert kept_week == {
        "2026-11-16": "overdue",
        "2026-11-17": "overdue",
        "2026-11-18": "done",
        "2026-11-19": "overdue",
        "2026-11-20": "due",
        "2026-11-21": "upcoming",
        "2026-11-22": "upcoming",
    }

    overdue = await due(api, admin, school.site_id, scope="overdue")
    assert {i["status"] for i in overdue} == {"overdue"}
    # 9 to 19 November on two extinguishers but the one done, and two Mondays of the room.
    assert len(overdue) == 11 * 2 - 1 + 2
    assert overdue[0]["occurrence"]["key"] == "2026-11-09"
    answer = await api.get(
        "/api/due",
        params={"site_id": str(school.site_id), "scope": "overdue"},
        headers=admin.headers,
    )
    assert (answer.json()["first_day"], answer.json()["last_day"]) == ("2026-09-21", "2026-11-20")


async def test_mine_is_what_i_keep_and_for_an_inspector_also_what_no_one_keeps(api, monkeypatch):
    school, admin, inspector, keeper, kept, unkept, room, *_ = await a_school_with_work(
        api, monkeypatch
    )

    async def mine(person, scope):
        items = await due(api, person, school.site_id, scope=scope, mine="true")
        return {i["target"]["asset_id"] or i["target"]["location_id"] for i in items}

    assert await mine(keeper, "today") == {str(kept)}
    assert await mine(inspector, "today") == {str(unkept)}
    assert await mine(inspector, "week") == {str(unkept), str(room)}
    assert await mine(admin, "week") == set()
    assert await mine(keeper, "overdue") == {str(kept)}


async def test_a_scanned_tag_shows_what_is_due_on_its_thing(api, monkeypatch):
    _school, admin, inspector, _, kept, _, room, *_ = await a_school_with_work(api, monkeypatch)
    code = await make_tag(admin, asset=kept)
    scan = (await api.get(f"/api/tags/{code}", headers=inspector.headers)).json()
    assert {i["target"]["asset_id"] for i in scan["due"]} == {str(kept)}
    # Overdue from the week before, and this week's whatever their status.
    assert [(i["occurrence"]["key"], i["status"]) for i in scan["due"]] == [
        (f"2026-11-{day:02}", "overdue") for day in range(9, 18)
    ] + [
        ("2026-11-18", "done"),
        ("2026-11-19", "overdue"),
        ("2026-11-20", "due"),
        ("2026-11-21", "upcoming"),
        ("2026-11-22", "upcoming"),
    ]
    room_code = await make_tag(admin, location=room)
    room_scan = (await api.get(f"/api/tags/{room_code}", headers=inspector.headers)).json()
    assert [(i["occurrence"]["key"], i["template_key"]) for i in room_scan["due"]] == [
        ("2026-11-09", "building_structure_monthly"),
        ("2026-11-16", "building_structure_monthly"),
    ]


async def test_the_month_plan_lists_each_days_work_with_how_many_things_it_covers(api, monkeypatch):
    school, admin, inspector, _, _, _, _, daily, _weekly = await a_school_with_work(
        api, monkeypatch
    )
    late = await make_asset(admin, school, asset_number="MHQ-003")
    await born(datetime(2026, 11, 24, 4, 0, tzinfo=UTC), assets=(late,))
    answer = await api.get(
        f"/api/sites/{school.site_id}/plan", params={"month": "2026-11"}, headers=inspector.headers
    )
    assert answer.status_code == 200, answer.text
    plan = answer.json()
    assert plan["month"] == "2026-11" and len(plan["days"]) == 30
    days = {d["date"]: d["work"] for d in plan["days"]}
    assert days["2026-11-08"] == []
    assert sorted((w["template_key"], w["targets"]) for w in days["2026-11-09"]) == [
        ("building_structure_monthly", 1),
        ("fire_extinguisher_monthly", 2),
    ]
    assert [w["targets"] for w in days["2026-11-24"]] == [3]
    assert [w["targets"] for w in days["2026-11-23"] if w["schedule_id"] == daily["id"]] == [2]
    work = days["2026-11-16"][0]
    assert set(work) == {
        "schedule_id",
        "template_key",
        "title_zh",
        "title_en",
        "targets",
        "occurrence",
    }
    bad = await api.get(
        f"/api/sites/{school.site_id}/plan", params={"month": "2026-13"}, headers=admin.headers
    )
    assert (bad.status_code, bad.json()["field"]) == (400, "month")


async def test_a_thing_added_later_is_due_from_the_day_it_was_created(api, monkeypatch):
    school, admin, *_ = await a_school_with_work(api, monkeypatch)
    late = await make_asset(admin, school, asset_number="MHQ-003", name="新灭火器")
    await born(datetime(2026, 11, 17, 4, 0, tzinfo=UTC), assets=(late,))
    items = await due(api, admin, school.site_id, **period("2026-11-09", "2026-11-22"))
    assert [i["occurrence"]["key"] for i in items if i["target"]["name"] == "新灭火器"] == [
        f"2026-11-{day}" for day in range(17, 23)
    ]


# History


async def test_a_past_period_is_what_was_due_then_and_a_later_edit_leaves_it_alone(
    api, monkeypatch
):
    school, admin, inspector, asset = await extinguisher_school()
    await born(datetime(2026, 8, 1, tzinfo=UTC), assets=(asset,))
    set_now(monkeypatch, datetime(2026, 9, 1, 1, 0, tzinfo=UTC))
    schedule = await make_schedule(api, admin, school.site_id, DAILY)
    base = f"/api/sites/{school.site_id}/schedules/{schedule['id']}"
    set_now(monkeypatch, datetime(2026, 9, 15, 1, 0, tzinfo=UTC))
    weekly = await api.post(f"{base}/versions", json={"rule": MONDAYS}, headers=admin.headers)
    assert weekly.status_code == 200, weekly.text

    # The clock moves for every domain: the inspections are sent once they have been done.
    set_now(monkeypatch, FRIDAY)
    for day in (2, 3, 21):
        await inspected(api, inspector, asset, datetime(2026, 9, day, 3, 0, tzinfo=UTC))
    september = await due(api, admin, school.site_id, **period("2026-09-01", "2026-09-30"))
    assert keys(september) == [f"2026-09-{day:02}" for day in range(1, 15)] + [
        "2026-09-21",
        "2026-09-28",
    ]
    assert {k: s for k, s in statuses(september).items() if s != "overdue"} == {
        "2026-09-02": "done",
        "2026-09-03": "done",
        "2026-09-21": "done",
    }

    backdated = await api.post(
        f"{base}/versions",
        json={"rule": DAILY, "effective_from": "2026-09-10"},
        headers=admin.headers,
    )
    assert (backdated.status_code, backdated.json()["code"]) == (422, "schedule.effective_in_past")
    edited = await api.post(
        f"{base}/versions",
        json={"rule": {"every": "monthly", "day": 1}, "skip_holidays": True},
        headers=admin.headers,
    )
    assert edited.status_code == 200, edited.text
    await put_calendar(
        api,
        admin,
        school.site_id,
        {"holidays": [{"name": "元旦", "first_day": "2027-01-01", "last_day": "2027-01-01"}]},
    )
    assert await due(api, admin, school.site_id, **period("2026-09-01", "2026-09-30")) == september
    assert (await api.delete(base, headers=admin.headers)).status_code == 200
    assert await due(api, admin, school.site_id, **period("2026-09-01", "2026-09-30")) == september


async def test_a_period_is_bounded_and_needs_both_ends(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    school, admin, _, _ = await extinguisher_school()
    for params, field in (
        ({"from": "2026-09-01", "to": "2026-12-31"}, "to"),
        ({"from": "2026-09-30", "to": "2026-09-01"}, "to"),
        ({"from": "2026-09-01"}, "from"),
    ):
        answer = await api.get(
            "/api/due", params={"site_id": str(school.site_id), **params}, headers=admin.headers
        )
        assert (answer.status_code, answer.json()["field"]) == (400, field), params


# For notifications


async def test_overdue_occurrences_have_stable_keys_and_leave_when_done_or_excused(
    api, monkeypatch
):
    school, _, inspector, _, kept, unkept, room, daily, weekly = await a_school_with_work(
        api, monkeypatch
    )
    since = datetime(2026, 11, 16, tzinfo=UTC)
    found = await overdue_occurrences(school.site_id, since, FRIDAY)
    expected = [
        f"{weekly['id']}:2026-11-16:{room}",
        f"{daily['id']}:2026-11-16:{unkept}",
        f"{daily['id']}:2026-11-16:{kept}",
        f"{daily['id']}:2026-11-17:{unkept}",
        f"{daily['id']}:2026-11-17:{kept}",
        f"{daily['id']}:2026-11-18:{unkept}",
        f"{daily['id']}:2026-11-19:{unkept}",
        f"{daily['id']}:2026-11-19:{kept}",
    ]
    assert [o.key for o in found] == expected
    assert {(o.site_id, o.status) for o in found} == {(school.site_id, "overdue")}
    assert found[1].target.name == "二氧化碳灭火器" and found[1].title_zh
    assert [o.key for o in await overdue_occurrences(school.site_id, since, FRIDAY)] == expected

    excused = await api.post(
        "/api/occurrences/excusals",
        json={
            "id": str(uuid7()),
            "schedule_id": weekly["id"],
            "occurrence_key": "2026-11-16",
            "location_id": str(room),
            "reason": "教室装修",
        },
        headers=inspector.headers,
    )
    assert excused.status_code == 201, excused.text
    await inspected(api, inspector, unkept, datetime(2026, 11, 19, 3, 0, tzinfo=UTC))
    left = [o.key for o in await overdue_occurrences(school.site_id, since, FRIDAY)]
    assert left == [key for key in expected if key not in (expected[0], expected[6])]


# What devices pull


async def test_a_device_pulls_the_calendar_schedules_and_excusals_then_their_changes(
    api, monkeypatch
):
    set_now(monkeypatch, FRIDAY)
    school, admin, inspector, asset = await extinguisher_school()
    await born(FRIDAY - timedelta(days=10), assets=(asset,))
    await put_calendar(api, admin, school.site_id, {"school_weekdays": [1, 2, 3, 4, 5, 6]})
    schedule = await make_schedule(api, admin, school.site_id, MORNING)
    excusal = {
        "id": str(uuid7()),
        "schedule_id": schedule["id"],
        "occurrence_key": "2026-11-20T08:00",
        "asset_id": str(asset),
        "reason": "停电",
    }
    await api.post("/api/occurrences/excusals", json=excusal, headers=inspector.headers)

    seen, cursors, _ = await pull_all(api, inspector)
    held = entities(seen[str(school.site_id)])
    assert held[("calendar", str(school.site_id))]["data"]["calendar"]["school_weekdays"] == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]
    assert held[("schedule", schedule["id"])]["data"]["versions"][0]["rule"]["windows"] == [
        {"start": "08:00", "end": "09:00"}
    ]
    assert held[("excusal", excusal["id"])]["data"]["reason"] == "停电"

    await api.post(
        f"/api/sites/{school.site_id}/schedules/{schedule['id']}/versions",
        json={"rule": DAILY, "effective_from": "2026-12-01"},
        headers=admin.headers,
    )
    await put_calendar(api, admin, school.site_id, {})
    later = {**excusal, "id": str(uuid7()), "occurrence_key": "2026-11-21T08:00"}
    await api.post("/api/occurrences/excusals", json=later, headers=inspector.headers)
    changes, _, _ = await pull_all(api, inspector, cursors)
    assert [(c["entity"], c["id"], c["version"]) for c in changes[str(school.site_id)]] == [
        ("schedule", schedule["id"], 2),
        ("calendar", str(school.site_id), 2),
        ("excusal", later["id"], 1),
    ]
