"""Defects a field test found in the phone app, each kept from coming back: "all OK" never
overrides an answer a person gave, a submit tapped twice is one record, a sync's redraw never
wipes what a person is typing, and the server's refusals are said in the person's language."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from playwright.async_api import BrowserContext, Page, expect

from server.errors import STATUS
from tests.inspections.helpers import extinguisher_answers, submission
from tests.web.test_checklist import a_photo, a_school, open_checklist, pressed
from tests.web.test_client import ConsoleErrors, enqueue, log_in, snap
from tests.web.test_lifecycle import waiting_ops

# The phone the field test used.
FIELD_PHONE = {"width": 360, "height": 740}
I18N = Path(__file__).resolve().parents[2] / "server" / "web" / "i18n"
CJK = re.compile(r"[\u4e00-\u9fff]")
CHECKS = ("seal_and_pin", "hose", "body", "cabinet_opens", "signage_and_access")


async def field_phone(browser, *, service_workers: str = "allow") -> BrowserContext:
    return await browser.new_context(
        viewport=FIELD_PHONE, locale="zh-CN", service_workers=service_workers
    )


async def signed_in_at_tag(page: Page, url: str, username: str, code: str) -> None:
    await page.goto(f"{url}/app/")
    await log_in(page, username)
    await expect(page.get_by_test_id("sync-status")).to_have_attribute(
        "data-state", "ok", timeout=15_000
    )
    await page.evaluate("navigator.serviceWorker.ready")
    async with page.expect_response(lambda r: r.url.endswith("/api/sync/pull")):
        await page.goto(f"{url}/t/{code}")
    await expect(page.get_by_test_id("checklist").first).to_be_visible()


async def fill_the_rest(page: Page) -> None:
    """What "all OK" does not answer on the extinguisher checklist (the gauge it puts in
    the green; the asset here has no service-life date to prefill)."""
    await pressed(page, "gauge_zone", "green")
    await page.get_by_test_id("input-service_life_end").fill("2031-06-30")
    await page.get_by_test_id("photo-photo").set_input_files(
        {"name": "gauge.png", "mimeType": "image/png", "buffer": a_photo()}
    )
    await expect(page.get_by_test_id("thumb")).to_have_count(1)


async def refused_count(page: Page) -> int:
    return await page.evaluate("""async () => (await import("/web/app/store.js")).refusedCount()""")


# --- 1. "All OK" fills only what is unanswered ------------------------------------------


async def test_all_ok_never_turns_a_chosen_failure_into_a_pass(browser, clean, api) -> None:
    school = await a_school(api)
    inspector = school["inspector"]
    context = await field_phone(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await signed_in_at_tag(page, clean.url, inspector.username, school["asset_code"])
    await context.set_offline(True)
    await open_checklist(page, "fire_extinguisher_monthly")

    # The hose fails; the cabinet does not apply. Then "all OK".
    await page.get_by_test_id("answer-hose-fail").click()
    await page.get_by_test_id("answer-cabinet_opens-na").click()
    await page.get_by_test_id("all-ok").click()
    await pressed(page, "hose", "fail")
    await expect(page.get_by_test_id("answer-hose-pass")).to_have_attribute("aria-pressed", "false")
    await pressed(page, "cabinet_opens", "na")
    for key in ("seal_and_pin", "body", "signage_and_access"):
        await pressed(page, key, "pass")
    await expect(page.get_by_test_id("failure")).to_have_count(1)
    await expect(page.get_by_test_id("failure")).to_have_attribute("data-key", "hose")
    # Tapped again, it still changes nothing a person chose.
    await page.get_by_test_id("all-ok").click()
    await pressed(page, "hose", "fail")
    await fill_the_rest(page)
    await snap(page, "all-ok-keeps-failure", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("all-ok")).to_contain_text("All OK")
    await pressed(page, "hose", "fail")
    # Cards below the first screen are painted once scrolled to (content-visibility).
    await page.get_by_test_id("item").last.scroll_into_view_if_needed()
    await snap(page, "all-ok-keeps-failure-en", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("all-ok")).to_contain_text("全部正常")

    # The draft kept the failure too (a reload reads it back).
    await page.reload()
    await pressed(page, "hose", "fail")
    await page.get_by_test_id("submit").click()
    await expect(page.get_by_test_id("submitted")).to_be_visible()
    [op] = await waiting_ops(page)
    answers = op["body"]["answers"]
    assert answers["hose"] == "fail" and answers["cabinet_opens"] == "na"
    assert [answers[k] for k in ("seal_and_pin", "body", "signage_and_access")] == ["pass"] * 3

    await context.set_offline(False)
    status = page.get_by_test_id("sync-status")
    await expect(status).to_contain_text("待上传 0 条", timeout=15_000)
    await expect(status).to_have_attribute("data-state", "ok")
    got = await api.get(f"/api/inspections/{op['body']['id']}", headers=inspector.headers)
    assert got.status_code == 200, got.text
    inspection = got.json()
    assert inspection["answers"]["hose"] == "fail"
    assert inspection["evaluation"]["result"] == "fail"
    assert inspection["evaluation"]["failed_items"] == ["hose"]
    assert [f["item_key"] for f in inspection["findings"]] == ["hose"]
    assert errors == []
    await context.close()


# --- 2. A submit is one record however often it is tapped -------------------------------


async def test_a_submit_tapped_twice_is_one_record(browser, clean, api) -> None:
    school = await a_school(api)
    inspector = school["inspector"]
    context = await field_phone(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await signed_in_at_tag(page, clean.url, inspector.username, school["asset_code"])
    await context.set_offline(True)
    submit = page.get_by_test_id("submit")

    # A fast double click.
    await open_checklist(page, "fire_extinguisher_monthly")
    await page.get_by_test_id("all-ok").click()
    await fill_the_rest(page)
    await submit.dblclick()
    await expect(page.get_by_test_id("submitted")).to_be_visible()
    assert len(await waiting_ops(page)) == 1

    # Two taps in one go, the second while the first is being saved, then Enter twice.
    await open_checklist(page, "fire_extinguisher_monthly")
    await page.get_by_test_id("all-ok").click()
    await fill_the_rest(page)
    await submit.evaluate("(button) => { button.click(); button.click(); }")
    await expect(page.get_by_test_id("submitted")).to_be_visible()
    await open_checklist(page, "fire_extinguisher_monthly")
    await page.get_by_test_id("all-ok").click()
    await fill_the_rest(page)
    await submit.focus()
    await page.keyboard.press("Enter")
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("submitted")).to_be_visible()

    ops = await waiting_ops(page)
    assert len(ops) == 3, [o["body"]["id"] for o in ops]
    assert len({o["op_id"] for o in ops}) == len({o["body"]["id"] for o in ops}) == 3
    status = page.get_by_test_id("sync-status")
    await expect(status).to_contain_text("待上传 3 条")

    await context.set_offline(False)
    await expect(status).to_contain_text("待上传 0 条", timeout=15_000)
    await expect(status).to_have_attribute("data-state", "ok")
    await expect(status).not_to_contain_text("被拒收")
    assert await refused_count(page) == 0
    found = await api.get(
        "/api/inspections", params={"asset_id": str(school["asset"])}, headers=inspector.headers
    )
    assert sorted(i["id"] for i in found.json()["items"]) == sorted(o["body"]["id"] for o in ops)
    await page.goto(f"{clean.url}/app/")
    await expect(page.get_by_test_id("signed-in")).to_be_visible()
    await expect(page.get_by_test_id("refused")).to_have_count(0)
    assert errors == []
    await context.close()


# --- 3. A redraw never loses what is being typed ----------------------------------------


async def test_a_code_being_typed_survives_the_start_up_syncs_redraw(browser, clean, api) -> None:
    school = await a_school(api)
    code = school["asset_code"]
    # Requests a service worker handles are not seen by page.route: no service worker here.
    context = await field_phone(browser, service_workers="block")
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await page.goto(f"{clean.url}/app/")
    await log_in(page, school["inspector"].username)
    status = page.get_by_test_id("sync-status")
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)

    # A slow network: the start-up pull is answered only once the person has started typing.
    asked = asyncio.Event()
    typed = asyncio.Event()

    async def slow_pull(route) -> None:
        asked.set()
        await typed.wait()
        await route.continue_()

    await page.route("**/api/sync/pull", slow_pull)
    await page.reload()
    await asyncio.wait_for(asked.wait(), 15)
    field = page.get_by_test_id("code-input")
    await field.evaluate("(input) => { input.dataset.beforeSync = '1'; }")
    await field.click()
    await page.keyboard.type(code[:5].lower())
    typed.set()
    # The pull ends and home is drawn again (a new input), with the typed text and the caret.
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    await expect(page.locator("[data-before-sync]")).to_have_count(0)
    await expect(field).to_have_value(code[:5].lower())
    await expect(field).to_be_focused()
    await snap(page, "home-typing-after-sync", clean.backend)
    # Switching the language draws the screen again: still there.
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("code-submit")).to_have_text("Open")
    await expect(field).to_have_value(code[:5].lower())
    await snap(page, "home-typing-after-sync-en", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("code-submit")).to_have_text("打开")
    # And the person goes on typing where they were.
    await field.press("End")
    await page.keyboard.type(code[5:])
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("target-title")).to_have_text("手提式干粉灭火器")
    assert page.url.endswith(f"/t/{code}")
    # What was typed on home does not follow the person to another screen.
    await page.get_by_test_id("back").click()
    await expect(page.get_by_test_id("signed-in")).to_be_visible()
    assert errors == []
    await context.close()


# --- 4. Refusals in the person's language -----------------------------------------------


def test_every_error_code_the_server_can_send_is_said_in_both_languages() -> None:
    """A refusal code added to server/errors.py without its texts fails here."""
    for lang in ("zh-CN", "en"):
        strings = json.loads((I18N / f"{lang}.json").read_text(encoding="utf-8"))
        missing = sorted(code for code in STATUS if f"refusal.{code}" not in strings)
        assert missing == [], (lang, missing)
        assert "{code}" in strings["refusal.unknown"], lang
        for code in STATUS:
            text = strings[f"refusal.{code}"]
            assert text.strip() and text != code, (lang, code)
            if lang == "zh-CN":
                assert CJK.search(text), (code, text)
        stale = sorted(
            key.removeprefix("refusal.")
            for key in strings
            if key.startswith("refusal.") and key not in ("refusal.unknown", "refusal.with_code")
            if key.removeprefix("refusal.") not in STATUS
        )
        assert stale == [], (lang, stale)


async def test_a_refused_record_is_explained_in_the_persons_language(browser, clean, api) -> None:
    school = await a_school(api)
    inspector = school["inspector"]
    context = await field_phone(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await page.goto(f"{clean.url}/app/")
    # A wrong password is said in Chinese too.
    await page.get_by_test_id("login-form").locator("#username").fill(inspector.username)
    await page.locator("#password").fill("not-the-password")
    await page.get_by_test_id("login-submit").click()
    message = page.get_by_test_id("login-message")
    await expect(message).to_contain_text("用户名或密码不正确")
    await expect(message).not_to_contain_text("wrong username or password")
    await log_in(page, inspector.username)
    status = page.get_by_test_id("sync-status")
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)

    # A record the server refuses (an answer the checklist does not allow), and one refused
    # with a code this phone's build does not know.
    await enqueue(
        page, submission(asset=school["asset"], answers=extinguisher_answers(gauge_zone="purple"))
    )
    await page.get_by_test_id("sync-now").click()
    await expect(status).to_contain_text("1 条记录被拒收", timeout=15_000)
    await page.evaluate(
        """async () => {
          const db = await (await import("/web/app/store.js")).openStore();
          const tx = db.transaction("refused", "readwrite");
          tx.objectStore("refused").put({
            op: { type: "inspection.submitted", op_id: "0192f0c1-aaaa-7bbb-8ccc-000000000009",
                  device_seq: 99, occurred_at: new Date().toISOString(), body: {} },
            status: "rejected", code: "future.unheard_of", detail: "Some English detail",
            at: new Date().toISOString() });
          await new Promise((ok) => { tx.oncomplete = ok; });
        }"""
    )
    await page.reload()
    refused = page.get_by_test_id("refused")
    await expect(refused).to_have_count(2)
    reasons = page.get_by_test_id("refused-reason")
    zh = json.loads((I18N / "zh-CN.json").read_text(encoding="utf-8"))
    en = json.loads((I18N / "en.json").read_text(encoding="utf-8"))
    await expect(reasons).to_contain_text(
        [  # in the order of their op ids: the made-up one is older
            zh["refusal.unknown"].replace("{code}", "future.unheard_of"),
            zh["refusal.inspection.invalid_answers"],
        ]
    )
    for text in await reasons.all_inner_texts():
        assert CJK.search(text), text
    # Never the server's English detail.
    details = await page.evaluate(
        """async () => (await (await import("/web/app/store.js")).refusedOps())
                         .map((r) => r.detail)"""
    )
    assert "Some English detail" in details and all(details), details
    for detail in details:
        await expect(refused.filter(has_text=detail)).to_have_count(0)
    await snap(page, "refused-zh", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(reasons).to_contain_text(
        [  # in the order of their op ids: the made-up one is older
            en["refusal.unknown"].replace("{code}", "future.unheard_of"),
            en["refusal.inspection.invalid_answers"],
        ]
    )
    await snap(page, "refused-en", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(reasons.last).to_contain_text(zh["refusal.inspection.invalid_answers"])
    assert errors == [] or all("401" in e for e in errors), errors
    await context.close()
