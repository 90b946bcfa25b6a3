"""A site's managers see its devices' last sync and clock: R35 flags a wrong clock and never
refuses a push, so the flag is how someone comes to set the phone right."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import make_person, make_school
from tests.inspections.helpers import extinguisher_school, submission
from tests.syncing.device import device_of


async def test_managers_see_a_device_whose_clock_is_wrong_first(api):
    school, admin, inspector, asset = await extinguisher_school()
    guard = await make_person(school, "guard")
    wrong = await device_of(api, inspector)
    wrong.clock_offset = -timedelta(days=2)
    answer = await wrong.push_ok([wrong.op(submission(asset=asset))])
    right = await device_of(api, guard)
    await right.push_ok([])
    listed = await api.get(
        "/api/sync/devices", params={"site_id": str(school.site_id)}, headers=admin.headers
    )
    assert listed.status_code == 200, listed.text
    devices = listed.json()
    assert devices[0]["device_id"] == str(wrong.id)
    first = devices[0]
    assert first["skew_flagged"] is True and first["skew_ms"] == answer["skew_ms"]
    assert first["app_version"] == "test-1.0" and first["last_push_at"] is not None
    assert first["user_id"] == str(inspector.user_id) and first["device_name"] == "test phone"
    synced = next(d for d in devices if d["device_id"] == str(right.id))
    assert synced["skew_flagged"] is False and synced["last_push_at"] is not None
    never = next(d for d in devices if d["user_id"] == str(admin.user_id))
    assert never["last_push_at"] is None and never["app_version"] == ""


async def test_only_the_sites_managers_see_its_devices(api):
    school = await make_school()
    manager = await make_person(school, "manager")
    inspector = await make_person(school, "inspector")
    stranger = await make_person(await make_school(), "admin")
    params = {"site_id": str(school.site_id)}
    seen = await api.get("/api/sync/devices", params=params, headers=manager.headers)
    assert {d["user_id"] for d in seen.json()} == {str(manager.user_id), str(inspector.user_id)}
    refused = await api.get("/api/sync/devices", params=params, headers=inspector.headers)
    assert refused.status_code == 403
    hidden = await api.get("/api/sync/devices", params=params, headers=stranger.headers)
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "not_found"


async def test_a_revoked_device_is_no_longer_listed(api):
    school = await make_school()
    manager = await make_person(school, "manager")
    guard = await make_person(school, "guard")
    token_id = (await api.get("/api/tokens", headers=guard.headers)).json()[0]["id"]
    assert (await api.delete(f"/api/tokens/{token_id}", headers=guard.headers)).status_code == 200
    listed = await api.get(
        "/api/sync/devices", params={"site_id": str(school.site_id)}, headers=manager.headers
    )
    assert {d["user_id"] for d in listed.json()} == {str(manager.user_id)}
