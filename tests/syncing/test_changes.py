"""Every change to what devices pull is recorded in the change log, inside the write's
transaction: one position per request, nothing for a refused write (R25)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from server.accounts import users
from server.registry.wire import AssetRecord, LocationRecord
from server.templates.templates import install_library
from tests.factories import make_asset, make_location, make_person, make_school, make_tag
from tests.inspections.helpers import extinguisher_answers, extinguisher_school, submission, submit
from tests.syncing.recorded import position, recorded
from tests.templates.test_templates import SIMPLE, publish

LOCATION_FIELDS = LocationRecord.__struct_fields__
ASSET_FIELDS = AssetRecord.__struct_fields__


def only(changes):
    assert len(changes) == 1, changes
    return changes[0]


async def test_a_new_site_is_recorded_in_its_own_scope_and_each_change_grows_its_version(api):
    school = await make_school(name="实验小学", timezone="Asia/Shanghai")
    admin = await make_person(school, "admin")
    created = only(await recorded("site"))
    assert (created.scope, created.id, created.op, created.version) == (
        str(school.site_id),
        str(school.site_id),
        "put",
        1,
    )
    assert created.data == {
        "id": str(school.site_id),
        "organization_id": str(school.organization_id),
        "name": "实验小学",
        "name_en": created.data["name_en"],
        "timezone": "Asia/Shanghai",
        "keep_photo_location": False,
    }
    response = await api.patch(
        f"/api/sites/{school.site_id}",
        json={"name_en": "Experimental Primary", "keep_photo_location": True},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    changed = (await recorded("site"))[-1]
    assert (changed.op, changed.version) == ("put", 2)
    assert changed.data["name_en"] == "Experimental Primary"
    assert changed.data["keep_photo_location"] is True


async def test_a_refused_site_change_records_nothing(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    before = await recorded()
    refused = await api.patch(
        f"/api/sites/{school.site_id}", json={"timezone": "Mars/Olympus"}, headers=admin.headers
    )
    assert refused.status_code == 400
    assert await recorded() == before


async def test_adding_a_site_records_the_site_and_its_first_admin_under_one_position(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    response = await api.post("/api/sites", json={"name": "第二校区"}, headers=admin.headers)
    assert response.status_code == 201, response.text
    site_id = response.json()["id"]
    changes = await recorded(scope=site_id)
    assert [(c.entity, c.id, c.op) for c in changes] == [
        ("site", site_id, "put"),
        ("person", str(admin.user_id), "put"),
    ]
    assert changes[0].position == changes[1].position


async def test_a_new_member_is_recorded_as_a_person_without_username_or_credentials(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    response = await api.post(
        f"/api/sites/{school.site_id}/members",
        json={
            "username": "wang.li",
            "display_name": "王丽",
            "password": "a long enough password",
            "role": "inspector",
        },
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    user_id = response.json()["user_id"]
    person = (await recorded("person"))[-1]
    assert (person.scope, person.id, person.op, person.version) == (
        str(school.site_id),
        user_id,
        "put",
        1,
    )
    assert person.data == {"id": user_id, "name": "王丽", "role": "inspector", "active": True}
    assert "wang.li" not in person.raw and "password" not in person.raw


async def test_a_role_change_is_a_put_and_an_ended_membership_a_del(api):
    school = await make_school()
    other = await make_school(organization_id=school.organization_id)
    guard = await make_person(school, "guard", extra_sites={other.site_id: "guard"})
    await users.set_membership(guard.user_id, school.site_id, "inspector")
    promoted = (await recorded("person", scope=school.site_id))[-1]
    assert (promoted.op, promoted.version, promoted.data["role"]) == ("put", 2, "inspector")
    yesterday = datetime.now(UTC) - timedelta(days=1)
    await users.set_membership(guard.user_id, school.site_id, "inspector", yesterday)
    ended = (await recorded("person", scope=school.site_id))[-1]
    assert (ended.id, ended.op, ended.version, ended.raw) == (str(guard.user_id), "del", 3, None)
    # Only the site whose membership ended hears of it.
    assert [c.op for c in await recorded("person", scope=other.site_id)] == ["put"]
    # Access given again (an auditor's, until next month) is a put again.
    await users.set_membership(guard.user_id, school.site_id, "auditor", yesterday + timedelta(30))
    back = (await recorded("person", scope=school.site_id))[-1]
    assert (back.op, back.version, back.data["role"]) == ("put", 4, "auditor")


async def test_publishing_a_template_records_it_into_every_site_of_the_organization_only(api):
    school = await make_school()
    second = await make_school(organization_id=school.organization_id)
    stranger = await make_school()
    admin = await make_person(school, "admin")
    before = await position()
    response = await publish(api, admin, SIMPLE)
    assert response.status_code == 201, response.text
    changes = await recorded("template")
    assert sorted(c.scope for c in changes) == sorted([str(school.site_id), str(second.site_id)])
    assert {c.position for c in changes} == {before + 1}
    assert {(c.id, c.op, c.version) for c in changes} == {("stairwell_check", "put", 1)}
    assert changes[0].raw == changes[1].raw
    published = (await api.get("/api/templates/stairwell_check", headers=admin.headers)).json()
    assert changes[0].data == {
        "key": "stairwell_check",
        "version": 1,
        "template": published["template"],
    }
    assert not await recorded("template", scope=stranger.site_id)
    # The same content again publishes nothing, so records nothing.
    await publish(api, admin, SIMPLE)
    assert len(await recorded("template")) == 2
    await publish(api, admin, SIMPLE.replace("照明正常", "照明灯具完好"))
    latest = [c for c in await recorded("template") if c.version == 2]
    assert len(latest) == 2
    assert latest[0].data["template"]["items"][0]["label"]["zh-CN"] == "照明灯具完好"


async def test_installing_the_library_records_every_template_under_one_position(api):
    school = await make_school()
    before = await position()
    created = await install_library(school.organization_id)
    changes = await recorded("template", scope=school.site_id)
    assert len(changes) == created > 1
    assert {c.position for c in changes} == {before + 1}
    assert len({c.id for c in changes}) == created


async def test_a_site_checklist_set_is_a_put_and_cleared_a_del(api):
    school, admin, _, _ = await extinguisher_school()
    url = f"/api/sites/{school.site_id}/checklists/fire_extinguisher_monthly"
    body = {"enabled": True, "asset_categories": ["fire_extinguisher", "co2"], "location_kinds": []}
    assert (await api.put(url, json=body, headers=admin.headers)).status_code == 200
    first = only(await recorded("site_checklist"))
    assert (first.scope, first.id, first.op, first.version) == (
        str(school.site_id),
        "fire_extinguisher_monthly",
        "put",
        1,
    )
    assert first.data == {
        "template_key": "fire_extinguisher_monthly",
        "enabled": True,
        "asset_categories": ["co2", "fire_extinguisher"],
        "location_kinds": [],
    }
    off = {"enabled": False}
    assert (await api.put(url, json=off, headers=admin.headers)).status_code == 200
    assert (await api.delete(url, headers=admin.headers)).status_code == 200
    changes = await recorded("site_checklist")
    assert [(c.op, c.version) for c in changes] == [("put", 1), ("put", 2), ("del", 3)]
    assert changes[1].data["enabled"] is False
    # Clearing what is not overridden changes nothing.
    assert (await api.delete(url, headers=admin.headers)).status_code == 200
    assert len(await recorded("site_checklist")) == 3


async def test_locations_are_recorded_when_created_moved_and_retired(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    building = await make_location(admin, school, "教学楼A", code="A")
    response = await api.post(
        "/api/locations",
        json={"site_id": str(school.site_id), "kind": "room", "name": "301", "sort_order": 3},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    room = response.json()["id"]
    moved = await api.patch(
        f"/api/locations/{room}", json={"parent_id": str(building)}, headers=admin.headers
    )
    assert moved.status_code == 200, moved.text
    retired = await api.patch(
        f"/api/locations/{room}", json={"status": "retired"}, headers=admin.headers
    )
    assert retired.status_code == 200, retired.text
    changes = await recorded("location")
    assert [(c.id, c.op, c.version) for c in changes] == [
        (str(building), "put", 1),
        (room, "put", 1),
        (room, "put", 2),
        (room, "put", 3),
    ]
    assert {c.scope for c in changes} == {str(school.site_id)}
    assert changes[-1].data == {k: retired.json()[k] for k in LOCATION_FIELDS}
    assert changes[-1].data["parent_id"] == str(building)
    assert changes[-1].data["status"] == "retired"


async def test_assets_are_recorded_and_a_refused_write_records_nothing(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    keeper = await make_person(school, "maintainer")
    room = await make_location(admin, school, "301", kind="room")
    first = await make_asset(admin, school, asset_number="MHQ-001", location=room)
    response = await api.post(
        "/api/assets",
        json={
            "site_id": str(school.site_id),
            "category": "fire_extinguisher",
            "name": "干粉灭火器",
            "asset_number": "MHQ-002",
            "attributes": {"expiry_date": "2030-01-31", "kg": 4, "refilled": True},
            "keeper_id": str(keeper.user_id),
        },
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    second = response.json()
    created = (await recorded("asset"))[-1]
    assert (created.scope, created.id, created.op, created.version) == (
        str(school.site_id),
        second["id"],
        "put",
        1,
    )
    assert created.data == {k: second[k] for k in ASSET_FIELDS}
    assert "keeper_name" not in created.data and "location_path" not in created.data

    before = await recorded()
    duplicate = await api.post(
        "/api/assets",
        json={
            "site_id": str(school.site_id),
            "category": "fire_extinguisher",
            "name": "重复",
            "asset_number": "MHQ-001",
        },
        headers=admin.headers,
    )
    assert duplicate.status_code == 409
    taken = await api.patch(
        f"/api/assets/{second['id']}", json={"asset_number": "MHQ-001"}, headers=admin.headers
    )
    assert taken.status_code == 409
    assert await recorded() == before

    updated = await api.patch(
        f"/api/assets/{first}", json={"status": "retired", "version": 1}, headers=admin.headers
    )
    assert updated.status_code == 200, updated.text
    retired = (await recorded("asset"))[-1]
    assert (retired.id, retired.version) == (str(first), 2)
    assert retired.data == {k: updated.json()[k] for k in ASSET_FIELDS}


async def test_an_import_of_n_rows_records_n_assets_under_one_position(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    await make_location(admin, school, "教学楼A")
    rows = "".join(f"灭火器{n},fire_extinguisher,MHQ-{n:03},教学楼A,{n}kg\n" for n in range(25))
    csv = ("name,category,asset_number,location,attr:size\n" + rows).encode()
    before = await position()
    response = await api.post(
        f"/api/sites/{school.site_id}/assets/import",
        params={"format": "csv"},
        content=csv,
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    changes = await recorded("asset")
    assert len(changes) == 25
    assert {c.position for c in changes} == {before + 1}
    assert {c.data["asset_number"] for c in changes} == {f"MHQ-{n:03}" for n in range(25)}
    assert changes[3].data["attributes"] == {"size": "3kg"}
    # The same file again imports nothing and records nothing.
    again = await api.post(
        f"/api/sites/{school.site_id}/assets/import",
        params={"format": "csv"},
        content=csv,
        headers=admin.headers,
    )
    assert again.json()["created"] == 0
    assert len(await recorded("asset")) == 25


async def test_a_dry_run_or_a_refused_import_records_nothing(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    before = await recorded()
    url = f"/api/sites/{school.site_id}/assets/import"
    good = "name,category\n灭火器,fire_extinguisher\n".encode()
    dry = await api.post(
        url, params={"format": "csv", "dry_run": "true"}, content=good, headers=admin.headers
    )
    assert dry.status_code == 200, dry.text
    bad = "name,category\n灭火器,fire_extinguisher\n,fire_extinguisher\n".encode()
    refused = await api.post(url, params={"format": "csv"}, content=bad, headers=admin.headers)
    assert refused.status_code == 422, refused.text
    assert await recorded() == before


async def test_every_tag_change_is_recorded_with_a_growing_version(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    asset = await make_asset(admin, school)
    room = await make_location(admin, school, "301", kind="room")
    code = await make_tag(admin, asset=asset)
    issued = only(await recorded("tag"))
    assert (issued.scope, issued.op, issued.version) == (str(school.site_id), "put", 1)
    assert issued.data == {
        "id": issued.id,
        "site_id": str(school.site_id),
        "code": code,
        "status": "active",
        "asset_id": str(asset),
        "location_id": None,
    }
    rebound = await api.post(
        f"/api/tags/{code}/rebind", json={"location_id": str(room)}, headers=admin.headers
    )
    assert rebound.status_code == 200, rebound.text
    moved = (await recorded("tag"))[-1]
    assert (moved.id, moved.version) == (issued.id, 2)
    assert (moved.data["asset_id"], moved.data["location_id"]) == (None, str(room))

    before = await position()
    replaced = await api.post(f"/api/tags/{code}/replace", json={}, headers=admin.headers)
    assert replaced.status_code == 201, replaced.text
    pair = (await recorded("tag"))[-2:]
    assert {c.position for c in pair} == {before + 1}
    assert {(c.id, c.version, c.data["status"]) for c in pair} == {
        (issued.id, 3, "replaced"),
        (replaced.json()["id"], 1, "active"),
    }

    new_code = replaced.json()["code"]
    assert (
        await api.post(f"/api/tags/{new_code}/retire", json={}, headers=admin.headers)
    ).status_code == 200
    retired = (await recorded("tag"))[-1]
    assert (retired.id, retired.version, retired.data["status"]) == (
        replaced.json()["id"],
        2,
        "retired",
    )
    # Retiring it again changes nothing.
    await api.post(f"/api/tags/{new_code}/retire", json={}, headers=admin.headers)
    assert (await recorded("tag"))[-1] == retired


async def test_bulk_issued_tags_are_recorded_under_one_position(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    for n in range(3):
        await make_asset(admin, school, asset_number=f"MHQ-{n}")
    before = await position()
    response = await api.post(
        "/api/tags/bulk",
        json={"site_id": str(school.site_id), "targets": "assets"},
        headers=admin.headers,
    )
    assert response.json() == {"issued": 3}
    changes = await recorded("tag")
    assert len(changes) == 3 and {c.position for c in changes} == {before + 1}


async def test_findings_are_recorded_as_stored_with_times_in_utc(api):
    school, _, inspector, asset = await extinguisher_school()
    shanghai = datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(days=2)
    failed = submission(
        asset=asset, answers=extinguisher_answers(hose="fail", body="fail"), completed_at=shanghai
    )
    before = await position()
    response = await submit(api, inspector, failed)
    assert response.status_code == 201, response.text
    changes = await recorded("finding")
    assert len(changes) == 2
    # The inspection's findings share the request's one position.
    assert {c.position for c in changes} == {before + 1}
    for change in changes:
        stored = await api.get(f"/api/findings/{change.id}", headers=inspector.headers)
        assert (change.scope, change.op, change.version) == (str(school.site_id), "put", 1)
        assert change.data == stored.json()
        assert change.data["observed_at"].endswith("Z")

    passed = submission(asset=asset, completed_at=datetime.now(UTC) - timedelta(days=1))
    assert (await submit(api, inspector, passed)).status_code == 201
    rechecked = await recorded("finding")
    assert len(rechecked) == 4
    for change in rechecked[2:]:
        stored = await api.get(f"/api/findings/{change.id}", headers=inspector.headers)
        assert (change.op, change.version, change.data["status"]) == ("put", 2, "rechecked")
        assert change.data == stored.json()


async def test_a_correction_records_the_withdrawn_findings(api):
    _, _, inspector, asset = await extinguisher_school()
    wrong = submission(asset=asset, answers=extinguisher_answers(hose="fail"))
    assert (await submit(api, inspector, wrong)).status_code == 201
    opened = only(await recorded("finding"))
    correction = submission(asset=asset, supersedes=wrong["id"])
    assert (await submit(api, inspector, correction)).status_code == 201
    withdrawn = (await recorded("finding"))[-1]
    assert (withdrawn.id, withdrawn.version, withdrawn.data["status"]) == (
        opened.id,
        2,
        "withdrawn",
    )


async def test_a_refused_or_repeated_inspection_records_nothing(api):
    _, _, inspector, asset = await extinguisher_school()
    failed = submission(asset=asset, answers=extinguisher_answers(hose="fail"))
    assert (await submit(api, inspector, failed)).status_code == 201
    before = await recorded()
    assert (await submit(api, inspector, failed)).status_code == 200
    invalid = submission(asset=asset, answers=extinguisher_answers(hose="broken"))
    assert (await submit(api, inspector, invalid)).status_code == 422
    assert await recorded() == before
