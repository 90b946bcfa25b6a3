"""The console's patrol page in a real browser. A school's guard walks the day's rounds on a
phone (facts pushed through the real sync push): the 08:00 round of the five rounds a day
is missed, the 10:00 one is walked too fast and without GPS at the switch room, the fire
patrol at 14:00 is walked in full, and the 22:30 round is being walked now. The manager
sees the day's counts and each window's state with its mark and its flags in words, opens
the flagged round's timeline, closes the missed window (which has no round yet) with a
comment, countersigns the fire patrol, reads the month's completion grid with those cells,
a person's rounds and the checkpoints' report, and saves a route as a new version; an
auditor reads all of it and is offered nothing that writes. Both languages, a desktop and
a phone's width, no serious accessibility violation, nothing wider than the window."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Page, expect
from uuid_utils.compat import uuid7

from server import clock
from server.patrols import judging
from server.patrols.windows import round_id_for
from tests.factories import Person, make_location, make_person, make_school, make_tag
from tests.syncing.device import Device, device_of
from tests.web.axe import axe_violations
from tests.web.test_client import ConsoleErrors, snap
from tests.web.test_console import SMALL, assert_fits, console_login

SHANGHAI = ZoneInfo("Asia/Shanghai")
DESKTOP = {"width": 1280, "height": 800}
REASON = "当班保安临时送医，已安排补巡"
SIGN_NOTE = "已核对，记录属实"


def at(day: date, clock_time: str, seconds: int = 0) -> datetime:
    """A time of the school's day, as an aware UTC instant."""
    hours, minutes = map(int, clock_time.split(":"))
    local = datetime.combine(day, time(hours, minutes), SHANGHAI) + timedelta(seconds=seconds)
    return local.astimezone(UTC)


class Walk:
    """A guard's phone walking scheduled rounds: the facts it pushes, as the app makes them."""

    def __init__(self, phone: Device, route: dict, schedule: dict, day: date) -> None:
        self.phone, self.route, self.schedule, self.day = phone, route, schedule, day

    def round_id(self, clock_time: str) -> str:
        return str(round_id_for(self.schedule["id"], self.key(clock_time)))

    def key(self, clock_time: str) -> str:
        return f"{self.day.isoformat()}T{clock_time}"

    def _fact(self, clock_time: str, **body) -> dict:
        return {
            "id": str(uuid7()),
            "round_id": self.round_id(clock_time),
            "route_id": self.route["id"],
            "schedule_id": self.schedule["id"],
            "window": self.key(clock_time),
            **body,
        }

    async def push(self, window: str, steps: list[tuple]) -> None:
        """`steps`: ("start", at), ("scan", tag, at[, position]), ("finish", at)."""
        ops = []
        for step in steps:
            if step[0] == "start":
                body = self._fact(
                    window, route_version=self.route["version"], started_at=step[1].isoformat()
                )
                ops.append(self.phone.op(body, type="round.started"))
            elif step[0] == "scan":
                extra = {"position": step[3]} if len(step) > 3 else {}
                body = self._fact(
                    window, tag=step[1], method="qr", scanned_at=step[2].isoformat(), **extra
                )
                ops.append(self.phone.op(body, type="checkpoint.scanned"))
            else:
                body = self._fact(window, finished_at=step[1].isoformat(), note="一切正常")
                ops.append(self.phone.op(body, type="round.finished"))
        answer = await self.phone.push_ok(ops)
        assert {r["status"] for r in answer["results"]} == {"applied"}, answer


async def a_school_on_patrol(api, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Today at the school it is 23:00 (the server's clock, set for the test, so the day is
    the same whenever it runs). The school, its route and its schedules were set up at
    07:00, before the day's first window: a schedule owes no window that had passed when it
    was made."""
    today = datetime.now(SHANGHAI).date()
    now = at(today, "23:00")
    monkeypatch.setattr(clock, "utcnow", lambda: at(today, "07:00"))
    school = await make_school("阳光实验小学")
    admin = await make_person(school, "admin")
    manager = await make_person(school, "manager")
    guard = await make_person(school, "guard")
    auditor = await make_person(school, "auditor", expires_at=now + timedelta(days=30))
    site = str(school.site_id)
    gate = await make_location(admin, school, "南大门", kind="gate")
    hall = await make_location(admin, school, "教学楼一楼大厅", kind="area")
    power = await make_location(admin, school, "配电房", kind="room")
    tags = [await make_tag(admin, location=place) for place in (gate, hall, power)]
    checkpoints = [
        {"tag": tags[0], "name": "南大门", "name_en": "South gate"},
        {
            "tag": tags[1],
            "name": "教学楼一楼大厅",
            "name_en": "Teaching block lobby",
            "min_gap_seconds": 120,
        },
        {
            "tag": tags[2],
            "name": "配电房",
            "name_en": "Switch room",
            "min_gap_seconds": 60,
            "position": {"lat": 31.2304, "lon": 121.4737},
            "radius_m": 30,
        },
    ]
    made = await api.post(
        f"/api/sites/{site}/patrol/routes",
        json={
            "name": "校园安全巡查路线",
            "name_en": "Campus safety route",
            "checkpoints": checkpoints,
        },
        headers=admin.headers,
    )
    assert made.status_code in (200, 201), made.text
    route = made.json()

    async def schedule(body: dict) -> dict:
        answer = await api.post(
            f"/api/sites/{site}/patrol/schedules",
            json={"route_id": route["id"], "who": {"kind": "role", "role": "guard"}, **body},
            headers=admin.headers,
        )
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    windows = [
        {"start": "08:00", "duration_minutes": 60, "grace_minutes": 10},
        {"start": "10:00", "duration_minutes": 60, "grace_minutes": 10},
        {"start": "22:30", "duration_minutes": 89, "grace_minutes": 0},
    ]
    five = await schedule(
        {
            "name": "每日五巡",
            "name_en": "Daily rounds",
            "times": {"kind": "fixed", "windows": windows},
        }
    )
    fire = await schedule(
        {
            "name": "每日防火巡查",
            "name_en": "Daily fire patrol",
            "times": {"kind": "fixed", "windows": [{"start": "14:00", "duration_minutes": 60}]},
            "countersign": True,
        }
    )
    # The day goes by: it is 23:00.
    monkeypatch.setattr(clock, "utcnow", lambda: now)
    phone = await device_of(api, guard)
    phone.clock_offset = now - datetime.now(UTC)
    rounds = Walk(phone, route, five, today)
    # 10:00: the lobby 30 s after the gate (the walk takes two minutes), the switch room
    # with no GPS fix.
    await rounds.push(
        "10:00",
        [
            ("start", at(today, "10:02")),
            ("scan", tags[0], at(today, "10:03")),
            ("scan", tags[1], at(today, "10:03", 30)),
            ("scan", tags[2], at(today, "10:08")),
            ("finish", at(today, "10:09")),
        ],
    )
    await rounds.push(
        "22:30", [("start", at(today, "22:35")), ("scan", tags[0], at(today, "22:36"))]
    )
    patrol = Walk(phone, route, fire, today)
    await patrol.push(
        "14:00",
        [
            ("start", at(today, "14:01")),
            ("scan", tags[0], at(today, "14:02")),
            ("scan", tags[1], at(today, "14:06")),
            ("scan", tags[2], at(today, "14:10"), {"lat": 31.2305, "lon": 121.4737}),
            ("finish", at(today, "14:12")),
        ],
    )
    return {
        "school": school,
        "site": site,
        "today": today,
        "admin": admin,
        "manager": manager,
        "guard": guard,
        "auditor": auditor,
        "route": route,
        "tags": tags,
        "missed": rounds.round_id("08:00"),
        "missed_window": rounds.key("08:00"),
        "flagged": rounds.round_id("10:00"),
        "walking": rounds.round_id("22:30"),
        "fire": patrol.round_id("14:00"),
        "five": five,
        "fire_schedule": fire,
    }


def tile(page: Page, round_id: str):
    return page.locator(f'[data-testid="round"][data-id="{round_id}"]')


async def looks_right(page: Page, name: str, backend: str) -> None:
    assert await axe_violations(page) == []
    await assert_fits(page)
    await snap(page, name, backend)


async def stored_round(api, person: Person, round_id: str) -> dict:
    answer = await api.get(f"/api/patrol/rounds/{round_id}", headers=person.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_a_manager_reads_the_days_rounds_closes_the_missed_one_and_countersigns(
    browser, clean, api, monkeypatch
) -> None:
    world = await a_school_on_patrol(api, monkeypatch)
    site, manager, today = world["site"], world["manager"], world["today"]
    day = (await api.get(f"/api/sites/{site}/patrol/day", headers=manager.headers)).json()
    states = {r["id"]: r["state"] for r in day["rounds"]}
    assert states[world["missed"]] == "missed"
    assert states[world["flagged"]] == "completed"
    assert states[world["walking"]] == "in_progress"
    assert states[world["fire"]] == "completed"

    context = await browser.new_context(viewport=DESKTOP, locale="zh-CN")
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await console_login(page, clean.url, manager.username)
    await expect(page.get_by_test_id("site")).to_have_count(1)
    await page.goto(f"{clean.url}/console/today?site={site}")
    await page.get_by_test_id("nav-patrol").click()
    await expect(page.locator("h1")).to_have_text("巡查")
    await expect(page.get_by_test_id("nav-patrol")).to_have_attribute("aria-current", "page")
    await expect(page.get_by_test_id("patrol-day")).to_have_attribute(
        "data-date", today.isoformat()
    )

    # The day's counts as the server counts them.
    counts = page.get_by_test_id("day-counts")
    for name, count in (("scheduled", 4), ("completed", 2), ("in_progress", 1), ("missed", 1)):
        await expect(counts.get_by_test_id(f"count-{name}").get_by_test_id("count")).to_have_text(
            str(count)
        )
    await expect(counts.get_by_test_id("count-flagged").get_by_test_id("count")).to_have_text("1")
    # Each window a tile: its state in words with its mark, its flags in words.
    await expect(tile(page, world["missed"])).to_have_attribute("data-state", "missed")
    await expect(tile(page, world["missed"])).to_contain_text("漏巡")
    await expect(tile(page, world["missed"])).to_contain_text("08:00–09:00")
    flagged = tile(page, world["flagged"])
    await expect(flagged).to_contain_text("已完成")
    await expect(flagged).to_contain_text("3/3 个点")
    await expect(flagged.get_by_test_id("flag")).to_have_text(["太快", "无定位"])
    await expect(tile(page, world["walking"])).to_contain_text("进行中")
    await expect(tile(page, world["walking"])).to_contain_text("1/3 个点")
    await expect(tile(page, world["fire"]).get_by_test_id("needs-countersign")).to_have_text(
        "待会签"
    )
    # What wants a supervisor: the missed one, the flagged one, the fire patrol to sign.
    attention = page.get_by_test_id("attention")
    await expect(attention).to_have_count(3)
    await expect(page.get_by_test_id("attention-list")).to_contain_text("待处理（3）")
    await looks_right(page, "console-patrol-day-desktop-zh", clean.backend)

    # The flagged round's timeline: every scan with its time and its flags in words.
    await flagged.click()
    detail = page.get_by_test_id("round-detail")
    await expect(detail).to_have_attribute("data-state", "completed")
    await expect(page.get_by_test_id("round-title")).to_contain_text("每日五巡")
    scans = page.get_by_test_id("scan")
    await expect(scans).to_have_count(3)
    await expect(scans.get_by_test_id("scan-checkpoint")).to_have_text(
        ["南大门", "教学楼一楼大厅", "配电房"]
    )
    await expect(scans.get_by_test_id("scan-time")).to_have_text(
        ["10:03:00", "10:03:30", "10:08:00"]
    )
    await expect(scans.nth(1)).to_contain_text("太快：离上一个点的时间比步行所需的最短时间还短。")
    await expect(scans.nth(2)).to_contain_text("无定位：扫描时手机没有 GPS 位置")
    await expect(scans.nth(0).get_by_test_id("scan-flags")).to_have_text("正常")
    await expect(scans.get_by_test_id("scan-method")).to_have_text(["扫二维码"] * 3)
    await expect(page.get_by_test_id("round-person")).to_have_text("测试guard")
    await expect(page.get_by_test_id("finished-note")).to_have_text("一切正常")
    await expect(page.get_by_test_id("missing")).to_have_count(0)
    # Flagged: it may be closed with a comment; nothing to countersign, nothing to call off.
    await expect(page.get_by_test_id("explain-form")).to_be_visible()
    await expect(page.get_by_test_id("countersign-form")).to_have_count(0)
    await expect(page.get_by_test_id("cancel-form")).to_have_count(0)
    await looks_right(page, "console-patrol-round-desktop-zh", clean.backend)

    # The missed window has no round on the server yet: shown from the day, closed with a
    # comment all the same.
    await page.get_by_test_id("back-to-day").click()
    await tile(page, world["missed"]).click()
    await expect(page.get_by_test_id("round-detail")).to_have_attribute("data-state", "missed")
    await expect(page.get_by_test_id("no-scans")).to_have_text("这个时段没有人巡查，没有扫描记录。")
    form = page.get_by_test_id("explain-form")
    await form.get_by_test_id("explain-submit").click()  # no reason: the browser asks for one
    await expect(page.get_by_test_id("page-message")).to_have_count(0)
    await form.get_by_test_id("explain-text").fill(REASON)
    await form.get_by_test_id("explain-submit").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text("已保存说明：每日五巡")
    await expect(page.get_by_test_id("explanation-text")).to_have_text(REASON)
    await expect(page.get_by_test_id("closed")).to_have_text("已说明")
    stored = await stored_round(api, manager, world["missed"])
    assert stored["round"]["closed"] and stored["round"]["state"] == "missed"
    assert [e["text"] for e in stored["explanations"]] == [REASON]

    # The fire patrol: walked in full, countersigned here.
    await page.get_by_test_id("back-to-day").click()
    await expect(page.get_by_test_id("attention")).to_have_count(2)
    await tile(page, world["fire"]).click()
    await expect(page.get_by_test_id("round-title")).to_contain_text("每日防火巡查")
    sign = page.get_by_test_id("countersign-form")
    await sign.get_by_test_id("countersign-text").fill(SIGN_NOTE)
    await sign.get_by_test_id("countersign-submit").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text("已会签：每日防火巡查")
    await expect(page.get_by_test_id("countersigned")).to_have_text("已会签")
    await expect(page.get_by_test_id("countersign-text")).to_have_text(SIGN_NOTE)
    await expect(page.get_by_test_id("countersign-form")).to_have_count(0)
    stored = await stored_round(api, manager, world["fire"])
    assert stored["round"]["countersigned"] and not stored["round"]["needs_countersign"]
    assert [s["text"] for s in stored["countersigns"]] == [SIGN_NOTE]
    await page.get_by_test_id("back-to-day").click()
    await expect(page.get_by_test_id("attention")).to_have_count(1)

    # The month's grid: today's row with those cells, each with its mark.
    await page.get_by_test_id("tab-month").click()
    grid = page.locator(f'[data-testid="month-schedule"][data-schedule="{world["five"]["id"]}"]')
    row = grid.locator(f'[data-testid="grid-day"][data-date="{today.isoformat()}"]')
    cells = row.get_by_test_id("cell")
    await expect(cells).to_have_count(3)
    # Missed and explained: the explanation said under the mark, in words (on paper too).
    await expect(cells.nth(0)).to_have_attribute("data-state", "missed")
    await expect(cells.nth(0)).to_have_attribute("data-note", "explained")
    await expect(cells.nth(0)).to_have_text("✗已说明")
    await expect(cells.nth(1)).to_have_attribute("data-state", "completed")
    await expect(cells.nth(1)).to_have_attribute("data-flagged", "true")
    await expect(cells.nth(1)).to_have_text("✓!")
    await expect(cells.nth(2)).to_have_attribute("data-state", "in_progress")
    await expect(grid.locator("thead th")).to_have_text(["日期", "08:00", "10:00", "22:30"])
    # The fire patrol, countersigned: nothing left to sign.
    fire_grid = page.locator(
        f'[data-testid="month-schedule"][data-schedule="{world["fire_schedule"]["id"]}"]'
    )
    fire_cell = fire_grid.locator(
        f'[data-testid="grid-day"][data-date="{today.isoformat()}"]'
    ).get_by_test_id("cell")
    await expect(fire_cell).to_have_text("✓")
    await expect(fire_cell).to_have_attribute("data-note", "")
    legend = page.get_by_test_id("legend")
    await expect(legend).to_contain_text("漏巡")
    await expect(legend.get_by_test_id("legend-explained")).to_have_text("已说明已由主管写明原因")
    await expect(legend.get_by_test_id("legend-to_sign")).to_have_text("待签已巡查，待主管会签")
    await expect(page.get_by_test_id("print")).to_be_visible()
    await cells.nth(1).locator("a").click()
    await expect(page.get_by_test_id("round-detail")).to_have_attribute("data-id", world["flagged"])
    await page.go_back()
    await expect(page.get_by_test_id("round-grid").first).to_be_visible()
    await looks_right(page, "console-patrol-month-desktop-zh", clean.backend)

    # A person's rounds, and the checkpoints' report. Offered: everyone who may patrol
    # here (no auditor).
    await page.get_by_test_id("tab-people").click()
    choice = page.get_by_test_id("person-choice")
    for person, offered in (("guard", 1), ("admin", 1), ("manager", 1), ("auditor", 0)):
        option = choice.locator(f'option[value="{world[person].user_id}"]')
        await expect(option).to_have_count(offered)
    await page.get_by_test_id("person-choice").select_option(str(world["guard"].user_id))
    await page.get_by_test_id("person-show").click()
    await expect(page.get_by_test_id("person-round").first).to_be_visible()
    walked = page.get_by_test_id("person-rounds")
    await expect(walked).to_contain_text("测试guard")
    await expect(
        page.locator(f'[data-testid="person-round"][data-id="{world["flagged"]}"]')
    ).to_contain_text("太快")
    await looks_right(page, "console-patrol-people-desktop-zh", clean.backend)
    await page.get_by_test_id("tab-checkpoints").click()
    rows = page.get_by_test_id("checkpoint-row")
    await expect(rows).to_have_count(3)
    lobby = page.locator(f'[data-testid="checkpoint-row"][data-tag="{world["tags"][1]}"]')
    await expect(lobby.get_by_test_id("cp-scans")).to_have_text("2")
    await expect(lobby.get_by_test_id("cp-flagged")).to_have_text("1")
    await looks_right(page, "console-patrol-checkpoints-desktop-zh", clean.backend)

    # A route's change is a new version.
    await page.get_by_test_id("tab-routes").click()
    route = page.locator(f'[data-testid="route"][data-id="{world["route"]["id"]}"]')
    await expect(route.get_by_test_id("route-checkpoints").locator("li")).to_have_count(3)
    await route.get_by_test_id("route-open-edit").click()
    edit = route.get_by_test_id("route-edit")
    await expect(edit.get_by_test_id("cp-row")).to_have_count(3)
    # The route's own names for its checkpoints, to change or to clear.
    for n, label in enumerate(("南大门", "教学楼一楼大厅", "配电房")):
        await expect(edit.get_by_test_id("cp-name").nth(n)).to_have_value(label)
    await edit.get_by_test_id("route-name-en").fill("Campus safety round")
    await edit.get_by_test_id("route-save").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text("第 2 版")
    await expect(route).to_have_attribute("data-version", "2")
    await page.get_by_test_id("tab-schedules").click()
    await expect(page.get_by_test_id("schedule")).to_have_count(2)
    await expect(page.get_by_test_id("schedule-times").first).to_contain_text("08:00 起 60 分钟")
    await expect(page.get_by_test_id("schedule-new")).to_be_visible()
    await looks_right(page, "console-patrol-schedules-desktop-zh", clean.backend)

    # In English: the words, the flags and the marks.
    await page.get_by_test_id("lang").click()
    await page.get_by_test_id("tab-day").click()
    await expect(page.locator("h1")).to_have_text("Patrols")
    await expect(tile(page, world["missed"])).to_contain_text("Missed")
    await expect(tile(page, world["flagged"]).get_by_test_id("flag")).to_have_text(
        ["Too fast", "No GPS"]
    )
    await looks_right(page, "console-patrol-day-desktop-en", clean.backend)
    await tile(page, world["flagged"]).click()
    await expect(page.get_by_test_id("scan").nth(1)).to_contain_text(
        "Too fast: less time since the previous checkpoint than the walk between them takes."
    )
    await expect(page.get_by_test_id("explanation")).to_have_count(0)
    await looks_right(page, "console-patrol-round-desktop-en", clean.backend)
    await page.get_by_test_id("tab-month").click()
    await expect(page.get_by_test_id("month-title").first).to_contain_text("Patrol completion")
    await expect(page.get_by_test_id("legend-explained")).to_contain_text("explained")
    await expect(page.get_by_test_id("legend-to_sign")).to_contain_text("to sign")
    await looks_right(page, "console-patrol-month-desktop-en", clean.backend)
    assert errors == [], errors
    await context.close()

    # At a phone's width, in both languages.
    for lang in ("zh", "en"):
        context = await browser.new_context(viewport=SMALL, locale="zh-CN")
        page = await context.new_page()
        await console_login(page, clean.url, manager.username)
        await expect(page.get_by_test_id("site")).to_have_count(1)
        if lang == "en":
            await page.get_by_test_id("lang").click()
        await page.goto(f"{clean.url}/console/patrol?site={site}")
        await expect(tile(page, world["flagged"])).to_be_visible()
        await looks_right(page, f"console-patrol-day-phone-{lang}", clean.backend)
        await tile(page, world["flagged"]).click()
        await expect(page.get_by_test_id("scan")).to_have_count(3)
        await looks_right(page, f"console-patrol-round-phone-{lang}", clean.backend)
        await page.goto(f"{clean.url}/console/patrol?site={site}&view=month")
        await expect(page.get_by_test_id("round-grid").first).to_be_visible()
        await assert_fits(page)
        await snap(page, f"console-patrol-month-phone-{lang}", clean.backend)
        await context.close()


async def test_a_manager_sets_up_a_route_and_a_night_schedule_and_calls_off_a_round(
    browser, clean, api, monkeypatch
) -> None:
    world = await a_school_on_patrol(api, monkeypatch)
    site, manager, today = world["site"], world["manager"], world["today"]
    context = await browser.new_context(viewport=DESKTOP, locale="zh-CN")
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await console_login(page, clean.url, manager.username)
    await expect(page.get_by_test_id("site")).to_have_count(1)
    await page.goto(f"{clean.url}/console/patrol?site={site}&view=routes")

    # A route with no checkpoint: the server's refusal said next to the checkpoints.
    new = page.get_by_test_id("route-new")
    await new.get_by_test_id("route-name").fill("宿舍夜间巡查路线")
    await new.get_by_test_id("route-add").click()
    problem = new.locator('[data-problem="checkpoints"]')
    await expect(problem).to_have_text("路线至少要有一个巡查点（最多 500 个）。")
    # Two of the school's tags, found by searching, the second moved first.
    await new.get_by_test_id("tag-search").click()
    found = new.get_by_test_id("tag-add")
    await expect(found).to_have_count(3)
    await new.locator(f'[data-testid="tag-add"][data-code="{world["tags"][0]}"]').click()
    await new.locator(f'[data-testid="tag-add"][data-code="{world["tags"][2]}"]').click()
    rows = new.get_by_test_id("cp-row")
    await expect(rows).to_have_count(2)
    await rows.nth(1).get_by_role("button", name=f"把 {world['tags'][2]} 上移").click()
    await expect(rows.nth(0)).to_have_attribute("data-tag", world["tags"][2])
    await rows.nth(0).get_by_test_id("cp-name").fill("3号宿舍楼配电房")
    await rows.nth(1).get_by_test_id("cp-gap").fill("90")
    await new.get_by_test_id("route-add").click()
    await expect(page.get_by_test_id("page-message")).to_have_text("已新建路线：宿舍夜间巡查路线。")
    routes = (await api.get(f"/api/sites/{site}/patrol/routes", headers=manager.headers)).json()
    night_route = next(r for r in routes if r["name"] == "宿舍夜间巡查路线")
    assert [c["tag"] for c in night_route["checkpoints"]] == [world["tags"][2], world["tags"][0]]
    assert night_route["checkpoints"][0]["name"] == "3号宿舍楼配电房"
    assert night_route["checkpoints"][0]["label"] == "3号宿舍楼配电房"
    assert night_route["checkpoints"][1]["min_gap_seconds"] == 90
    # Not named here: the gate's own name is read, never fixed as the route's.
    assert night_route["checkpoints"][1]["label"] == ""
    assert night_route["checkpoints"][1]["name"] == "南大门"

    # A night schedule: every two hours from 22:00 to 06:00, walked by the guards.
    await page.get_by_test_id("tab-schedules").click()
    form = page.get_by_test_id("schedule-new")
    await form.get_by_test_id("schedule-name").fill("宿舍夜间巡查")
    await form.get_by_test_id("schedule-name-en").fill("Dormitory night patrol")
    await form.get_by_test_id("schedule-route").select_option(night_route["id"])
    await form.get_by_test_id("times-kind").select_option("repeating")
    await form.get_by_test_id("schedule-add").click()
    await expect(page.get_by_test_id("page-message")).to_have_text("已新建排班：宿舍夜间巡查。")
    schedules = (
        await api.get(f"/api/sites/{site}/patrol/schedules", headers=manager.headers)
    ).json()
    night = next(s for s in schedules if s["name"] == "宿舍夜间巡查")
    assert night["times"] == {
        "kind": "repeating",
        "every_minutes": 120,
        "start": "22:00",
        "end": "06:00",
        "grace_minutes": 0,
    }
    assert night["who"] == {"kind": "role", "role": "guard"}
    await expect(
        page.locator(f'[data-testid="schedule"][data-id="{night["id"]}"]')
    ).to_contain_text("22:00–06:00 每 120 分钟一次")

    # Made at 23:00: the 22:00 round is open now (on the server's clock, whatever this
    # computer's says) and nobody has started it.
    await page.get_by_test_id("tab-day").click()
    open_round = page.locator(f'[data-testid="round"][data-window="{today.isoformat()}T22:00"]')
    await expect(open_round).to_have_attribute("data-state", "upcoming")
    await expect(open_round.get_by_test_id("open-not-started")).to_have_text(
        "时段已开始，尚无人巡查"
    )
    # A typhoon: the 02:00 round of tonight is called off before anyone walks it.
    window = f"{today.isoformat()}T02:00+1"
    late_round = page.locator(f'[data-testid="round"][data-window="{window}"]')
    await expect(late_round).to_contain_text("次日 02:00–04:00")
    await expect(late_round).to_have_attribute("data-state", "upcoming")
    await expect(late_round.get_by_test_id("open-not-started")).to_have_count(0)
    await late_round.click()
    cancel = page.get_by_test_id("cancel-form")
    await cancel.get_by_test_id("cancel-text").fill("台风红色预警，停止室外巡查")
    await cancel.get_by_test_id("cancel-submit").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text("已取消：宿舍夜间巡查")
    await expect(page.get_by_test_id("round-detail")).to_have_attribute("data-state", "cancelled")
    await expect(page.get_by_test_id("cancellation-text")).to_have_text(
        "台风红色预警，停止室外巡查"
    )
    stored = await stored_round(api, manager, str(round_id_for(night["id"], window)))
    assert stored["round"]["state"] == "cancelled"
    assert not stored["round"]["counts_for_compliance"]
    await page.get_by_test_id("back-to-day").click()
    await expect(page.get_by_test_id("count-cancelled").get_by_test_id("count")).to_have_text("1")
    await snap(page, "console-patrol-day-night-desktop-zh", clean.backend)

    # A route changed by someone else meanwhile: the change is not made over theirs; the
    # route is shown as it is now.
    await page.get_by_test_id("tab-routes").click()
    item = page.locator(f'[data-testid="route"][data-id="{night_route["id"]}"]')
    await item.get_by_test_id("route-open-edit").click()
    await item.get_by_test_id("route-name").fill("宿舍楼夜间巡查路线")
    elsewhere = await api.put(
        f"/api/patrol/routes/{night_route['id']}",
        json={
            "name": "宿舍夜巡路线",
            "checkpoints": [{"tag": world["tags"][2]}, {"tag": world["tags"][0]}],
            "base_version": 1,
        },
        headers=manager.headers,
    )
    assert elsewhere.status_code == 200, elsewhere.text
    await item.get_by_test_id("route-save").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text("刚被别人修改过")
    await expect(item).to_have_attribute("data-version", "2")
    await expect(item.locator("h3")).to_have_text("宿舍夜巡路线")
    # Their version names no checkpoint: the things' names show, as hints, and a save
    # keeps them the things' (renaming a thing renames its checkpoint).
    await item.get_by_test_id("route-open-edit").click()
    names = item.get_by_test_id("cp-name")
    for n, thing in enumerate(("配电房", "南大门")):
        await expect(names.nth(n)).to_have_value("")
        await expect(names.nth(n)).to_have_attribute("placeholder", thing)
    await item.get_by_test_id("route-save").click()
    await expect(item).to_have_attribute("data-version", "3")
    saved = (
        await api.get(f"/api/patrol/routes/{night_route['id']}", headers=manager.headers)
    ).json()
    assert [(c["name"], c["label"], c["label_en"]) for c in saved["checkpoints"]] == [
        ("配电房", "", ""),
        ("南大门", "", ""),
    ]

    # The night schedule retired: no more windows, the called-off round kept.
    await page.get_by_test_id("tab-schedules").click()
    entry = page.locator(f'[data-testid="schedule"][data-id="{night["id"]}"]')
    await entry.get_by_test_id("schedule-open-retire").click()
    page.once("dialog", lambda dialog: dialog.accept())
    await entry.get_by_test_id("schedule-retire").click()
    await expect(page.get_by_test_id("page-message")).to_have_text("已停用排班：宿舍夜间巡查。")
    await expect(entry.get_by_test_id("schedule-retired")).to_have_text("已停用")
    await expect(entry.get_by_test_id("schedule-open-edit")).to_have_count(0)
    # The refusals the page said in words: no checkpoint (400), changed meanwhile (409).
    assert [e for e in errors if "400" not in e and "409" not in e] == [], errors
    await context.close()

    # The forms at a phone's width.
    context = await browser.new_context(viewport=SMALL, locale="zh-CN")
    page = await context.new_page()
    await console_login(page, clean.url, manager.username)
    await expect(page.get_by_test_id("site")).to_have_count(1)
    await page.goto(f"{clean.url}/console/patrol?site={site}&view=routes")
    await page.get_by_test_id("route-new").get_by_test_id("tag-search").click()
    await page.get_by_test_id("route-new").get_by_test_id("tag-add").first.click()
    await looks_right(page, "console-patrol-routes-phone-zh", clean.backend)
    await page.goto(f"{clean.url}/console/patrol?site={site}&view=schedules")
    await page.get_by_test_id("schedule-new").get_by_test_id("who-kind").select_option("roster")
    await page.get_by_test_id("duties-add").click()
    await looks_right(page, "console-patrol-schedules-phone-zh", clean.backend)
    await context.close()


async def test_an_auditor_reads_every_part_of_the_patrols_and_changes_nothing(
    browser, clean, api, monkeypatch
) -> None:
    world = await a_school_on_patrol(api, monkeypatch)
    site, auditor = world["site"], world["auditor"]
    context = await browser.new_context(viewport=DESKTOP, locale="zh-CN")
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await console_login(page, clean.url, auditor.username)
    await expect(page.get_by_test_id("site")).to_have_count(1)
    await page.goto(f"{clean.url}/console/patrol?site={site}")
    await expect(page.get_by_test_id("nav-patrol")).to_have_attribute("aria-current", "page")
    await expect(tile(page, world["missed"])).to_have_attribute("data-state", "missed")
    await expect(page.get_by_test_id("attention")).to_have_count(3)
    await expect(page.locator("main")).to_contain_text("只读")
    await snap(page, "console-patrol-day-auditor-zh", clean.backend)
    writes = ("explain-form", "countersign-form", "cancel-form", "supervisor-forms")
    for round_id in (world["flagged"], world["fire"], world["missed"], world["walking"]):
        await page.goto(
            f"{clean.url}/console/patrol?site={site}&round={round_id}&date={world['today']}"
        )
        await expect(page.get_by_test_id("round-detail")).to_have_attribute("data-id", round_id)
        for testid in writes:
            await expect(page.get_by_test_id(testid)).to_have_count(0)
    await expect(page.get_by_test_id("round-detail")).to_have_attribute("data-state", "in_progress")
    await page.get_by_test_id("tab-month").click()
    await expect(page.get_by_test_id("month-schedule")).to_have_count(2)
    # The fire patrol walked and not yet countersigned, the missed round not explained:
    # each told apart in words.
    row = f'[data-testid="grid-day"][data-date="{world["today"].isoformat()}"]'
    fire = page.locator(
        f'[data-testid="month-schedule"][data-schedule="{world["fire_schedule"]["id"]}"] {row}'
    ).get_by_test_id("cell")
    await expect(fire).to_have_attribute("data-note", "to_sign")
    await expect(fire).to_have_text("✓待签")
    missed = (
        page.locator(f'[data-testid="month-schedule"][data-schedule="{world["five"]["id"]}"] {row}')
        .get_by_test_id("cell")
        .first
    )
    await expect(missed).to_have_attribute("data-note", "")
    await expect(missed).to_have_text("✗")
    await looks_right(page, "console-patrol-month-auditor-zh", clean.backend)
    # Everyone who may patrol here, offered to an auditor too.
    await page.get_by_test_id("tab-people").click()
    choice = page.get_by_test_id("person-choice")
    for person, offered in (("guard", 1), ("admin", 1), ("manager", 1), ("auditor", 0)):
        option = choice.locator(f'option[value="{world[person].user_id}"]')
        await expect(option).to_have_count(offered)
    await page.get_by_test_id("person-choice").select_option(str(world["guard"].user_id))
    await page.get_by_test_id("person-show").click()
    await expect(page.get_by_test_id("person-round").first).to_be_visible()
    await page.get_by_test_id("tab-checkpoints").click()
    await expect(page.get_by_test_id("checkpoint-row")).to_have_count(3)
    await page.get_by_test_id("tab-routes").click()
    await expect(page.get_by_test_id("route")).to_have_count(1)
    await page.get_by_test_id("tab-schedules").click()
    await expect(page.get_by_test_id("schedule")).to_have_count(2)
    for testid in (
        "route-new",
        "route-open-edit",
        "route-open-retire",
        "schedule-new",
        "schedule-open-edit",
    ):
        await expect(page.get_by_test_id(testid)).to_have_count(0)
    # Nothing in the page sends a change: its only buttons show a period or a month.
    assert (
        await page.locator("main form[method=get]").count()
        == await page.locator("main form").count()
    )
    await snap(page, "console-patrol-schedules-auditor-zh", clean.backend)
    # The same refusal from the server, should a request be made by hand.
    answer = await api.post(
        "/api/patrol/explanations",
        json={
            "id": str(uuid7()),
            "round_id": world["flagged"],
            "explained_at": datetime.now(UTC).isoformat(),
            "reason": "审计员不能关闭巡查",
        },
        headers=auditor.headers,
    )
    assert answer.status_code == 403, answer.text
    assert errors == [], errors
    await context.close()


def test_every_flag_the_judge_can_raise_is_said_in_both_languages() -> None:
    flags = {v for k, v in vars(judging).items() if isinstance(v, str) and v.startswith("scan.")}
    assert len(flags) == 14
    console = Path(__file__).resolve().parents[2] / "server/web/console"
    common = (console / "pages/patrol/common.js").read_text(encoding="utf-8")
    said = set(re.findall(r'^  "(scan\.\w+)": \["patrol\.flag\.', common, re.MULTILINE))
    assert said == flags
    assert set(
        re.findall(r'"(scan\.\w+)"', common.split("export const SERIOUS")[1].split(";")[0])
    ) == set(judging.SERIOUS)
    for lang in ("zh-CN", "en"):
        strings = json.loads((console / f"i18n/patrol.{lang}.json").read_text(encoding="utf-8"))
        for flag in flags:
            assert strings[f"patrol.flag.{flag}"] and strings[f"patrol.flag_help.{flag}"], (
                lang,
                flag,
            )
