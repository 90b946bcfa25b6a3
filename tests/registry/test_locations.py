from __future__ import annotations

from tests.factories import make_asset, make_location, make_person, make_school


async def test_the_tree_gives_each_location_its_path(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    building = await make_location(admin, school, "教学楼A")
    floor = await make_location(admin, school, "3F", parent=building, kind="floor")
    room = await make_location(admin, school, "301教室", parent=floor, kind="room", code="A301")
    body = (await api.get(f"/api/locations/{room}", headers=admin.headers)).json()
    assert body["path"] == ["教学楼A", "3F", "301教室"]
    assert body["parent_id"] == str(floor)
    children = await api.get(
        "/api/locations", params={"parent_id": str(floor)}, headers=admin.headers
    )
    assert [c["code"] for c in children.json()["items"]] == ["A301"]


async def test_a_location_cannot_move_under_itself(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    building = await make_location(admin, school)
    floor = await make_location(admin, school, "1F", parent=building, kind="floor")
    response = await api.patch(
        f"/api/locations/{building}", json={"parent_id": str(floor)}, headers=admin.headers
    )
    assert response.status_code == 409
    assert response.json()["code"] == "location.cycle"
    assert (await api.get(f"/api/locations/{building}", headers=admin.headers)).json()[
        "parent_id"
    ] is None


async def test_a_stale_version_is_refused_and_nothing_changes(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    building = await make_location(admin, school)
    first = await api.patch(
        f"/api/locations/{building}", json={"name": "教学楼甲", "version": 1}, headers=admin.headers
    )
    assert first.json()["version"] == 2
    stale = await api.patch(
        f"/api/locations/{building}", json={"name": "教学楼乙", "version": 1}, headers=admin.headers
    )
    assert stale.status_code == 409
    assert stale.json()["field"] == "version"
    assert (await api.get(f"/api/locations/{building}", headers=admin.headers)).json()[
        "name"
    ] == "教学楼甲"


async def test_a_location_with_assets_in_it_cannot_be_retired(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    room = await make_location(admin, school, "医务室", kind="room")
    await make_asset(admin, school, location=room)
    response = await api.patch(
        f"/api/locations/{room}", json={"status": "retired"}, headers=admin.headers
    )
    assert response.status_code == 409
    assert response.json()["code"] == "location.in_use"


async def test_unknown_kind_is_refused_with_the_field(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    response = await api.post(
        "/api/locations",
        json={"site_id": str(school.site_id), "kind": "castle", "name": "x"},
        headers=admin.headers,
    )
    assert response.status_code == 400
    assert response.json()["field"] == "kind"


async def test_pages_walk_every_location_once(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    made = {str(await make_location(admin, school, f"楼{i}")) for i in range(7)}
    seen: list[str] = []
    after = None
    while True:
        params = {"site_id": str(school.site_id), "limit": 3}
        if after:
            params["after"] = after
        page = (await api.get("/api/locations", params=params, headers=admin.headers)).json()
        seen += [item["id"] for item in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert len(seen) == 7 and set(seen) == made
