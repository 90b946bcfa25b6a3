from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.factories import make_asset, make_location, make_person, make_school


async def test_read_only_roles_can_read_but_not_change_the_registry(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    building = await make_location(admin, school)
    for role in ("auditor", "inspector", "guard", "gatekeeper", "maintainer"):
        person = await make_person(school, role, expires_at=datetime.now(UTC) + timedelta(days=7))
        listed = await api.get(
            "/api/locations", params={"site_id": str(school.site_id)}, headers=person.headers
        )
        assert [i["id"] for i in listed.json()["items"]] == [str(building)], role
        created = await api.post(
            "/api/locations",
            json={"site_id": str(school.site_id), "kind": "room", "name": "x"},
            headers=person.headers,
        )
        assert created.status_code == 403, role
        assert created.json()["code"] == "auth.forbidden"
        changed = await api.patch(
            f"/api/locations/{building}", json={"name": "改名"}, headers=person.headers
        )
        assert changed.status_code == 403, role
    unchanged = await api.get(f"/api/locations/{building}", headers=admin.headers)
    assert unchanged.json()["name"] == "教学楼A"


async def test_managers_can_change_the_registry(api):
    school = await make_school()
    manager = await make_person(school, "manager")
    created = await api.post(
        "/api/assets",
        json={"site_id": str(school.site_id), "category": "water_dispenser", "name": "直饮水机"},
        headers=manager.headers,
    )
    assert created.status_code == 201, created.text


async def test_an_expired_auditor_sees_nothing(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    asset = await make_asset(admin, school)
    auditor = await make_person(
        school, "auditor", expires_at=datetime.now(UTC) - timedelta(minutes=1)
    )
    assert (await api.get(f"/api/assets/{asset}", headers=auditor.headers)).status_code == 404
    assert (await api.get("/api/sites", headers=auditor.headers)).json() == []


async def test_only_admins_add_members_and_auditors_need_an_end_date(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    manager = await make_person(school, "manager")
    body = {
        "username": "newguard",
        "display_name": "新保安",
        "password": "long enough",
        "role": "guard",
    }
    url = f"/api/sites/{school.site_id}/members"
    assert (await api.post(url, json=body, headers=manager.headers)).status_code == 403
    created = await api.post(url, json=body, headers=admin.headers)
    assert created.status_code == 201, created.text
    again = await api.post(url, json=body, headers=admin.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "user.username_taken"
    auditor = {**body, "username": "inspector-from-bureau", "role": "auditor"}
    refused = await api.post(url, json=auditor, headers=admin.headers)
    assert refused.status_code == 400
    assert refused.json()["field"] == "expires_at"
    members = (await api.get(url, headers=manager.headers)).json()
    assert {m["username"] for m in members} == {admin.username, manager.username, "newguard"}
