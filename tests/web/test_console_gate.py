"""The console's gate page in a real browser. At a school's gate four visitors came today:
one waiting for their host, one approved and inside past the agreed hour, one whose
document is on the watchlist, and one who came and left. A manager reads the day's log
(states, hosts, masked documents and phones, flags in words), records the host's consent
given by phone, checks a visitor out from the still-inside list, sets the closing time
earlier than now and reads the day's anomalies, adds a watchlist entry (whose number is
never shown again), and saves a setting over a version someone else has changed
meanwhile. Passes and pick-up cards are made, confirmed, linked, edited and withdrawn.
An auditor is not offered the page. Both languages, 1280 and 1024 wide, no serious
accessibility violation, nothing wider than the window.

The school's clock is set (its timezone chosen) so that it is mid-afternoon there whenever
the test runs: the day's visits, the closing time before now and the anomalies then fall
on one day."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from playwright.async_api import Page, expect
from uuid_utils.compat import uuid7

from server.errors import STATUS
from server.gate.documents import check_character
from tests.factories import Person, make_person, make_school
from tests.gate.gating import ID_NUMBER, PHONE
from tests.web.axe import axe_violations
from tests.web.test_client import ConsoleErrors, snap
from tests.web.test_console import assert_fits, console_login

DESKTOP = {"width": 1280, "height": 900}
NARROW = {"width": 1024, "height": 800}
WATCHED_BODY = "11010519800101003"
WATCHED = WATCHED_BODY + check_character(WATCHED_BODY)
"""The resident ID of the person already on the watchlist (no real person's)."""
ADDED_BODY = "32010219750315002"
ADDED = ADDED_BODY + check_character(ADDED_BODY)
"""The number the manager adds in the browser; never to be read on the page again."""


def afternoon_zone(now: datetime) -> str:
    """A fixed-offset zone where it is 15:xx at `now`."""
    offset = (15 - now.hour) % 24
    offset = offset - 24 if offset > 14 else offset
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"


def ago(minutes: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()


def new_id() -> str:
    return str(uuid7())


@dataclass
class Gate:
    site: str
    zone: ZoneInfo
    manager: Person
    gatekeeper: Person
    host: Person
    auditor: Person
    visits: dict[str, str]

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.zone)


async def ok(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


async def a_school_at_the_gate(api: httpx.AsyncClient) -> Gate:
    zone = afternoon_zone(datetime.now(UTC))
    school = await make_school("阳光实验小学", timezone=zone)
    await make_person(school, "admin")
    manager = await make_person(school, "manager")
    gatekeeper = await make_person(school, "gatekeeper")
    host = await make_person(school, "inspector")
    auditor = await make_person(
        school, "auditor", expires_at=datetime.now(UTC) + timedelta(days=30)
    )
    site = str(school.site_id)
    await ok(
        await api.post(
            f"/api/sites/{site}/gate/watchlist",
            json={
                "id": new_id(),
                "id_type": "resident_id",
                "id_number": WATCHED,
                "name": "赵某某",
                "reason": "曾在校门口滋事",
            },
            headers=manager.headers,
        )
    )

    async def check_in(name: str, minutes_ago: int, **over: Any) -> str:
        visit = new_id()
        body = {
            "id": new_id(),
            "visit_id": visit,
            "name": name,
            "id_type": "resident_id",
            "id_number": ID_NUMBER,
            "phone": PHONE,
            "organisation": "区教育局",
            "host_id": str(host.user_id),
            "purpose": "检查食堂",
            "party_size": 1,
            "expected_stay_minutes": 60,
            "checked_in_at": ago(minutes_ago),
        } | over
        await ok(await api.post(f"/api/sites/{site}/visits", json=body, headers=gatekeeper.headers))
        return visit

    async def approve(visit: str, minutes_ago: int) -> None:
        await ok(
            await api.post(
                f"/api/visits/{visit}/decisions",
                json={
                    "id": new_id(),
                    "decision": "approved",
                    "channel": "phone",
                    "by_id": str(host.user_id),
                    "decided_at": ago(minutes_ago),
                },
                headers=gatekeeper.headers,
            )
        )

    left = await check_in("周来访", 200, party_size=3)
    await approve(left, 198)
    await ok(
        await api.post(
            f"/api/visits/{left}/checkout",
            json={"id": new_id(), "checked_out_at": ago(170), "method": "slip"},
            headers=gatekeeper.headers,
        )
    )
    inside = await check_in("王访客", 180, plate="京A12345", badge="V-07")
    await approve(inside, 178)
    watched = await check_in("赵某某", 150, id_number=WATCHED, organisation="")
    pending = await check_in("李建国", 120, organisation="家长委员会", purpose="送材料")
    return Gate(
        site,
        ZoneInfo(zone),
        manager,
        gatekeeper,
        host,
        auditor,
        {"left": left, "inside": inside, "watched": watched, "pending": pending},
    )


def visit_row(page: Page, visit: str):
    return page.locator(f'[data-testid="visit"][data-id="{visit}"]')


async def looks_right(page: Page, name: str, backend: str) -> None:
    assert await axe_violations(page) == []
    await assert_fits(page)
    # Nor is anything cut off inside the page: no table scrolls sideways.
    hidden = await page.evaluate(
        "[...document.querySelectorAll('.wide-table')]"
        ".filter((e) => e.scrollWidth > e.clientWidth + 1).length"
    )
    assert hidden == 0, name
    await snap(page, name, backend)


async def stored_visit(api, person: Person, visit: str) -> dict[str, Any]:
    return await ok(await api.get(f"/api/visits/{visit}", headers=person.headers))


async def test_a_manager_runs_the_days_gate_and_its_watchlist_and_settings(
    browser, clean, api
) -> None:
    gate = await a_school_at_the_gate(api)
    site, manager = gate.site, gate.manager
    context = await browser.new_context(viewport=DESKTOP, locale="zh-CN")
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await console_login(page, clean.url, manager.username)
    await expect(page.get_by_test_id("site")).to_have_count(1)
    await page.goto(f"{clean.url}/console/today?site={site}")
    await page.get_by_test_id("nav-gate").click()
    await expect(page.locator("h1")).to_have_text("门卫")
    await expect(page.get_by_test_id("nav-gate")).to_have_attribute("aria-current", "page")

    # The day's log: every visit with its state, host, masked document and phone, flags.
    await expect(page.get_by_test_id("visit")).to_have_count(4)
    counts = page.get_by_test_id("day-counts")
    for name, count in (("all", 4), ("pending", 2), ("inside", 1), ("left", 1), ("flagged", 2)):
        await expect(counts.get_by_test_id(f"count-{name}").get_by_test_id("count")).to_have_text(
            str(count)
        )
    pending = visit_row(page, gate.visits["pending"])
    await expect(pending).to_have_attribute("data-state", "pending")
    await expect(pending.get_by_test_id("visit-state")).to_have_text("?待确认")
    await expect(pending.get_by_test_id("visit-host")).to_contain_text("测试inspector")
    await expect(pending.get_by_test_id("visit-id")).to_have_text(
        "居民身份证 110105********" + ID_NUMBER[-4:]
    )
    await expect(pending.get_by_test_id("visit-phone")).to_have_text("138****5678")
    watched = visit_row(page, gate.visits["watched"])
    await expect(watched.get_by_test_id("visit-watch")).to_have_text("黑名单待决定")
    await expect(watched.get_by_test_id("flag")).to_contain_text(["命中黑名单"])
    inside = visit_row(page, gate.visits["inside"])
    await expect(inside.get_by_test_id("visit-state")).to_have_text("●在校")
    await expect(inside.get_by_test_id("flag")).to_contain_text(["车辆不允许入校"])
    await expect(visit_row(page, gate.visits["left"]).get_by_test_id("visit-party")).to_have_text(
        "共 3 人"
    )
    text = await page.locator("main").inner_text()
    assert ID_NUMBER not in text and WATCHED not in text and PHONE not in text
    assert "visit." not in text
    await looks_right(page, "console-gate-today-desktop-zh", clean.backend)

    # The host said yes on the phone: recorded for them.
    decide = page.locator(f'[data-testid="visit-actions"][data-id="{gate.visits["pending"]}"]')
    await expect(decide.get_by_test_id("watch-decision")).to_have_count(0)
    await decide.get_by_test_id("approve-by-phone").click()
    await expect(page.get_by_test_id("page-message")).to_have_text(
        "已记录：测试inspector 电话同意 李建国 入校。"
    )
    await expect(pending).to_have_attribute("data-state", "inside")
    stored = await stored_visit(api, manager, gate.visits["pending"])
    assert stored["state"] == "inside" and stored["decided_by"]["id"] == str(gate.host.user_id)

    # A visit's timeline and its slips.
    await watched.get_by_test_id("visit-name").click()
    detail = page.get_by_test_id("visit-detail")
    await expect(detail).to_have_attribute("data-state", "pending")
    await expect(page.get_by_test_id("detail-flags")).to_contain_text(
        "命中黑名单：访客证件与黑名单一致，需主管决定放行或拒绝。"
    )
    await expect(page.get_by_test_id("step")).to_have_count(1)
    await expect(page.get_by_test_id("watch-decision")).to_be_visible()
    await expect(page.get_by_test_id("slip-pdf")).to_have_attribute(
        "href", f"/api/visits/{gate.visits['watched']}/slip.pdf"
    )
    await expect(page.get_by_test_id("slip-80mm")).to_have_attribute(
        "href", f"/api/visits/{gate.visits['watched']}/slip"
    )
    await looks_right(page, "console-gate-visit-desktop-zh", clean.backend)
    await page.get_by_test_id("back-to-log").click()
    await visit_row(page, gate.visits["left"]).get_by_test_id("visit-name").click()
    await expect(page.get_by_test_id("step").locator(".gate-step-name")).to_have_text(
        ["门卫登记", "同意入校", "入校", "离校"]
    )

    # Still inside: the longest there first; one checked out from the list.
    await page.get_by_test_id("tab-inside").click()
    listed = page.get_by_test_id("inside")
    await expect(listed).to_have_count(2)
    await expect(listed.nth(0)).to_have_attribute("data-id", gate.visits["inside"])
    await expect(listed.nth(0).get_by_test_id("inside-until")).to_contain_text("已超时")
    await expect(page.get_by_test_id("anomalies-later")).to_contain_text("18:00")
    await looks_right(page, "console-gate-inside-desktop-zh", clean.backend)
    page.once("dialog", lambda dialog: dialog.accept())
    await listed.nth(0).get_by_test_id("check-out").click()
    await expect(page.get_by_test_id("page-message")).to_have_text("已登记离校：王访客。")
    await expect(page.get_by_test_id("inside")).to_have_count(1)
    stored = await stored_visit(api, manager, gate.visits["inside"])
    assert stored["state"] == "left" and stored["checked_out_at"]
    # Checked out at the gate meanwhile: the list is read again when the window is back.
    await ok(
        await api.post(
            f"/api/visits/{gate.visits['pending']}/checkout",
            json={"id": new_id(), "checked_out_at": ago(0), "method": "slip"},
            headers=gate.gatekeeper.headers,
        )
    )
    await expect(page.get_by_test_id("inside")).to_have_count(1)
    await page.evaluate("window.dispatchEvent(new Event('focus'))")
    await expect(page.get_by_test_id("inside")).to_have_count(0)
    await expect(page.get_by_test_id("inside-empty")).to_be_visible()

    # The closing time set earlier than now: the day's anomalies as they stood then.
    now = gate.local(datetime.now(UTC))
    closing = (now - timedelta(minutes=20)).strftime("%H:%M")
    await page.get_by_test_id("tab-settings").click()
    form = page.get_by_test_id("settings-form")
    await expect(form).to_have_attribute("data-version", "0")
    await expect(page.get_by_test_id("required-phone")).to_be_checked()
    await expect(page.get_by_test_id("mask-6+4")).to_be_checked()
    await page.get_by_test_id("closing-time").fill(closing)
    await page.get_by_test_id("settings-save").click()
    await expect(page.get_by_test_id("page-message")).to_have_text("已保存门卫设置（第 1 版）。")
    await expect(page.get_by_test_id("settings-form")).to_have_attribute("data-version", "1")
    await looks_right(page, "console-gate-settings-desktop-zh", clean.backend)
    await page.get_by_test_id("tab-inside").click()
    anomalies = page.get_by_test_id("anomalies")
    await expect(anomalies.locator("h2")).to_have_text(f"今日异常（6），闭校时间 {closing}")

    def anomaly(visit: str, code: str):
        return page.locator(f'[data-testid="anomaly"][data-id="{visit}"][data-code="{code}"]')

    # Checked out and approved after closing: at closing they were neither.
    for visit, codes in (
        ("inside", ("visit.not_checked_out", "visit.overstay")),
        ("watched", ("visit.not_checked_out", "visit.never_approved")),
        ("pending", ("visit.not_checked_out", "visit.never_approved")),
    ):
        for code in codes:
            await expect(anomaly(gate.visits[visit], code)).to_have_count(1)
    await expect(anomaly(gate.visits["inside"], "visit.overstay")).to_contain_text("超时停留")
    await expect(anomaly(gate.visits["pending"], "visit.never_approved")).to_contain_text(
        "未获同意"
    )
    await expect(
        page.locator(f'[data-testid="anomaly"][data-id="{gate.visits["left"]}"]')
    ).to_have_count(0)
    await looks_right(page, "console-gate-anomalies-desktop-zh", clean.backend)

    # A watchlist entry: the number typed once, only its mask shown after.
    await page.get_by_test_id("tab-watchlist").click()
    await expect(page.get_by_test_id("watch-pending")).to_have_count(1)
    await expect(page.get_by_test_id("watch-entry")).to_have_count(1)
    new = page.get_by_test_id("watch-new")
    await new.get_by_test_id("watch-number").fill(ADDED)
    await new.get_by_test_id("watch-name").fill("钱某")
    await new.get_by_test_id("watch-why").fill("法院限制令")
    await new.get_by_test_id("watch-add").click()
    masked = ADDED[:6] + "*" * 8 + ADDED[-4:]
    await expect(page.get_by_test_id("page-message")).to_have_text(
        f"已加入黑名单：钱某（{masked}）。"
    )
    await expect(page.get_by_test_id("watch-entry")).to_have_count(2)
    entry = page.get_by_test_id("watch-entry").filter(has_text="钱某")
    await expect(entry.get_by_test_id("watch-entry-id")).to_have_text(f"居民身份证 {masked}")
    await expect(page.get_by_test_id("watch-number")).to_have_value("")
    shown = await page.evaluate("document.body.innerText")
    assert ADDED not in shown and WATCHED not in shown
    assert ADDED not in await page.content()
    await looks_right(page, "console-gate-watchlist-desktop-zh", clean.backend)
    # The watched visitor admitted by the manager's word.
    waiting = page.get_by_test_id("watch-pending")
    await waiting.get_by_test_id("watch-reason").fill("已核实，来校接孩子")
    await waiting.get_by_test_id("watch-admit").click()
    await expect(page.get_by_test_id("page-message")).to_have_text("已放行：赵某某。")
    await expect(page.get_by_test_id("watch-pending")).to_have_count(0)
    stored = await stored_visit(api, manager, gate.visits["watched"])
    assert stored["watch"] == "admitted"

    # A setting saved over a version someone else has changed meanwhile.
    await page.get_by_test_id("tab-settings").click()
    await expect(page.get_by_test_id("settings-form")).to_have_attribute("data-version", "1")
    current = await ok(await api.get(f"/api/sites/{site}/gate/settings", headers=manager.headers))
    await ok(
        await api.put(
            f"/api/sites/{site}/gate/settings",
            json={**{k: v for k, v in current.items() if k != "site_id"}, "retention_days": 365},
            headers=manager.headers,
        )
    )
    await page.get_by_test_id("mask-4+4").check()
    await page.get_by_test_id("settings-save").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text("设置刚被别人修改过")
    await expect(page.get_by_test_id("settings-form")).to_have_attribute("data-version", "2")
    await expect(page.get_by_test_id("retention-days")).to_have_value("365")
    await expect(page.get_by_test_id("mask-6+4")).to_be_checked()
    await page.get_by_test_id("mask-4+4").check()
    await page.get_by_test_id("settings-save").click()
    await expect(page.get_by_test_id("page-message")).to_have_text("已保存门卫设置（第 3 版）。")
    saved = await ok(await api.get(f"/api/sites/{site}/gate/settings", headers=manager.headers))
    assert (saved["id_mask"], saved["retention_days"], saved["closing_time"]) == (
        "4+4",
        365,
        closing,
    )

    # In English: the words, the states and the flags.
    await page.get_by_test_id("lang").click()
    await page.get_by_test_id("tab-today").click()
    await expect(page.locator("h1")).to_have_text("Gate")
    await expect(visit_row(page, gate.visits["inside"]).get_by_test_id("flag")).to_contain_text(
        ["Vehicle not allowed"]
    )
    await expect(
        visit_row(page, gate.visits["watched"]).get_by_test_id("visit-watch")
    ).to_have_text("Watchlist: admitted")
    await looks_right(page, "console-gate-today-desktop-en", clean.backend)
    await page.get_by_test_id("tab-inside").click()
    await expect(page.get_by_test_id("anomalies").locator("h2")).to_contain_text(
        "Today's anomalies"
    )
    await expect(
        page.locator('[data-testid="anomaly"][data-code="visit.overstay"]')
    ).to_contain_text("Overstay")
    await looks_right(page, "console-gate-inside-desktop-en", clean.backend)
    for tab in ("watchlist", "settings"):
        await page.get_by_test_id(f"tab-{tab}").click()
        await expect(page.get_by_test_id("gate-page")).to_have_attribute("data-view", tab)
        await looks_right(page, f"console-gate-{tab}-desktop-en", clean.backend)
    # The refusal the page said in words: the stale settings (409).
    assert [e for e in errors if "409" not in e] == [], errors
    await context.close()

    # 1024 wide, in both languages.
    for lang in ("zh", "en"):
        context = await browser.new_context(viewport=NARROW, locale="zh-CN")
        page = await context.new_page()
        await console_login(page, clean.url, manager.username)
        await expect(page.get_by_test_id("site")).to_have_count(1)
        if lang == "en":
            await page.get_by_test_id("lang").click()
        for tab in ("today", "inside", "watchlist", "passes", "cards", "settings"):
            await page.goto(f"{clean.url}/console/gate?site={site}&view={tab}")
            await expect(page.get_by_test_id("gate-page")).to_have_attribute("data-view", tab)
            await expect(page.get_by_test_id("load-error")).to_have_count(0)
            await looks_right(page, f"console-gate-{tab}-narrow-{lang}", clean.backend)
        await context.close()


async def test_passes_and_pick_up_cards_are_made_confirmed_changed_and_withdrawn(
    browser, clean, api
) -> None:
    gate = await a_school_at_the_gate(api)
    site, manager = gate.site, gate.manager
    context = await browser.new_context(viewport=DESKTOP, locale="zh-CN")
    await context.grant_permissions(["clipboard-read", "clipboard-write"])
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await console_login(page, clean.url, manager.username)
    await expect(page.get_by_test_id("site")).to_have_count(1)
    await page.goto(f"{clean.url}/console/gate?site={site}&view=passes")

    # Two passes, as a class teacher writes them.
    for pupil, collector in (("张小明", "张爸爸"), ("刘小红", "")):
        form = page.get_by_test_id("pass-new")
        await form.get_by_test_id("pass-pupil").fill(pupil)
        await form.get_by_test_id("pass-class").fill("三年级二班")
        await form.get_by_test_id("pass-reason").fill("发烧，家长接回就医")
        await form.get_by_test_id("pass-collector").fill(collector)
        if collector:
            await form.get_by_test_id("pass-collector-phone").fill("13900001111")
        await form.get_by_test_id("pass-create").click()
        await expect(page.get_by_test_id("page-message")).to_have_text(f"已开离校条：{pupil}。")
    passes = page.get_by_test_id("pass")
    await expect(passes).to_have_count(2)
    ming = passes.filter(has_text="张小明")
    hong = passes.filter(has_text="刘小红")
    await expect(ming.get_by_test_id("pass-state")).to_have_text("…待家长确认")
    await expect(ming).to_contain_text("139****1111")
    await expect(hong).to_contain_text("自行离校")
    await expect(ming.get_by_test_id("pass-blockers")).to_contain_text("待家长确认")

    # Confirmed by phone.
    await ming.get_by_test_id("pass-open").click()
    confirm = ming.get_by_test_id("pass-confirm")
    await confirm.get_by_test_id("parent-name").fill("张爸爸")
    await confirm.get_by_test_id("parent-phone").fill("13900001111")
    await confirm.get_by_test_id("pass-confirm-submit").click()
    await expect(page.get_by_test_id("page-message")).to_have_text("已记录家长确认：张小明。")
    await expect(ming.get_by_test_id("pass-state")).to_have_text("✓家长已确认")
    await expect(ming).to_contain_text("电话确认")

    # A link for the other's parent, copied.
    await hong.get_by_test_id("pass-open").click()
    await hong.get_by_test_id("make-link").click()
    link = hong.get_by_test_id("parent-link")
    await expect(link).to_have_value(re.compile(r"/parent/"))
    url = await link.input_value()
    assert "/parent/" in url, url
    await hong.get_by_test_id("copy-link").click()
    await expect(hong.get_by_test_id("copy-said")).to_have_text("已复制。")
    assert await page.evaluate("navigator.clipboard.readText()") == url
    await looks_right(page, "console-gate-passes-desktop-zh", clean.backend)

    # Cancelled.
    page.once("dialog", lambda dialog: dialog.accept())
    await hong.get_by_test_id("cancel-reason").fill("家长改为放学后接")
    await hong.get_by_test_id("pass-cancel-submit").click()
    await expect(page.get_by_test_id("page-message")).to_have_text("已取消离校条：刘小红。")
    await expect(hong.get_by_test_id("pass-state")).to_have_text("✗已取消")
    stored = await ok(await api.get(f"/api/sites/{site}/passes", headers=manager.headers))
    assert sorted((p["pupil"], p["state"]) for p in stored) == [
        ("刘小红", "cancelled"),
        ("张小明", "confirmed"),
    ]

    # A pick-up card with a parent; then a grandmother for a week; then withdrawn.
    await page.get_by_test_id("tab-cards").click()
    new = page.get_by_test_id("card-new")
    await new.get_by_test_id("card-child").fill("陈小宝")
    await new.get_by_test_id("card-class").fill("幼儿园大班")
    row = new.get_by_test_id("collector-row")
    await row.get_by_test_id("collector-key").fill("CARD-001")
    await row.get_by_test_id("collector-name").fill("陈妈妈")
    await row.get_by_test_id("collector-relation").fill("母亲")
    await row.get_by_test_id("collector-phone").fill("13700002222")
    await new.get_by_test_id("card-add").click()
    await expect(page.get_by_test_id("page-message")).to_have_text("已新建接送卡：陈小宝。")
    card = page.get_by_test_id("card")
    await expect(card).to_have_count(1)
    await expect(card.get_by_test_id("card-collector")).to_contain_text(["陈妈妈"])
    await expect(card).to_contain_text("137****2222")
    await card.get_by_test_id("card-open-edit").click()
    edit = card.get_by_test_id("card-edit")
    await edit.get_by_test_id("collector-add").click()
    added = edit.get_by_test_id("collector-row").nth(1)
    await added.get_by_test_id("collector-key").fill("TEMP-007")
    await added.get_by_test_id("collector-name").fill("陈奶奶")
    await added.get_by_test_id("collector-relation").fill("祖母")
    await added.get_by_test_id("collector-temporary").check()
    until = gate.local(datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    await added.get_by_test_id("collector-until").fill(until)
    await edit.get_by_test_id("card-save").click()
    await expect(page.get_by_test_id("page-message")).to_have_text("已保存接送卡：陈小宝。")
    await expect(card).to_have_attribute("data-version", "2")
    await expect(card.get_by_test_id("card-collector")).to_have_count(2)
    await expect(card.get_by_test_id("collector-temp")).to_contain_text("临时，至")
    await looks_right(page, "console-gate-cards-desktop-zh", clean.backend)
    page.once("dialog", lambda dialog: dialog.accept())
    await card.get_by_test_id("card-open-edit").click()
    await card.get_by_test_id("card-revoke").click()
    await expect(page.get_by_test_id("page-message")).to_have_text("已作废接送卡：陈小宝。")
    await expect(card.get_by_test_id("card-revoked")).to_have_text("已作废")
    cards = await ok(await api.get(f"/api/sites/{site}/pickup-cards", headers=manager.headers))
    assert cards[0]["revoked_at"] and [c["name"] for c in cards[0]["collectors"]] == [
        "陈妈妈",
        "陈奶奶",
    ]
    assert errors == [], errors

    # In English.
    await page.get_by_test_id("lang").click()
    await expect(card.get_by_test_id("card-revoked")).to_have_text("Revoked")
    await looks_right(page, "console-gate-cards-desktop-en", clean.backend)
    await page.get_by_test_id("tab-passes").click()
    await expect(
        page.get_by_test_id("pass").filter(has_text="张小明").get_by_test_id("pass-state")
    ).to_have_text("✓Confirmed")
    await looks_right(page, "console-gate-passes-desktop-en", clean.backend)
    await context.close()


async def test_an_auditor_is_not_offered_the_gate(browser, clean, api) -> None:
    gate = await a_school_at_the_gate(api)
    context = await browser.new_context(viewport=DESKTOP, locale="zh-CN")
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await console_login(page, clean.url, gate.auditor.username)
    await expect(page.get_by_test_id("site")).to_have_count(1)
    await page.goto(f"{clean.url}/console/today?site={gate.site}")
    await expect(page.get_by_test_id("nav-today")).to_have_attribute("aria-current", "page")
    await expect(page.get_by_test_id("nav-gate")).to_have_count(0)
    await page.goto(f"{clean.url}/console/gate?site={gate.site}")
    await expect(page.get_by_test_id("not-for-role")).to_contain_text("审计员")
    await expect(page.get_by_test_id("visit")).to_have_count(0)
    text = await page.locator("main").inner_text()
    assert "王访客" not in text and "赵某某" not in text
    await snap(page, "console-gate-auditor-zh", clean.backend)
    # Nor does the API answer them.
    answer = await api.get(f"/api/sites/{gate.site}/visits", headers=gate.auditor.headers)
    assert answer.status_code == 403, answer.text
    assert errors == [], errors
    await context.close()


GATE_CODES = ("visit.", "watch.", "gate_settings.", "pass.", "pickup_card.", "card.")


def test_every_flag_and_refusal_of_the_gate_is_said_in_both_languages() -> None:
    """Every flag a visit or a pass can carry and every refusal the gate's API answers has
    words in both languages: the page never shows a code."""
    gate = Path(__file__).resolve().parents[2] / "server/gate"
    flags = set()
    for module in gate.glob("*.py"):
        for code in re.findall(r'^\w+ = "((?:visit|pass)\.\w+)"$', module.read_text(), re.M):
            flags.add(code)
    refusals = {code for code in STATUS if code.startswith(GATE_CODES)}
    # A fault of a document or a phone is a refusal, not a flag a record carries.
    flags -= refusals
    console = Path(__file__).resolve().parents[2] / "server/web/console"
    common = (console / "pages/gate/common.js").read_text(encoding="utf-8")
    said_flags = set(re.findall(r'^  "([\w.]+)": \["gate\.flag\.', common, re.M))
    said_refusals = set(re.findall(r'^  "([\w.]+)": "gate\.error\.', common, re.M))
    assert flags <= said_flags, flags - said_flags
    assert said_refusals == refusals, said_refusals ^ refusals
    for lang in ("zh-CN", "en"):
        strings = json.loads((console / f"i18n/gate.{lang}.json").read_text(encoding="utf-8"))
        for flag in said_flags:
            assert strings[f"gate.flag.{flag}"] and strings[f"gate.flag_help.{flag}"], flag
        for code in refusals:
            assert strings[f"gate.error.{code}"], (lang, code)
