from __future__ import annotations

import io

import pypdfium2
import zxingcpp
from PIL import Image

from qr.codes import format_code
from tests.conftest import PUBLIC_URL
from tests.factories import make_asset, make_location, make_person, make_school, make_tag


def mistype(code: str) -> str:
    """The same code with one character changed, as a worn label is misread."""
    replacement = "7" if code[2] != "7" else "8"
    return code[:2] + replacement + code[3:]


async def test_a_tag_resolves_to_its_asset_with_the_url_in_its_qr(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    room = await make_location(admin, school, "医务室", kind="room")
    asset = await make_asset(admin, school, location=room, name="干粉灭火器")
    code = await make_tag(admin, asset=asset)
    inspector = await make_person(school, "inspector")
    for typed in (code, format_code(code), format_code(code).lower()):
        response = await api.get(f"/api/tags/{typed}", headers=inspector.headers)
        assert response.status_code == 200, typed
        body = response.json()
        assert body["tag"]["url"] == f"{PUBLIC_URL}/t/{code}"
        assert body["target"]["kind"] == "asset"
        assert body["target"]["asset"]["location_path"] == ["医务室"]


async def test_a_mistyped_code_is_invalid_not_unknown(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    code = await make_tag(admin, location=await make_location(admin, school))
    typo = await api.get(f"/api/tags/{mistype(code)}", headers=admin.headers)
    assert typo.status_code == 400
    assert typo.json()["code"] == "tag.invalid_code"
    assert typo.json()["field"] == "code"
    short = await api.get("/api/tags/ABC", headers=admin.headers)
    assert short.status_code == 400
    from qr.codes import new_code

    unknown = await api.get(f"/api/tags/{new_code()}", headers=admin.headers)
    assert unknown.status_code == 404


async def test_replacing_a_damaged_label_keeps_the_history(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    asset = await make_asset(admin, school)
    old = await make_tag(admin, asset=asset)
    replaced = await api.post(
        f"/api/tags/{old}/replace", json={"note": "标签被雨水泡坏"}, headers=admin.headers
    )
    assert replaced.status_code == 201, replaced.text
    new = replaced.json()["code"]
    assert new != old and replaced.json()["asset_id"] == str(asset)
    old_view = (await api.get(f"/api/tags/{old}", headers=admin.headers)).json()
    assert old_view["tag"]["status"] == "replaced"
    assert old_view["replaced_by"] == new
    history = (await api.get(f"/api/tags/{old}/history", headers=admin.headers)).json()
    assert [(e["kind"], e["other_tag_code"]) for e in history] == [
        ("issued", None),
        ("replaced", new),
    ]
    assert history[1]["note"] == "标签被雨水泡坏"
    again = await api.post(f"/api/tags/{old}/replace", json={}, headers=admin.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "tag.not_active"


async def test_rebinding_moves_the_tag_and_records_where_it_was(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    first = await make_asset(admin, school, name="旧灭火器")
    second = await make_asset(admin, school, name="新灭火器")
    code = await make_tag(admin, asset=first)
    moved = await api.post(
        f"/api/tags/{code}/rebind",
        json={"asset_id": str(second), "note": "换瓶"},
        headers=admin.headers,
    )
    assert moved.status_code == 200, moved.text
    resolved = (await api.get(f"/api/tags/{code}", headers=admin.headers)).json()
    assert resolved["target"]["asset"]["name"] == "新灭火器"
    history = (await api.get(f"/api/tags/{code}/history", headers=admin.headers)).json()
    rebound = history[-1]
    assert rebound["kind"] == "rebound"
    assert rebound["previous_asset_id"] == str(first)
    assert rebound["asset_id"] == str(second)
    both = await api.post(
        f"/api/tags/{code}/rebind",
        json={"asset_id": str(first), "location_id": str(await make_location(admin, school))},
        headers=admin.headers,
    )
    assert both.status_code == 400
    assert both.json()["code"] == "tag.target_required"


async def test_a_retired_tag_no_longer_leads_anywhere(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    code = await make_tag(admin, asset=await make_asset(admin, school))
    retired = await api.post(
        f"/api/tags/{code}/retire", json={"note": "设备报废"}, headers=admin.headers
    )
    assert retired.json()["status"] == "retired"
    resolved = (await api.get(f"/api/tags/{code}", headers=admin.headers)).json()
    assert resolved["target"] is None
    assert (
        await api.post(
            f"/api/tags/{code}/rebind",
            json={"asset_id": resolved["tag"]["asset_id"]},
            headers=admin.headers,
        )
    ).status_code == 409


async def test_a_preprinted_code_belongs_to_one_thing(api):
    from qr.codes import new_code

    school = await make_school()
    admin = await make_person(school, "admin")
    location = await make_location(admin, school)
    printed = format_code(new_code())
    first = await api.post(
        "/api/tags", json={"location_id": str(location), "code": printed}, headers=admin.headers
    )
    assert first.status_code == 201
    assert first.json()["printed_code"] == printed
    elsewhere = await make_location(admin, school, "教学楼B")
    second = await api.post(
        "/api/tags", json={"location_id": str(elsewhere), "code": printed}, headers=admin.headers
    )
    assert second.status_code == 409
    assert second.json()["code"] == "tag.code_taken"
    resolved = await api.get(f"/api/tags/{printed}", headers=admin.headers)
    assert resolved.json()["tag"]["location_id"] == str(location)


async def test_bulk_issue_tags_every_untagged_thing_once(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    building = await make_location(admin, school)
    await make_asset(admin, school, location=building)
    await make_asset(admin, school, location=building)
    first = await api.post(
        "/api/tags/bulk", json={"site_id": str(school.site_id)}, headers=admin.headers
    )
    assert first.json() == {"issued": 3}
    second = await api.post(
        "/api/tags/bulk", json={"site_id": str(school.site_id)}, headers=admin.headers
    )
    assert second.json() == {"issued": 0}


async def test_label_png_and_pdf_decode_to_the_tag_url(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    room = await make_location(admin, school, "三年级二班教室", kind="room")
    code = await make_tag(
        admin, asset=await make_asset(admin, school, location=room, name="应急照明灯")
    )
    png = await api.get(
        f"/api/tags/{code}/label.png", params={"preset": "a4-4x10"}, headers=admin.headers
    )
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert [d.text for d in decoded] == [f"{PUBLIC_URL}/t/{code}"]
    svg = await api.get(f"/api/tags/{code}/label.svg", headers=admin.headers)
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "应急照明灯" in svg.text
    pdf = await api.get(
        "/api/labels.pdf", params={"site_id": str(school.site_id)}, headers=admin.headers
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    page = pypdfium2.PdfDocument(pdf.content)[0].render(scale=300 / 72).to_pil()
    assert {d.text for d in zxingcpp.read_barcodes(page)} == {f"{PUBLIC_URL}/t/{code}"}
    bad = await api.get(
        "/api/labels.pdf",
        params={"site_id": str(school.site_id), "preset": "a3-1x1"},
        headers=admin.headers,
    )
    assert bad.status_code == 400 and bad.json()["field"] == "preset"


async def test_a_tag_url_answers_the_app_and_never_the_things_data(api):
    """What a tag is on is read through the API by a person of its site only; the page at
    the tag URL is the app's shell for everyone, logged in or not, the code valid or not."""
    school = await make_school()
    admin = await make_person(school, "admin")
    room = await make_location(admin, school, "学生食堂后厨", kind="kitchen")
    code = await make_tag(
        admin,
        asset=await make_asset(
            admin, school, location=room, name="双眼燃气灶", category="kitchen_gas"
        ),
    )
    anonymous = await api.get(f"/t/{code}")
    invalid = await api.get(f"/t/{mistype(code)}")
    signed_in = await api.get(f"/t/{code}", headers=admin.headers)
    for page in (anonymous, invalid, signed_in):
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "双眼燃气灶" not in page.text and "学生食堂后厨" not in page.text
    assert anonymous.content == invalid.content == signed_in.content
