"""Evidence travels with the repair: on the phone, an action shows what the inspector found
(the answer in the person's language, the inspector's note, the thing's asset number and
place, the photos, fetched from the server and kept for offline) and each step since with
its note and photos, so the person signing off sees the fixer's. And a past inspection
opens from the thing's recent results, read-only, online and, once seen, offline."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image
from playwright.async_api import Locator, Page, expect

from server.templates.templates import install_library
from tests.blobs.pictures import sha256
from tests.blobs.test_blobs import upload
from tests.factories import make_asset, make_location, make_person, make_school, make_tag
from tests.inspections.helpers import extinguisher_answers, photo, submission, submit
from tests.web.test_actions import GAUGE, phone_of
from tests.web.test_checklist import a_photo
from tests.web.test_client import enqueue, new_phone, snap

RED = "红区（压力不足，需充装）"
NOTE = "指针在红区，已贴停用标识"
FIX_NOTE = "更换了压力表，重新充装"
NOT_UPLOADED = photo("still on the inspector's phone")


def a_jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(out, "JPEG")
    return out.getvalue()


async def a_failed_extinguisher(api) -> dict:
    """An extinguisher on 3F of building A whose monthly check failed on the gauge: one of
    the two photos taken of it was uploaded, the other is still on the inspector's phone. An
    earlier check passed."""
    school = await make_school()
    await install_library(school.organization_id)
    people = {r: await make_person(school, r) for r in ("admin", "inspector", "maintainer")}
    admin, inspector, keeper = people["admin"], people["inspector"], people["maintainer"]
    building = await make_location(admin, school, "教学楼A")
    floor = await make_location(admin, school, "3F", parent=building, kind="floor")
    asset = await make_asset(
        admin, school, name="手提式干粉灭火器", location=floor, asset_number="MHQ-0301"
    )
    patched = await api.patch(
        f"/api/assets/{asset}", json={"keeper_id": str(keeper.user_id)}, headers=admin.headers
    )
    assert patched.status_code == 200, patched.text
    gauge = a_jpeg((200, 30, 30))
    assert (await upload(api, inspector, school, gauge)).status_code == 201
    earlier = submission(asset=asset, completed_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=30))
    assert (await submit(api, inspector, earlier)).status_code == 201
    answers = extinguisher_answers(
        gauge_zone="red", photo=[sha256(gauge), NOT_UPLOADED], notes=NOTE
    )
    failed = submission(asset=asset, answers=answers)
    assert (await submit(api, inspector, failed)).status_code == 201
    listing = await api.get("/api/actions", headers=admin.headers)
    (action,) = listing.json()["items"]
    return {
        **people,
        "action": action,
        "gauge": sha256(gauge),
        "asset": asset,
        "code": await make_tag(admin, asset=asset),
        "failed": failed["id"],
        "earlier": earlier["id"],
    }


async def shown(photos: Locator, digest: str) -> None:
    """The photo is on the glass, decoded: not a broken image."""
    image = photos.locator(f'img[data-sha256="{digest}"]')
    await expect(image).to_have_count(1)
    await expect(image).to_have_js_property("complete", True)
    assert await image.evaluate("(img) => img.naturalWidth") > 0


async def opened(page: Page, url: str) -> None:
    """The app pulls on start; going offline only after its answer keeps the console clean."""
    async with page.expect_response(lambda r: r.url.endswith("/api/sync/pull")):
        await page.goto(url)


async def sent(page: Page) -> None:
    status = page.get_by_test_id("sync-status")
    await expect(status).to_contain_text("待上传 0 条", timeout=15_000)
    await expect(status).not_to_contain_text("照片")


async def test_the_fixer_and_the_one_signing_off_see_the_evidence_and_each_others_steps(
    browser, clean, api
) -> None:
    made = await a_failed_extinguisher(api)
    action = made["action"]
    context, page, errors = await phone_of(browser, clean.url, made["maintainer"])

    # The maintainer sees what the inspector saw.
    await page.goto(f"{clean.url}/app/actions")
    todo = page.get_by_test_id("actions-todo").get_by_test_id("action")
    await expect(todo).to_contain_text("手提式干粉灭火器 · 教学楼A › 3F · 编号 MHQ-0301")
    await todo.get_by_role("button").click()
    await expect(page.get_by_test_id("action-title")).to_have_text(GAUGE)
    await expect(page.get_by_test_id("evidence-answer")).to_have_text(RED)
    await expect(page.get_by_test_id("evidence-note")).to_have_text(NOTE)
    await expect(page.get_by_test_id("action-place")).to_have_text(
        "手提式干粉灭火器 · 教学楼A › 3F"
    )
    await expect(page.get_by_test_id("action-asset-number")).to_have_text("MHQ-0301")
    evidence = page.get_by_test_id("evidence-photos")
    await shown(evidence, made["gauge"])
    # The photo still on the inspector's phone is said to be on its way.
    missing = evidence.get_by_test_id("photo-missing")
    await expect(missing).to_have_attribute("data-reason", "waiting")
    await expect(missing).to_have_text("照片尚未上传")
    history = page.get_by_test_id("history-step")
    await expect(history).to_have_count(1)
    await expect(history).to_have_attribute("data-kind", "created")
    await expect(history).to_contain_text("提出 · 测试inspector")
    await snap(page, "action-evidence", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("evidence-answer")).to_have_text(
        "Red (under-pressure, recharge)"
    )
    await snap(page, "action-evidence-en", clean.backend)
    await page.get_by_test_id("lang").click()

    # The fix, with a note and a photo.
    await page.get_by_test_id("step-fix").click()
    await page.get_by_test_id("step-note").fill(FIX_NOTE)
    await page.get_by_test_id("step-photo").set_input_files(
        {"name": "fixed.png", "mimeType": "image/png", "buffer": a_photo((30, 160, 60))}
    )
    await expect(page.get_by_test_id("step-form").get_by_test_id("thumb")).to_have_count(1)
    await page.get_by_test_id("step-save").click()
    await sent(page)
    fixed = page.locator('[data-testid="history-step"][data-kind="fix"]')
    await expect(fixed.get_by_test_id("history-note")).to_have_text(FIX_NOTE)
    await expect(fixed).to_contain_text("已修复 · 测试maintainer")
    detail = (await api.get(f"/api/actions/{action['id']}", headers=made["admin"].headers)).json()
    (fix_photo,) = detail["history"][-1]["photos"]
    assert errors == []
    await context.close()

    # The inspector who asked for it signs off seeing the fix: its note and its photo,
    # fetched from the server, and the evidence.
    context, page, errors = await phone_of(browser, clean.url, made["inspector"])
    await opened(page, f"{clean.url}/app/actions/{action['id']}")
    fixed = page.locator('[data-testid="history-step"][data-kind="fix"]')
    await expect(fixed.get_by_test_id("history-note")).to_have_text(FIX_NOTE)
    await shown(fixed.get_by_test_id("history-photos"), fix_photo)
    await shown(page.get_by_test_id("evidence-photos"), made["gauge"])
    await expect(page.get_by_test_id("action-steps").get_by_role("button")).to_have_text(
        ["验收通过", "退回重做"]
    )
    await snap(page, "action-sign-off-evidence", clean.backend)

    # Seen once online, the photos are there offline; the one never uploaded says why not.
    await context.set_offline(True)
    await page.reload()
    await shown(fixed.get_by_test_id("history-photos"), fix_photo)
    await shown(page.get_by_test_id("evidence-photos"), made["gauge"])
    missing = page.get_by_test_id("evidence-photos").get_by_test_id("photo-missing")
    await expect(missing).to_have_attribute("data-reason", "offline")
    await expect(missing).to_have_text("联网后显示照片")
    await page.get_by_test_id("lang").click()
    await expect(missing).to_have_text("Photo shown once online")
    await expect(fixed).to_contain_text("Fixed")
    await snap(page, "action-sign-off-evidence-en", clean.backend)
    assert errors == []
    await context.close()


async def test_a_past_inspection_opens_from_the_tag_page_with_its_answers_and_photos(
    browser, clean, api
) -> None:
    made = await a_failed_extinguisher(api)
    context, page, errors = await phone_of(browser, clean.url, made["maintainer"])
    await opened(page, f"{clean.url}/t/{made['code']}")
    recent = page.get_by_test_id("recent-result")
    await expect(recent).to_have_count(2)
    await snap(page, "tag-recent-results", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(recent.first.get_by_test_id("open-inspection")).to_have_text(
        "Fire extinguisher monthly check"
    )
    await snap(page, "tag-recent-results-en", clean.backend)
    await page.get_by_test_id("lang").click()
    await (
        recent.and_(page.locator(f'[data-id="{made["failed"]}"]'))
        .get_by_test_id("open-inspection")
        .click()
    )

    inspection = page.get_by_test_id("inspection-page")
    await expect(inspection).to_have_attribute("data-id", made["failed"])
    await expect(page.get_by_test_id("inspection-result")).to_have_text("不合格")
    await expect(inspection).to_contain_text("MHQ-0301")
    await expect(inspection).to_contain_text("教学楼A › 3F")
    gauge = page.locator('[data-testid="answer"][data-key="gauge_zone"]')
    await expect(gauge).to_have_attribute("data-result", "fail")
    await expect(gauge.get_by_test_id("answer-value")).to_have_text(RED)
    await expect(gauge.get_by_test_id("answer-failed")).to_have_text("不合格")
    hose = page.locator('[data-testid="answer"][data-key="hose"]')
    await expect(hose.get_by_test_id("answer-value")).to_have_text("合格")
    await expect(hose.get_by_test_id("answer-failed")).to_have_count(0)
    notes = page.locator('[data-testid="answer"][data-key="notes"]')
    await expect(notes.get_by_test_id("answer-value")).to_have_text(NOTE)
    photos = page.locator('[data-testid="answer"][data-key="photo"]')
    await shown(photos, made["gauge"])
    await expect(photos.get_by_test_id("photo-missing")).to_have_attribute("data-reason", "waiting")
    finding = page.get_by_test_id("inspection-finding")
    await expect(finding).to_have_count(1)
    await expect(finding).to_contain_text(GAUGE)
    await expect(finding).to_contain_text("严重 · 待处理")
    await snap(page, "inspection", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(gauge.get_by_test_id("answer-value")).to_have_text(
        "Red (under-pressure, recharge)"
    )
    await snap(page, "inspection-en", clean.backend)
    await page.get_by_test_id("lang").click()
    # Its finding opens the action raised from it.
    await finding.get_by_role("button").click()
    await expect(page.get_by_test_id("action-title")).to_have_text(GAUGE)
    await page.get_by_test_id("back").click()
    await expect(inspection).to_be_visible()

    # Offline: the inspection seen once opens with its answers and photo; the one never
    # opened shows how it came out and says its answers need the network.
    await context.set_offline(True)
    await page.reload()
    await expect(gauge.get_by_test_id("answer-value")).to_have_text(RED)
    await shown(photos, made["gauge"])
    await page.goto(f"{clean.url}/app/inspections/{made['earlier']}")
    await expect(page.get_by_test_id("inspection-result")).to_have_text("合格")
    await expect(page.get_by_test_id("inspection-answers-offline")).to_be_visible()
    await expect(page.get_by_test_id("answer")).to_have_count(0)
    await snap(page, "inspection-offline", clean.backend)

    # One made on this phone and still waiting to be sent opens from the phone's own record.
    mine = submission(asset=made["asset"], answers=extinguisher_answers(hose="fail"))
    await enqueue(page, mine)
    await page.goto(f"{clean.url}/t/{made['code']}")
    await (
        recent.and_(page.locator(f'[data-id="{mine["id"]}"]'))
        .get_by_test_id("open-inspection")
        .click()
    )
    await expect(page.get_by_test_id("inspection-waiting")).to_be_visible()
    await expect(page.get_by_test_id("inspection-result")).to_have_text("不合格")
    hose = page.locator('[data-testid="answer"][data-key="hose"]')
    await expect(hose.get_by_test_id("answer-value")).to_have_text("不合格")
    await expect(hose.get_by_test_id("answer-failed")).to_be_visible()
    assert errors == []
    await context.close()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_answers_and_limits_read_in_the_persons_language(browser, clean) -> None:
    context = await new_phone(browser)
    page = await context.new_page()
    await page.goto(f"{clean.url}/web/i18n/zh-CN.json")
    read = await page.evaluate(
        """async () => {
          const i18n = await import("/web/app/i18n.js");
          const evidence = await import("/web/app/evidence.js");
          const fridge = { type: "number", unit: "°C", min: 0, max: 8 };
          const freezer = { type: "number", unit: "°C", max: -18 };
          const sample = { type: "number", unit: "g", min: 125 };
          const life = { type: "date", must_not_be_past: true };
          const gauge = { type: "choice", options: [
            { value: "red", label: { "zh-CN": "红区", en: "Red" } },
            { value: "yellow", label: { "zh-CN": "黄区", en: "Yellow" } }] };
          const read = () => ({
            number: evidence.itemAnswer(fridge, 11.5),
            limits: [fridge, freezer, sample, life].map(evidence.itemLimit),
            check: evidence.itemAnswer({ type: "check" }, "fail"),
            choices: evidence.itemAnswer(gauge, ["red", "yellow"]),
            blank: evidence.itemAnswer({ type: "text" }, ""),
            carried: evidence.evidenceAnswer({ item_type: "choice", answer: "red",
                                               answer_label: "红区", answer_label_en: "Red" }),
            reading: evidence.evidenceAnswer({ item_type: "number", answer: 3, unit: "个" }),
          });
          await i18n.loadLanguage("zh-CN");
          const zh = read();
          await i18n.loadLanguage("en");
          const en = read();
          await i18n.loadLanguage("zh-CN");
          return { zh, en };
        }"""
    )
    await context.close()
    assert read["zh"] == {
        "number": "11.5 °C",
        "limits": ["范围 0–8 °C", "不高于 -18 °C", "不低于 125 g", "不得早于检查当日"],
        "check": "不合格",
        "choices": "红区、黄区",
        "blank": "未填写",
        "carried": "红区",
        "reading": "3 个",
    }
    assert read["en"]["limits"] == [
        "Range 0–8 °C",
        "At most -18 °C",
        "At least 125 g",
        "Not before the day of the check",
    ]
    assert (read["en"]["choices"], read["en"]["carried"]) == ("Red, Yellow", "Red")
