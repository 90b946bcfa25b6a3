"""A user of another organization, or of another site of the same organization, can neither
see nor change a site's registry: foreign ids answer 404, a list asked for a foreign site
too, and a list of everything the caller sees leaves the site out."""

from __future__ import annotations

import pytest

from tests.factories import make_asset, make_location, make_person, make_school, make_tag


@pytest.fixture
async def world(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    building = await make_location(admin, school)
    asset = await make_asset(admin, school, location=building, asset_number="MHQ-001")
    code = await make_tag(admin, asset=asset)
    other_org = await make_school()
    sister_site = await make_school(organization_id=school.organization_id)
    strangers = {
        "other organization": await make_person(other_org, "admin"),
        "other site": await make_person(sister_site, "admin"),
    }
    return school, admin, building, asset, code, strangers


async def test_strangers_get_404_for_every_registry_read(api, world):
    school, admin, building, asset, code, strangers = world
    reads = [
        f"/api/sites/{school.site_id}",
        f"/api/sites/{school.site_id}/members",
        f"/api/locations/{building}",
        f"/api/assets/{asset}",
        f"/api/tags/{code}",
        f"/api/tags/{code}/history",
        f"/api/tags/{code}/label.png",
        f"/api/tags/{code}/label.svg",
        f"/api/labels.pdf?site_id={school.site_id}",
    ]
    for who, stranger in strangers.items():
        for url in reads:
            response = await api.get(url, headers=stranger.headers)
            assert response.status_code == 404, (who, url, response.text)
            assert response.json()["code"] == "not_found"
        for url in ("/api/locations", "/api/assets", "/api/tags"):
            mine = await api.get(
                url, params={"site_id": str(school.site_id)}, headers=stranger.headers
            )
            assert mine.status_code == 404, (who, url, mine.text)
            assert mine.json()["code"] == "not_found"
            everything = await api.get(url, headers=stranger.headers)
            body = everything.json()
            items = body["items"] if isinstance(body, dict) else body
            assert all(i.get("site_id") != str(school.site_id) for i in items), (who, url)
    for url in ("/api/locations", "/api/assets", "/api/tags"):
        body = (await api.get(url, headers=admin.headers)).json()
        items = body["items"] if isinstance(body, dict) else body
        assert len(items) == 1, url


async def test_strangers_cannot_change_anything(api, world):
    school, admin, building, asset, code, strangers = world
    site = str(school.site_id)
    for who, stranger in strangers.items():
        h = stranger.headers
        writes = [
            await api.post(
                "/api/locations", json={"site_id": site, "kind": "room", "name": "x"}, headers=h
            ),
            await api.post(
                "/api/locations",
                json={
                    "site_id": str(stranger.caller.site_ids()[0]),
                    "kind": "room",
                    "name": "x",
                    "parent_id": str(building),
                },
                headers=h,
            ),
            await api.patch(f"/api/locations/{building}", json={"name": "x"}, headers=h),
            await api.post(
                "/api/assets", json={"site_id": site, "category": "other", "name": "x"}, headers=h
            ),
            await api.patch(f"/api/assets/{asset}", json={"name": "x"}, headers=h),
            await api.post("/api/tags", json={"asset_id": str(asset)}, headers=h),
            await api.post("/api/tags/bulk", json={"site_id": site}, headers=h),
            await api.post(f"/api/tags/{code}/replace", json={}, headers=h),
            await api.post(f"/api/tags/{code}/retire", json={}, headers=h),
            await api.post(
                f"/api/tags/{code}/rebind", json={"location_id": str(building)}, headers=h
            ),
            await api.post(
                f"/api/sites/{site}/assets/import?format=csv",
                content=b"name,category\nx,other\n",
                headers=h,
            ),
            await api.post(
                f"/api/sites/{site}/members",
                json={
                    "username": "intruder",
                    "display_name": "x",
                    "password": "password123",
                    "role": "admin",
                },
                headers=h,
            ),
        ]
        for response in writes:
            assert response.status_code == 404, (who, response.request.url, response.text)
    # Nothing moved.
    resolved = (await api.get(f"/api/tags/{code}", headers=admin.headers)).json()
    assert resolved["tag"]["status"] == "active"
    assert resolved["target"]["asset"]["name"] == "干粉灭火器"
    assert resolved["target"]["asset"]["location_id"] == str(building)
    assert (await api.get(f"/api/locations/{building}", headers=admin.headers)).json()[
        "name"
    ] == "教学楼A"
    assets = (await api.get("/api/assets", params={"site_id": site}, headers=admin.headers)).json()
    assert len(assets["items"]) == 1


async def test_an_asset_cannot_be_placed_in_another_sites_location(api, world):
    _school, _admin, building, _asset, _code, strangers = world
    stranger = strangers["other site"]
    own_site = stranger.caller.site_ids()[0]
    response = await api.post(
        "/api/assets",
        json={
            "site_id": str(own_site),
            "category": "other",
            "name": "x",
            "location_id": str(building),
        },
        headers=stranger.headers,
    )
    assert response.status_code == 400
    assert response.json()["field"] == "location_id"
