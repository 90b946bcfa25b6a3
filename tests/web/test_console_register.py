"""The console's register, places tab, in a real browser: an admin builds the school's tree
(a building, a floor in it, a room in that), renames and moves places, is never offered a
move under itself, sees a stale edit said and the stored values shown, and cannot retire a
place with places inside; an auditor reads the tree; both languages; no serious
accessibility violation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.async_api import Page, expect

from tests.factories import make_person, make_school
from tests.web.axe import axe_violations
from tests.web.test_client import ConsoleErrors, snap
from tests.web.test_console import a_desktop, assert_fits, console_login


def place(page: Page, name: str):
    return page.locator(f'[data-testid="place"][data-name="{name}"]')


def line(page: Page, name: str):
    return place(page, name).locator(":scope > .place-line")


async def add_inside(page: Page, parent: str, name: str, kind: str, code: str = "") -> None:
    await line(page, parent).get_by_test_id("add-inside").click()
    form = place(page, parent).get_by_test_id("place-new").first
    await form.get_by_label("名称", exact=True).fill(name)
    await form.get_by_label("类型").select_option(kind)
    if code:
        await form.get_by_label("编号（如房间号，可选）").fill(code)
    await form.get_by_test_id("add-place").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text(f"已添加“{name}”")


async def test_an_admin_builds_and_rearranges_the_schools_places(browser, clean, api) -> None:
    school = await make_school("阳光实验小学")
    admin = await make_person(school, "admin")
    context = await a_desktop(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await console_login(page, clean.url, admin.username)
    await page.get_by_test_id("nav-register").click()
    await expect(page.locator("h1")).to_have_text("台账")
    await expect(page.get_by_test_id("tab-locations")).to_have_attribute("aria-current", "page")
    await expect(page.get_by_test_id("no-places")).to_be_visible()

    top = page.get_by_test_id("place-new").last
    await top.get_by_label("名称", exact=True).fill("教学楼A")
    await top.get_by_label("英文名称（可选）").fill("Building A")
    await top.get_by_test_id("add-place").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text("已添加“教学楼A”")
    await add_inside(page, "教学楼A", "3F", "floor")
    await add_inside(page, "3F", "301", "room", code="301")
    await expect(place(page, "教学楼A").locator('[data-testid="place"]')).to_have_count(2)
    await expect(line(page, "301")).to_contain_text("房间")

    # Renamed; and a place is never offered a parent inside itself.
    await line(page, "301").get_by_test_id("edit-place").click()
    edit = place(page, "301").get_by_test_id("place-edit")
    await edit.get_by_label("名称", exact=True).fill("301教室")
    await edit.get_by_test_id("save-place").click()
    await expect(place(page, "301教室")).to_be_visible()
    await line(page, "教学楼A").get_by_test_id("edit-place").click()
    choices = (
        await place(page, "教学楼A")
        .get_by_label("所在位置")
        .first.locator("option")
        .all_text_contents()
    )
    assert choices == ["（最上层）"], choices

    # A stale edit: someone else renamed the floor meanwhile.
    listed = (
        await api.get(
            "/api/locations", params={"site_id": str(school.site_id)}, headers=admin.headers
        )
    ).json()
    floor = next(p for p in listed["items"] if p["name"] == "3F")
    changed = await api.patch(
        f"/api/locations/{floor['id']}", json={"name": "三楼"}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text
    await line(page, "3F").get_by_test_id("edit-place").click()
    stale = place(page, "3F").get_by_test_id("place-edit")
    await stale.get_by_label("名称", exact=True).fill("3层")
    await stale.get_by_test_id("save-place").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text("刚被他人修改")
    await expect(place(page, "三楼")).to_be_visible()
    await expect(place(page, "3层")).to_have_count(0)

    # A second building; the floor moves there with its room.
    top = page.get_by_test_id("place-new").last
    await top.get_by_label("名称", exact=True).fill("实验楼")
    await top.get_by_test_id("add-place").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text("已添加“实验楼”")
    await line(page, "三楼").get_by_test_id("edit-place").click()
    await place(page, "三楼").get_by_label("所在位置").first.select_option(label="实验楼")
    await place(page, "三楼").get_by_test_id("save-place").click()
    await expect(
        place(page, "实验楼").locator('[data-testid="place"][data-name="301教室"]')
    ).to_be_visible()

    # A place with places inside is not retired; an empty one is.
    page.on("dialog", lambda dialog: dialog.accept())
    await line(page, "实验楼").get_by_test_id("retire-place").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text("其下还有位置或设施")
    await line(page, "教学楼A").get_by_test_id("retire-place").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text("已停用“教学楼A”")
    await expect(place(page, "教学楼A")).to_have_count(0)
    assert await axe_violations(page) == []
    await assert_fits(page)
    await snap(page, "console-register-places-zh", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(page.locator("h1")).to_have_text("Register")
    await expect(line(page, "301教室")).to_contain_text("Room")
    await snap(page, "console-register-places-en", clean.backend)
    assert [e for e in errors if "409" not in e] == [], errors
    await context.close()

    auditor = await make_person(school, "auditor", expires_at=datetime.now(UTC) + timedelta(days=9))
    context = await a_desktop(browser)
    page = await context.new_page()
    await console_login(page, clean.url, auditor.username)
    await page.get_by_test_id("nav-register").click()
    await expect(place(page, "301教室")).to_be_visible()
    for control in ("edit-place", "add-inside", "retire-place", "place-new"):
        await expect(page.get_by_test_id(control)).to_have_count(0)
    await context.close()
