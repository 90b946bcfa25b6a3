"""The console's plan page in a real browser: an admin sets the school calendar (a term, a
holiday, a make-up school day; a holiday that ends before it begins is refused next to it),
makes a weekly schedule for an extinguisher found by searching, sees it in the month's plan
on its weekdays and not on the holiday, sees today's and the overdue work, excuses an
overdue check with a reason and approves an inspector's, changes the schedule from a later
date (the earlier period keeps its rule) and ends it; an auditor reads every tab and is
offered nothing that writes; both languages; no serious accessibility violation; nothing
wider than a 1024-wide window."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.async_api import Page, expect
from uuid_utils.compat import uuid7

from server import clock
from server.templates.templates import install_library
from tests.factories import make_asset, make_location, make_person, make_school
from tests.inspections.helpers import submission, submit
from tests.schedules.scheduling import born, set_now
from tests.web.axe import axe_violations
from tests.web.test_client import ConsoleErrors, snap
from tests.web.test_console import a_desktop, assert_fits, console_login

CHECK = "fire_extinguisher_monthly"
WEEKDAYS_ZH = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
WEEKDAYS_EN = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
EXTINGUISHER = "干粉灭火器 MFZ/ABC4"
LAB_EXTINGUISHER = "二氧化碳灭火器"


def site_today() -> date:
    return datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()


def next_weekday(after: date, weekday: int) -> date:
    """The first day after `after` that is this ISO weekday."""
    return after + timedelta(days=(weekday - after.isoweekday() - 1) % 7 + 1)


async def checked(page: Page, messages: str) -> None:
    await expect(page.get_by_test_id("page-message")).to_contain_text(messages)


async def no_violations(page: Page) -> None:
    assert await axe_violations(page) == []
    await assert_fits(page)


async def test_an_admin_plans_the_schools_recurring_work(browser, clean, api, monkeypatch):
    school = await make_school("阳光实验小学")
    await install_library(school.organization_id)
    admin = await make_person(school, "admin")
    inspector = await make_person(school, "inspector")
    teaching = await make_location(admin, school, "教学楼A")
    floor = await make_location(admin, school, "3F", parent=teaching, kind="floor")
    lab = await make_location(admin, school, "实验楼")
    extinguisher = await make_asset(
        admin, school, name=EXTINGUISHER, location=floor, asset_number="MHQ-001"
    )
    in_lab = await make_asset(admin, school, name=LAB_EXTINGUISHER, location=lab)
    # A daily check of the lab's extinguisher made ten days ago, done only today: overdue
    # on the days before.
    today = site_today()
    # The weekly schedule is on Mondays (the holiday is one) and on today's weekday.
    weekdays = sorted({1, today.isoweekday()} if today.isoweekday() != 1 else {1, 4})
    began = datetime.now(UTC) - timedelta(days=10)
    await born(began - timedelta(days=1), assets=(extinguisher, in_lab))
    set_now(monkeypatch, began)
    old = await api.post(
        f"/api/sites/{school.site_id}/schedules",
        json={
            "template_key": CHECK,
            "targets": {"by": "named", "asset_ids": [str(in_lab)]},
            "rule": {"every": "daily"},
        },
        headers=admin.headers,
    )
    assert old.status_code == 201, old.text
    monkeypatch.undo()
    assert clock.utcnow() > began + timedelta(days=9)
    done_today = submission(asset=in_lab)
    sent = await submit(api, inspector, done_today)
    assert sent.status_code == 201, sent.text

    context = await a_desktop(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await console_login(page, clean.url, admin.username)
    await page.get_by_test_id("nav-plan").click()
    await expect(page.locator("h1")).to_have_text("计划")
    await expect(page.get_by_test_id("tab-due")).to_have_attribute("aria-current", "page")

    # The calendar: a term around today, a holiday on the next Monday, a make-up Saturday.
    holiday = next_weekday(today, 1)
    make_up = holiday + timedelta(days=5)
    term_first, term_last = today - timedelta(days=30), today + timedelta(days=90)
    await page.get_by_test_id("tab-calendar").click()
    form = page.get_by_test_id("calendar-form")
    await form.get_by_test_id("add-term").click()
    term = form.get_by_test_id("term-row").last
    await term.get_by_label("名称").fill("2026—2027学年第一学期")
    await term.get_by_label("开始日期").fill(term_first.isoformat())
    await term.get_by_label("结束日期").fill(term_last.isoformat())
    await form.get_by_test_id("add-holiday").click()
    row = form.get_by_test_id("holiday-row").last
    await row.get_by_label("名称").fill("校庆日")
    await row.get_by_label("开始日期").fill(holiday.isoformat())
    await row.get_by_label("结束日期").fill((holiday - timedelta(days=2)).isoformat())
    await form.locator("#extra-day-new").fill(make_up.isoformat())
    await form.get_by_test_id("add-extra-day").click()
    await expect(form.get_by_test_id("extra-day")).to_have_count(1)
    await form.get_by_test_id("save-calendar").click()
    # Refused next to the holiday's row; what was typed stays, nothing is stored.
    await expect(row.locator(".field-problem")).to_contain_text("节假日有误")
    await expect(row.get_by_label("名称")).to_have_value("校庆日")
    stored = (await api.get(f"/api/sites/{school.site_id}/calendar", headers=admin.headers)).json()
    assert stored["version"] == 0 and stored["calendar"]["holidays"] == []
    assert await axe_violations(page) == []
    await snap(page, "console-plan-calendar-refused-zh", clean.backend)
    await row.get_by_label("结束日期").fill(holiday.isoformat())
    await form.get_by_test_id("save-calendar").click()
    await checked(page, "校历已保存")
    stored = (await api.get(f"/api/sites/{school.site_id}/calendar", headers=admin.headers)).json()[
        "calendar"
    ]
    assert stored["terms"] == [
        {
            "key": f"term-{term_first.isoformat()}",
            "name": "2026—2027学年第一学期",
            "first_day": term_first.isoformat(),
            "last_day": term_last.isoformat(),
        }
    ]
    assert stored["holidays"] == [
        {"name": "校庆日", "first_day": holiday.isoformat(), "last_day": holiday.isoformat()}
    ]
    assert stored["extra_school_days"] == [make_up.isoformat()]
    await expect(page.get_by_test_id("holiday-row")).to_have_count(1)
    await no_violations(page)
    await snap(page, "console-plan-calendar-zh", clean.backend)

    # Someone else adds a holiday meanwhile: saving the stale copy says so and shows theirs.
    sports = {
        "name": "运动会",
        "first_day": (today + timedelta(days=200)).isoformat(),
        "last_day": (today + timedelta(days=201)).isoformat(),
    }
    theirs = await api.put(
        f"/api/sites/{school.site_id}/calendar",
        json={**stored, "holidays": [*stored["holidays"], sports]},
        headers=admin.headers,
    )
    assert theirs.status_code == 200, theirs.text
    await page.get_by_test_id("add-holiday").click()
    mine = page.get_by_test_id("holiday-row").last
    await mine.get_by_label("名称").fill("植树节")
    await mine.get_by_label("开始日期").fill((today + timedelta(days=100)).isoformat())
    await mine.get_by_label("结束日期").fill((today + timedelta(days=100)).isoformat())
    await page.get_by_test_id("save-calendar").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text("校历刚被他人修改")
    await expect(page.get_by_test_id("holiday-row")).to_have_count(2)
    await expect(page.get_by_test_id("holiday-row").last.get_by_label("名称")).to_have_value(
        "运动会"
    )
    stored = (await api.get(f"/api/sites/{school.site_id}/calendar", headers=admin.headers)).json()
    assert stored["version"] == 2
    assert [h["name"] for h in stored["calendar"]["holidays"]] == ["校庆日", "运动会"]

    # A weekly schedule, Mondays and Thursdays, for the extinguisher found by searching.
    await page.get_by_test_id("tab-schedules").click()
    new = page.get_by_test_id("schedule-new")
    await new.get_by_label("检查表").select_option(CHECK)
    # Nothing chosen yet: refused next to what is checked.
    await new.get_by_test_id("add-schedule").click()
    await expect(new.locator('[data-problem="targets"]')).to_contain_text(
        "请至少选择一项设施或场所"
    )
    await new.get_by_label("按名称、编号或位置查找设施和场所").fill("MFZ")
    await new.get_by_test_id("search-things").click()
    await expect(new.get_by_test_id("choose-thing")).to_have_count(1)
    await new.get_by_test_id("choose-thing").click()
    await expect(new.get_by_test_id("chosen-thing")).to_contain_text(EXTINGUISHER)
    await new.get_by_label("频次").select_option("weekly")
    for day in weekdays:
        await new.locator(f"#new-day-{day}").check()
    await no_violations(page)
    await snap(page, "console-plan-schedule-new-zh", clean.backend)
    await new.get_by_test_id("add-schedule").click()
    await checked(page, "已新建检查计划“灭火器月度检查”")
    listed = (await api.get(f"/api/sites/{school.site_id}/schedules", headers=admin.headers)).json()
    weekly = next(s for s in listed if s["id"] != old.json()["id"])
    assert weekly["targets"] == {
        "by": "named",
        "asset_ids": [str(extinguisher)],
        "location_ids": [],
    }
    assert [(v["effective_from"], v["rule"], v["skip_holidays"]) for v in weekly["versions"]] == [
        (today.isoformat(), {"every": "weekly", "weekdays": weekdays, "windows": []}, True)
    ]
    await expect(page.get_by_test_id("schedule")).to_have_count(2)

    # The month of the holiday: the schedule on Mondays and Thursdays from today, not on it.
    await page.get_by_test_id("tab-month").click()
    month = f"{holiday.year}-{holiday.month:02d}"
    await page.get_by_test_id("month-input").fill(month)
    await page.get_by_role("button", name="查看").click()
    await expect(page.get_by_test_id("month-title")).to_have_text(
        f"{holiday.year}年{holiday.month}月"
    )
    cells = page.get_by_test_id("plan-day")
    await expect(cells).to_have_count(calendar.monthrange(holiday.year, holiday.month)[1])
    for number in range(1, calendar.monthrange(holiday.year, holiday.month)[1] + 1):
        day = date(holiday.year, holiday.month, number)
        planned = page.locator(f'[data-date="{day.isoformat()}"] [data-schedule="{weekly["id"]}"]')
        wanted = day >= today and day.isoweekday() in weekdays and day != holiday
        await expect(planned).to_have_count(1 if wanted else 0)
    holiday_cell = page.locator(f'[data-date="{holiday.isoformat()}"]')
    await expect(holiday_cell.get_by_test_id("holiday")).to_have_text("校庆日")
    if make_up.month == holiday.month:
        await expect(
            page.locator(f'[data-date="{make_up.isoformat()}"]').get_by_test_id("make-up")
        ).to_have_text("调休补班")
    await no_violations(page)
    await snap(page, "console-plan-month-zh", clean.backend)

    # Today's work, then the overdue list, as other pages link to it.
    await page.get_by_test_id("tab-due").click()
    lab_today = page.locator(f'[data-testid="due-entry"][data-target="{LAB_EXTINGUISHER}"]')
    await expect(lab_today).to_have_count(1)
    await expect(lab_today.get_by_test_id("status")).to_have_text("已完成")
    await expect(lab_today.get_by_test_id("result")).to_have_text("合格")
    await expect(lab_today.get_by_test_id("open-inspection")).to_have_attribute(
        "href", f"/console/repairs?site={school.site_id}&inspection={done_today['id']}"
    )
    weekly_today = page.locator(f'[data-testid="due-entry"][data-target="{EXTINGUISHER}"]')
    await expect(weekly_today.get_by_test_id("status")).to_have_text("待完成")
    await no_violations(page)
    await snap(page, "console-plan-due-today-zh", clean.backend)
    await page.goto(f"{clean.url}/console/plan?site={school.site_id}&view=due&when=overdue")
    await expect(page.get_by_test_id("when-overdue")).to_have_attribute("aria-current", "page")
    overdue = page.locator('[data-testid="due-entry"][data-status="overdue"]')
    await expect(overdue.first).to_be_visible()
    before = (
        await api.get(
            "/api/due",
            params={"site_id": str(school.site_id), "scope": "overdue"},
            headers=admin.headers,
        )
    ).json()
    assert before["counts"]["overdue"] >= 9
    await expect(overdue).to_have_count(before["counts"]["overdue"])
    await expect(page.get_by_test_id("count-overdue")).to_contain_text(
        str(before["counts"]["overdue"])
    )
    # Narrowed on the server to a building with nothing overdue, and back.
    await page.get_by_label("楼栋").select_option(label="教学楼A")
    await page.get_by_test_id("apply-filters").click()
    await expect(page.get_by_test_id("due-empty")).to_be_visible()
    assert f"building={teaching}" in page.url and "when=overdue" in page.url
    await page.get_by_label("楼栋").select_option(label="实验楼")
    await page.get_by_test_id("apply-filters").click()
    await expect(overdue).to_have_count(before["counts"]["overdue"])
    await no_violations(page)

    # The oldest overdue check is excused with a reason.
    first = overdue.first
    key = await first.get_attribute("data-key")
    await first.get_by_test_id("excuse").click()
    excuse = page.get_by_test_id("excuse-form")
    await excuse.get_by_label("不做这次检查的原因").fill("实验楼停电检修，当天无法进入")
    await no_violations(page)
    await snap(page, "console-plan-excuse-zh", clean.backend)
    await excuse.get_by_test_id("excuse-submit").click()
    await checked(page, "这次检查已免检")
    await expect(overdue).to_have_count(before["counts"]["overdue"] - 1)
    period = (
        await api.get(
            "/api/due",
            params={"site_id": str(school.site_id), "from": key, "to": key},
            headers=admin.headers,
        )
    ).json()["items"]
    excused = next(i for i in period if i["target"]["name"] == LAB_EXTINGUISHER)
    assert excused["status"] == "excused"
    assert excused["excusal"]["reason"] == "实验楼停电检修，当天无法进入"
    assert excused["excusal"]["state"] == "accepted"

    # Excusals now need approval: an inspector's waits, and the admin approves it here.
    await page.get_by_test_id("toggle-policy").click()
    await checked(page, "须经审批")
    policy = await api.get(f"/api/sites/{school.site_id}/excusal-policy", headers=admin.headers)
    assert policy.json()["approval_required"] is True
    second = await overdue.first.get_attribute("data-key")
    asked = await api.post(
        "/api/occurrences/excusals",
        json={
            "id": str(uuid7()),
            "schedule_id": old.json()["id"],
            "occurrence_key": second,
            "asset_id": str(in_lab),
            "reason": "灭火器送检",
        },
        headers=inspector.headers,
    )
    assert asked.status_code == 201 and asked.json()["state"] == "pending", asked.text
    await page.reload()
    waiting = page.locator(f'[data-testid="due-entry"][data-key="{second}"]')
    await expect(waiting.get_by_test_id("excusal-state")).to_have_text("免检待审批")
    await expect(page.get_by_test_id("count-awaiting_approval")).to_contain_text("1")
    await no_violations(page)
    await snap(page, "console-plan-due-overdue-zh", clean.backend)
    await waiting.get_by_test_id("approve").click()
    await checked(page, "已批准")
    decided = await api.get(
        f"/api/occurrences/excusals/{asked.json()['id']}", headers=admin.headers
    )
    assert decided.json()["state"] == "approved"
    await expect(waiting).to_have_count(0)

    # Changed from a later date: Wednesdays from then; the weeks before keep their rule.
    change_from = today + timedelta(days=14)
    end_from = today + timedelta(days=28)
    await page.get_by_test_id("tab-schedules").click()
    item = page.locator(f'[data-testid="schedule"][data-id="{weekly["id"]}"]')
    await expect(item.get_by_test_id("target-names")).to_have_text(EXTINGUISHER)
    days_zh = "、".join(WEEKDAYS_ZH[d - 1] for d in weekdays)
    since = f"{today.year}年{today.month}月{today.day}日起："
    await expect(item.get_by_test_id("version")).to_have_text(
        [f"{since} 每周{days_zh} · 节假日不检查"]
    )
    await item.get_by_test_id("open-change").click()
    change = item.get_by_test_id("schedule-change")
    await change.get_by_label("新频次从哪天起").fill((today - timedelta(days=1)).isoformat())
    for day in weekdays:
        await change.locator(f"#s-{weekly['id']}-day-{day}").uncheck()
    await change.locator(f"#s-{weekly['id']}-day-3").check()
    await change.get_by_test_id("save-change").click()
    # A day before today is refused next to the date: past periods never change.
    await expect(change.locator('[data-problem="effective_from"]')).to_have_text(
        "只能从今天或以后的日期开始；过去的安排保持不变。"
    )
    await change.get_by_label("新频次从哪天起").fill(change_from.isoformat())
    await change.get_by_test_id("save-change").click()
    await checked(page, "之前的安排不变")
    await expect(item.get_by_test_id("version")).to_have_count(2)
    await item.get_by_test_id("open-end").click()
    await item.get_by_label("从哪天起停止").fill(end_from.isoformat())
    await item.get_by_test_id("end-schedule").click()
    await checked(page, "停止")
    await expect(item.get_by_test_id("schedule-state")).to_contain_text("将于")
    stored = (
        await api.get(
            f"/api/sites/{school.site_id}/schedules/{weekly['id']}", headers=admin.headers
        )
    ).json()
    assert [(v["effective_from"], v["rule"]) for v in stored["versions"]] == [
        (today.isoformat(), {"every": "weekly", "weekdays": weekdays, "windows": []}),
        (change_from.isoformat(), {"every": "weekly", "weekdays": [3], "windows": []}),
        (end_from.isoformat(), None),
    ]
    await no_violations(page)
    await snap(page, "console-plan-schedules-zh", clean.backend)

    # English: the same page, every string in the other language.
    await page.get_by_test_id("lang").click()
    await expect(page.locator("h1")).to_have_text("Plan")
    await expect(page.get_by_test_id("tab-schedules")).to_have_text("Schedules")
    await expect(item.get_by_test_id("version").first).to_contain_text(
        "Every week on " + ", ".join(WEEKDAYS_EN[d - 1] for d in weekdays)
    )
    await no_violations(page)
    await snap(page, "console-plan-schedules-en", clean.backend)
    await page.get_by_test_id("tab-due").click()
    await page.get_by_test_id("when-overdue").click()
    await expect(page.get_by_test_id("due-period")).to_contain_text("past their time")
    await no_violations(page)
    await snap(page, "console-plan-due-overdue-en", clean.backend)
    await page.goto(f"{clean.url}/console/plan?site={school.site_id}&view=month&month={month}")
    await expect(page.get_by_test_id("month-grid")).to_contain_text("Sun")
    await no_violations(page)
    await snap(page, "console-plan-month-en", clean.backend)
    await page.get_by_test_id("tab-calendar").click()
    await expect(page.get_by_test_id("calendar-form")).to_contain_text("Make-up school days")
    await snap(page, "console-plan-calendar-en", clean.backend)
    # At 1024 wide, the month's grid and the due list still fit.
    await page.set_viewport_size({"width": 1024, "height": 768})
    await page.goto(f"{clean.url}/console/plan?site={school.site_id}&view=month&month={month}")
    await expect(page.get_by_test_id("month-grid")).to_be_visible()
    await assert_fits(page)
    await page.goto(f"{clean.url}/console/plan?site={school.site_id}&view=due&when=overdue")
    await expect(page.get_by_test_id("due-list")).to_be_visible()
    await assert_fits(page)
    await snap(page, "console-plan-due-1024-en", clean.backend)
    assert [e for e in errors if not any(c in e for c in ("400", "409", "422"))] == [], errors
    await context.close()

    # An auditor reads every tab and is offered nothing that writes.
    auditor = await make_person(school, "auditor", expires_at=datetime.now(UTC) + timedelta(days=9))
    context = await a_desktop(browser)
    page = await context.new_page()
    await console_login(page, clean.url, auditor.username)
    await page.get_by_test_id("nav-plan").click()
    await page.get_by_test_id("when-overdue").click()
    await expect(page.locator('[data-testid="due-entry"]').first).to_be_visible()
    await expect(page.get_by_test_id("excusal-policy")).to_contain_text("须经主任审批")
    for control in ("excuse", "approve", "reject", "toggle-policy"):
        await expect(page.get_by_test_id(control)).to_have_count(0)
    await no_violations(page)
    await snap(page, "console-plan-auditor-due-zh", clean.backend)
    await page.get_by_test_id("tab-schedules").click()
    await expect(page.get_by_test_id("schedule")).to_have_count(2)
    for control in ("schedule-new", "open-change", "open-end"):
        await expect(page.get_by_test_id(control)).to_have_count(0)
    await page.get_by_test_id("tab-month").click()
    await expect(page.get_by_test_id("month-grid")).to_be_visible()
    await page.get_by_test_id("tab-calendar").click()
    await expect(page.get_by_test_id("calendar-read")).to_contain_text("校庆日")
    await expect(page.get_by_test_id("calendar-form")).to_have_count(0)
    await expect(page.locator("main form, main button")).to_have_count(0)
    await no_violations(page)
    await snap(page, "console-plan-auditor-calendar-zh", clean.backend)
    await context.close()


async def test_a_long_due_list_is_read_a_page_at_a_time(browser, clean, api, monkeypatch):
    school = await make_school("阳光实验小学")
    await install_library(school.organization_id)
    admin = await make_person(school, "admin")
    began = datetime.now(UTC) - timedelta(days=10)
    things = [await make_asset(admin, school, name=f"{n:02d}号灭火器") for n in range(1, 12)]
    await born(began - timedelta(days=1), assets=tuple(things))
    set_now(monkeypatch, began)
    made = await api.post(
        f"/api/sites/{school.site_id}/schedules",
        json={
            "template_key": CHECK,
            "targets": {"by": "category", "category": "fire_extinguisher"},
            "rule": {"every": "daily"},
        },
        headers=admin.headers,
    )
    assert made.status_code == 201, made.text
    monkeypatch.undo()
    whole = (
        await api.get(
            "/api/due",
            params={"site_id": str(school.site_id), "scope": "overdue"},
            headers=admin.headers,
        )
    ).json()
    assert whole["total"] == len(whole["items"]) > 100

    context = await a_desktop(browser)
    page = await context.new_page()
    await console_login(page, clean.url, admin.username)
    await expect(page.get_by_test_id("nav-plan")).to_be_visible()
    await page.goto(f"{clean.url}/console/plan?site={school.site_id}&view=due&when=overdue")
    rows = page.get_by_test_id("due-entry")
    await expect(rows).to_have_count(100, timeout=15_000)
    await expect(page.get_by_test_id("pager")).to_contain_text(
        f"第 1–100 项，共 {whole['total']} 项"
    )
    await expect(page.get_by_test_id("count-overdue")).to_contain_text(str(whole["total"]))
    await expect(page.get_by_test_id("page-previous")).to_have_count(0)
    await page.get_by_test_id("page-next").click()
    await expect(rows).to_have_count(whole["total"] - 100)
    assert "page=2" in page.url
    last = whole["items"][-1]
    await expect(rows.last).to_have_attribute("data-key", last["occurrence"]["key"])
    await expect(rows.last).to_have_attribute("data-target", last["target"]["name"])
    await expect(page.get_by_test_id("page-next")).to_have_count(0)
    assert await axe_violations(page) == []
    await context.close()
