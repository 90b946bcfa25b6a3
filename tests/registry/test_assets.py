from __future__ import annotations

from tests.factories import make_asset, make_location, make_person, make_school, make_tag


async def test_create_read_and_update_an_extinguisher(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    keeper = await make_person(school, "maintainer")
    corridor = await make_location(admin, school, "3楼走廊", kind="corridor")
    created = await api.post(
        "/api/assets",
        json={
            "site_id": str(school.site_id),
            "location_id": str(corridor),
            "category": "fire_extinguisher",
            "name": "手提式干粉灭火器",
            "asset_number": "MHQ-001",
            "attributes": {"extinguisher_type": "MFZ/ABC4", "expiry_date": "2031-05-01"},
            "keeper_id": str(keeper.user_id),
        },
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["location_path"] == ["3楼走廊"]
    assert body["keeper_name"] == "测试maintainer"
    assert body["attributes"]["expiry_date"] == "2031-05-01"
    updated = await api.patch(
        f"/api/assets/{body['id']}",
        json={"status": "retired", "version": 1},
        headers=admin.headers,
    )
    assert updated.json()["status"] == "retired"
    assert updated.json()["version"] == 2
    assert updated.json()["asset_number"] == "MHQ-001"


async def test_filters_by_location_subtree_category_and_text(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    a = await make_location(admin, school, "教学楼A")
    a3 = await make_location(admin, school, "3F", parent=a, kind="floor")
    b = await make_location(admin, school, "教学楼B")
    in_a3 = await make_asset(admin, school, location=a3, name="灭火器甲")
    in_b = await make_asset(admin, school, location=b, name="灭火器乙")
    panel = await make_asset(admin, school, location=a, category="electrical_panel", name="配电箱")

    async def ids(**params):
        response = await api.get("/api/assets", params=params, headers=admin.headers)
        return {item["id"] for item in response.json()["items"]}

    assert await ids(location_id=str(a)) == {str(in_a3), str(panel)}
    assert await ids(category="fire_extinguisher") == {str(in_a3), str(in_b)}
    assert await ids(q="乙") == {str(in_b)}
    assert await ids(site_id=str(school.site_id), category="electrical_panel") == {str(panel)}


async def test_asset_numbers_are_unique_per_site(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    await make_asset(admin, school, asset_number="MHQ-001")
    again = await api.post(
        "/api/assets",
        json={
            "site_id": str(school.site_id),
            "category": "other",
            "name": "x",
            "asset_number": "MHQ-001",
        },
        headers=admin.headers,
    )
    assert again.status_code == 409
    assert again.json() == {
        "code": "asset.number_taken",
        "detail": "asset number 'MHQ-001' is already used at this site",
        "field": "asset_number",
    }
    other = await make_school()
    other_admin = await make_person(other, "admin")
    assert await make_asset(other_admin, other, asset_number="MHQ-001")


async def test_bad_input_names_the_field_and_stores_nothing(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    site = str(school.site_id)
    cases = [
        ({"site_id": site, "category": "other", "name": 5}, "name"),
        ({"site_id": site, "category": "Fire Extinguisher", "name": "x"}, "category"),
        ({"site_id": site, "category": "other", "name": "x", "colour": "red"}, "colour"),
        (
            {
                "site_id": site,
                "category": "other",
                "name": "x",
                "attributes": {"expiry_date": "next year"},
            },
            "attributes.expiry_date",
        ),
        ({"site_id": "not-a-uuid", "category": "other", "name": "x"}, "site_id"),
    ]
    for body, field in cases:
        response = await api.post("/api/assets", json=body, headers=admin.headers)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["field"] == field, response.json()
        assert response.json()["code"] == "request.invalid"
    listed = await api.get("/api/assets", params={"site_id": site}, headers=admin.headers)
    assert listed.json()["items"] == []


async def test_an_oversize_body_is_413(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    body = b'{"site_id": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = await api.post(
        "/api/assets", content=body, headers={**admin.headers, "content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "request.too_large"


async def test_text_search_reaches_the_serial_number_and_untagged_keeps_those_without_a_tag(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    tagged = await make_asset(admin, school, name="干粉灭火器", asset_number="MHQ-001")
    bare = await make_asset(admin, school, name="配电箱", category="electrical_panel")
    patched = await api.patch(
        f"/api/assets/{bare}", json={"serial_number": "SN-77A"}, headers=admin.headers
    )
    assert patched.status_code == 200, patched.text
    await make_tag(admin, asset=tagged)
    site = str(school.site_id)

    async def ids(**params):
        response = await api.get(
            "/api/assets", params={"site_id": site, **params}, headers=admin.headers
        )
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await ids(q="sn-77") == {str(bare)}
    assert await ids(untagged="true") == {str(bare)}
    assert await ids(untagged="false") == {str(tagged), str(bare)}
    # A retired tag leaves its asset untagged again.
    listed = await api.get("/api/tags", params={"asset_id": str(tagged)}, headers=admin.headers)
    code = listed.json()["items"][0]["code"]
    retired = await api.post(f"/api/tags/{code}/retire", json={}, headers=admin.headers)
    assert retired.status_code == 200, retired.text
    assert await ids(untagged="true", q="灭火器") == {str(tagged)}
