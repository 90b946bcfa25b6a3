"""The console's repairs and findings in a real browser: an admin reads the board by state,
filters it by owner and by overdue through the address, assigns an action to a maintainer,
is told next to the field that a cancel needs a reason, signs off the maintainer's fix (the
finding resolved with it), is told a stale step was overtaken and shown the action as it is,
sends one back and cancels one with a reason; reads an action's history with its photos and
the inspection it came from with its answers and photo; an auditor reads the same with no
control that changes anything; both languages; no serious accessibility violation."""

from __future__ import annotations

import datetime as dt

from playwright.async_api import Locator, Page, expect

from server.templates.templates import install_library
from tests.blobs.pictures import sha256
from tests.blobs.test_blobs import upload
from tests.factories import PASSWORD, make_asset, make_location, make_person, make_school, take_step
from tests.inspections.helpers import extinguisher_answers, submission, submit
from tests.web.axe import axe_violations
from tests.web.test_client import ConsoleErrors, snap
from tests.web.test_console import a_desktop, assert_fits, console_login
from tests.web.test_evidence import a_jpeg

RED = "红区（压力不足，需充装）"
NOTE = "指针在红区，已贴停用标识"
FIX_NOTE = "更换了压力表，重新充装"
GAUGE = "Pressure gauge needle zone"
HOSE = "Hose not cracked or blocked"
BODY = "Body not corroded or dented"
SEAL = "Seal intact and safety pin in place"


async def a_school_with_failed_checks(api) -> dict:
    """Extinguisher MHQ-0301 failed today on its gauge (with a photo), hose and body; another,
    MHQ-0302, failed on its seal ten days ago and is overdue. The keeper, a maintainer, holds
    them all; a second maintainer joins afterwards."""
    school = await make_school("阳光实验小学")
    await install_library(school.organization_id)
    admin = await make_person(school, "admin")
    inspector = await make_person(school, "inspector")
    keeper = await make_person(school, "maintainer")
    building = await make_location(admin, school, "教学楼A")
    floor = await make_location(admin, school, "3F", parent=building, kind="floor")
    first = await make_asset(
        admin, school, name="手提式干粉灭火器", location=floor, asset_number="MHQ-0301"
    )
    second = await make_asset(
        admin, school, name="推车式灭火器", location=floor, asset_number="MHQ-0302"
    )
    for asset in (first, second):
        patched = await api.patch(
            f"/api/assets/{asset}", json={"keeper_id": str(keeper.user_id)}, headers=admin.headers
        )
        assert patched.status_code == 200, patched.text
    gauge = a_jpeg((200, 30, 30))
    assert (await upload(api, inspector, school, gauge)).status_code == 201
    earlier = submission(
        asset=second,
        answers=extinguisher_answers(seal_and_pin="fail"),
        completed_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=10),
    )
    assert (await submit(api, inspector, earlier)).status_code == 201
    answers = extinguisher_answers(
        gauge_zone="red", hose="fail", body="fail", photo=[sha256(gauge)], notes=NOTE
    )
    failed = submission(asset=first, answers=answers)
    assert (await submit(api, inspector, failed)).status_code == 201
    joined = await api.post(
        f"/api/sites/{school.site_id}/members",
        json={
            "username": "li_shifu",
            "display_name": "李师傅",
            "password": PASSWORD,
            "role": "maintainer",
        },
        headers=admin.headers,
    )
    assert joined.status_code in (200, 201), joined.text
    listing = await api.get(
        "/api/actions", params={"site_id": str(school.site_id)}, headers=admin.headers
    )
    actions = {a["title_en"]: a for a in listing.json()["items"]}
    assert set(actions) == {GAUGE, HOSE, BODY, SEAL}
    return {
        "school": school,
        "admin": admin,
        "inspector": inspector,
        "keeper": keeper,
        "li": joined.json()["user_id"],
        "actions": actions,
        "gauge": sha256(gauge),
        "failed": failed["id"],
    }


async def stored(api, person, action_id: str) -> dict:
    answer = await api.get(f"/api/actions/{action_id}", headers=person.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def shown(photos: Locator, digest: str) -> None:
    """The photo is drawn, decoded: not a broken image."""
    image = photos.locator(f'img[data-sha256="{digest}"]').first
    await expect(image).to_be_visible()
    await expect(image).to_have_js_property("complete", True)
    assert await image.evaluate("(img) => img.naturalWidth") > 0


def card(page: Page, action: dict) -> Locator:
    return page.locator(f'[data-testid="action-card"][data-id="{action["id"]}"]')


async def fits_and_passes_axe(page: Page) -> None:
    assert await axe_violations(page) == []
    await assert_fits(page)


async def test_an_admin_assigns_signs_off_sends_back_and_cancels_repairs(
    browser, clean, api
) -> None:
    made = await a_school_with_failed_checks(api)
    school, admin, keeper = made["school"], made["admin"], made["keeper"]
    acts = made["actions"]
    site = str(school.site_id)
    board = f"{clean.url}/console/repairs?site={site}"
    context = await a_desktop(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await console_login(page, clean.url, admin.username)
    await page.get_by_test_id("nav-repairs").click()
    await expect(page.locator("h1")).to_have_text("报修与整改")
    await expect(page.get_by_test_id("tab-actions")).to_have_attribute("aria-current", "page")
    open_column = page.get_by_test_id("column-open")
    await expect(open_column.get_by_test_id("action-card")).to_have_count(4)
    await expect(open_column.get_by_test_id("count")).to_have_text("4")
    await expect(card(page, acts[SEAL]).get_by_test_id("overdue")).to_have_text("已逾期")
    await expect(card(page, acts[GAUGE]).get_by_test_id("overdue")).to_have_count(0)
    await expect(card(page, acts[GAUGE]).get_by_test_id("action-owner")).to_have_text(
        "负责人：测试maintainer"
    )
    await expect(page.get_by_test_id("column-verified")).not_to_have_attribute("open", "")
    await fits_and_passes_axe(page)
    await snap(page, "console-repairs-board-zh", clean.backend)

    # The address filters: overdue only, kept across a reload; then by state.
    await page.goto(f"{board}&overdue=1")
    await expect(page.get_by_test_id("filter-overdue")).to_be_checked()
    await expect(page.get_by_test_id("action-card")).to_have_count(1)
    # Overdue is work not yet put right: no column of fixed ones awaiting a sign-off.
    await expect(page.get_by_test_id("column-fixed")).to_have_count(0)
    await expect(card(page, acts[SEAL])).to_be_visible()
    await page.reload()
    await expect(page.get_by_test_id("action-card")).to_have_count(1)
    await page.get_by_test_id("filter-overdue").uncheck()
    await expect(page.get_by_test_id("column-open").get_by_test_id("action-card")).to_have_count(4)
    assert "overdue" not in page.url

    # The gauge: assigned to the maintainer who joined, by keyboard-reachable controls.
    await card(page, acts[GAUGE]).get_by_test_id("action-link").click()
    await expect(page.get_by_test_id("action-title")).to_have_text("压力表指针所在区域")
    await expect(page.get_by_test_id("evidence-answer")).to_have_text(RED)
    await expect(page.get_by_test_id("evidence-note")).to_have_text(NOTE)
    await expect(page.get_by_test_id("action-thing")).to_have_text(
        "手提式干粉灭火器 · 教学楼A › 3F · 编号 MHQ-0301"
    )
    await expect(page.get_by_test_id("finding-status")).to_have_text("未整改")
    await shown(page.get_by_test_id("evidence-photos"), made["gauge"])
    original = page.get_by_test_id("evidence-photos").get_by_test_id("photo-original")
    await expect(original).to_have_attribute("href", f"/api/blobs/{made['gauge']}?original=true")
    await page.get_by_label("指派给").select_option(label="李师傅（维修工）")
    await page.get_by_test_id("assign-submit").click()
    await expect(page.get_by_test_id("page-message")).to_have_text("已指派给 李师傅。")
    await expect(page.get_by_test_id("action-owner")).to_have_text("李师傅")
    gauge = await stored(api, admin, acts[GAUGE]["id"])
    assert gauge["owner_id"] == made["li"] and gauge["state"] == "open"

    # A cancel without a reason: refused next to the reason, nothing stored changes.
    cancel = page.get_by_test_id("cancel-form")
    await cancel.get_by_label("取消原因（必填）").fill("   ")
    await cancel.get_by_test_id("cancel-submit").click()
    problem = cancel.locator('[data-problem="reason"]')
    await expect(problem).to_have_text("请写明原因后再提交。")
    assert (await stored(api, admin, acts[GAUGE]["id"]))["version"] == gauge["version"]
    await fits_and_passes_axe(page)
    await snap(page, "console-repairs-refused-zh", clean.backend)

    # The board by owner, from the address and from the filter.
    await page.goto(f"{board}&owner={made['li']}")
    await expect(page.get_by_test_id("filter-owner")).to_have_value(made["li"])
    await expect(page.get_by_test_id("action-card")).to_have_count(1)
    await expect(card(page, acts[GAUGE])).to_be_visible()
    await page.get_by_test_id("filter-owner").select_option("none")
    await expect(page.get_by_test_id("action-card")).to_have_count(0)
    assert "owner=none" in page.url

    # The maintainer fixes the gauge with a photo, and the hose, on their phone.
    fixed_photo = a_jpeg((30, 160, 60))
    assert (await upload(api, keeper, school, fixed_photo)).status_code == 201
    await take_step(api, keeper, gauge, "fix", note=FIX_NOTE, photos=[sha256(fixed_photo)])
    hose = await take_step(api, keeper, acts[HOSE], "fix", note="换了喷管")

    # The admin signs off the gauge: verified, and the finding resolved with it.
    await page.goto(f"{board}&action={gauge['id']}")
    await expect(page.get_by_test_id("action-state")).to_have_text("已修复，待验收")
    fix = page.locator('[data-testid="step"][data-kind="fix"]')
    await expect(fix.get_by_test_id("step-note")).to_have_text(f"说明：{FIX_NOTE}")
    await shown(fix.get_by_test_id("step-photos"), sha256(fixed_photo))
    await expect(page.locator('[data-testid="step"][data-kind="assign"]')).to_contain_text(
        "指派给 李师傅"
    )
    await page.get_by_label("验收意见（可选）").fill("已到现场查看，压力正常")
    await page.get_by_test_id("verify-submit").click()
    await expect(page.get_by_test_id("page-message")).to_have_text("已验收，对应的隐患已关闭。")
    await expect(page.get_by_test_id("action-state")).to_have_text("已验收")
    await expect(page.get_by_test_id("finding-status")).to_have_text("已整改")
    verified = await stored(api, admin, gauge["id"])
    assert verified["state"] == "verified"
    finding = await api.get(f"/api/findings/{verified['finding_id']}", headers=admin.headers)
    assert finding.json()["status"] == "resolved"
    await expect(page.get_by_test_id("cancel-form")).to_have_count(0)
    await fits_and_passes_axe(page)
    await snap(page, "console-repairs-action-zh", clean.backend)

    # A stale sign-off: the inspector sent the hose back meanwhile.
    await page.goto(f"{board}&action={hose['id']}")
    await expect(page.get_by_test_id("verify-form")).to_be_visible()
    await take_step(api, made["inspector"], hose, "reopen", reason="喷管仍漏")
    await page.get_by_test_id("verify-submit").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text("刚被他人处理过")
    await expect(page.get_by_test_id("action-state")).to_have_text("待处理")
    await expect(page.get_by_test_id("verify-form")).to_have_count(0)
    assert (await stored(api, admin, hose["id"]))["state"] == "open"

    # Fixed again, then sent back from the console with a reason.
    hose = await take_step(
        api, keeper, await stored(api, admin, hose["id"]), "fix", note="再次更换"
    )
    await page.reload()
    reopen = page.get_by_test_id("reopen-form")
    await reopen.get_by_label("退回原因（必填）").fill("喷管接口仍有裂纹")
    await reopen.get_by_test_id("reopen-submit").click()
    await expect(page.get_by_test_id("page-message")).to_have_text("已退回，任务重新变为待处理。")
    sent_back = await stored(api, admin, hose["id"])
    assert sent_back["state"] == "open"
    assert sent_back["history"][-1]["reason"] == "喷管接口仍有裂纹"

    # The body: cancelled with a reason.
    await page.goto(f"{board}&action={acts[BODY]['id']}")
    cancel = page.get_by_test_id("cancel-form")
    await cancel.get_by_label("取消原因（必填）").fill("该灭火器已报废，整体更换")
    await cancel.get_by_test_id("cancel-submit").click()
    await expect(page.get_by_test_id("page-message")).to_have_text("已取消。")
    cancelled = await stored(api, admin, acts[BODY]["id"])
    assert cancelled["state"] == "cancelled"
    assert cancelled["history"][-1]["reason"] == "该灭火器已报废，整体更换"

    # The board now: the closed ones folded away, opened when asked for by the address.
    await page.goto(f"{board}&state=verified,cancelled")
    await expect(page.get_by_test_id("column-open")).to_have_count(0)
    await expect(page.get_by_test_id("column-verified")).to_have_attribute("open", "")
    await expect(card(page, verified)).to_be_visible()
    await expect(card(page, cancelled)).to_be_visible()
    await expect(page.get_by_test_id("filter-state-verified")).to_be_checked()

    # The inspection it came from, with its answers, judgement and photo.
    await page.goto(f"{board}&action={gauge['id']}")
    await page.get_by_test_id("evidence").get_by_test_id("open-inspection").click()
    answer = page.locator('[data-testid="answer"][data-item="gauge_zone"]')
    await expect(answer.get_by_test_id("answer-value")).to_have_text(RED)
    await expect(answer.get_by_test_id("answer-outcome")).to_have_text("不合格")
    await expect(
        page.locator('[data-testid="answer"][data-item="seal_and_pin"]').get_by_test_id(
            "answer-outcome"
        )
    ).to_have_text("合格")
    await shown(page.get_by_test_id("answers"), made["gauge"])
    await expect(page.get_by_test_id("inspection-finding")).to_have_count(3)
    await fits_and_passes_axe(page)
    await snap(page, "console-repairs-inspection-zh", clean.backend)

    # The inspections, failed ones only by the filter; the findings resolved, by the address.
    await page.get_by_test_id("tab-inspections").click()
    await expect(page.get_by_test_id("inspection")).to_have_count(2)
    await page.get_by_test_id("filter-result").select_option("pass")
    await expect(page.get_by_test_id("no-inspections")).to_be_visible()
    await page.get_by_test_id("filter-result").select_option("fail")
    await expect(page.locator('[data-testid="inspection"][data-result="fail"]')).to_have_count(2)
    assert "result=fail" in page.url
    await page.get_by_test_id("filter-person").select_option(label="测试admin")
    await expect(page.get_by_test_id("no-inspections")).to_be_visible()
    await page.reload()
    await expect(page.get_by_test_id("filter-person")).to_have_value(str(admin.user_id))
    await expect(page.get_by_test_id("no-inspections")).to_be_visible()
    # From five days ago: today's failed check, not the one ten days ago.
    await page.get_by_test_id("filter-person").select_option("")
    await expect(page.get_by_test_id("inspection")).to_have_count(2)
    since = (dt.date.today() - dt.timedelta(days=5)).isoformat()
    await page.get_by_test_id("filter-from").fill(since)
    await expect(page.get_by_test_id("inspection")).to_have_count(1)
    assert f"from={since}" in page.url
    await page.get_by_test_id("inspection").get_by_test_id("open-inspection").click()
    await expect(page.get_by_test_id("inspection-thing")).to_contain_text("MHQ-0301")
    await fits_and_passes_axe(page)
    await page.goto(f"{board}&view=findings&status=resolved")
    await expect(page.get_by_test_id("finding")).to_have_count(1)
    await expect(page.get_by_test_id("filter-status")).to_have_value("resolved")
    await fits_and_passes_axe(page)
    await snap(page, "console-repairs-findings-zh", clean.backend)
    await page.get_by_test_id("finding").get_by_test_id("finding-action").click()
    await expect(page.get_by_test_id("action-title")).to_have_text("压力表指针所在区域")
    await expect(page.get_by_test_id("action-state")).to_have_text("已验收")

    # English, and a narrower window.
    await page.goto(board)
    await page.get_by_test_id("lang").click()
    await expect(page.locator("h1")).to_have_text("Repairs")
    await expect(card(page, acts[SEAL]).get_by_test_id("overdue")).to_have_text("Overdue")
    await expect(page.get_by_test_id("column-fixed")).to_contain_text("Fixed, awaiting sign-off")
    await fits_and_passes_axe(page)
    await snap(page, "console-repairs-board-en", clean.backend)
    await page.set_viewport_size({"width": 1024, "height": 768})
    await assert_fits(page)
    await page.goto(f"{board}&action={gauge['id']}")
    await expect(page.get_by_test_id("evidence-answer")).to_have_text(
        "Red (under-pressure, recharge)"
    )
    await expect(page.get_by_test_id("action-state")).to_have_text("Verified")
    await fits_and_passes_axe(page)
    await snap(page, "console-repairs-action-en", clean.backend)
    await page.goto(f"{board}&inspection={made['failed']}")
    await expect(
        page.locator('[data-testid="answer"][data-item="gauge_zone"]').get_by_test_id(
            "answer-outcome"
        )
    ).to_have_text("Fail")
    await fits_and_passes_axe(page)
    await snap(page, "console-repairs-inspection-en", clean.backend)
    await page.goto(f"{board}&view=findings&severity=normal")
    await expect(page.get_by_test_id("finding")).to_have_count(3)
    await expect(page.get_by_test_id("filter-severity")).to_have_value("normal")
    await fits_and_passes_axe(page)
    await snap(page, "console-repairs-findings-en", clean.backend)
    assert [e for e in errors if "409" not in e and "422" not in e] == [], errors
    await context.close()


async def test_an_auditor_reads_the_board_and_details_with_nothing_to_change(
    browser, clean, api
) -> None:
    made = await a_school_with_failed_checks(api)
    auditor = await make_person(
        made["school"],
        "auditor",
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=9),
    )
    site = str(made["school"].site_id)
    board = f"{clean.url}/console/repairs?site={site}"
    context = await a_desktop(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await console_login(page, clean.url, auditor.username)
    await expect(page.get_by_test_id("side-nav")).to_be_visible()
    await page.goto(board)
    await expect(page.get_by_test_id("column-open").get_by_test_id("action-card")).to_have_count(4)
    # The owner filter offers the owners shown, by name.
    await page.get_by_test_id("filter-owner").select_option(label="测试maintainer")
    assert f"owner={made['keeper'].user_id}" in page.url
    await expect(page.get_by_test_id("column-open").get_by_test_id("action-card")).to_have_count(4)
    await fits_and_passes_axe(page)
    await snap(page, "console-repairs-auditor-zh", clean.backend)
    gauge = made["actions"][GAUGE]
    await card(page, gauge).get_by_test_id("action-link").click()
    await expect(page.get_by_test_id("evidence-answer")).to_have_text(RED)
    await expect(page.get_by_test_id("action-owner")).to_have_text("测试maintainer")
    await shown(page.get_by_test_id("evidence-photos"), made["gauge"])
    await expect(page.get_by_test_id("history").get_by_test_id("step")).to_have_count(1)
    for control in ("steps", "assign-form", "verify-form", "reopen-form", "cancel-form"):
        await expect(page.get_by_test_id(control)).to_have_count(0)
    await expect(page.locator("main textarea, main button")).to_have_count(0)
    await fits_and_passes_axe(page)
    await page.get_by_test_id("evidence").get_by_test_id("open-inspection").click()
    await expect(page.get_by_test_id("answer")).not_to_have_count(0)
    await expect(page.locator("main textarea, main button:visible")).to_have_count(0)
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("inspection-detail")).to_contain_text("Failed")
    await snap(page, "console-repairs-auditor-en", clean.backend)
    assert errors == [], errors
    await context.close()
