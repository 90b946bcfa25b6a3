"""The site's tags as the console lists them, what still has no tag, a tag's history with
names, and what a label sheet would hold before it is made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from qr.codes import format_code
from tests.factories import make_asset, make_location, make_person, make_school, make_tag


async def test_the_list_says_what_each_tag_is_on_and_where_newest_first(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    building = await make_location(admin, school, "教学楼A")
    floor = await make_location(admin, school, "3F", parent=building, kind="floor")
    asset = await make_asset(admin, school, name="干粉灭火器", location=floor, asset_number="MH-07")
    first = await make_tag(admin, location=floor)
    second = await make_tag(admin, asset=asset)
    listed = await api.get(f"/api/sites/{school.site_id}/tags", headers=admin.headers)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [i["code"] for i in items] == [second, first]
    assert items[0]["target_name"] == "干粉灭火器"
    assert items[0]["target_number"] == "MH-07"
    assert items[0]["place"] == ["教学楼A", "3F"]
    assert items[0]["printed_code"] == format_code(second)
    assert items[1]["target_name"] == "3F" and items[1]["place"] == ["教学楼A"]


async def test_the_list_is_searched_filtered_and_paged_on_the_server(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    room = await make_location(admin, school, "医务室", kind="room")
    codes = [
        await make_tag(admin, asset=await make_asset(admin, school, name=f"应急灯{n}"))
        for n in range(3)
    ]
    place = await make_tag(admin, location=room)
    retired = codes[0]
    await api.post(f"/api/tags/{retired}/retire", json={}, headers=admin.headers)
    path = f"/api/sites/{school.site_id}/tags"

    async def codes_of(**params) -> list[str]:
        answer = await api.get(path, params=params, headers=admin.headers)
        assert answer.status_code == 200, answer.text
        return [i["code"] for i in answer.json()["items"]]

    assert await codes_of(q="医务") == [place]
    assert await codes_of(q=format_code(codes[1]).lower()) == [codes[1]]
    assert await codes_of(q=codes[2][:4]) == [codes[2]]
    assert await codes_of(status="retired") == [retired]
    assert set(await codes_of(status="all")) == {*codes, place}
    assert await codes_of(targets="locations") == [place]
    assert await codes_of(q="应急灯") == [codes[2], codes[1]]
    first = (await api.get(path, params={"limit": 2}, headers=admin.headers)).json()
    assert [i["code"] for i in first["items"]] == [place, codes[2]]
    rest = await codes_of(limit=2, after=first["next_after"])
    assert rest == [codes[1]]
    bad = await api.get(path, params={"status": "lost"}, headers=admin.headers)
    assert bad.status_code == 400 and bad.json()["code"] == "request.invalid"


async def test_untagged_counts_what_a_bulk_issue_would_tag(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    building = await make_location(admin, school)
    tagged = await make_asset(admin, school, location=building)
    await make_asset(admin, school, location=building)
    await make_tag(admin, asset=tagged)
    path = f"/api/sites/{school.site_id}/tags/untagged"
    auditor = await make_person(school, "auditor", expires_at=datetime.now(UTC) + timedelta(days=3))
    before = await api.get(path, headers=auditor.headers)
    assert before.json() == {"untagged_assets": 1, "untagged_locations": 1}
    issued = await api.post(
        "/api/tags/bulk", json={"site_id": str(school.site_id)}, headers=admin.headers
    )
    assert issued.json() == {"issued": 2}
    after = await api.get(path, headers=admin.headers)
    assert after.json() == {"untagged_assets": 0, "untagged_locations": 0}


async def test_a_history_names_who_did_it_and_what_the_tag_was_on(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    first = await make_asset(admin, school, name="旧灭火器")
    second = await make_asset(admin, school, name="新灭火器")
    code = await make_tag(admin, asset=first)
    await api.post(
        f"/api/tags/{code}/rebind", json={"asset_id": str(second)}, headers=admin.headers
    )
    history = (await api.get(f"/api/tags/{code}/history", headers=admin.headers)).json()
    assert [(e["kind"], e["target_name"], e["previous_target_name"]) for e in history] == [
        ("issued", "旧灭火器", None),
        ("rebound", "新灭火器", "旧灭火器"),
    ]
    assert {e["by_name"] for e in history} == {"测试admin"}


async def test_a_sheet_plan_counts_labels_and_pages_before_printing(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    building = await make_location(admin, school, "教学楼A")
    other = await make_location(admin, school, "食堂")
    for n in range(25):
        await make_tag(
            admin, asset=await make_asset(admin, school, name=f"灯{n:02}", location=building)
        )
    await make_tag(admin, location=other)
    path = f"/api/sites/{school.site_id}/labels"
    whole = (await api.get(path, headers=admin.headers)).json()
    assert (whole["labels"], whole["pages"]) == (26, 2)  # 24 on a page
    assert whole["max_labels"] == 5000
    dense = (await api.get(path, params={"preset": "a4-4x10"}, headers=admin.headers)).json()
    assert dense["pages"] == 1
    inside = await api.get(
        path, params={"location_id": str(other), "targets": "locations"}, headers=admin.headers
    )
    assert inside.json()["labels"] == 1
    sample = inside.json()["sample_code"]
    svg = await api.get(f"/api/tags/{sample}/label.svg", headers=admin.headers)
    assert "食堂" in svg.text
    nothing = await api.get(path, params={"category": "kitchen_gas"}, headers=admin.headers)
    assert nothing.json() == {"labels": 0, "pages": 0, "max_labels": 5000, "sample_code": None}
    bad = await api.get(path, params={"preset": "a3-1x1"}, headers=admin.headers)
    assert bad.status_code == 400 and bad.json()["field"] == "preset"
    presets = (await api.get(f"{path}/presets", headers=admin.headers)).json()
    assert {"name": "a4-3x8", "kind": "sheet", "columns": 3, "rows": 8}.items() <= presets[
        0
    ].items()
    assert {p["name"] for p in presets} >= {"a4-4x10", "thermal-50x30"}
