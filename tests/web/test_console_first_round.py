"""The console from an empty site to its first round, in a real browser at a desktop's size:
an admin of a new school adds its people, builds its buildings and rooms, imports 50
extinguishers from a spreadsheet with Chinese headers (a bad row shown against its row,
fixed, checked again and imported), tags everything at once and prints a label sheet whose
QR codes are the URLs of tags the server holds, publishes a changed checklist, sets the
term and a weekly schedule and sees it due, opens the overdue work from today's figures,
assigns the corrective action a phone's failed check raised and revokes a lost phone; then
an auditor reads every page and is offered nothing that writes. Every page in both
languages, with no serious accessibility violation and nothing wider than the window."""

from __future__ import annotations

import asyncio
import json
import uuid
import weakref
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
from playwright.async_api import BrowserContext, Page, Request, expect

from server.templates.templates import install_library
from tests.conftest import PUBLIC_URL
from tests.factories import PASSWORD, make_person, make_school
from tests.inspections.helpers import extinguisher_answers, submission
from tests.schedules.scheduling import born, due, make_schedule, set_now
from tests.syncing.device import Device
from tests.web.axe import axe_violations
from tests.web.test_client import ConsoleErrors, snap
from tests.web.test_console import a_desktop, assert_fits, console_login
from tests.web.test_console_checklists import open_template, versions_of
from tests.web.test_console_import import extinguishers, stored
from tests.web.test_console_people import row as person_row
from tests.web.test_console_plan import site_today
from tests.web.test_console_register import add_inside, place
from tests.web.test_console_tags import decoded_urls, tags_of

CHECK = "fire_extinguisher_monthly"
HOSE_ZH = "喷管、喷嘴无龟裂、无堵塞"
TITLES = {
    "today": ("今日", "Today"),
    "register": ("台账", "Register"),
    "checklists": ("检查表", "Checklists"),
    "plan": ("计划", "Plan"),
    "repairs": ("报修与整改", "Repairs"),
    "people": ("人员与设备", "People and devices"),
    "notifications": ("通知", "Notifications"),
}
# The people the school starts with, added on the people page: username, name, role.
STAFF = [
    ("wang_shifu", "王师傅", "maintainer"),
    ("li_shifu", "李师傅", "maintainer"),
    ("zhang_laoshi", "张老师", "inspector"),
]
PHONE_NAME = "张老师的手机"


async def in_both_languages(page: Page, name: str, section: str, backend: str) -> None:
    """The page as it is now, checked and photographed in Chinese, then in English, then
    back in Chinese."""
    zh, en = TITLES[section]
    await checked(page, name, zh, backend, "zh")
    await page.get_by_test_id("lang").click()
    await checked(page, name, en, backend, "en")
    await page.get_by_test_id("lang").click()
    await expect(page.locator("h1")).to_have_text(zh)


async def checked(page: Page, name: str, title: str, backend: str, lang: str = "zh") -> None:
    """The page as it is now: whole, fitting the window, with no serious accessibility
    violation, photographed."""
    await expect(page.locator("h1")).to_have_text(title)
    await settled(page)
    await assert_fits(page)
    assert await axe_violations(page) == [], (name, lang)
    await page.evaluate("window.scrollTo(0, 0)")
    await snap(page, f"console-first-round-{name}-{lang}", backend)


class InFlight:
    """The requests a browser context has sent and not yet seen answered, from its creation
    on (Playwright's own count, behind its "networkidle", is not readable)."""

    def __init__(self, context: BrowserContext) -> None:
        self.requests: set[Request] = set()
        self.sent = 0
        self.idle = asyncio.Event()
        self.idle.set()
        context.on("request", self._sent)
        context.on("requestfinished", self._ended)
        context.on("requestfailed", self._ended)
        IN_FLIGHT[context] = self

    def _sent(self, request: Request) -> None:
        self.requests.add(request)
        self.sent += 1
        self.idle.clear()

    def _ended(self, request: Request) -> None:
        self.requests.discard(request)
        if not self.requests:
            self.idle.set()


IN_FLIGHT: weakref.WeakKeyDictionary[BrowserContext, InFlight] = weakref.WeakKeyDictionary()
FRAMES = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


async def settled(page: Page) -> None:
    """What "networkidle" waits for, without its half second of quiet after the last answer:
    no request of the page's context in flight, and none sent while the page then drew
    twice (a request made by an answer's handler has been sent by then). A context not
    watched, or one whose requests do not come to an end, waits for "networkidle" itself."""
    watched = IN_FLIGHT.get(page.context)
    for _ in range(20):
        if watched is None:
            break
        try:
            await asyncio.wait_for(watched.idle.wait(), timeout=10)
        except TimeoutError:
            break
        sent = watched.sent
        await page.evaluate(FRAMES)
        if watched.sent == sent and watched.idle.is_set():
            return
    await page.wait_for_load_state("networkidle")


async def message(page: Page, text: str) -> None:
    await expect(page.get_by_test_id("page-message")).to_contain_text(text)


async def people_of(api, admin, school) -> dict[str, dict]:
    listed = await api.get(f"/api/sites/{school.site_id}/people", headers=admin.headers)
    assert listed.status_code == 200, listed.text
    return {p["username"]: p for p in listed.json()}


async def enrol_phone(url: str, username: str) -> dict:
    """What the phone app does on its first login: a session, then a device token."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as phone:
        session = await phone.post(
            "/api/auth/login", json={"username": username, "password": PASSWORD}
        )
        assert session.status_code == 200, session.text
        created = await phone.post(
            "/api/tokens",
            json={"device_name": PHONE_NAME},
            headers={"X-CSRF-Token": session.json()["csrf_token"]},
        )
        assert created.status_code == 201, created.text
        return created.json()


async def test_an_admin_takes_an_empty_school_to_its_first_round(
    browser, clean, api, monkeypatch, tmp_path
) -> None:
    school = await make_school("春晖小学")
    # The organization's checklist library, as the command that makes an organization does.
    await install_library(school.organization_id)
    admin = await make_person(school, "admin")
    site = str(school.site_id)

    context = await a_desktop(browser)
    InFlight(context)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    page.on("dialog", lambda dialog: dialog.accept())
    await console_login(page, clean.url, admin.username)
    await expect(page.get_by_test_id("site")).to_have_count(1)

    # An empty school: today's page sends the admin to the register.
    await page.get_by_test_id("nav-today").click()
    await expect(page.get_by_test_id("today-empty")).to_contain_text("台账还是空的")
    await in_both_languages(page, "today-empty", "today", clean.backend)

    # The people: two maintainers and an inspector.
    await page.get_by_test_id("nav-people").click()
    form = page.get_by_test_id("add-member")
    for username, name, role in STAFF:
        await form.locator("#new-username").fill(username)
        await form.locator("#new-display_name").fill(name)
        await form.locator("#new-password").fill(PASSWORD)
        await form.locator("#new-role").select_option(role)
        await form.get_by_test_id("add-member-submit").click()
        await message(page, f"已添加 {name}")
        await expect(person_row(page, username)).to_be_visible()
    people = await people_of(api, admin, school)
    assert {
        u: (p["display_name"], p["role"])
        for u, p in people.items()
        if u in {staff[0] for staff in STAFF}
    } == {u: (n, r) for u, n, r in STAFF}

    # The places: two buildings, a floor, two rooms.
    await page.get_by_test_id("nav-register").click()
    await expect(page.get_by_test_id("tab-locations")).to_have_attribute("aria-current", "page")
    await expect(page.get_by_test_id("no-places")).to_be_visible()
    for building, english in (("教学楼A", "Building A"), ("实验楼", "Lab building")):
        top = page.get_by_test_id("place-new").last
        await top.get_by_label("名称", exact=True).fill(building)
        await top.get_by_label("英文名称（可选）").fill(english)
        await top.get_by_test_id("add-place").click()
        await message(page, f"已添加“{building}”")
    await add_inside(page, "教学楼A", "3F", "floor")
    await add_inside(page, "3F", "301", "room", code="301")
    await add_inside(page, "实验楼", "化学实验室", "room", code="105")
    await expect(place(page, "教学楼A").locator('[data-testid="place"]')).to_have_count(2)
    listed = await api.get(
        "/api/locations", params={"site_id": site, "limit": 500}, headers=admin.headers
    )
    paths = sorted(tuple(p["path"]) for p in listed.json()["items"])
    assert paths == [
        ("实验楼",),
        ("实验楼", "化学实验室"),
        ("教学楼A",),
        ("教学楼A", "3F"),
        ("教学楼A", "3F", "301"),
    ]
    kinds = {p["name"]: p["kind"] for p in listed.json()["items"]}
    assert kinds == {
        "教学楼A": "building",
        "3F": "floor",
        "301": "room",
        "实验楼": "building",
        "化学实验室": "room",
    }
    await in_both_languages(page, "register-places", "register", clean.backend)

    # 50 extinguishers from a spreadsheet: one bad row, shown against its row; nothing stored.
    bad = extinguishers(tmp_path / "灭火器台账.xlsx", "wang_shifu", bad_row=27)
    fixed = extinguishers(tmp_path / "灭火器台账（改正）.xlsx", "wang_shifu")
    await page.get_by_test_id("tab-import").click()
    await expect(page.get_by_test_id("tab-import")).to_have_attribute("aria-current", "page")
    form = page.get_by_test_id("import-form")
    await form.get_by_label("选择文件（.xlsx 或 .csv）").set_input_files(bad)
    await form.get_by_test_id("check-file").click()
    await expect(page.get_by_test_id("check-summary")).to_contain_text("共 50 行，发现 1 个问题")
    problem = page.get_by_test_id("row-error")
    await expect(problem).to_have_count(1)
    await expect(problem).to_have_attribute("data-row", "27")
    await expect(problem.locator("td").nth(0)).to_have_text("第 27 行")
    await expect(problem.locator("td").nth(1)).to_have_text("位置")
    await expect(problem.locator("td").nth(2)).to_contain_text("实验楼B/2F")
    await expect(page.get_by_test_id("commit-import")).to_have_count(0)
    assert await stored(api, admin, school) == []
    await assert_fits(page)
    assert await axe_violations(page) == []
    await snap(page, "console-first-round-register-import-zh", clean.backend)
    # The same file in English: the problem said in English.
    await page.get_by_test_id("lang").click()
    await expect(page.locator("h1")).to_have_text("Register")
    form = page.get_by_test_id("import-form")
    await form.get_by_label("Choose a file (.xlsx or .csv)").set_input_files(bad)
    await form.get_by_test_id("check-file").click()
    await expect(problem.locator("td").nth(0)).to_have_text("Row 27")
    await expect(problem.locator("td").nth(2)).to_contain_text("No such place")
    await assert_fits(page)
    assert await axe_violations(page) == []
    await snap(page, "console-first-round-register-import-en", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(page.locator("h1")).to_have_text("台账")

    # Fixed, checked again, imported: the server holds the 50.
    form = page.get_by_test_id("import-form")
    await form.get_by_label("选择文件（.xlsx 或 .csv）").set_input_files(fixed)
    await form.get_by_test_id("check-file").click()
    await expect(page.get_by_test_id("check-summary")).to_have_text(
        "共 50 行，检查无误，将添加 50 件设施设备。"
    )
    await expect(page.get_by_test_id("preview-row")).to_have_count(50)
    await page.get_by_test_id("commit-import").click()
    await message(page, "已导入 50 件设施设备")
    assets = {a["asset_number"]: a for a in await stored(api, admin, school)}
    assert len(assets) == 50
    wang = people["wang_shifu"]["user_id"]
    assert {a["keeper_id"] for a in assets.values()} == {wang}
    assert {tuple(a["location_path"]) for a in assets.values()} == {("教学楼A", "3F")}
    assert {a["category"] for a in assets.values()} == {"fire_extinguisher"}
    assert assets["MHQ-026"]["attributes"] == {"expiry_date": "2031-03-01"}

    await page.get_by_test_id("tab-assets").click()
    await expect(page.get_by_test_id("asset")).to_have_count(50)
    await in_both_languages(page, "register-assets", "register", clean.backend)

    # Tags for everything untagged, at once: each asset and place holds one.
    await page.get_by_test_id("tab-tags").click()
    await expect(page.get_by_test_id("untagged")).to_contain_text("50 件设施设备、5 处位置")
    await page.get_by_test_id("bulk-issue").click()
    await expect(page.get_by_test_id("page-message")).to_have_text(
        "已生成 55 张标签，请到“打印标签”打印后贴上。"
    )
    await expect(page.get_by_test_id("untagged")).to_have_text(
        "本校所有在用的设施设备和位置都已有标签。"
    )
    active = await tags_of(api, school, admin, status="active", limit=500)
    tagged = sorted(t["asset_id"] or t["location_id"] for t in active)
    things = [a["id"] for a in assets.values()] + [p["id"] for p in listed.json()["items"]]
    assert tagged == sorted(things)
    await in_both_languages(page, "register-tags", "register", clean.backend)

    # A label sheet for them all; its QR codes are the URLs of tags the server holds.
    await page.get_by_test_id("tab-labels").click()
    await expect(page.get_by_test_id("label-count")).to_have_text("将打印 55 张标签，共 3 页。")
    await expect(page.get_by_test_id("label-sample")).to_be_visible()
    async with page.expect_download() as info:
        await page.get_by_test_id("label-download").click()
    assert (await info.value).suggested_filename == "labels-a4-3x8.pdf"
    pdf = tmp_path / "labels.pdf"
    await (await info.value).save_as(pdf)
    urls = await decoded_urls(pdf)
    held = {f"{PUBLIC_URL}/t/{t['code']}" for t in active}
    assert urls and urls <= held, (urls - held, len(urls))
    await in_both_languages(page, "register-labels", "register", clean.backend)

    # A changed checklist published: the hose item reworded, as version 2.
    await page.get_by_test_id("nav-checklists").click()
    await expect(page.get_by_test_id("template").first).to_be_visible()
    await in_both_languages(page, "checklists", "checklists", clean.backend)
    await open_template(page, CHECK)
    await page.get_by_test_id("edit-template").click()
    body = page.get_by_test_id("template-body")
    changed = json.loads(await body.input_value())
    hose = next(i for i in changed["items"] if i["key"] == "hose")
    hose["label"] = {"zh-CN": HOSE_ZH, "en": "Hose and nozzle not cracked or blocked"}
    await body.fill(json.dumps(changed, ensure_ascii=False, indent=2))
    await page.get_by_test_id("check-template").click()
    await expect(page.get_by_test_id("check-ok")).to_contain_text("第 2 版")
    await page.get_by_test_id("publish-template").click()
    await expect(page.get_by_test_id("page-message")).to_have_text("已发布第 2 版。")
    assert await versions_of(api, admin, CHECK) == [1, 2]
    latest = (await api.get(f"/api/templates/{CHECK}", headers=admin.headers)).json()
    [stored_hose] = [i for i in latest["template"]["items"] if i["key"] == "hose"]
    assert stored_hose["label"]["zh-CN"] == HOSE_ZH
    await expect(page.get_by_test_id("compare").get_by_test_id("items-changed")).to_contain_text(
        HOSE_ZH
    )
    await in_both_languages(page, "checklists-template", "checklists", clean.backend)

    # The term around today.
    today = site_today()
    term_first, term_last = today - timedelta(days=30), today + timedelta(days=90)
    await page.get_by_test_id("nav-plan").click()
    await page.get_by_test_id("tab-calendar").click()
    form = page.get_by_test_id("calendar-form")
    await form.get_by_test_id("add-term").click()
    term = form.get_by_test_id("term-row").last
    await term.get_by_label("名称").fill("2026—2027学年第一学期")
    await term.get_by_label("开始日期").fill(term_first.isoformat())
    await term.get_by_label("结束日期").fill(term_last.isoformat())
    await form.get_by_test_id("save-calendar").click()
    await message(page, "校历已保存")
    calendar = (await api.get(f"/api/sites/{site}/calendar", headers=admin.headers)).json()
    assert [(t["name"], t["first_day"], t["last_day"]) for t in calendar["calendar"]["terms"]] == [
        ("2026—2027学年第一学期", term_first.isoformat(), term_last.isoformat())
    ]
    await in_both_languages(page, "plan-calendar", "plan", clean.backend)

    # A weekly check of every extinguisher, on today's weekday.
    await page.get_by_test_id("tab-schedules").click()
    new = page.get_by_test_id("schedule-new")
    await new.get_by_label("检查表").select_option(CHECK)
    await new.get_by_label("怎样选").select_option("category")
    await new.get_by_label("设施类别", exact=True).select_option("fire_extinguisher")
    await new.get_by_label("频次").select_option("weekly")
    for day in range(1, 8):
        await new.locator(f"#new-day-{day}").set_checked(day == today.isoweekday())
    await new.get_by_test_id("add-schedule").click()
    await message(page, "已新建检查计划“灭火器月度检查”")
    [weekly] = (await api.get(f"/api/sites/{site}/schedules", headers=admin.headers)).json()
    assert weekly["template_key"] == CHECK
    assert weekly["targets"] == {"by": "category", "category": "fire_extinguisher"}
    assert [(v["effective_from"], v["rule"]) for v in weekly["versions"]] == [
        (today.isoformat(), {"every": "weekly", "weekdays": [today.isoweekday()], "windows": []})
    ]
    await expect(page.get_by_test_id("schedule")).to_have_count(1)
    await expect(page.get_by_test_id("schedule")).to_contain_text("全部“灭火器”类设施")
    await in_both_languages(page, "plan-schedules", "plan", clean.backend)

    # Due today: every extinguisher.
    await page.get_by_test_id("tab-due").click()
    entries = page.locator('[data-testid="due-entry"][data-status="due"]')
    await expect(entries).to_have_count(50)
    await expect(entries.first.get_by_test_id("status")).to_have_text("待完成")
    due_today = await due(api, admin, school.site_id, scope="today")
    assert len(due_today) == 50 and {d["status"] for d in due_today} == {"due"}
    await in_both_languages(page, "plan-due", "plan", clean.backend)
    await page.get_by_test_id("tab-month").click()
    await expect(page.get_by_test_id("month-grid")).to_be_visible()
    await in_both_languages(page, "plan-month", "plan", clean.backend)

    # The console makes schedules from today on only: a daily check of one extinguisher
    # begun three days ago is made through the API, with the server's clock set back.
    first = assets["MHQ-001"]
    began = datetime.now(UTC) - timedelta(days=3)
    await born(began - timedelta(days=1), assets=(uuid.UUID(first["id"]),))
    set_now(monkeypatch, began)
    await make_schedule(
        api,
        admin,
        school.site_id,
        {"every": "daily"},
        targets={"by": "named", "asset_ids": [first["id"]]},
    )
    monkeypatch.undo()
    overdue = await due(api, admin, school.site_id, scope="overdue")
    assert len(overdue) == 3 and {d["target"]["name"] for d in overdue} == {first["name"]}

    # Today's figures: the overdue work opens its list.
    await page.get_by_test_id("nav-today").click()
    figure = page.get_by_test_id("figure-due-overdue")
    await expect(figure.get_by_test_id("count")).to_have_text("3")
    await expect(page.get_by_test_id("figure-due-today").get_by_test_id("count")).to_have_text("51")
    await in_both_languages(page, "today", "today", clean.backend)
    await figure.click()
    await expect(page).to_have_url(f"{clean.url}/console/plan?site={site}&view=due&when=overdue")
    late = page.locator('[data-testid="due-entry"][data-status="overdue"]')
    await expect(late).to_have_count(3)
    await expect(late.first).to_have_attribute("data-target", first["name"])
    await expect(late.first.get_by_test_id("status")).to_have_text("逾期")
    await in_both_languages(page, "plan-overdue", "plan", clean.backend)

    # The inspector's phone, enrolled as the app does, sends a failed check of MHQ-002 on
    # the new version: its gauge in the red.
    phone = await enrol_phone(clean.url, "zhang_laoshi")
    device = Device(
        api,
        SimpleNamespace(headers={"Authorization": f"Bearer {phone['token']}"}),
        phone["info"]["device_id"],
    )
    failed = submission(
        asset=assets["MHQ-002"]["id"],
        version=2,
        answers=extinguisher_answers(gauge_zone="red", notes="指针在红区"),
    )
    answer = await device.push_ok([device.op(failed)])
    assert [r["status"] for r in answer["results"]] == ["applied"], answer
    listing = await api.get("/api/actions", params={"site_id": site}, headers=admin.headers)
    [action] = listing.json()["items"]
    assert action["owner_id"] == wang

    # The repairs board: the action, owned by the keeper; assigned to the other maintainer.
    await page.get_by_test_id("nav-repairs").click()
    card = page.locator(f'[data-testid="action-card"][data-id="{action["id"]}"]')
    await expect(page.get_by_test_id("column-open").get_by_test_id("action-card")).to_have_count(1)
    await expect(card.get_by_test_id("action-owner")).to_have_text("负责人：王师傅")
    await in_both_languages(page, "repairs-board", "repairs", clean.backend)
    await card.get_by_test_id("action-link").click()
    await expect(page.get_by_test_id("evidence-note")).to_have_text("指针在红区")
    await page.get_by_label("指派给").select_option(label="李师傅（维修工）")
    await page.get_by_test_id("assign-submit").click()
    await expect(page.get_by_test_id("page-message")).to_have_text("已指派给 李师傅。")
    await expect(page.get_by_test_id("action-owner")).to_have_text("李师傅")
    assigned = (await api.get(f"/api/actions/{action['id']}", headers=admin.headers)).json()
    assert assigned["owner_id"] == people["li_shifu"]["user_id"]
    assert assigned["state"] == "open"
    await in_both_languages(page, "repairs-action", "repairs", clean.backend)

    # The inspector's phone is lost: revoked, it reaches the server no more.
    phone_headers = {"Authorization": f"Bearer {phone['token']}"}
    assert (await api.get("/api/me", headers=phone_headers)).status_code == 200
    await page.get_by_test_id("nav-people").click()
    inspector = person_row(page, "zhang_laoshi")
    await expect(inspector.get_by_test_id("phone")).to_contain_text(PHONE_NAME)
    await inspector.get_by_test_id("revoke-phone").click()
    await message(page, f"已撤销手机“{PHONE_NAME}”")
    await expect(inspector.get_by_test_id("phone-revoked")).to_be_visible()
    assert (await api.get("/api/me", headers=phone_headers)).status_code == 401
    [revoked] = (await people_of(api, admin, school))["zhang_laoshi"]["phones"]
    assert revoked["revoked_at"]
    await in_both_languages(page, "people", "people", clean.backend)

    await page.get_by_test_id("nav-notifications").click()
    await expect(page.get_by_test_id("hook-new")).to_be_visible()
    await in_both_languages(page, "notifications", "notifications", clean.backend)
    assert errors == [], errors
    await context.close()

    # An auditor, until a date: every page read, nothing that writes offered.
    auditor = await make_person(
        school, "auditor", expires_at=datetime.now(UTC) + timedelta(days=30)
    )
    context = await a_desktop(browser)
    InFlight(context)
    page = errors.watch(await context.new_page())
    writes: list[str] = []
    page.on(
        "request",
        lambda r: (
            writes.append(f"{r.method} {r.url}")
            if r.method not in ("GET", "HEAD") and "/api/auth/" not in r.url
            else None
        ),
    )
    await console_login(page, clean.url, auditor.username)
    await expect(page.get_by_test_id("site")).to_contain_text("只读")
    await expect(page.get_by_test_id("site")).to_contain_text("有效期至")
    for section in ("people", "notifications"):
        await expect(page.get_by_test_id(f"nav-{section}")).to_have_count(0)

    async def none_of(*controls: str) -> None:
        for control in controls:
            await expect(page.get_by_test_id(control)).to_have_count(0)

    await page.get_by_test_id("nav-today").click()
    await expect(page.get_by_test_id("figure-due-overdue").get_by_test_id("count")).to_have_text(
        "3"
    )
    await expect(page.locator("main button, main form, main input")).to_have_count(0)
    await checked(page, "auditor-today", TITLES["today"][0], clean.backend)

    register = f"{clean.url}/console/register?site={site}"
    await page.goto(f"{register}&view=locations")
    await expect(place(page, "301")).to_be_visible()
    await none_of("edit-place", "add-inside", "retire-place", "place-new")
    await checked(page, "auditor-register-places", TITLES["register"][0], clean.backend)
    await page.goto(f"{register}&view=assets")
    await expect(page.get_by_test_id("asset")).to_have_count(50)
    await none_of(
        "asset-new", "open-add-asset", "edit-asset", "retire-asset", "restore-asset", "add-asset"
    )
    await checked(page, "auditor-register-assets", TITLES["register"][0], clean.backend)
    await page.goto(f"{register}&view=import")
    await expect(page.get_by_test_id("read-only")).to_be_visible()
    await none_of("import-form", "check-file", "commit-import")
    await checked(page, "auditor-register-import", TITLES["register"][0], clean.backend)
    await page.goto(f"{register}&view=tags")
    await expect(page.get_by_test_id("tag").first).to_be_visible()
    await none_of("bulk-issue", "issue-form", "replace", "rebind", "retire")
    await checked(page, "auditor-register-tags", TITLES["register"][0], clean.backend)
    await page.goto(f"{register}&view=labels")
    await expect(page.get_by_test_id("label-count")).to_have_text("将打印 55 张标签，共 3 页。")
    await checked(page, "auditor-register-labels", TITLES["register"][0], clean.backend)

    await page.get_by_test_id("nav-checklists").click()
    await expect(page.get_by_test_id("template").first).to_be_visible()
    await none_of("publish-new", "new-template")
    await open_template(page, CHECK)
    await expect(page.get_by_test_id("compare")).to_contain_text(HOSE_ZH)
    await none_of("rule-form", "save-rule", "edit-template", "publish", "publish-form")
    await expect(page.locator("main form, main textarea, main input")).to_have_count(0)
    await checked(page, "auditor-checklists-template", TITLES["checklists"][0], clean.backend)

    plan = f"{clean.url}/console/plan?site={site}"
    await page.goto(f"{plan}&view=due&when=overdue")
    await expect(page.locator('[data-testid="due-entry"][data-status="overdue"]')).to_have_count(3)
    await none_of("excuse", "approve", "reject", "toggle-policy")
    await checked(page, "auditor-plan-due", TITLES["plan"][0], clean.backend)
    await page.goto(f"{plan}&view=schedules")
    await expect(page.get_by_test_id("schedule")).to_have_count(2)
    await none_of("schedule-new", "open-change", "open-end")
    await checked(page, "auditor-plan-schedules", TITLES["plan"][0], clean.backend)
    await page.goto(f"{plan}&view=month")
    await expect(page.get_by_test_id("month-grid")).to_be_visible()
    await checked(page, "auditor-plan-month", TITLES["plan"][0], clean.backend)
    await page.goto(f"{plan}&view=calendar")
    await expect(page.get_by_test_id("calendar-read")).to_contain_text("2026—2027学年第一学期")
    await expect(page.locator("main form, main button")).to_have_count(0)
    await checked(page, "auditor-plan-calendar", TITLES["plan"][0], clean.backend)

    await page.get_by_test_id("nav-repairs").click()
    card = page.locator(f'[data-testid="action-card"][data-id="{action["id"]}"]')
    await expect(card.get_by_test_id("action-owner")).to_have_text("负责人：李师傅")
    await checked(page, "auditor-repairs-board", TITLES["repairs"][0], clean.backend)
    await card.get_by_test_id("action-link").click()
    await expect(page.get_by_test_id("action-owner")).to_have_text("李师傅")
    await none_of("steps", "assign-form", "verify-form", "reopen-form", "cancel-form")
    await expect(page.locator("main textarea, main button")).to_have_count(0)
    await checked(page, "auditor-repairs-action", TITLES["repairs"][0], clean.backend)

    # People and notifications are not the auditor's pages.
    for section in ("people", "notifications"):
        await page.goto(f"{clean.url}/console/{section}?site={site}")
        await expect(page.get_by_test_id("not-for-role")).to_contain_text("审计员")
        await in_both_languages(page, f"auditor-{section}", section, clean.backend)
    await none_of("person", "revoke-phone", "add-member", "hook-new")

    assert writes == [], writes
    assert errors == [], errors
    await context.close()

    # Nor does the server take a change from them.
    refused = await api.post(
        "/api/locations",
        json={"site_id": site, "name": "审计室", "kind": "room"},
        headers=auditor.headers,
    )
    assert refused.status_code == 403, refused.text
    renamed = await api.patch(
        f"/api/assets/{first['id']}", json={"name": "改名"}, headers=auditor.headers
    )
    assert renamed.status_code == 403, renamed.text
    assert len(await stored(api, admin, school)) == 50
