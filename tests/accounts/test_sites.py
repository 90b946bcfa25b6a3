from __future__ import annotations

from tests.factories import make_person, make_school


async def test_a_site_admin_changes_the_sites_settings(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    url = f"/api/sites/{school.site_id}"
    before = (await api.get(url, headers=admin.headers)).json()
    assert before["keep_photo_location"] is False

    changed = await api.patch(
        url,
        json={"keep_photo_location": True, "name": "阳光小学", "timezone": "Asia/Urumqi"},
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.text
    after = {**before, "keep_photo_location": True, "name": "阳光小学", "timezone": "Asia/Urumqi"}
    assert changed.json() == after
    assert (await api.get(url, headers=admin.headers)).json() == after
    assert (await api.patch(url, json={}, headers=admin.headers)).json() == after


async def test_a_site_timezone_must_be_a_real_one(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    refused = await api.patch(
        f"/api/sites/{school.site_id}", json={"timezone": "Mars/Olympus"}, headers=admin.headers
    )
    assert refused.status_code == 400
    assert (refused.json()["code"], refused.json()["field"]) == (
        "site.unknown_timezone",
        "timezone",
    )
    site = (await api.get(f"/api/sites/{school.site_id}", headers=admin.headers)).json()
    assert site["timezone"] == "Asia/Shanghai"


async def test_only_the_sites_admins_change_its_settings(api):
    school = await make_school()
    manager = await make_person(school, "manager")
    stranger = await make_person(await make_school(), "admin")
    url = f"/api/sites/{school.site_id}"
    by_manager = await api.patch(url, json={"keep_photo_location": True}, headers=manager.headers)
    assert by_manager.status_code == 403
    by_stranger = await api.patch(url, json={"keep_photo_location": True}, headers=stranger.headers)
    assert by_stranger.status_code == 404
    unknown_field = await api.patch(
        url, json={"keep_photo_locations": True}, headers=manager.headers
    )
    assert unknown_field.status_code == 400
    assert unknown_field.json()["field"] == "keep_photo_locations"
