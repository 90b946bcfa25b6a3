"""Schedules: made and changed by managers, versions from today or later, targets by
category, location subtree or name, recorded for devices; strangers see nothing."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import make_asset, make_location, make_person, make_school
from tests.inspections.helpers import extinguisher_school
from tests.schedules.scheduling import (
    FRIDAY,
    born,
    by_category,
    make_schedule,
    put_calendar,
    set_now,
)
from tests.syncing.recorded import recorded

MONTHLY = {"every": "monthly", "day": 15}


async def test_a_manager_schedules_a_check_of_every_asset_of_a_category(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    school, admin, _, _asset = await extinguisher_school()
    await make_asset(admin, school, asset_number="MHQ-002")
    await make_asset(admin, school, category="emergency_light", name="应急灯")
    made = await make_schedule(api, admin, school.site_id, MONTHLY)
    assert made["template_key"] == "fire_extinguisher_monthly"
    assert made["title_zh"] and made["title_en"]
    assert made["targets"] == {"by": "category", "category": "fire_extinguisher"}
    assert made["target_count"] == 2
    assert made["version"] == 1
    assert made["versions"] == [
        {
            "effective_from": "2026-11-20",
            "rule": {"every": "monthly", "day": 15, "windows": []},
            "skip_holidays": False,
            "added_at": made["versions"][0]["added_at"],
            "added_by": str(admin.user_id),
        }
    ]
    listed = await api.get(f"/api/sites/{school.site_id}/schedules", headers=admin.headers)
    assert [s["id"] for s in listed.json()] == [made["id"]]
    one = await api.get(
        f"/api/sites/{school.site_id}/schedules/{made['id']}", headers=admin.headers
    )
    assert one.json() == made


async def test_a_subtree_covers_its_assets_and_its_locations_of_a_kind(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    school, admin, _, _ = await extinguisher_school()
    building = await make_location(admin, school, "教学楼A")
    floor = await make_location(admin, school, "3F", parent=building, kind="floor")
    rooms = [
        await make_location(admin, school, name, parent=floor, kind="room")
        for name in ("301", "302")
    ]
    elsewhere = await make_location(admin, school, "食堂", kind="kitchen")
    await make_asset(admin, school, location=rooms[0], asset_number="A-1")
    await make_asset(admin, school, location=floor, category="emergency_light", name="应急灯")
    await make_asset(admin, school, location=elsewhere, asset_number="K-1")

    def subtree(**choice):
        return {"by": "subtree", "location_id": str(building), **choice}

    assets = await make_schedule(api, admin, school.site_id, MONTHLY, targets=subtree())
    assert assets["target_count"] == 2
    extinguishers = await make_schedule(
        api, admin, school.site_id, MONTHLY, targets=subtree(asset_category="fire_extinguisher")
    )
    assert extinguishers["target_count"] == 1
    both = await make_schedule(
        api, admin, school.site_id, MONTHLY, targets=subtree(location_kind="room")
    )
    assert both["target_count"] == 4
    rooms_only = await make_schedule(
        api,
        admin,
        school.site_id,
        MONTHLY,
        template_key="building_structure_monthly",
        targets=subtree(assets=False, location_kind="room"),
    )
    assert rooms_only["target_count"] == 2
    nothing = await api.post(
        f"/api/sites/{school.site_id}/schedules",
        json={
            "template_key": "building_structure_monthly",
            "targets": subtree(assets=False),
            "rule": MONTHLY,
        },
        headers=admin.headers,
    )
    assert nothing.status_code == 400
    assert nothing.json()["field"] == "targets.assets"


async def test_named_targets_must_be_things_of_the_site(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    school, admin, _, asset = await extinguisher_school()
    room = await make_location(admin, school, "301", kind="room")
    named = await make_schedule(
        api,
        admin,
        school.site_id,
        MONTHLY,
        targets={"by": "named", "asset_ids": [str(asset)], "location_ids": [str(room)]},
    )
    assert named["target_count"] == 2
    other = await make_school(organization_id=school.organization_id)
    other_admin = await make_person(other, "admin")
    foreign = await make_asset(other_admin, other)
    refused = await api.post(
        f"/api/sites/{school.site_id}/schedules",
        json={
            "template_key": "fire_extinguisher_monthly",
            "targets": {"by": "named", "asset_ids": [str(asset), str(foreign)]},
            "rule": MONTHLY,
        },
        headers=admin.headers,
    )
    assert refused.status_code == 404
    assert refused.json()["field"] == "targets.asset_ids[1]"


async def test_a_schedule_needs_a_published_template_and_a_valid_rule(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    school, admin, _, _ = await extinguisher_school()
    base = f"/api/sites/{school.site_id}/schedules"
    unknown = await api.post(
        base,
        json={"template_key": "no_such_check", "targets": by_category(), "rule": MONTHLY},
        headers=admin.headers,
    )
    assert (unknown.status_code, unknown.json()["code"]) == (422, "schedule.unknown_template")
    bad_rule = await api.post(
        base,
        json={
            "template_key": "fire_extinguisher_monthly",
            "targets": by_category(),
            "rule": {"every": "weekly", "weekdays": [8]},
        },
        headers=admin.headers,
    )
    assert bad_rule.status_code == 400
    assert "rule" in bad_rule.json()["field"]


async def test_a_schedule_cannot_start_before_today_at_the_site(api, monkeypatch):
    # 23:30 on Thursday in UTC is already Friday in Shanghai.
    set_now(monkeypatch, FRIDAY - timedelta(hours=2, minutes=30))
    school, admin, _, _ = await extinguisher_school()
    refused = await api.post(
        f"/api/sites/{school.site_id}/schedules",
        json={
            "template_key": "fire_extinguisher_monthly",
            "targets": by_category(),
            "rule": MONTHLY,
            "effective_from": "2026-11-19",
        },
        headers=admin.headers,
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "schedule.effective_in_past"
    assert "2026-11-20" in refused.json()["detail"]
    made = await make_schedule(api, admin, school.site_id, MONTHLY)
    assert made["versions"][0]["effective_from"] == "2026-11-20"
    later = await make_schedule(api, admin, school.site_id, MONTHLY, effective_from="2027-01-01")
    assert later["versions"][0]["effective_from"] == "2027-01-01"


async def test_n_times_a_term_needs_the_sites_calendar_with_terms(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    school, admin, _, _ = await extinguisher_school()
    body = {
        "template_key": "fire_extinguisher_monthly",
        "targets": by_category(),
        "rule": {"every": "per_term", "times": 2},
    }
    base = f"/api/sites/{school.site_id}/schedules"
    refused = await api.post(base, json=body, headers=admin.headers)
    assert (refused.status_code, refused.json()["code"]) == (422, "schedule.calendar_required")
    term = {
        "key": "2026-autumn",
        "name": "秋季学期",
        "first_day": "2026-09-01",
        "last_day": "2027-01-22",
    }
    assert (await put_calendar(api, admin, school.site_id, {"terms": [term]})).status_code == 200
    assert (await api.post(base, json=body, headers=admin.headers)).status_code == 201


async def test_a_new_version_takes_effect_from_its_date_and_ending_is_a_version_without_rule(
    api, monkeypatch
):
    set_now(monkeypatch, FRIDAY)
    school, admin, _, asset = await extinguisher_school()
    await born(FRIDAY - timedelta(days=30), assets=(asset,))
    made = await make_schedule(api, admin, school.site_id, MONTHLY)
    base = f"/api/sites/{school.site_id}/schedules/{made['id']}"
    past = await api.post(
        f"{base}/versions",
        json={"rule": {"every": "monthly", "day": 1}, "effective_from": "2026-11-01"},
        headers=admin.headers,
    )
    assert (past.status_code, past.json()["code"]) == (422, "schedule.effective_in_past")
    changed = await api.post(
        f"{base}/versions",
        json={"rule": {"every": "monthly", "day": 1}, "effective_from": "2027-01-01"},
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.text
    # A version not yet in force is replaced by another of the same date.
    replaced = await api.post(
        f"{base}/versions",
        json={"rule": {"every": "monthly", "day": 2}, "effective_from": "2027-01-01"},
        headers=admin.headers,
    )
    assert [(v["effective_from"], v["rule"]["day"]) for v in replaced.json()["versions"]] == [
        ("2026-11-20", 15),
        ("2027-01-01", 2),
    ]
    patched = await api.patch(
        base,
        json={"rule": {"every": "monthly", "day": 2}, "effective_from": "2027-01-01"},
        headers=admin.headers,
    )
    assert patched.json() == replaced.json()
    ended = await api.delete(base, params={"effective_from": "2027-03-01"}, headers=admin.headers)
    assert ended.status_code == 200, ended.text
    assert [v["rule"] for v in ended.json()["versions"]][-1] is None
    assert ended.json()["version"] == 4
    period = await api.get(
        "/api/due",
        params={"site_id": str(school.site_id), "from": "2026-12-01", "to": "2027-02-28"},
        headers=admin.headers,
    )
    assert [i["occurrence"]["key"] for i in period.json()["items"]] == [
        "2026-12-15",
        "2027-01-02",
        "2027-02-02",
    ]
    after_end = await api.get(
        "/api/due",
        params={"site_id": str(school.site_id), "from": "2027-03-01", "to": "2027-05-31"},
        headers=admin.headers,
    )
    assert after_end.json()["items"] == []


async def test_every_schedule_change_is_recorded_for_devices_with_its_versions(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    school, admin, _, _ = await extinguisher_school()
    made = await make_schedule(api, admin, school.site_id, MONTHLY, skip_holidays=True)
    first = (await recorded("schedule", scope=school.site_id))[-1]
    assert (first.id, first.op, first.version) == (made["id"], "put", 1)
    assert first.data == {
        "id": made["id"],
        "site_id": str(school.site_id),
        "template_key": "fire_extinguisher_monthly",
        "targets": {"by": "category", "category": "fire_extinguisher"},
        "versions": [
            {
                "effective_from": "2026-11-20",
                "rule": {"every": "monthly", "day": 15, "windows": []},
                "skip_holidays": True,
            }
        ],
    }
    await api.delete(f"/api/sites/{school.site_id}/schedules/{made['id']}", headers=admin.headers)
    ended = (await recorded("schedule", scope=school.site_id))[-1]
    assert (ended.op, ended.version) == ("put", 2)
    assert ended.data["versions"][-1] == {
        "effective_from": "2026-11-20",
        "rule": None,
        "skip_holidays": False,
    }
    # Ending from today replaced today's version: nothing is due at all now.
    assert len(ended.data["versions"]) == 1


async def test_only_managers_change_schedules_and_strangers_see_none(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    school, admin, inspector, _ = await extinguisher_school()
    made = await make_schedule(api, admin, school.site_id, MONTHLY)
    base = f"/api/sites/{school.site_id}/schedules"
    body = {"template_key": "fire_extinguisher_monthly", "targets": by_category(), "rule": MONTHLY}
    assert (await api.post(base, json=body, headers=inspector.headers)).status_code == 403
    assert (
        await api.post(
            f"{base}/{made['id']}/versions", json={"rule": None}, headers=inspector.headers
        )
    ).status_code == 403
    assert (await api.delete(f"{base}/{made['id']}", headers=inspector.headers)).status_code == 403
    assert (await api.get(base, headers=inspector.headers)).status_code == 200

    stranger = await make_person(await make_school(), "admin")
    for response in (
        await api.get(base, headers=stranger.headers),
        await api.get(f"{base}/{made['id']}", headers=stranger.headers),
        await api.post(base, json=body, headers=stranger.headers),
        await api.post(
            f"{base}/{made['id']}/versions", json={"rule": None}, headers=stranger.headers
        ),
        await api.delete(f"{base}/{made['id']}", headers=stranger.headers),
        await api.get(f"/api/sites/{school.site_id}/plan?month=2026-11", headers=stranger.headers),
        await api.get(f"/api/due?site_id={school.site_id}", headers=stranger.headers),
    ):
        assert response.status_code == 404, response.text
    # A schedule is not reachable under another site's path, even one's own site.
    mine = await make_school()
    mine_admin = await make_person(mine, "admin")
    assert (
        await api.get(
            f"/api/sites/{mine.site_id}/schedules/{made['id']}", headers=mine_admin.headers
        )
    ).status_code == 404
