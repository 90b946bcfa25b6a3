"""The console's register, import tab, in a real browser: an admin downloads the template
(headers in Chinese), checks an XLSX of 50 extinguishers with Chinese headers and one bad
row, sees that row's problem against its row and column with nothing stored and no way to
import it, fixes the file, checks it again, sees the 50 assets it would add, and imports
them all; the same file again adds nothing; an auditor is offered no upload; both
languages; no serious accessibility violation."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
from openpyxl import Workbook
from playwright.async_api import expect

from tests.factories import make_location, make_person, make_school
from tests.web.axe import axe_violations
from tests.web.test_client import ConsoleErrors, snap
from tests.web.test_console import a_desktop, assert_fits, console_login

HEADERS = ["名称", "类别", "资产编号", "出厂编号", "位置", "责任人", "有效期至"]


def extinguishers(path: Path, keeper: str, bad_row: int | None = None) -> Path:
    """50 extinguishers on the third floor; `bad_row` (the sheet's row number) names a
    building the school does not have."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for n in range(1, 51):
        place = "实验楼B/2F" if n + 1 == bad_row else "教学楼A/3F"
        expiry = dt.date(2031, 1 + n % 12, 1)
        sheet.append(
            [f"干粉灭火器{n:02d}", "灭火器", f"MHQ-{n:03d}", f"SN{n}", place, keeper, expiry]
        )
    book.save(path)
    return path


async def stored(api, person, school) -> list[dict]:
    response = await api.get(
        "/api/assets",
        params={"site_id": str(school.site_id), "limit": 500},
        headers=person.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_an_admin_checks_fixes_and_imports_a_spreadsheet(
    browser, clean, api, tmp_path
) -> None:
    school = await make_school("阳光实验小学")
    admin = await make_person(school, "admin")
    keeper = await make_person(school, "maintainer")
    building = await make_location(admin, school, "教学楼A")
    await make_location(admin, school, "3F", parent=building, kind="floor")
    bad = extinguishers(tmp_path / "灭火器台账.xlsx", keeper.username, bad_row=27)
    fixed = extinguishers(tmp_path / "灭火器台账（改正）.xlsx", keeper.username)

    context = await a_desktop(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await console_login(page, clean.url, admin.username)
    await expect(page.get_by_test_id("site")).to_have_count(1)
    await page.goto(f"{clean.url}/console/register?site={school.site_id}&view=import")
    await expect(page.get_by_test_id("tab-import")).to_have_attribute("aria-current", "page")

    # The template: a CSV with the headers in Chinese, opened by Excel as UTF-8.
    async with page.expect_download() as download:
        await page.get_by_test_id("download-template").click()
    template = await anyio.Path(await (await download.value).path()).read_bytes()
    assert (await download.value).suggested_filename == "设施设备导入模板.csv"
    assert template.startswith("\ufeff名称,类别,资产编号,出厂编号,位置,责任人,有效期至".encode())

    # The check of a file with one bad row: that row's problem against it, nothing stored,
    # nothing to import.
    form = page.get_by_test_id("import-form")
    await form.get_by_label("选择文件（.xlsx 或 .csv）").set_input_files(bad)
    await form.get_by_test_id("check-file").click()
    summary = page.get_by_test_id("check-summary")
    await expect(summary).to_contain_text("共 50 行，发现 1 个问题")
    problem = page.get_by_test_id("row-error")
    await expect(problem).to_have_count(1)
    await expect(problem).to_have_attribute("data-row", "27")
    await expect(problem.locator("td")).to_have_text(
        [
            "第 27 行",
            "位置",
            "“实验楼B/2F”：找不到这个位置，请写完整路径（如 教学楼A/3F/301）或位置编号，"
            "或先在“位置”中添加。",
        ]
    )
    await expect(page.get_by_test_id("commit-import")).to_have_count(0)
    assert await stored(api, admin, school) == []
    assert await axe_violations(page) == []
    await assert_fits(page)
    await snap(page, "console-import-errors-zh", clean.backend)

    # Fixed and chosen again: checked afresh, the 50 assets it would add listed.
    await form.get_by_label("选择文件（.xlsx 或 .csv）").set_input_files(fixed)
    await expect(page.get_by_test_id("check-result")).to_have_count(0)
    await form.get_by_test_id("check-file").click()
    await expect(summary).to_have_text("共 50 行，检查无误，将添加 50 件设施设备。")
    rows = page.get_by_test_id("preview-row")
    await expect(rows).to_have_count(50)
    await expect(rows.nth(25).locator("td")).to_have_text(
        [
            "第 27 行",
            "干粉灭火器26",
            "灭火器",
            "MHQ-026 · SN26",
            "教学楼A › 3F",
            "测试maintainer",
            "2031-03-01",
        ]
    )
    assert await stored(api, admin, school) == []
    assert await axe_violations(page) == []
    await assert_fits(page)
    await snap(page, "console-import-preview-zh", clean.backend)

    # In English: the bad file's problem, then the fixed file imported whole.
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("tab-import")).to_have_text("Import")
    form = page.get_by_test_id("import-form")
    await form.get_by_label("Choose a file (.xlsx or .csv)").set_input_files(bad)
    await form.get_by_test_id("check-file").click()
    await expect(problem.locator("td")).to_have_text(
        [
            "Row 27",
            "Place",
            "“实验楼B/2F” — No such place: write its whole path (such as 教学楼A/3F/301) "
            "or its code, or add it under Places first.",
        ]
    )
    await assert_fits(page)
    await snap(page, "console-import-errors-en", clean.backend)
    await form.get_by_label("Choose a file (.xlsx or .csv)").set_input_files(fixed)
    await form.get_by_test_id("check-file").click()
    await expect(summary).to_have_text("50 rows checked, nothing wrong. Assets to add: 50.")
    await expect(rows).to_have_count(50)
    await snap(page, "console-import-preview-en", clean.backend)
    await page.get_by_test_id("commit-import").click()
    await expect(page.get_by_test_id("page-message")).to_have_text(
        "Assets imported: 50. They are listed under Equipment."
    )
    assets = {a["asset_number"]: a for a in await stored(api, admin, school)}
    assert len(assets) == 50
    assert assets["MHQ-026"]["location_path"] == ["教学楼A", "3F"]
    assert assets["MHQ-026"]["keeper_id"] == str(keeper.user_id)
    assert assets["MHQ-026"]["serial_number"] == "SN26"
    assert assets["MHQ-026"]["category"] == "fire_extinguisher"
    assert assets["MHQ-026"]["attributes"] == {"expiry_date": "2031-03-01"}

    # The same file again: said so, nothing added twice.
    form = page.get_by_test_id("import-form")
    await form.get_by_label("Choose a file (.xlsx or .csv)").set_input_files(fixed)
    await form.get_by_test_id("check-file").click()
    await expect(page.get_by_test_id("check-result")).to_contain_text("was imported on")
    await expect(page.get_by_test_id("commit-import")).to_have_count(0)
    assert len(await stored(api, admin, school)) == 50
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("tab-import")).to_have_text("批量导入")
    assert errors == [], errors
    await context.close()

    # An auditor reads how an import works and is offered no upload.
    auditor = await make_person(school, "auditor", expires_at=datetime.now(UTC) + timedelta(days=9))
    context = await a_desktop(browser)
    page = errors.watch(await context.new_page())
    await console_login(page, clean.url, auditor.username)
    await expect(page.get_by_test_id("site")).to_have_count(1)
    await page.goto(f"{clean.url}/console/register?site={school.site_id}&view=import")
    await expect(page.get_by_test_id("read-only")).to_contain_text("只能查看")
    for control in ("import-form", "check-file", "commit-import"):
        await expect(page.get_by_test_id(control)).to_have_count(0)
    assert await axe_violations(page) == []
    await snap(page, "console-import-auditor-zh", clean.backend)
    assert errors == [], errors
    await context.close()
