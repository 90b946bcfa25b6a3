from __future__ import annotations

import io

from openpyxl import Workbook

from tests.factories import make_location, make_person, make_school


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def import_file(api, person, school, content: bytes, fmt: str, **params):
    return await api.post(
        f"/api/sites/{school.site_id}/assets/import",
        params={"format": fmt, **params},
        content=content,
        headers=person.headers,
    )


async def assets_of(api, person, school):
    response = await api.get(
        "/api/assets", params={"site_id": str(school.site_id), "limit": 500}, headers=person.headers
    )
    return response.json()["items"]


async def test_a_good_csv_goes_in_whole(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    keeper = await make_person(school, "maintainer", username="zhao")
    building = await make_location(admin, school, "教学楼A")
    await make_location(admin, school, "3F", parent=building, kind="floor")
    csv = (
        "name,category,asset_number,location,keeper,attr:expiry_date\n"
        "干粉灭火器,fire_extinguisher,MHQ-001,教学楼A/3F,zhao,2030-01-31\n"
        "配电箱,electrical_panel,PDX-001,教学楼A,,\n"
    ).encode()
    response = await import_file(api, admin, school, csv, "csv")
    assert response.status_code == 200, response.text
    assert response.json() == {"rows": 2, "created": 2, "dry_run": False}
    items = {a["asset_number"]: a for a in await assets_of(api, admin, school)}
    assert items["MHQ-001"]["location_path"] == ["教学楼A", "3F"]
    assert items["MHQ-001"]["keeper_id"] == str(keeper.user_id)
    assert items["MHQ-001"]["attributes"] == {"expiry_date": "2030-01-31"}
    assert items["PDX-001"]["keeper_id"] is None


async def test_one_bad_row_keeps_the_whole_file_out_and_names_row_and_column(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    csv = (
        "name,category,asset_number,location\n"
        "灭火器1,fire_extinguisher,MHQ-001,\n"
        "灭火器2,fire_extinguisher,MHQ-002,不存在的楼\n"
        ",fire_extinguisher,MHQ-003,\n"
        "灭火器4,fire_extinguisher,MHQ-001,\n"
    ).encode()
    response = await import_file(api, admin, school, csv, "csv")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "import.invalid_rows"
    assert {(e["row"], e["column"]) for e in body["errors"]} == {
        (3, "location"),
        (4, "name"),
        (5, "asset_number"),
    }
    assert "same number as row 2" in {e["reason"] for e in body["errors"]}
    assert await assets_of(api, admin, school) == []


async def test_an_xlsx_with_chinese_headers_and_dates(api):
    import datetime as dt

    school = await make_school()
    admin = await make_person(school, "admin")
    await make_location(admin, school, "食堂", kind="kitchen", code="C101")
    content = xlsx(
        [
            ["名称", "类别", "编号", "位置", "attr:expiry_date", "attr:capacity_kg"],
            ["双眼燃气灶", "kitchen_gas", "RQ-001", "C101", None, None],
            ["干粉灭火器", "fire_extinguisher", 1001, "食堂", dt.date(2031, 3, 1), 4],
        ]
    )
    response = await import_file(api, admin, school, content, "xlsx")
    assert response.status_code == 200, response.text
    items = {a["asset_number"]: a for a in await assets_of(api, admin, school)}
    assert set(items) == {"RQ-001", "1001"}
    assert items["1001"]["attributes"] == {"expiry_date": "2031-03-01", "capacity_kg": "4"}
    assert items["RQ-001"]["location_path"] == ["食堂"]


async def test_a_dry_run_checks_but_stores_nothing(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    csv = "name,category\n灭火器,fire_extinguisher\n".encode()
    response = await import_file(api, admin, school, csv, "csv", dry_run="true")
    assert response.json() == {"rows": 1, "created": 0, "dry_run": True}
    assert await assets_of(api, admin, school) == []


async def test_missing_and_unknown_columns_are_reported_against_the_header(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    response = await import_file(api, admin, school, "名称,颜色\n灭火器,红\n".encode(), "csv")
    assert response.status_code == 422
    errors = {(e["row"], e["column"], e["reason"]) for e in response.json()["errors"]}
    assert (1, "颜色", "unknown column") in errors
    assert (1, "category", "required column missing") in errors


async def test_a_file_that_is_not_a_spreadsheet_is_400(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    response = await import_file(api, admin, school, b"PK\x03\x04garbage", "xlsx")
    assert response.status_code == 400
    assert response.json()["code"] == "import.unreadable_file"


async def test_gb18030_csv_from_excel_is_read(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    csv = "名称,类别\n饮水机,water_dispenser\n".encode("gb18030")
    response = await import_file(api, admin, school, csv, "csv")
    assert response.status_code == 200, response.text
    assert [a["name"] for a in await assets_of(api, admin, school)] == ["饮水机"]


async def check_file(api, person, school, content: bytes, fmt: str):
    return await api.post(
        f"/api/sites/{school.site_id}/assets/import/check",
        params={"format": fmt},
        content=content,
        headers=person.headers,
    )


async def test_a_check_lists_each_problem_by_row_and_code_and_stores_nothing(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    await make_location(admin, school, "教学楼A")
    content = xlsx(
        [
            ["名称", "类别", "编号", "位置", "有效期至"],
            ["灭火器1", "灭火器", "MHQ-001", "教学楼A", "2031-01-31"],
            ["灭火器2", "灭火器", "MHQ-002", "实验楼", None],
            ["灭火器3", "fire_extinguisher", "MHQ-001", None, "明年"],
        ]
    )
    response = await check_file(api, admin, school, content, "xlsx")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["rows"], body["creatable"], body["problems"], body["preview"]) == (3, 0, 3, [])
    assert [(e["row"], e["column"], e["code"], e["value"]) for e in body["errors"]] == [
        (3, "location", "location_unknown", "实验楼"),
        (4, "asset_number", "number_repeated", "MHQ-001"),
        (4, "attributes.expiry_date", "date_format", "明年"),
    ]
    assert await assets_of(api, admin, school) == []


async def test_a_good_check_previews_the_assets_and_the_import_then_makes_them(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    keeper = await make_person(school, "maintainer")
    building = await make_location(admin, school, "教学楼A")
    await make_location(admin, school, "3F", parent=building, kind="floor")
    csv = (
        "名称,类别,编号,序列号,位置,责任人,有效期至\n"
        f"干粉灭火器,灭火器,MHQ-001,SN1,教学楼A/3F,{keeper.username},2031-01-31\n"
        "配电箱,electrical_panel,PDX-001,,,测试maintainer,\n"
    ).encode()
    response = await check_file(api, admin, school, csv, "csv")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["rows"], body["creatable"], body["errors"]) == (2, 2, [])
    first, second = body["preview"]
    assert first == {
        "row": 2,
        "name": "干粉灭火器",
        "category": "fire_extinguisher",
        "asset_number": "MHQ-001",
        "serial_number": "SN1",
        "location_path": ["教学楼A", "3F"],
        "keeper_name": "测试maintainer",
        "attributes": {"expiry_date": "2031-01-31"},
    }
    # A keeper named by their name, as no one else at the site has it.
    assert second["keeper_name"] == "测试maintainer"
    assert body["already_imported_at"] is None
    assert await assets_of(api, admin, school) == []
    done = await import_file(api, admin, school, csv, "csv")
    assert done.json() == {"rows": 2, "created": 2, "dry_run": False}
    again = await check_file(api, admin, school, csv, "csv")
    assert again.json()["already_imported_at"] is not None


async def test_a_check_reports_header_problems_and_refuses_what_is_no_spreadsheet(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    response = await check_file(api, admin, school, "名称,颜色\n灭火器,红\n".encode(), "csv")
    assert response.status_code == 200, response.text
    codes = {(e["row"], e["column"], e["code"]) for e in response.json()["errors"]}
    assert codes == {(1, "颜色", "column_unknown"), (1, "category", "column_missing")}
    broken = await check_file(api, admin, school, b"PK\x03\x04garbage", "xlsx")
    assert broken.status_code == 400
    assert broken.json()["code"] == "import.unreadable_file"
    auditor = await make_person(school, "auditor")
    refused = await check_file(api, auditor, school, b"name,category\nx,other\n", "csv")
    assert refused.status_code == 403
