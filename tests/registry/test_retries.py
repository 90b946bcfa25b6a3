"""A write that arrives twice (a phone retrying after a lost response) is applied once."""

from __future__ import annotations

from qr.codes import format_code, new_code
from server.clock import new_id
from tests.factories import make_location, make_person, make_school
from tests.registry.test_imports import assets_of, import_file


async def test_a_retried_location_create_makes_one_location(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    body = {"id": str(new_id()), "site_id": str(school.site_id), "kind": "room", "name": "医务室"}
    first = await api.post("/api/locations", json=body, headers=admin.headers)
    again = await api.post("/api/locations", json=body, headers=admin.headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    listed = await api.get(
        "/api/locations", params={"site_id": str(school.site_id)}, headers=admin.headers
    )
    assert len(listed.json()["items"]) == 1
    other = await api.post("/api/locations", json={**body, "name": "图书馆"}, headers=admin.headers)
    assert other.status_code == 409 and other.json()["field"] == "id"
    assert (await api.get(f"/api/locations/{body['id']}", headers=admin.headers)).json()[
        "name"
    ] == "医务室"


async def test_a_retried_asset_create_makes_one_asset(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    body = {
        "id": str(new_id()),
        "site_id": str(school.site_id),
        "category": "fire_extinguisher",
        "name": "灭火器",
        "attributes": {"expiry_date": "2030-01-01"},
    }
    first = await api.post("/api/assets", json=body, headers=admin.headers)
    again = await api.post("/api/assets", json=body, headers=admin.headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert len(await assets_of(api, admin, school)) == 1
    changed = await api.post("/api/assets", json={**body, "name": "别的"}, headers=admin.headers)
    assert changed.status_code == 409
    assert [a["name"] for a in await assets_of(api, admin, school)] == ["灭火器"]


async def test_the_same_file_imported_twice_goes_in_once(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    csv = "名称,类别\n饮水机,water_dispenser\n饮水机,water_dispenser\n".encode()
    first = await import_file(api, admin, school, csv, "csv")
    assert first.json() == {"rows": 2, "created": 2, "dry_run": False}
    again = await import_file(api, admin, school, csv, "csv")
    assert again.status_code == 200
    assert again.json()["created"] == 0 and again.json()["already_imported_at"]
    assert len(await assets_of(api, admin, school)) == 2


async def test_registering_a_printed_code_twice_for_the_same_thing_is_one_tag(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    room = await make_location(admin, school, kind="room")
    body = {"location_id": str(room), "code": format_code(new_code())}
    first = await api.post("/api/tags", json=body, headers=admin.headers)
    again = await api.post("/api/tags", json=body, headers=admin.headers)
    assert first.json()["id"] == again.json()["id"]
    listed = await api.get("/api/tags", params={"location_id": str(room)}, headers=admin.headers)
    assert len(listed.json()["items"]) == 1
