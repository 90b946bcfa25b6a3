"""The console's today page in a real browser at a desktop's size: a school with an overdue
check, old and new corrective actions with and without an owner, a high-severity finding, a
record the server refused and a phone that stopped syncing shows each figure as the server
counts it, each a link to its list; the refused record says who, what and why in the
person's language; an auditor reads the figures without the phones and is offered nothing
that writes; an empty school is guided to its register; both languages; no serious
accessibility violation; nothing overflows a 1024-wide window."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Page, expect
from uuid_utils.compat import uuid7

from server import clock
from server.templates.templates import install_library
from tests.factories import Person, make_asset, make_location, make_person, make_school
from tests.inspections.helpers import extinguisher_answers, submission, submit
from tests.schedules.scheduling import born, due, make_schedule
from tests.syncing.device import device_of
from tests.web.axe import axe_violations
from tests.web.test_client import ConsoleErrors, snap
from tests.web.test_console import a_desktop, assert_fits, console_login

DAY = timedelta(days=1)
NARROW = {"width": 1024, "height": 768}


async def report(api, person: Person, at: datetime, location: uuid.UUID) -> dict:
    body = {
        "id": str(uuid7()),
        "kind": "repair",
        "location_id": str(location),
        "description": "教室门锁损坏，关不上",
        "reported_at": at.isoformat(),
    }
    response = await api.post("/api/reports", json=body, headers=person.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def a_school_with_a_morning(api, monkeypatch: pytest.MonkeyPatch) -> dict:
    """A daily extinguisher check scheduled five days ago and never done; two repairs no
    one owns (8 days and an hour old) and two the maintainer owns (4 days old, and the
    action of a high-severity finding); a record refused on a phone; a guard's phone last
    synced four days ago."""
    real_now = clock.utcnow
    now = datetime.now(UTC)
    school = await make_school("阳光实验小学")
    await install_library(school.organization_id)
    admin = await make_person(school, "admin")
    inspector = await make_person(school, "inspector")
    auditor = await make_person(school, "auditor", expires_at=now + 30 * DAY)
    building = await make_location(admin, school, "教学楼A")
    room = await make_location(admin, school, "三年级2班教室", parent=building, kind="room")
    asset = await make_asset(admin, school, location=room, asset_number="MHQ-301")
    await born(now - 10 * DAY, assets=(asset,), locations=(building, room))

    monkeypatch.setattr(clock, "utcnow", lambda: now - 5 * DAY)
    await make_schedule(api, admin, school.site_id, {"every": "daily"})
    monkeypatch.setattr(clock, "utcnow", lambda: now - 4 * DAY)
    guard = await make_person(school, "guard")
    phone = await device_of(api, guard)
    phone.clock_offset = -4 * DAY
    await phone.push_ok([])
    monkeypatch.setattr(clock, "utcnow", real_now)

    # Before the school has a maintainer: no one owns these.
    await report(api, inspector, now - 8 * DAY, room)
    await report(api, inspector, now - timedelta(hours=1), room)
    maintainer = await make_person(school, "maintainer")
    await report(api, inspector, now - 4 * DAY, room)
    red = submission(asset=asset, answers=extinguisher_answers(gauge_zone="red"))
    assert (await submit(api, inspector, red)).status_code == 201
    # Sent from a phone and refused: ten of a checklist the school does not have, then one
    # whose answers the checklist does not allow.
    device = await device_of(api, inspector)
    unknown = [submission(asset=asset, template="no_such_checklist") for _ in range(10)]
    wrong = submission(asset=asset, answers=extinguisher_answers(gauge_zone="purple"))
    for batch in (unknown, [wrong]):
        answer = await device.push_ok([device.op(body) for body in batch])
        assert {r["status"] for r in answer["results"]} == {"rejected"}
    return {
        "school": school,
        "admin": admin,
        "auditor": auditor,
        "maintainer": maintainer,
        "guard": guard,
    }


def figure(page: Page, name: str):
    return page.get_by_test_id(f"figure-{name}")


async def expect_figure(page: Page, name: str, count: int, href: str) -> None:
    await expect(figure(page, name).get_by_test_id("count")).to_have_text(str(count))
    await expect(figure(page, name)).to_have_attribute("href", href)


async def test_the_office_sees_the_mornings_figures_each_opening_its_list(
    browser, clean, api, monkeypatch
) -> None:
    world = await a_school_with_a_morning(api, monkeypatch)
    school, admin = world["school"], world["admin"]
    site = str(school.site_id)
    stored = (await api.get(f"/api/sites/{site}/today", headers=admin.headers)).json()
    overdue = await due(api, admin, school.site_id, scope="overdue")
    assert len(overdue) >= 4
    assert (stored["due"]["today"], stored["due"]["done"]) == (1, 1)
    assert stored["due"]["overdue"] == len(overdue)
    actions = stored["actions"]
    assert (actions["open"], actions["aged_3_days"], actions["aged_7_days"]) == (4, 2, 1)
    assert stored["high_findings"] == 1
    assert (stored["sync"]["refused"], stored["sync"]["quiet_total"]) == (11, 1)

    context = await a_desktop(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await console_login(page, clean.url, admin.username)
    await page.get_by_test_id("nav-today").click()
    await expect(page.locator("h1")).to_have_text("今日")
    await expect(page.get_by_test_id("nav-today")).to_have_attribute("aria-current", "page")

    plan = f"/console/plan?site={site}&view=due"
    repairs = f"/console/repairs?site={site}&view=actions"
    await expect_figure(page, "due-today", 1, f"{plan}&when=today")
    # The failed check this morning did today's check: done, however it came out.
    await expect(figure(page, "due-today")).to_contain_text("已完成 1 · 待完成 0")
    await expect_figure(page, "due-overdue", len(overdue), f"{plan}&when=overdue")
    await expect_figure(page, "actions-open", 4, f"{repairs}&state=open,in_progress")
    await expect_figure(
        page, "actions-aged-3", 2, f"{repairs}&state=open,in_progress&older_than_days=3"
    )
    await expect_figure(
        page, "actions-aged-7", 1, f"{repairs}&state=open,in_progress&older_than_days=7"
    )
    await expect_figure(page, "actions-overdue", actions["overdue"], f"{repairs}&overdue=1")
    await expect_figure(page, "actions-fixed", 0, f"{repairs}&state=fixed")
    await expect_figure(
        page,
        "findings-high",
        1,
        f"/console/repairs?site={site}&view=findings&severity=high&status=open",
    )

    # By owner: no one's first (the most), each count opening that owner's list.
    owners = page.get_by_test_id("owner")
    await expect(owners).to_have_count(2)
    unowned, maintainer = owners.nth(0), owners.nth(1)
    await expect(unowned).to_have_attribute("data-owner", "none")
    await expect(unowned.get_by_test_id("owner-name")).to_have_text("尚未指派负责人")
    await expect(unowned.get_by_test_id("owner-open")).to_have_text("2")
    await expect(unowned.get_by_test_id("owner-open")).to_have_attribute(
        "href", f"{repairs}&state=open,in_progress&owner=none"
    )
    owner_id = str(world["maintainer"].user_id)
    await expect(maintainer.get_by_test_id("owner-name")).to_have_text("测试maintainer")
    await expect(maintainer.get_by_test_id("owner-open")).to_have_text("2")
    await expect(maintainer.get_by_test_id("owner-open")).to_have_attribute(
        "href", f"{repairs}&state=open,in_progress&owner={owner_id}"
    )
    late = {(o["owner_id"] or "none"): o["overdue"] for o in actions["owners"]}
    await expect(unowned.get_by_test_id("owner-overdue")).to_have_text(str(late["none"]))
    # The 4-day-old repair is past due; the finding's action, raised this morning, is not.
    assert late[owner_id] == 1
    await expect(maintainer.get_by_test_id("owner-overdue")).to_have_attribute(
        "href", f"{repairs}&overdue=1&owner={owner_id}"
    )

    # The refused records, newest first: who, what and why, in Chinese; ten, then the rest.
    await expect_figure(page, "refused", 11, "#refused")
    refused = page.get_by_test_id("refused")
    await expect(refused).to_have_count(10)
    newest = refused.first
    await expect(newest).to_have_attribute("data-code", "inspection.invalid_answers")
    await expect(newest).to_contain_text("测试inspector")
    await expect(newest).to_contain_text("检查记录")
    await expect(newest).to_contain_text("填写的内容不符合检查表的要求")
    await expect(refused.nth(1)).to_contain_text("服务器上没有这张检查表")
    await page.get_by_test_id("refused-more").click()
    await expect(refused).to_have_count(11)
    await expect(page.get_by_test_id("refused-more")).to_be_hidden()

    # The quiet phone: its person, its last sync four days ago, the people page.
    people = f"/console/people?site={site}"
    await expect_figure(page, "quiet", 1, people)
    quiet = page.get_by_test_id("quiet-phone")
    await expect(quiet).to_have_count(1)
    await expect(quiet).to_have_attribute("data-user", str(world["guard"].user_id))
    await expect(quiet).to_contain_text("测试guard")
    await expect(quiet).to_contain_text("（4 天前）")
    await expect(quiet.get_by_test_id("quiet-person")).to_have_attribute("href", people)

    await assert_fits(page)
    assert await axe_violations(page) == []
    await page.evaluate("window.scrollTo(0, 0)")
    await snap(page, "console-today-desktop-zh", clean.backend)
    assert errors == [], errors

    # The numbers are links that open their lists; the keyboard reaches them.
    await figure(page, "due-overdue").focus()
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(f"{clean.url}{plan}&when=overdue")
    await page.go_back()
    await figure(page, "actions-aged-7").click()
    await expect(page).to_have_url(f"{clean.url}{repairs}&state=open,in_progress&older_than_days=7")
    await page.go_back()
    await quiet.get_by_test_id("quiet-person").click()
    await expect(page).to_have_url(f"{clean.url}{people}")
    await expect(page.get_by_test_id("person")).not_to_have_count(0)
    await page.go_back()
    await expect(page.get_by_test_id("refused")).to_have_count(10)
    errors.clear()  # what the other pages said is theirs

    await page.get_by_test_id("lang").click()
    await expect(page.locator("h1")).to_have_text("Today")
    await expect(figure(page, "due-today")).to_contain_text("Due today")
    await expect(figure(page, "due-today")).to_contain_text("1 done · 0 to do")
    await expect(figure(page, "actions-aged-7")).to_contain_text("Waiting 7 days or more")
    await expect(unowned.get_by_test_id("owner-name")).to_have_text("No owner yet")
    await expect(refused.nth(1)).to_contain_text("The server has no such checklist")
    await expect(page.get_by_test_id("quiet-phone")).to_contain_text("(4 days ago)")
    await assert_fits(page)
    assert await axe_violations(page) == []
    await snap(page, "console-today-desktop-en", clean.backend)

    # A 1024-wide window: nothing overflows, long Chinese labels wrap.
    await page.set_viewport_size(NARROW)
    await page.get_by_test_id("lang").click()
    await expect(page.locator("h1")).to_have_text("今日")
    await assert_fits(page)
    await snap(page, "console-today-1024-zh", clean.backend)
    assert errors == [], errors
    await context.close()

    # An auditor: the same figures, no phones, nothing that writes.
    context = await a_desktop(browser)
    page = errors.watch(await context.new_page())
    await console_login(page, clean.url, world["auditor"].username)
    await page.get_by_test_id("nav-today").click()
    await expect(page.get_by_test_id("as-of")).to_contain_text("只读")
    await expect_figure(page, "actions-open", 4, f"{repairs}&state=open,in_progress")
    await expect_figure(page, "due-overdue", len(overdue), f"{plan}&when=overdue")
    await expect(page.get_by_test_id("today-sync")).to_have_count(0)
    await expect(page.get_by_test_id("refused")).to_have_count(0)
    await expect(page.locator("main button, main form, main input")).to_have_count(0)
    assert await axe_violations(page) == []
    await snap(page, "console-today-auditor-zh", clean.backend)
    assert errors == [], errors
    await context.close()


async def test_an_empty_school_is_guided_to_its_register(browser, clean, api) -> None:
    school = await make_school("田野小学")
    admin = await make_person(school, "admin")
    context = await a_desktop(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await console_login(page, clean.url, admin.username)
    await page.get_by_test_id("nav-today").click()
    empty = page.get_by_test_id("today-empty")
    await expect(empty).to_contain_text("今天没有要做的检查")
    await expect(empty).to_contain_text("台账还是空的")
    # No wall of zeros.
    await expect(page.locator(".figure")).to_have_count(0)
    site = str(school.site_id)
    await expect(empty.get_by_test_id("to-register")).to_have_attribute(
        "href", f"/console/register?site={site}&view=locations"
    )
    await expect(empty.get_by_test_id("to-import")).to_have_attribute(
        "href", f"/console/register?site={site}&view=import"
    )
    assert await axe_violations(page) == []
    await assert_fits(page)
    await snap(page, "console-today-empty-zh", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(empty).to_contain_text("Nothing is due today")
    await snap(page, "console-today-empty-en", clean.backend)
    await empty.get_by_test_id("to-register").click()
    await expect(page).to_have_url(f"{clean.url}/console/register?site={site}&view=locations")
    await expect(page.get_by_test_id("no-places")).to_be_visible()
    assert errors == [], errors
    await context.close()
