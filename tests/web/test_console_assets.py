"""The console's register, assets tab, in a real browser: an admin pages through the
school's assets and filters them by place (a building takes in what is inside it),
category, text and tag, with the filters kept in the address; adds one, is told next to
the field when its number is taken, meets a stale edit with the stored values shown and
what they typed kept beside them, and retires one; an auditor reads the same list with
nothing that writes; both languages; no serious accessibility violation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.async_api import Page, expect

from tests.factories import make_asset, make_location, make_person, make_school, make_tag
from tests.web.axe import axe_violations
from tests.web.test_client import ConsoleErrors, snap
from tests.web.test_console import a_desktop, assert_fits, console_login


def asset(page: Page, name: str):
    return page.locator(f'[data-testid="asset"][data-name="{name}"]')


async def stored(api, person, school, **params) -> list[dict]:
    response = await api.get(
        "/api/assets",
        params={"site_id": str(school.site_id), "limit": 500, **params},
        headers=person.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_an_admin_finds_adds_edits_and_retires_assets(browser, clean, api) -> None:
    school = await make_school("阳光实验小学")
    admin = await make_person(school, "admin")
    keeper = await make_person(school, "maintainer")
    building = await make_location(admin, school, "教学楼A")
    floor = await make_location(admin, school, "3F", parent=building, kind="floor")
    lab = await make_location(admin, school, "实验楼")
    for n in range(1, 56):
        await make_asset(
            admin, school, name=f"干粉灭火器{n:02d}", location=floor, asset_number=f"MHQ-{n:03d}"
        )
    panel = await make_asset(
        admin, school, name="一楼配电箱", category="electrical_panel", location=lab
    )
    await make_asset(admin, school, name="二楼配电箱", category="electrical_panel", location=lab)
    await make_tag(admin, asset=panel)
    serial = await api.patch(
        f"/api/assets/{panel}", json={"serial_number": "SN-PDX-7"}, headers=admin.headers
    )
    assert serial.status_code == 200, serial.text

    context = await a_desktop(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await console_login(page, clean.url, admin.username)
    await expect(page.get_by_test_id("site")).to_have_count(1)
    await page.goto(f"{clean.url}/console/register?site={school.site_id}&view=assets")
    await expect(page.get_by_test_id("tab-assets")).to_have_attribute("aria-current", "page")
    rows = page.get_by_test_id("asset")
    # 57 assets: 50 on the first page, the rest on the second.
    await expect(rows).to_have_count(50)
    await expect(page.get_by_test_id("page-number")).to_have_text("第 1 页")
    await page.get_by_test_id("next-page").click()
    await expect(rows).to_have_count(7)
    await expect(page.get_by_test_id("page-number")).to_have_text("第 2 页")
    await expect(page.get_by_test_id("next-page")).to_have_count(0)
    await page.get_by_test_id("previous-page").click()
    await expect(rows).to_have_count(50)

    # A building takes in its floors; a category; a serial number's text; untagged.
    filters = page.get_by_test_id("asset-filters")
    await filters.get_by_label("位置").select_option(label="教学楼A")
    await filters.get_by_label("类别").select_option(label="配电箱")
    await filters.get_by_test_id("apply-filters").click()
    await expect(page.get_by_test_id("no-assets")).to_have_text("没有符合条件的设施设备。")
    await filters.get_by_label("位置").select_option(label="实验楼")
    await filters.get_by_test_id("apply-filters").click()
    await expect(rows.get_by_test_id("asset-name")).to_have_text(["一楼配电箱", "二楼配电箱"])
    await filters.get_by_label("只看还没有贴标签的").check()
    await filters.get_by_test_id("apply-filters").click()
    await expect(rows.get_by_test_id("asset-name")).to_have_text(["二楼配电箱"])
    await page.get_by_test_id("clear-filters").click()
    await expect(rows).to_have_count(50)
    await filters.get_by_label("名称、编号或序列号").fill("pdx-7")
    await filters.get_by_test_id("apply-filters").click()
    await expect(rows.get_by_test_id("asset-name")).to_have_text(["一楼配电箱"])
    await expect(rows.get_by_test_id("asset-place")).to_have_text(["实验楼"])
    # The filters are in the address: a reload (or a link) opens the same list.
    assert "q=pdx-7" in page.url
    await page.reload()
    await expect(rows.get_by_test_id("asset-name")).to_have_text(["一楼配电箱"])
    await expect(page.get_by_label("名称、编号或序列号")).to_have_value("pdx-7")
    await page.goto(
        f"{clean.url}/console/register?site={school.site_id}&view=assets"
        f"&location={building}&q=MHQ-05"
    )
    await expect(rows).to_have_count(6)  # MHQ-050 to MHQ-055

    # A new asset; its number is taken at first: said next to that field, the rest kept.
    await page.get_by_test_id("open-add-asset").click()
    new = page.get_by_test_id("asset-new")
    await new.get_by_label("名称", exact=True).fill("二氧化碳灭火器")
    await new.get_by_label("资产编号（可选）").fill("MHQ-001")
    await new.get_by_label("出厂编号（序列号，可选）").fill("CO2-2031-88")
    await new.get_by_label("位置").select_option(label="教学楼A › 3F")
    await new.get_by_label("责任人").select_option(label="测试maintainer（维修工）")
    await new.get_by_label("有效期至").fill("2031-05-01")
    await new.get_by_test_id("add-asset").click()
    await expect(new.locator('[data-problem="asset_number"]')).to_have_text(
        "本校已有设施使用这个资产编号，请换一个。"
    )
    await expect(new.get_by_label("名称", exact=True)).to_have_value("二氧化碳灭火器")
    assert len(await stored(api, admin, school)) == 57
    await new.get_by_label("资产编号（可选）").fill("MHQ-900")
    await new.get_by_test_id("add-asset").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text("已添加“二氧化碳灭火器”")
    await expect(rows.get_by_test_id("asset-name")).to_have_text(["二氧化碳灭火器"])
    [made] = await stored(api, admin, school, q="MHQ-900")
    assert made["location_path"] == ["教学楼A", "3F"]
    assert made["keeper_id"] == str(keeper.user_id)
    assert made["serial_number"] == "CO2-2031-88"
    assert made["attributes"] == {"expiry_date": "2031-05-01"}
    assert made["category"] == "fire_extinguisher"

    # A stale edit: someone else renamed it meanwhile. The stored values are shown, what
    # this admin typed is kept beside them, and nothing of theirs was stored.
    await asset(page, "二氧化碳灭火器").get_by_test_id("edit-asset").click()
    edit = asset(page, "二氧化碳灭火器").get_by_test_id("asset-edit")
    changed = await api.patch(
        f"/api/assets/{made['id']}", json={"name": "二氧化碳灭火器（3F东）"}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text
    await edit.get_by_label("名称", exact=True).fill("CO2灭火器")
    await edit.get_by_label("有效期至").fill("2032-05-01")
    await edit.get_by_test_id("save-asset").click()
    edit = asset(page, "二氧化碳灭火器").get_by_test_id("asset-edit")
    await expect(edit.get_by_test_id("stale")).to_contain_text("刚被他人修改")
    await expect(edit.get_by_label("名称", exact=True)).to_have_value("二氧化碳灭火器（3F东）")
    await expect(edit.get_by_test_id("typed-name")).to_have_text("您填写的：CO2灭火器")
    await expect(edit.get_by_test_id("typed-attr_expiry_date")).to_have_text("您填写的：2032-05-01")
    await expect(asset(page, "二氧化碳灭火器").get_by_test_id("asset-name")).to_have_text(
        "二氧化碳灭火器（3F东）"
    )
    [now] = await stored(api, admin, school, q="MHQ-900")
    assert (now["name"], now["attributes"]["expiry_date"]) == (
        "二氧化碳灭火器（3F东）",
        "2031-05-01",
    )
    assert await axe_violations(page) == []
    await assert_fits(page)
    await snap(page, "console-assets-stale-zh", clean.backend)
    await edit.get_by_label("有效期至").fill("2032-05-01")
    await edit.get_by_test_id("save-asset").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text(
        "已保存“二氧化碳灭火器（3F东）”"
    )
    [now] = await stored(api, admin, school, q="MHQ-900")
    assert (now["attributes"]["expiry_date"], now["version"]) == ("2032-05-01", 3)

    # Retired, after a confirmation; then listed among the retired, marked so.
    page.once("dialog", lambda dialog: dialog.accept())
    await rows.first.get_by_test_id("retire-asset").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text(
        "已停用“二氧化碳灭火器（3F东）”"
    )
    await expect(page.get_by_test_id("no-assets")).to_be_visible()
    [now] = await stored(api, admin, school, q="MHQ-900", status="retired")
    assert now["status"] == "retired"
    await filters.get_by_label("状态").select_option(label="已停用")
    await filters.get_by_test_id("apply-filters").click()
    await expect(rows.get_by_test_id("asset-retired")).to_have_text(["已停用"])
    await expect(rows.get_by_test_id("edit-asset")).to_have_count(0)
    assert await axe_violations(page) == []
    await assert_fits(page)
    await snap(page, "console-assets-retired-zh", clean.backend)

    await page.get_by_test_id("clear-filters").click()
    await expect(rows).to_have_count(50)
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("tab-assets")).to_have_text("Equipment")
    await expect(page.get_by_test_id("page-number")).to_have_text("Page 1")
    await expect(rows.first).to_contain_text("Fire extinguisher")
    await page.get_by_test_id("open-add-asset").click()
    await expect(page.get_by_test_id("asset-new")).to_contain_text("Serial number (optional)")
    assert await axe_violations(page) == []
    await assert_fits(page)
    await snap(page, "console-assets-en", clean.backend)
    await page.set_viewport_size({"width": 1024, "height": 768})
    await assert_fits(page)
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("page-number")).to_have_text("第 1 页")
    await assert_fits(page)
    await snap(page, "console-assets-1024-zh", clean.backend)
    assert [e for e in errors if "409" not in e] == [], errors
    await context.close()

    # An auditor reads the same list, filters it, and is offered nothing that writes.
    auditor = await make_person(school, "auditor", expires_at=datetime.now(UTC) + timedelta(days=9))
    context = await a_desktop(browser)
    page = errors.watch(await context.new_page())
    errors.clear()
    await console_login(page, clean.url, auditor.username)
    await expect(page.get_by_test_id("site")).to_have_count(1)
    await page.goto(f"{clean.url}/console/register?site={school.site_id}&view=assets&q=配电箱")
    await expect(page.get_by_test_id("asset")).to_have_count(2)
    await expect(page.get_by_test_id("read-only")).to_contain_text("只能查看")
    for control in (
        "asset-new",
        "open-add-asset",
        "edit-asset",
        "retire-asset",
        "restore-asset",
        "add-asset",
    ):
        await expect(page.get_by_test_id(control)).to_have_count(0)
    assert await axe_violations(page) == []
    await snap(page, "console-assets-auditor-zh", clean.backend)
    assert errors == [], errors
    await context.close()
