"""The console's register, tags and labels tabs, in a real browser: an admin tags one asset
found by search, sees a mistyped pre-printed code refused next to its field, tags the rest
at once, replaces a damaged label, moves one, retires one and reads a history; then prints
a label sheet whose QR codes are the URLs of tags the server holds. An auditor reads the
tags and prints labels, with nothing offered that changes a tag. Both languages; no
serious accessibility violation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pypdfium2
import zxingcpp
from playwright.async_api import Page, expect

from qr.codes import format_code, new_code
from tests.conftest import PUBLIC_URL
from tests.factories import make_asset, make_location, make_person, make_school
from tests.web.axe import axe_violations
from tests.web.test_client import ConsoleErrors, snap
from tests.web.test_console import DESKTOP, a_desktop, assert_fits, console_login

NARROW = {"width": 1024, "height": 768}


def tag_row(page: Page, code: str):
    return page.locator(f'[data-testid="tag"][data-code="{code}"]')


async def tags_of(api, school, admin, **params) -> list[dict]:
    answer = await api.get(
        f"/api/sites/{school.site_id}/tags",
        params={"status": "all", **params},
        headers=admin.headers,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


async def pick(page: Page, within, name: str, kind: str | None = None) -> None:
    """Searches the picker in `within` for `name` and chooses the one found."""
    if kind:
        await within.locator("select[data-testid$='-kind']").select_option(kind)
    await within.locator("input[type=search]").fill(name)
    await within.locator("input[type=search]").press("Enter")
    choice = within.locator("button.picker-choice", has_text=name).first
    await choice.click()
    await expect(choice).to_have_attribute("aria-pressed", "true")


def mistyped(code: str) -> str:
    replacement = "7" if code[2] != "7" else "8"
    return format_code(code[:2] + replacement + code[3:])


async def decoded_urls(pdf: Path) -> set[str]:
    found: set[str] = set()
    for page in pypdfium2.PdfDocument(await anyio.Path(pdf).read_bytes()):
        image = page.render(scale=300 / 72).to_pil()
        found |= {d.text for d in zxingcpp.read_barcodes(image)}
    return found


async def test_an_admin_tags_the_school_and_prints_its_labels(
    browser, clean, api, tmp_path
) -> None:
    school = await make_school("阳光实验小学")
    admin = await make_person(school, "admin")
    building = await make_location(admin, school, "教学楼A")
    clinic = await make_location(admin, school, "医务室", parent=building, kind="room", code="105")
    extinguisher = await make_asset(
        admin, school, name="干粉灭火器", location=clinic, asset_number="MH-01"
    )
    light = await make_asset(
        admin, school, name="应急照明灯", location=building, category="emergency_light"
    )
    panel = await make_asset(
        admin, school, name="配电箱", location=building, category="electrical_panel"
    )

    context = await a_desktop(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    page.on("dialog", lambda dialog: dialog.accept())
    await console_login(page, clean.url, admin.username)
    await page.get_by_test_id("nav-register").click()
    await page.get_by_test_id("tab-tags").click()
    await expect(page.get_by_test_id("tab-tags")).to_have_attribute("aria-current", "page")
    untagged = page.get_by_test_id("untagged")
    await expect(untagged).to_have_text("本校还有 3 件设施设备、2 处位置没有在用的标签。")
    await expect(page.get_by_test_id("tag-count")).to_have_text("没有符合条件的标签。")

    # One asset, found by search.
    form = page.get_by_test_id("issue-form")
    await pick(page, form, "干粉灭火器")
    await expect(form.get_by_test_id("issue-thing-chosen")).to_contain_text("MH-01")
    await form.get_by_test_id("issue-submit").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text("已为“干粉灭火器”生成标签")
    [first] = await tags_of(api, school, admin)
    assert (first["asset_id"], first["status"]) == (str(extinguisher), "active")
    await expect(tag_row(page, first["code"])).to_contain_text("教学楼A › 医务室")
    await expect(untagged).to_contain_text("还有 2 件设施设备、2 处位置")

    # A mistyped pre-printed code: said next to the code, what was typed kept, nothing stored.
    form = page.get_by_test_id("issue-form")
    await pick(page, form, "医务室", kind="location")
    typo = mistyped(new_code())
    await form.get_by_label("预印标签编号（可选）").fill(typo)
    await form.get_by_test_id("issue-submit").click()
    problem = form.locator('[data-problem="code"]')
    await expect(problem).to_contain_text("编号不对")
    await expect(form.get_by_label("预印标签编号（可选）")).to_have_value(typo)
    assert len(await tags_of(api, school, admin)) == 1
    assert await axe_violations(page) == []
    await snap(page, "console-tags-refused-zh", clean.backend)

    # Everything else at once: each active thing then holds exactly one active tag.
    await page.get_by_test_id("bulk-issue").click()
    await expect(page.get_by_test_id("page-message")).to_have_text(
        "已生成 4 张标签，请到“打印标签”打印后贴上。"
    )
    await expect(untagged).to_have_text("本校所有在用的设施设备和位置都已有标签。")
    await expect(page.get_by_test_id("bulk-issue")).to_have_count(0)
    await expect(page.get_by_test_id("tag")).to_have_count(5)
    active = await tags_of(api, school, admin, status="active")
    on = sorted(t["asset_id"] or t["location_id"] for t in active)
    assert on == sorted(str(x) for x in (building, clinic, extinguisher, light, panel))
    code_of = {t["asset_id"] or t["location_id"]: t["code"] for t in active}

    # A damaged label replaced: the old code retired, a new one on the same extinguisher.
    old = code_of[str(extinguisher)]
    await page.get_by_test_id("filter-q").fill("灭火器")
    await page.get_by_test_id("filter-apply").click()
    await expect(page.get_by_test_id("tag")).to_have_count(1)
    await tag_row(page, old).get_by_test_id("replace").click()
    await page.get_by_test_id("replace-note").fill("标签被雨水泡坏")
    await page.get_by_test_id("replace-submit").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text(
        f"标签 {format_code(old)} 已作废"
    )
    [fresh] = await tags_of(api, school, admin, status="active", q="干粉")
    assert fresh["code"] != old and fresh["asset_id"] == str(extinguisher)
    [was] = await tags_of(api, school, admin, q=old)
    assert was["status"] == "replaced"
    await expect(tag_row(page, fresh["code"])).to_contain_text("在用")

    # The light was swapped for a new one: its label now points at the new light.
    swapped = await make_asset(
        admin, school, name="新应急照明灯", location=building, category="emergency_light"
    )
    moved = code_of[str(light)]
    await page.get_by_test_id("filter-q").fill("")
    await page.get_by_test_id("filter-apply").click()
    await expect(page.get_by_test_id("tag")).to_have_count(5)
    await tag_row(page, moved).get_by_test_id("rebind").click()
    rebind = page.get_by_test_id("rebind-form")
    await pick(page, rebind, "干粉灭火器")
    await expect(rebind.get_by_test_id("already-tagged")).to_contain_text(
        format_code(fresh["code"])
    )
    await pick(page, rebind, "新应急照明灯")
    await expect(rebind.get_by_test_id("already-tagged")).to_be_hidden()
    await rebind.get_by_test_id("rebind-note").fill("换新灯")
    await rebind.get_by_test_id("rebind-submit").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text("已改绑到“新应急照明灯”")
    [rebound] = await tags_of(api, school, admin, q=moved)
    assert rebound["asset_id"] == str(swapped)

    # The panel was taken away: its tag retired, with the reason.
    retired = code_of[str(panel)]
    await tag_row(page, retired).get_by_test_id("retire").click()
    await page.get_by_test_id("retire-note").fill("设备拆除")
    await page.get_by_test_id("retire-submit").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text(
        f"标签 {format_code(retired)}（“配电箱”）已作废"
    )
    [gone] = await tags_of(api, school, admin, q=retired)
    assert gone["status"] == "retired"
    await expect(tag_row(page, retired)).to_have_count(0)
    await page.get_by_test_id("filter-status").select_option("retired")
    await expect(tag_row(page, retired)).to_contain_text("已作废")

    # Who did what, when.
    await page.get_by_test_id("filter-status").select_option("active")
    await expect(page.get_by_test_id("tag")).to_have_count(4)
    await tag_row(page, moved).get_by_test_id("show-history").click()
    events = page.get_by_test_id("history-event")
    await expect(events).to_have_count(2)
    await expect(events.nth(0)).to_contain_text("贴在“应急照明灯”")
    await expect(events.nth(1)).to_contain_text("从“应急照明灯”改绑到“新应急照明灯”")
    await expect(events.nth(1)).to_contain_text("测试admin")
    await expect(events.nth(1)).to_contain_text("备注：换新灯")
    assert await axe_violations(page) == []
    await assert_fits(page)
    await snap(page, "console-tags-zh", clean.backend)
    await page.set_viewport_size(NARROW)
    await assert_fits(page)
    await snap(page, "console-tags-1024-zh", clean.backend)
    await page.set_viewport_size(DESKTOP)

    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("tag-list").locator("h2")).to_have_text("The school's tags")
    await tag_row(page, moved).get_by_test_id("show-history").click()
    await expect(page.get_by_test_id("history-event").nth(1)).to_contain_text(
        'from "应急照明灯" to "新应急照明灯"'
    )
    assert await axe_violations(page) == []
    await assert_fits(page)
    await snap(page, "console-tags-en", clean.backend)

    # A stale change: someone retires the building's tag while its replacement is being
    # asked for; the page says so and shows the tag as it is, and nothing more is stored.
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("tag-list").locator("h2")).to_have_text("本校的标签")
    building_code = code_of[str(building)]
    await tag_row(page, building_code).get_by_test_id("replace").click()
    meanwhile = await api.post(
        f"/api/tags/{building_code}/retire", json={"note": "楼已拆除"}, headers=admin.headers
    )
    assert meanwhile.status_code == 200, meanwhile.text
    await page.get_by_test_id("replace-submit").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text("刚被他人换新或作废")
    await expect(tag_row(page, building_code)).to_contain_text("已作废")
    assert [t["status"] for t in await tags_of(api, school, admin, q="教学楼A")] == ["retired"]

    # Labels: the school's three tags in use on one A4 sheet; then the clinic's on 4×10 stock.
    await page.get_by_test_id("tab-labels").click()
    plan = page.get_by_test_id("label-count")
    await expect(plan).to_have_text("将打印 3 张标签，共 1 页。")
    sample = page.get_by_test_id("label-sample")
    await expect(sample).to_be_visible()
    assert await sample.evaluate("img => img.complete && img.naturalWidth > 0")
    await page.get_by_label("A4 不干胶标签纸 4×10").check()
    await pick(page, page.get_by_test_id("label-form"), "医务室")
    await expect(plan).to_have_text("将打印 2 张标签，共 1 页。")
    assert await axe_violations(page) == []
    await assert_fits(page)
    await snap(page, "console-labels-zh", clean.backend)
    await page.set_viewport_size(NARROW)
    await assert_fits(page)
    await snap(page, "console-labels-1024-zh", clean.backend)
    await page.set_viewport_size(DESKTOP)
    async with page.expect_download() as info:
        await page.get_by_test_id("label-download").click()
    download = await info.value
    assert download.suggested_filename == "labels-a4-4x10.pdf"
    pdf = tmp_path / "labels.pdf"
    await download.save_as(pdf)
    in_clinic = {code_of[str(clinic)], fresh["code"]}
    assert in_clinic <= {t["code"] for t in await tags_of(api, school, admin, status="active")}
    assert await decoded_urls(pdf) == {f"{PUBLIC_URL}/t/{code}" for code in in_clinic}

    await page.get_by_test_id("lang").click()
    await expect(plan).to_have_text("2 labels, 1 page(s).")
    await expect(page.get_by_label("A4 sticker sheet 4×10")).to_be_checked()
    await expect(page.get_by_test_id("label-place-chosen")).to_contain_text("医务室")
    assert await axe_violations(page) == []
    await snap(page, "console-labels-en", clean.backend)
    assert [e for e in errors if "400" not in e and "409" not in e] == [], errors
    await context.close()

    # An auditor reads the tags and their history and prints labels; nothing writes.
    auditor = await make_person(school, "auditor", expires_at=datetime.now(UTC) + timedelta(days=9))
    context = await a_desktop(browser)
    page = errors.watch(await context.new_page())
    errors.clear()
    await console_login(page, clean.url, auditor.username)
    await expect(page.get_by_test_id("site")).to_contain_text("只读")
    await page.goto(f"{clean.url}/console/register?site={school.site_id}&view=tags")
    await expect(tag_row(page, moved)).to_be_visible()
    for control in ("bulk-issue", "issue-form", "replace", "rebind", "retire"):
        await expect(page.get_by_test_id(control)).to_have_count(0)
    await tag_row(page, moved).get_by_test_id("show-history").click()
    await expect(page.get_by_test_id("history-event")).to_have_count(2)
    assert await axe_violations(page) == []
    await snap(page, "console-tags-auditor-zh", clean.backend)
    await page.get_by_test_id("tab-labels").click()
    await expect(page.get_by_test_id("label-count")).to_have_text("将打印 3 张标签，共 1 页。")
    async with page.expect_download() as info:
        await page.get_by_test_id("label-download").click()
    auditors = tmp_path / "auditor.pdf"
    await (await info.value).save_as(auditors)
    assert len(await decoded_urls(auditors)) == 3
    assert errors == [], errors
    await context.close()
