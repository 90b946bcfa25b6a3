"""The console's checklists page in a real browser: an admin reads the library and the
organization's own templates, sees a template as the phone shows it in both languages,
publishes a changed version (an invalid edit first: its problem shown by its path, nothing
published), sees what changed between the two versions, and changes where a checklist
applies at the school, a refused category said next to its field and a stale change said as
such; a manager places checklists but publishes none; an auditor reads all of it with
nothing that writes; no serious accessibility violation."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from playwright.async_api import Page, expect

from checklists import load_library
from server.templates.templates import install_library
from tests.factories import make_person, make_school
from tests.templates.test_templates import SIMPLE
from tests.web.axe import axe_violations
from tests.web.test_client import ConsoleErrors, snap
from tests.web.test_console import DESKTOP, a_desktop, assert_fits, console_login

EXTINGUISHER = "fire_extinguisher_monthly"
NARROW = {"width": 1024, "height": 768}


def row(page: Page, key: str):
    return page.locator(f'[data-testid="template"][data-key="{key}"]')


def item(page: Page, key: str):
    return page.get_by_test_id("template-view").locator(f'[data-testid="item"][data-key="{key}"]')


async def open_template(page: Page, key: str) -> None:
    await row(page, key).get_by_test_id("open-template").click()
    await expect(page.get_by_test_id("template-page")).to_have_attribute("data-key", key)


async def versions_of(api, person, key: str) -> list[int]:
    answer = await api.get(f"/api/templates/{key}", headers=person.headers)
    return answer.json()["versions"]


async def rule_of(api, person, school, key: str) -> dict:
    listed = await api.get(f"/api/sites/{school.site_id}/checklists", headers=person.headers)
    return next(r for r in listed.json() if r["template_key"] == key)


async def test_an_admin_reads_publishes_compares_and_places_the_schools_checklists(
    browser, clean, api
) -> None:
    school = await make_school("阳光实验小学")
    admin = await make_person(school, "admin")
    await install_library(school.organization_id)
    own = await api.post("/api/templates", content=SIMPLE.encode(), headers=admin.headers)
    assert own.status_code == 201, own.text
    library = load_library()

    context = await a_desktop(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await console_login(page, clean.url, admin.username)
    await page.get_by_test_id("nav-checklists").click()
    await expect(page.locator("h1")).to_have_text("检查表")

    # The library and the organization's own, each with where it applies here.
    await expect(page.get_by_test_id("template")).to_have_count(len(library) + 1)
    extinguisher = row(page, EXTINGUISHER)
    await expect(extinguisher).to_contain_text("灭火器月度检查")
    await expect(extinguisher).to_contain_text("内置")
    await expect(extinguisher).to_contain_text("消防")
    await expect(extinguisher.get_by_test_id("latest-version")).to_contain_text("第 1 版")
    await expect(extinguisher.get_by_test_id("applies-here")).to_have_text("设施设备：灭火器")
    await expect(row(page, "stairwell_check")).to_contain_text("本单位自建")
    await expect(row(page, "stairwell_check").get_by_test_id("applies-here")).to_have_text(
        "位置：楼梯间"
    )
    assert await axe_violations(page) == []
    await assert_fits(page)
    await snap(page, "console-checklists-library-zh", clean.backend)

    # A template of the school's own, uploaded as a YAML file.
    await page.get_by_test_id("new-template").click()
    upload = (
        SIMPLE.replace("stairwell_check", "stairwell_lights")
        .replace("楼梯间检查", "楼梯间照明")
        .replace("Stairwell check", "Stairwell lights")
    )
    await page.get_by_test_id("template-file").set_input_files(
        files=[
            {"name": "楼梯间照明.yaml", "mimeType": "application/yaml", "buffer": upload.encode()}
        ]
    )
    await expect(page.get_by_test_id("template-format")).to_have_value("yaml")
    await expect(page.get_by_test_id("template-body")).to_have_value(upload)
    await page.get_by_test_id("publish-template").click()
    await expect(page.get_by_test_id("page-message")).to_have_text("已发布第 1 版。")
    await expect(page.get_by_test_id("template-title")).to_have_text("楼梯间照明")
    assert await versions_of(api, admin, "stairwell_lights") == [1]
    await page.get_by_test_id("back-to-library").click()
    await expect(page.get_by_test_id("template")).to_have_count(len(library) + 2)

    # One template as the phone shows it: answers (the failing ones marked), what is
    # prefilled, what a failure needs; then its English.
    await open_template(page, EXTINGUISHER)
    template = library[EXTINGUISHER]
    await expect(page.get_by_test_id("item")).to_have_count(len(template.items))
    gauge = item(page, "gauge_zone")
    await expect(gauge.get_by_test_id("item-label")).to_have_text("压力表指针所在区域")
    await expect(gauge).to_contain_text("关键项")
    await expect(gauge.locator(".answer")).to_have_count(3)
    await expect(gauge.locator(".answer.fails")).to_have_count(2)
    await expect(gauge.locator('[data-fact="evidence"]')).to_have_text(
        "不合格时在本项下填写：照片（选填）、说明（选填）"
    )
    service_life = item(page, "service_life_end")
    await expect(service_life.locator('[data-fact="prefill"]')).to_have_text(
        "自动带出设施设备台账中的“有效期至”，检查人员可以修改"
    )
    await expect(service_life.locator('[data-fact="must_not_be_past"]')).to_be_visible()
    await expect(item(page, "photo").locator('[data-fact="required"]')).to_have_text(
        "有项目不合格时必填，否则选填"
    )
    await expect(item(page, "seal_and_pin").locator(".answer")).to_have_text(["合格", "不合格"])
    assert await axe_violations(page) == []
    await assert_fits(page)
    await snap(page, "console-checklists-template-zh", clean.backend)
    await page.get_by_test_id("template-lang-en").click()
    await expect(gauge.get_by_test_id("item-label")).to_have_text("Pressure gauge needle zone")
    await expect(page.get_by_test_id("template-title")).to_have_text(
        "Fire extinguisher monthly check"
    )
    await expect(page.get_by_test_id("template-lang-en")).to_have_attribute("aria-pressed", "true")
    # As a phone in English shows it: its answers and what it asks in English too.
    await expect(item(page, "seal_and_pin").locator(".answer")).to_have_text(["Pass", "Fail"])
    await expect(gauge.locator('[data-fact="evidence"]')).to_have_text(
        "When it fails, asks right under it for: a photo (optional), a note (optional)"
    )
    await expect(page.locator("h1")).to_have_text("检查表")
    await snap(page, "console-checklists-template-text-en", clean.backend)
    await page.get_by_test_id("template-lang-zh-CN").click()
    await expect(gauge.get_by_test_id("item-label")).to_have_text("压力表指针所在区域")

    # An invalid edit: its problem by its path, what was typed kept, nothing published.
    await page.get_by_test_id("edit-template").click()
    body = page.get_by_test_id("template-body")
    edited = json.loads(await body.input_value())
    edited["items"][0]["options"] = []
    await body.fill(json.dumps(edited, ensure_ascii=False, indent=2))
    await page.get_by_test_id("publish-template").click()
    problem = page.get_by_test_id("template-problem")
    await expect(problem).to_have_count(1)
    await expect(problem).to_have_attribute("data-path", "items[0].options")
    await expect(problem).to_contain_text("第 1 项“压力表指针所在区域”")
    await expect(problem).to_contain_text("字段名称、类型或取值不对")
    assert json.loads(await body.input_value())["items"][0]["options"] == []
    assert await versions_of(api, admin, EXTINGUISHER) == [1]
    assert await axe_violations(page) == []
    await assert_fits(page)
    await snap(page, "console-checklists-invalid-zh", clean.backend)
    # Looking at the English meanwhile keeps what was typed.
    await page.get_by_test_id("template-lang-en").click()
    await expect(gauge.get_by_test_id("item-label")).to_have_text("Pressure gauge needle zone")
    assert json.loads(await body.input_value())["items"][0]["options"] == []
    await page.get_by_test_id("template-lang-zh-CN").click()
    await expect(gauge.get_by_test_id("item-label")).to_have_text("压力表指针所在区域")

    # A valid change: an item renamed, one removed, one added, an answer renamed.
    changed = json.loads(await body.input_value())
    changed["items"][0]["options"] = edited_options = [
        {"value": "green", "label": {"zh-CN": "绿区（正常）", "en": "Green (normal)"}},
        {"value": "red", "label": {"zh-CN": "红区（欠压，需充装）", "en": "Red (recharge)"}},
        {"value": "yellow", "label": {"zh-CN": "黄区（超压）", "en": "Yellow (over-pressure)"}},
    ]
    hose = next(i for i in changed["items"] if i["key"] == "hose")
    hose["label"] = {"zh-CN": "喷管、喷嘴无龟裂、无堵塞", "en": "Hose and nozzle not cracked"}
    changed["items"] = [i for i in changed["items"] if i["key"] != "cabinet_opens"]
    changed["items"].insert(
        5,
        {
            "type": "check",
            "key": "mounting_height",
            "label": {"zh-CN": "挂放高度合适，底部离地不低于 8 厘米", "en": "Mounted high enough"},
            "evidence": {"photo": "optional", "note": "optional"},
        },
    )
    await body.fill(json.dumps(changed, ensure_ascii=False, indent=2))
    await page.get_by_test_id("check-template").click()
    await expect(page.get_by_test_id("check-ok")).to_contain_text("第 2 版")
    assert await versions_of(api, admin, EXTINGUISHER) == [1]
    await page.get_by_test_id("publish-template").click()
    await expect(page.get_by_test_id("page-message")).to_have_text("已发布第 2 版。")
    assert await versions_of(api, admin, EXTINGUISHER) == [1, 2]
    stored = (await api.get(f"/api/templates/{EXTINGUISHER}", headers=admin.headers)).json()
    assert stored["template"]["items"][0]["options"] == edited_options
    assert [i["key"] for i in stored["template"]["items"]][5] == "mounting_height"
    old = await api.get(f"/api/templates/{EXTINGUISHER}/versions/1", headers=admin.headers)
    assert "cabinet_opens" in [i["key"] for i in old.json()["template"]["items"]]
    await expect(item(page, "mounting_height")).to_be_visible()
    await expect(page.get_by_test_id("version-choice")).to_have_value("2")

    # What changed from version 1 to 2, item by item.
    compare = page.get_by_test_id("compare")
    await expect(compare.get_by_test_id("items-added")).to_contain_text("挂放高度合适")
    await expect(compare.get_by_test_id("items-removed")).to_contain_text("灭火器箱开启灵活")
    changes = compare.get_by_test_id("items-changed")
    await expect(changes.locator('li[data-key="hose"]')).to_contain_text("喷管无龟裂、无堵塞")
    await expect(changes.locator('li[data-key="hose"] ins').first).to_contain_text("喷管、喷嘴")
    await expect(changes.locator('li[data-key="gauge_zone"]')).to_contain_text(
        "红区（欠压，需充装）"
    )
    await expect(changes.locator("li[data-key]")).to_have_count(2)
    # An older version stays readable.
    await page.get_by_test_id("version-choice").select_option("1")
    await expect(item(page, "cabinet_opens")).to_be_visible()
    await expect(page.get_by_test_id("template-page")).to_contain_text("最新为第 2 版")
    assert await axe_violations(page) == []
    await assert_fits(page)
    await snap(page, "console-checklists-compare-zh", clean.backend)
    await page.set_viewport_size(NARROW)
    await assert_fits(page)
    await page.set_viewport_size(DESKTOP)

    # Someone publishes version 3 while version 2 is being changed here: the page says so
    # and shows version 3 to change instead; nothing of the stale edit is published.
    await page.get_by_test_id("edit-template").click()
    mine = json.loads(await body.input_value())
    assert mine["items"][5]["key"] == "mounting_height"
    theirs = json.loads(json.dumps(mine))
    theirs["items"][5]["label"]["zh-CN"] = "挂放高度合适"
    published = await api.post(
        "/api/templates",
        params={"format": "json"},
        content=json.dumps(theirs).encode(),
        headers=admin.headers,
    )
    assert published.json()["version"] == 3, published.text
    mine["items"][5]["required"] = False
    await body.fill(json.dumps(mine, ensure_ascii=False, indent=2))
    await page.get_by_test_id("publish-template").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text("刚刚有人发布了第 3 版")
    assert '"挂放高度合适"' in await page.get_by_test_id("template-body").input_value()
    assert await versions_of(api, admin, EXTINGUISHER) == [1, 2, 3]

    # Where a checklist applies here: a bad category refused next to its field and
    # nothing stored; then the exit signs taken off it.
    await page.get_by_test_id("back-to-library").click()
    await open_template(page, "emergency_lighting_monthly")
    form = page.get_by_test_id("rule-form")
    await form.get_by_label("安全出口标志").uncheck()
    await form.get_by_test_id("rule-more").fill("Swimming Pool")
    await form.get_by_test_id("save-rule").click()
    await expect(form.locator('[data-problem="asset_categories"]')).to_have_text(
        "设施设备类别的标识只能用小写英文字母、数字和下划线，并以字母开头。"
    )
    await expect(form.get_by_test_id("rule-more")).to_have_value("Swimming Pool")
    rule = await rule_of(api, admin, school, "emergency_lighting_monthly")
    assert (rule["overridden"], rule["asset_categories"]) == (
        False,
        ["emergency_light", "exit_sign"],
    )
    assert await axe_violations(page) == []
    await snap(page, "console-checklists-rule-refused-zh", clean.backend)
    # Meanwhile someone else adds the gate: the stale change says so and shows theirs.
    elsewhere = await api.put(
        f"/api/sites/{school.site_id}/checklists/emergency_lighting_monthly",
        json={
            "asset_categories": ["emergency_light", "exit_sign"],
            "location_kinds": ["corridor", "stairwell", "floor", "gate"],
        },
        headers=admin.headers,
    )
    assert elsewhere.status_code == 200, elsewhere.text
    await form.get_by_test_id("rule-more").fill("")
    await form.get_by_test_id("save-rule").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text("刚被他人修改")
    await expect(form.get_by_label("校门")).to_be_checked()
    await expect(form.get_by_label("安全出口标志")).to_be_checked()
    await form.get_by_label("安全出口标志").uncheck()
    await form.get_by_test_id("save-rule").click()
    await expect(page.get_by_test_id("page-message")).to_have_text("已保存本校的适用范围。")
    rule = await rule_of(api, admin, school, "emergency_lighting_monthly")
    assert rule["overridden"] and rule["enabled"]
    assert rule["asset_categories"] == ["emergency_light"]
    assert rule["location_kinds"] == ["corridor", "floor", "gate", "stairwell"]
    # Switched off here altogether: the list says so.
    await page.get_by_test_id("rule-enabled").uncheck()
    async with page.expect_response(lambda r: r.request.method == "PUT") as saved:
        await page.get_by_test_id("save-rule").click()
    assert (await saved.value).ok
    await expect(page.get_by_test_id("page-message")).to_have_text("已保存本校的适用范围。")
    assert (await rule_of(api, admin, school, "emergency_lighting_monthly"))["enabled"] is False
    await page.get_by_test_id("back-to-library").click()
    await expect(
        row(page, "emergency_lighting_monthly").get_by_test_id("applies-here")
    ).to_contain_text("本校不使用")

    # In English, the same page.
    await page.get_by_test_id("lang").click()
    await expect(page.locator("h1")).to_have_text("Checklists")
    await expect(row(page, EXTINGUISHER)).to_contain_text("Fire extinguisher monthly check")
    await expect(row(page, EXTINGUISHER).get_by_test_id("latest-version")).to_contain_text(
        "Version 3"
    )
    await assert_fits(page)
    await snap(page, "console-checklists-library-en", clean.backend)
    await open_template(page, EXTINGUISHER)
    await expect(gauge.get_by_test_id("item-label")).to_have_text("Pressure gauge needle zone")
    await expect(page.get_by_test_id("compare")).to_contain_text("What changed from version 2")
    await expect(page.get_by_test_id("rule")).to_contain_text("Where it applies at this school")
    assert await axe_violations(page) == []
    await assert_fits(page)
    await snap(page, "console-checklists-template-en", clean.backend)
    assert [e for e in errors if "400" not in e and "409" not in e] == [], errors
    await context.close()


async def test_a_manager_places_checklists_and_an_auditor_reads_them_changing_nothing(
    browser, clean, api
) -> None:
    school = await make_school("阳光实验小学")
    admin = await make_person(school, "admin")
    await install_library(school.organization_id)
    changed = SIMPLE.replace("照明正常", "照明灯具完好")
    for body in (SIMPLE, changed):
        published = await api.post("/api/templates", content=body.encode(), headers=admin.headers)
        assert published.status_code == 201, published.text
    auditor = await make_person(school, "auditor", expires_at=datetime.now(UTC) + timedelta(days=9))
    manager = await make_person(school, "manager")

    # A manager places checklists at the school; publishing is the organization's admins'.
    context = await a_desktop(browser)
    page = await context.new_page()
    await console_login(page, clean.url, manager.username)
    await page.get_by_test_id("nav-checklists").click()
    await expect(page.get_by_test_id("template")).to_have_count(len(load_library()) + 1)
    await expect(page.get_by_test_id("publish-new")).to_have_count(0)
    await open_template(page, "stairwell_check")
    await expect(page.get_by_test_id("rule-form")).to_be_visible()
    await expect(page.get_by_test_id("publish")).to_have_count(0)
    await context.close()

    context = await a_desktop(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await console_login(page, clean.url, auditor.username)
    await page.get_by_test_id("nav-checklists").click()
    await expect(page.get_by_test_id("template")).to_have_count(len(load_library()) + 1)
    await expect(page.get_by_test_id("publish-new")).to_have_count(0)
    await open_template(page, "stairwell_check")
    await expect(item(page, "lights").get_by_test_id("item-label")).to_have_text("照明灯具完好")
    await expect(page.get_by_test_id("rule-text")).to_contain_text("位置：楼梯间")
    await expect(page.get_by_test_id("compare").get_by_test_id("items-changed")).to_contain_text(
        "照明正常"
    )
    for control in ("rule-form", "save-rule", "edit-template", "publish", "publish-form"):
        await expect(page.get_by_test_id(control)).to_have_count(0)
    await expect(page.locator("main form, main textarea, main input")).to_have_count(0)
    assert await axe_violations(page) == []
    await assert_fits(page)
    await snap(page, "console-checklists-auditor-zh", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("rule-text")).to_contain_text("Places: Stairwell")
    await snap(page, "console-checklists-auditor-en", clean.backend)
    assert errors == [], errors
    await context.close()


async def test_a_save_whose_redraw_is_slow_does_not_undo_going_back_to_the_library(
    browser, clean, api
) -> None:
    """A save redraws the page; a click on "back" meanwhile draws the library. The
    library stays, however late the save's redraw finishes."""
    school = await make_school("阳光实验小学")
    admin = await make_person(school, "admin")
    await install_library(school.organization_id)
    context = await a_desktop(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await console_login(page, clean.url, admin.username)
    await page.get_by_test_id("nav-checklists").click()
    await open_template(page, "emergency_lighting_monthly")

    held = asyncio.Event()
    released = asyncio.Event()
    saved = False

    async def note_the_save(route) -> None:
        nonlocal saved
        saved = saved or route.request.method == "PUT"
        await route.continue_()

    async def hold_the_first_reload(route) -> None:
        if saved and not held.is_set():
            held.set()
            await released.wait()
        await route.continue_()

    await page.route(f"**/api/sites/{school.site_id}/checklists/**", note_the_save)
    await page.route("**/api/templates/emergency_lighting_monthly", hold_the_first_reload)
    await page.get_by_test_id("rule-enabled").uncheck()
    await page.get_by_test_id("save-rule").click()
    await asyncio.wait_for(held.wait(), 10)
    await page.get_by_test_id("back-to-library").click()
    await expect(page.get_by_test_id("template")).to_have_count(len(load_library()))
    async with page.expect_response(lambda r: r.url.endswith("/emergency_lighting_monthly")):
        released.set()
    # The save's redraw has everything it asked for; give it the time to draw.
    await page.evaluate("new Promise((done) => setTimeout(done, 300))")
    await expect(page.get_by_test_id("template-page")).to_have_count(0)
    await expect(page.get_by_test_id("template")).to_have_count(len(load_library()))
    assert (await rule_of(api, admin, school, "emergency_lighting_monthly"))["enabled"] is False
    await expect(
        row(page, "emergency_lighting_monthly").get_by_test_id("applies-here")
    ).to_contain_text("本校不使用")
    assert list(errors) == [], errors
    await context.close()
