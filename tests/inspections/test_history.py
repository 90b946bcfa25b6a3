from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.factories import make_asset, make_location, make_tag
from tests.inspections.helpers import (
    extinguisher_answers,
    extinguisher_school,
    submission,
    submit,
)


def hours_ago(n: float) -> datetime:
    return datetime.now(UTC) - timedelta(hours=n)


async def listing(api, person, path="/api/inspections", **params):
    response = await api.get(path, params=params, headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_lists_filter_by_place_asset_template_result_and_dates(api):
    school, admin, inspector, _ = await extinguisher_school()
    building_a = await make_location(admin, school, "教学楼A")
    floor = await make_location(admin, school, "二层", parent=building_a, kind="floor")
    building_b = await make_location(admin, school, "教学楼B")
    in_a = await make_asset(admin, school, location=floor, asset_number="A-1")
    in_b = await make_asset(admin, school, location=building_b, asset_number="B-1")
    ok_a = submission(asset=in_a, completed_at=hours_ago(30))
    bad_a = submission(
        asset=in_a, answers=extinguisher_answers(hose="fail"), completed_at=hours_ago(5)
    )
    ok_b = submission(asset=in_b, completed_at=hours_ago(3))
    for body in (ok_a, bad_a, ok_b):
        assert (await submit(api, inspector, body)).status_code == 201

    def ids(page):
        return [item["id"] for item in page["items"]]

    everything = await listing(api, inspector, site_id=str(school.site_id))
    assert ids(everything) == [ok_b["id"], bad_a["id"], ok_a["id"]]
    assert ids(await listing(api, inspector, location_id=str(building_a))) == [
        bad_a["id"],
        ok_a["id"],
    ]
    assert ids(await listing(api, inspector, asset_id=str(in_b))) == [ok_b["id"]]
    assert ids(await listing(api, inspector, result="fail")) == [bad_a["id"]]
    assert everything["items"][1]["failed_items"] == ["hose"]
    day = await listing(
        api,
        inspector,
        completed_from=hours_ago(10).isoformat(),
        completed_to=hours_ago(4).isoformat(),
    )
    assert ids(day) == [bad_a["id"]]
    assert ids(await listing(api, inspector, template_key="kitchen_hygiene_daily")) == []
    history = await listing(api, inspector, path=f"/api/assets/{in_a}/inspections")
    assert ids(history) == [bad_a["id"], ok_a["id"]]


async def test_pages_follow_one_another_without_gaps_or_repeats(api):
    _, _, inspector, asset = await extinguisher_school()
    made = []
    for n in range(7):
        body = submission(asset=asset, completed_at=hours_ago(n))
        await submit(api, inspector, body)
        made.append(body["id"])
    seen, after = [], None
    while True:
        params = {"limit": "3"} | ({"after": after} if after else {})
        page = await listing(api, inspector, **params)
        seen += [item["id"] for item in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert seen == made


async def test_a_scanned_tag_shows_the_last_inspection_of_each_checklist_and_open_findings(api):
    _, admin, inspector, asset = await extinguisher_school()
    code = await make_tag(admin, asset=asset)
    scan = (await api.get(f"/api/tags/{code}", headers=inspector.headers)).json()
    offered = {t["key"]: t for t in scan["templates"]}
    assert offered["fire_extinguisher_monthly"]["last_inspection"] is None
    assert scan["open_findings"] == []
    older = submission(asset=asset, completed_at=hours_ago(48))
    newer = submission(
        asset=asset, answers=extinguisher_answers(hose="fail"), completed_at=hours_ago(2)
    )
    # The newer one arrives first: "last" is by completion time, not arrival.
    await submit(api, inspector, newer)
    await submit(api, inspector, older)
    scan = (await api.get(f"/api/tags/{code}", headers=inspector.headers)).json()
    last = {t["key"]: t for t in scan["templates"]}["fire_extinguisher_monthly"]["last_inspection"]
    assert last["id"] == newer["id"]
    assert last["result"] == "fail"
    assert last["inspector"]["name"] == "测试inspector"
    assert [f["item_key"] for f in scan["open_findings"]] == ["hose"]


async def test_a_site_overrides_where_a_checklist_applies(api):
    school, admin, inspector, _ = await extinguisher_school()
    room = await make_location(admin, school, "阅览室", kind="room")
    code = await make_tag(admin, location=room)
    path = f"/api/sites/{school.site_id}/checklists"

    async def offered_keys() -> set[str]:
        scan = (await api.get(f"/api/tags/{code}", headers=inspector.headers)).json()
        return {t["key"] for t in scan["templates"]}

    assert "fire_extinguisher_monthly" not in await offered_keys()
    assert "classroom_electrical_monthly" in await offered_keys()
    attach = await api.put(
        f"{path}/fire_extinguisher_monthly",
        json={"asset_categories": ["fire_extinguisher"], "location_kinds": ["room"]},
        headers=admin.headers,
    )
    assert attach.status_code == 200, attach.text
    assert attach.json()["overridden"] is True
    off = await api.put(
        f"{path}/classroom_electrical_monthly", json={"enabled": False}, headers=admin.headers
    )
    assert off.json()["enabled"] is False
    keys = await offered_keys()
    assert "fire_extinguisher_monthly" in keys
    assert "classroom_electrical_monthly" not in keys
    restored = await api.delete(f"{path}/classroom_electrical_monthly", headers=admin.headers)
    assert restored.json()["overridden"] is False
    assert "classroom_electrical_monthly" in await offered_keys()
    listing_ = (await api.get(path, headers=inspector.headers)).json()
    assert {e["template_key"] for e in listing_ if e["overridden"]} == {"fire_extinguisher_monthly"}
    refused = await api.put(
        f"{path}/fire_extinguisher_monthly", json={"enabled": False}, headers=inspector.headers
    )
    assert refused.status_code == 403
    bad_kind = await api.put(
        f"{path}/fire_extinguisher_monthly",
        json={"location_kinds": ["spaceship"]},
        headers=admin.headers,
    )
    assert (bad_kind.status_code, bad_kind.json()["field"]) == (400, "location_kinds")
    unknown = await api.put(f"{path}/no_such_template", json={}, headers=admin.headers)
    assert unknown.status_code == 404
