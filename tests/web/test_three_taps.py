"""An all-OK check in three taps from the tag URL (open the checklist, All OK, Submit), the
service-life date taken from the asset's record; a failing item's own photo and note, which
go with its finding; the notice after submitting and one Back to leave; failures in red."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from zoneinfo import ZoneInfo

from playwright.async_api import Locator, Page, expect

from server.templates.templates import install_library
from tests.factories import make_asset, make_location, make_person, make_school, make_tag
from tests.schedules.scheduling import make_schedule, put_calendar
from tests.web.test_checklist import a_photo
from tests.web.test_client import ConsoleErrors, log_in, new_phone, snap

EXPIRY = "2033-05-31"
RED = "rgb(180, 35, 24)"  # --warn


async def an_extinguisher(api) -> dict:
    school = await make_school()
    await install_library(school.organization_id)
    admin = await make_person(school, "admin")
    inspector = await make_person(school, "inspector")
    building = await make_location(admin, school, "教学楼A")
    asset = await make_asset(
        admin,
        school,
        name="手提式干粉灭火器 MFZ/ABC4",
        location=building,
        asset_number="MHQ-001",
        attributes={"expiry_date": EXPIRY, "extinguisher_type": "MFZ/ABC4"},
    )
    return {"inspector": inspector, "asset": asset, "code": await make_tag(admin, asset=asset)}


async def arrived(api, inspector, asset, *, with_photos: bool = False) -> dict:
    """The one inspection of the asset once the phone has sent it and its photos."""
    for _ in range(150):
        found = await api.get(
            "/api/inspections", params={"asset_id": str(asset)}, headers=inspector.headers
        )
        if found.json()["items"]:
            [summary] = found.json()["items"]
            inspection = (
                await api.get(f"/api/inspections/{summary['id']}", headers=inspector.headers)
            ).json()
            if not with_photos or not inspection["missing_blobs"]:
                return inspection
        await asyncio.sleep(0.1)
    raise AssertionError("the inspection did not arrive")


class Taps:
    """Counts the person's taps, each on something already on the screen."""

    def __init__(self) -> None:
        self.count = 0

    async def tap(self, target: Locator) -> None:
        # Reachable where it is: no scrolling before the tap.
        await expect(target).to_be_in_viewport()
        await target.click(no_wait_after=True)
        self.count += 1


async def in_english(page: Page, name: str, backend: str) -> None:
    """A screenshot of the screen in English, then back to Chinese."""
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("lang")).to_have_text("中文")
    await snap(page, name, backend)
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("lang")).to_have_text("English")


async def signed_in_phone(browser, clean, who):
    context = await new_phone(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await page.goto(f"{clean.url}/app/")
    await log_in(page, who.username)
    await expect(page.get_by_test_id("sync-status")).to_have_attribute(
        "data-state", "ok", timeout=15_000
    )
    return context, page, errors


async def test_an_all_ok_extinguisher_check_is_three_taps_from_the_tag_url(
    browser, clean, api
) -> None:
    school = await an_extinguisher(api)
    inspector = school["inspector"]
    context, page, errors = await signed_in_phone(browser, clean, inspector)
    # The tag URL, as the phone's camera opens it.
    async with page.expect_response(lambda r: r.url.endswith("/api/sync/pull")):
        await page.goto(f"{clean.url}/t/{school['code']}")
    await expect(page.get_by_test_id("sync-status")).to_have_attribute("data-state", "ok")
    checklist = page.locator('[data-testid="checklist"][data-key="fire_extinguisher_monthly"]')
    # The checklist is the page's main button; the repair report a secondary one.
    open_button = checklist.locator("button")
    await expect(open_button).to_have_class("wide checklist-open")
    await expect(page.get_by_test_id("report-open")).to_have_class("wide plain")
    await snap(page, "three-taps-target", clean.backend)
    await in_english(page, "three-taps-target-en", clean.backend)

    taps = Taps()
    await taps.tap(open_button)
    await expect(page.get_by_test_id("form-title")).to_have_text("灭火器月度检查")
    # The service-life date comes from the asset's record, said to be so.
    await expect(page.get_by_test_id("input-service_life_end")).to_have_value(EXPIRY)
    await expect(page.get_by_test_id("prefilled-service_life_end")).to_be_visible()
    # All OK is one line at a phone's width, and so is the critical badge.
    all_ok = await page.get_by_test_id("all-ok").bounding_box()
    badge = await page.locator(".item-label .badge").first.bounding_box()
    assert all_ok is not None and all_ok["height"] < 60
    assert badge is not None and badge["height"] < 30
    await snap(page, "three-taps-form", clean.backend)
    await in_english(page, "three-taps-form-en", clean.backend)
    await taps.tap(page.get_by_test_id("all-ok"))
    await expect(page.get_by_test_id("answer-gauge_zone-green")).to_have_attribute(
        "aria-pressed", "true"
    )
    await taps.tap(page.get_by_test_id("submit"))
    await expect(page.get_by_test_id("submitted")).to_be_in_viewport()
    assert taps.count == 3
    await snap(page, "three-taps-submitted", clean.backend)

    inspection = await arrived(api, inspector, school["asset"])
    assert inspection["answers"]["service_life_end"] == EXPIRY
    assert inspection["answers"]["gauge_zone"] == "green"
    assert "photo" not in inspection["answers"]
    assert inspection["evaluation"]["result"] == "pass"
    assert errors == []
    await context.close()


async def test_a_failing_item_asks_for_its_own_photo_and_note_and_its_finding_carries_them(
    browser, clean, api
) -> None:
    school = await an_extinguisher(api)
    inspector = school["inspector"]
    context, page, errors = await signed_in_phone(browser, clean, inspector)
    await page.goto(f"{clean.url}/t/{school['code']}")
    await page.locator(
        '[data-testid="checklist"][data-key="fire_extinguisher_monthly"] button'
    ).click()
    await expect(page.get_by_test_id("form-title")).to_be_visible()
    await page.get_by_test_id("all-ok").click()

    # The hose fails: its own photo and note appear right under it; the chosen failure is red.
    evidence = page.get_by_test_id("evidence-hose")
    await expect(evidence).to_be_hidden()
    fail = page.get_by_test_id("answer-hose-fail")
    await fail.click()
    await expect(evidence).to_be_visible()
    await expect(fail).to_have_css("background-color", RED)
    # A failing option of a choice is red too, not the colour of a passing one.
    red_zone = page.get_by_test_id("answer-gauge_zone-red")
    await red_zone.click()
    await expect(red_zone).to_have_css("background-color", RED)
    await expect(page.get_by_test_id("evidence-gauge_zone")).to_be_visible()
    await page.get_by_test_id("answer-gauge_zone-green").click()
    await expect(page.get_by_test_id("answer-gauge_zone-green")).not_to_have_css(
        "background-color", RED
    )
    await expect(page.get_by_test_id("evidence-gauge_zone")).to_be_hidden()

    # The site photo is asked for only now that something fails.
    await page.get_by_test_id("submit").click()
    await expect(page.get_by_test_id("problem-photo")).to_have_text("必填")
    await page.get_by_test_id("photo-hose.photos").set_input_files(
        {"name": "hose.png", "mimeType": "image/png", "buffer": a_photo((90, 90, 90))}
    )
    await expect(evidence.get_by_test_id("thumb")).to_have_count(1)
    await page.get_by_test_id("input-hose.note").fill("喷管根部龟裂")
    await page.get_by_test_id("photo-photo").set_input_files(
        {"name": "site.png", "mimeType": "image/png", "buffer": a_photo()}
    )
    await expect(page.get_by_test_id("problem-photo")).to_have_text("")
    await snap(page, "failing-item-evidence", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("all-ok")).to_have_text("All OK")
    await snap(page, "failing-item-evidence-en", clean.backend)
    await page.get_by_test_id("lang").click()
    await page.get_by_test_id("submit").click()
    await expect(page.get_by_test_id("submitted")).to_be_in_viewport()
    inspection = await arrived(api, inspector, school["asset"], with_photos=True)
    answers = inspection["answers"]
    assert answers["hose"] == "fail" and answers["hose.note"] == "喷管根部龟裂"
    [hose_photo] = answers["hose.photos"]
    assert hose_photo != answers["photo"][0]
    [finding] = inspection["findings"]
    assert finding["item_key"] == "hose"
    # The finding carries the hose's own photo, not the site photo taken for the whole check.
    assert finding["photos"] == [hose_photo]
    # And its corrective action shows the maintainer both.
    listed = await api.get(
        "/api/actions", params={"site_id": inspection["site_id"]}, headers=inspector.headers
    )
    [action] = [a for a in listed.json()["items"] if a["finding_id"] == finding["id"]]
    assert action["evidence"]["note"] == "喷管根部龟裂"
    assert action["evidence"]["photos"] == [hose_photo]
    assert inspection["missing_blobs"] == []
    uploaded = await api.get(f"/api/blobs/{hose_photo}", headers=inspector.headers)
    assert uploaded.status_code == 200
    assert hashlib.sha256(uploaded.content).hexdigest() == hose_photo
    assert errors == []
    await context.close()


async def test_after_submitting_the_notice_is_on_screen_and_one_back_leaves_the_tag_page(
    browser, clean, api
) -> None:
    school = await an_extinguisher(api)
    context, page, errors = await signed_in_phone(browser, clean, school["inspector"])
    # Home, then the tag by its typed code, then its checklist.
    await page.get_by_test_id("code-input").fill(school["code"])
    await page.get_by_test_id("code-submit").click()
    await page.locator(
        '[data-testid="checklist"][data-key="fire_extinguisher_monthly"] button'
    ).click()
    await page.get_by_test_id("all-ok").click()
    # Down at the end of the form (the note, the summary) when Submit is tapped.
    await page.get_by_test_id("note").fill("本月检查正常")
    await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert await page.evaluate("window.scrollY") > 300
    await page.get_by_test_id("submit").click()
    notice = page.get_by_test_id("submitted")
    await expect(notice).to_have_text("已保存在本机，联网后自动上传。")
    await expect(notice).to_be_in_viewport()
    await expect(page.get_by_test_id("target-title")).to_be_visible()
    assert page.url.endswith(f"/t/{school['code']}")
    # One Back leaves the tag page for where the person came from.
    await page.go_back()
    await expect(page.get_by_test_id("code-input")).to_be_visible()
    assert page.url.endswith("/app/")
    # A checklist left with Back (not submitted) goes back to its tag page, once too.
    await page.go_forward()
    await expect(page.get_by_test_id("target-title")).to_be_visible()
    await page.locator(
        '[data-testid="checklist"][data-key="fire_extinguisher_monthly"] button'
    ).click()
    await page.get_by_test_id("back").last.click()
    await expect(page.get_by_test_id("target-title")).to_be_visible()
    await page.go_back()
    await expect(page.get_by_test_id("code-input")).to_be_visible()
    assert errors == []
    await context.close()


async def test_the_checklist_due_on_the_thing_comes_first_and_is_marked(
    browser, clean, api
) -> None:
    zone = "Asia/Shanghai"
    school = await make_school(timezone=zone)
    await install_library(school.organization_id)
    admin = await make_person(school, "admin")
    inspector = await make_person(school, "inspector")
    asset = await make_asset(admin, school, name="手提式干粉灭火器 MFZ/ABC4")
    # Two checklists apply: the electrical panel's (first by name) and the extinguisher's,
    # which is due today.
    override = await api.put(
        f"/api/sites/{school.site_id}/checklists/electrical_panel_weekly",
        json={"asset_categories": ["electrical_panel", "fire_extinguisher"]},
        headers=admin.headers,
    )
    assert override.status_code == 200, override.text
    today = dt.datetime.now(ZoneInfo(zone)).date()
    term = {
        "key": "this-term",
        "name": "本学期",
        "first_day": str(today - dt.timedelta(days=30)),
        "last_day": str(today + dt.timedelta(days=60)),
    }
    calendar = await put_calendar(api, admin, school.site_id, {"terms": [term], "holidays": []})
    assert calendar.status_code == 200, calendar.text
    await make_schedule(api, admin, school.site_id, {"every": "daily"})
    code = await make_tag(admin, asset=asset)
    context, page, errors = await signed_in_phone(browser, clean, inspector)
    await page.goto(f"{clean.url}/t/{code}")
    checklists = page.get_by_test_id("checklist")
    await expect(checklists.first).to_have_attribute("data-key", "fire_extinguisher_monthly")
    await expect(checklists.first).to_have_attribute("data-due", "due")
    await expect(checklists.first.locator(".badge")).to_have_text("待检")
    await expect(checklists.last).to_have_attribute("data-key", "electrical_panel_weekly")
    await expect(checklists.last).not_to_have_attribute("data-due", "due")
    await snap(page, "three-taps-due-first", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("checklist").first.locator(".badge")).to_have_text("Due")
    await snap(page, "three-taps-due-first-en", clean.backend)
    assert errors == []
    await context.close()
