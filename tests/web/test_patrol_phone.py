"""Patrol mode on the phone: a guard's night round walked offline (started, checkpoints
typed, one out of order, one too fast, one read by NFC, a code not on the route, a hazard
at a checkpoint, finished with a note), kept across an offline reload, then sent; the
server holds one round with the flags the walk earned. And the phone's reading of round
windows and round ids (patrolwindows.js) is the server's (server/patrols/windows.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from zoneinfo import ZoneInfo

import msgspec
from playwright.async_api import Page, expect

from server.patrols.windows import RoundSchedule, round_id_for, round_windows, who_is_due
from server.templates.templates import install_library
from tests.factories import make_asset, make_location, make_person, make_school, make_tag
from tests.web.conftest import PHONE
from tests.web.test_client import ConsoleErrors, log_in, snap
from tests.web.test_console import console_login
from tests.web.test_homes import first_part, no_wider_than_the_phone
from tests.web.test_lifecycle import waiting_ops
from tests.web.test_scan import camera_browser, camera_video

SHANGHAI = ZoneInfo("Asia/Shanghai")
DESKTOP = {"width": 1280, "height": 800}
NFC_SERIAL = "04:A2:1B:7C:5D:80:00"
DOOR = {"lat": 31.2304, "lon": 121.4737}

# Web NFC is on Android phones only: a stand-in NDEFReader the test reads a sticker with
# (window.__readNfc(serial)), as the browser's would fire `reading`.
NFC_STAND_IN = """
window.__nfcReaders = [];
window.NDEFReader = class {
  constructor() { this.onreading = null; this.onreadingerror = null; }
  async scan(options = {}) {
    window.__nfcReaders.push(this);
    options.signal?.addEventListener("abort", () => {
      window.__nfcReaders = window.__nfcReaders.filter((r) => r !== this);
    });
  }
};
window.__readNfc = (serial) => {
  for (const reader of window.__nfcReaders) {
    reader.onreading?.({ serialNumber: serial, message: { records: [] } });
  }
  return window.__nfcReaders.length;
};
"""


async def a_night_round(api) -> dict:
    """A school with a night route of four checkpoints in sequence (the last one a walk of
    ten minutes from the one before it), a tag that is on no route, and a round every two
    hours whose first window opened ten minutes ago, walked by the guard standing in for a
    colleague on the duty roster."""
    school = await make_school()
    await install_library(school.organization_id)
    admin = await make_person(school, "admin")
    guard = await make_person(school, "guard")
    colleague = await make_person(school, "guard")
    building = await make_location(admin, school, "教学楼A")
    corridor = await make_location(admin, school, "一楼走廊", parent=building, kind="corridor")
    dormitory = await make_location(admin, school, "女生宿舍", kind="dormitory")
    extinguisher = await make_asset(admin, school, name="干粉灭火器 3F-01", location=corridor)
    stray = await make_asset(admin, school, name="配电箱", category="electrical_panel")
    codes = [
        await make_tag(admin, location=building),
        await make_tag(admin, location=corridor),
        await make_tag(admin, asset=extinguisher),
        await make_tag(admin, location=dormitory),
    ]
    route = await api.post(
        f"/api/sites/{school.site_id}/patrol/routes",
        json={
            "name": "夜间巡更路线",
            "name_en": "Night route",
            "mode": "sequence",
            "checkpoints": [
                {
                    "tag": codes[0],
                    "name": "教学楼A大门",
                    "name_en": "Building A door",
                    "checklist": "fire_patrol_daily",
                    "position": DOOR,
                    "radius_m": 30,
                },
                {
                    "tag": codes[1],
                    "name": "一楼走廊",
                    "name_en": "Ground-floor corridor",
                    "nfc_serial": NFC_SERIAL,
                    # Not a corridor's checklist by its kind: the route names it here.
                    "checklist": "fire_patrol_daily",
                },
                {"tag": codes[2], "name": "灭火器 3F-01", "name_en": "Extinguisher 3F-01"},
                {
                    "tag": codes[3],
                    "name": "女生宿舍",
                    "name_en": "Girls' dormitory",
                    "min_gap_seconds": 600,
                },
            ],
        },
        headers=admin.headers,
    )
    assert route.status_code in (200, 201), route.text
    started = dt.datetime.now(SHANGHAI) - dt.timedelta(minutes=10)
    day = started.date().isoformat()
    start = started.strftime("%H:%M")
    schedule = await api.post(
        f"/api/sites/{school.site_id}/patrol/schedules",
        json={
            "name": "夜间巡逻",
            "name_en": "Night patrol",
            "route_id": route.json()["id"],
            "times": {
                "kind": "repeating",
                "every_minutes": 120,
                "start": start,
                "end": (started + dt.timedelta(hours=8)).strftime("%H:%M"),
                "grace_minutes": 15,
            },
            "who": {
                "kind": "roster",
                "duties": [{"day": day, "person": str(colleague.user_id)}],
                "substitutes": [
                    {"day": day, "person": str(guard.user_id), "replaces": str(colleague.user_id)}
                ],
            },
        },
        headers=admin.headers,
    )
    assert schedule.status_code in (200, 201), schedule.text
    window = f"{day}T{start}"
    return {
        "school": school,
        "admin": admin,
        "guard": guard,
        "codes": codes,
        "stray": await make_tag(admin, asset=stray),
        "building": building,
        "route": route.json(),
        "schedule": schedule.json(),
        "window": window,
        "round_id": str(round_id_for(schedule.json()["id"], window)),
    }


async def type_code(page: Page, code: str, kind: str) -> None:
    await page.get_by_test_id("patrol-code").fill(code)
    await page.get_by_test_id("patrol-code-submit").click()
    await expect(page.get_by_test_id("patrol-scan-result")).to_have_attribute("data-kind", kind)


async def in_english(page: Page, name: str, backend: str) -> None:
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("lang")).to_have_text("中文")
    await no_wider_than_the_phone(page)
    await snap(page, name, backend)
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("lang")).to_have_text("English")


async def test_a_guard_walks_a_night_round_offline_and_the_server_judges_it(
    browser, clean, api
) -> None:
    world = await a_night_round(api)
    codes, round_id = world["codes"], world["round_id"]
    context = await browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="allow")
    await context.add_init_script(NFC_STAND_IN)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    backend = clean.backend
    await page.goto(f"{clean.url}/app/")
    await log_in(page, world["guard"].username)
    status = page.get_by_test_id("sync-status")
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    await page.evaluate("navigator.serviceWorker.ready")

    # Home leads with the round to walk now.
    now_round = page.get_by_test_id("home-patrol-round").first
    await expect(now_round).to_have_attribute("data-when", "now")
    await expect(now_round).to_have_attribute("data-state", "open")
    assert await first_part(page) == "home-patrol"
    await no_wider_than_the_phone(page)
    await snap(page, "patrol-home", backend)

    # The list: the window open now is the round the server names by the same id.
    await page.get_by_test_id("menu-patrol").click()
    window = page.locator(f"[data-testid=patrol-window][data-round='{round_id}']")
    await expect(window).to_have_attribute("data-state", "open")
    await expect(window).to_have_attribute("data-window", world["window"])
    await expect(page.get_by_test_id("patrol-voluntary")).to_have_count(1)
    await no_wider_than_the_phone(page)
    await snap(page, "patrol-list", backend)
    await in_english(page, "patrol-list-en", backend)

    # Offline from here: the whole round is walked without a network.
    await context.set_offline(True)
    await window.get_by_role("button").click()
    await expect(page.get_by_test_id("patrol-round-title")).to_have_text("夜间巡更路线")
    await page.get_by_test_id("patrol-start").click()
    round_card = page.get_by_test_id("patrol-round")
    await expect(round_card).to_have_attribute("data-state", "in_progress")
    assert round_id in page.url
    await expect(page.get_by_test_id("patrol-next")).to_have_attribute("data-tag", codes[0])

    # The first checkpoint, then the third before the second (out of order).
    await type_code(page, codes[0].lower(), "counted")
    await type_code(page, f"{codes[2][:4]}-{codes[2][4:]}", "out_of_order")
    # The second by its NFC sticker (the stand-in reads it once the button is pressed).
    await page.get_by_test_id("patrol-nfc").click()
    await expect(page.get_by_test_id("patrol-nfc")).to_have_attribute("data-reading", "true")
    assert await page.evaluate(f"window.__readNfc({NFC_SERIAL.lower()!r})") == 1
    await expect(page.get_by_test_id("patrol-scan-result")).to_contain_text("一楼走廊")
    await expect(page.get_by_test_id("patrol-progress")).to_have_attribute("data-covered", "3")
    # A sticker bound to no checkpoint is said and not sent.
    await page.evaluate("window.__readNfc('04:00:00:00:00:00:01')")
    await expect(page.get_by_test_id("patrol-scan-result")).to_have_attribute(
        "data-kind", "nfc_unknown"
    )
    # A tag of the school that is on no route: sent all the same, and said.
    await type_code(page, world["stray"], "off_route")
    await expect(page.get_by_test_id("patrol-scan-result")).to_contain_text("不在本路线上")
    # Mid-round, an offline reload keeps the round where it was.
    await page.reload()
    await expect(round_card).to_have_attribute("data-state", "in_progress")
    await expect(page.get_by_test_id("patrol-progress")).to_have_attribute("data-covered", "3")
    await expect(page.get_by_test_id("patrol-next")).to_have_attribute("data-tag", codes[3])
    # The last one, moments after the one before it: too fast (the server's to say).
    await type_code(page, codes[3], "counted")
    await expect(page.get_by_test_id("patrol-progress")).to_have_attribute("data-covered", "4")
    await expect(page.get_by_test_id("patrol-offer-finish")).to_be_visible()
    done = page.locator("[data-testid=patrol-checkpoint][data-done=true]")
    await expect(done).to_have_count(4)
    await no_wider_than_the_phone(page)
    await snap(page, "patrol-round", backend)
    await in_english(page, "patrol-round-en", backend)

    # A checkpoint's own checklist opens on its thing (on the corridor too, though the
    # checklist is not one of a corridor's by its kind: the route names it), and Back
    # comes back to the round.
    first = page.locator(f"[data-testid=patrol-checkpoint][data-tag='{codes[0]}']")
    corridor = page.locator(f"[data-testid=patrol-checkpoint][data-tag='{codes[1]}']")
    await corridor.get_by_test_id("patrol-checklist").click()
    await expect(page.get_by_test_id("all-ok")).to_be_visible()
    await expect(page.locator("h1").first).to_contain_text("每日防火巡查记录")
    await page.get_by_test_id("back").click()
    await expect(page.get_by_test_id("patrol-round")).to_be_visible()
    assert round_id in page.url
    # A hazard at the same checkpoint, on its thing, through the tag page's report form.
    await first.get_by_test_id("patrol-hazard").click()
    await page.get_by_test_id("report-kind-hazard").click()
    await page.get_by_test_id("report-description").fill("大门消防通道堆放杂物")
    await page.get_by_test_id("report-submit").click()
    await expect(page.get_by_test_id("patrol-round")).to_be_visible()
    assert round_id in page.url

    # Finished with a note: the patroller's signature.
    await page.get_by_test_id("patrol-note").fill("宿舍楼门已锁")
    await page.get_by_test_id("patrol-finish").click()
    await expect(page.get_by_test_id("patrol-finished")).to_be_visible()
    await expect(page.get_by_test_id("patrol-pending")).to_be_visible()
    await expect(round_card).to_have_attribute("data-state", "completed")
    waiting = await waiting_ops(page)
    assert [op["type"] for op in waiting] == [
        "round.started",
        *["checkpoint.scanned"] * 5,
        "hazard.reported",
        "round.finished",
    ]
    bodies = [op["body"] for op in waiting if op["type"] != "hazard.reported"]
    assert {b["round_id"] for b in bodies} == {round_id}
    assert {b["schedule_id"] for b in bodies} == {world["schedule"]["id"]}
    assert {b["window"] for b in bodies} == {world["window"]}
    scans = [b for b in bodies if "tag" in b]
    assert [s["method"] for s in scans] == ["typed", "typed", "nfc", "typed", "typed"]
    assert scans[2]["nfc_serial"] == NFC_SERIAL and scans[2]["tag"] == codes[1]
    # The door has a position, but this phone may not locate itself: sent without one, at once.
    assert all(s["position"] is None for s in scans)
    hazard = next(op["body"] for op in waiting if op["type"] == "hazard.reported")
    assert hazard["location_id"] == str(world["building"])

    # An offline reload keeps the round, finished and waiting to be sent.
    await page.reload()
    await expect(page.get_by_test_id("patrol-finished")).to_be_visible()
    await expect(page.get_by_test_id("patrol-pending")).to_be_visible()
    await expect(page.get_by_test_id("patrol-round")).to_have_attribute("data-state", "completed")
    await snap(page, "patrol-finished-offline", backend)

    # Online: sent, and the server's judgement comes back with the next pull.
    await context.set_offline(False)
    await expect(status).to_contain_text("待上传 0 条", timeout=15_000)
    await expect(status).to_have_attribute("data-state", "ok")
    flags = page.get_by_test_id("patrol-flag")
    await expect(page.get_by_test_id("patrol-sent")).to_be_visible(timeout=15_000)
    await expect(flags.first).to_be_visible(timeout=15_000)
    shown = {await f.get_attribute("data-flag") for f in await flags.all()}
    assert {"scan.out_of_sequence", "scan.too_fast", "scan.other_route"} <= shown
    await snap(page, "patrol-judged", backend)
    await in_english(page, "patrol-judged-en", backend)

    detail = await api.get(f"/api/patrol/rounds/{round_id}", headers=world["admin"].headers)
    assert detail.status_code == 200, detail.text
    judged = detail.json()
    summary = judged["round"]
    assert summary["state"] == "completed", summary
    assert summary["covered"] == summary["expected"] == 4
    assert summary["window"] == world["window"] and not summary["voluntary"]
    assert {"scan.out_of_sequence", "scan.too_fast", "scan.gps_absent"} <= set(summary["flags"])
    assert summary["person"]["id"] == str(world["guard"].user_id)
    assert judged["finished_note"] == "宿舍楼门已锁"
    by_tag = {s["tag"]: s for s in judged["scans"]}
    assert "scan.out_of_sequence" in by_tag[codes[1]]["flags"]
    assert by_tag[codes[1]]["method"] == "nfc" and by_tag[codes[1]]["nfc_serial"] == NFC_SERIAL
    assert "scan.too_fast" in by_tag[codes[3]]["flags"]
    assert by_tag[world["stray"]]["checkpoint"] is None
    assert judged["missing"] == []
    actions = await api.get(
        "/api/actions",
        params={"site_id": str(world["school"].site_id)},
        headers=world["admin"].headers,
    )
    assert [a["report_id"] for a in actions.json()["items"]] == [hazard["id"]]
    assert errors == []
    await context.close()

    # The supervisor's page on a desktop: the round the server holds, its flags in words,
    # and its timeline. (The schedule was made as its first window opened, ten minutes
    # before: a window open when its schedule is made is owed.)
    await the_supervisor_reads_the_round(browser, clean.url, world, backend)


async def the_supervisor_reads_the_round(browser, url: str, world: dict, backend: str) -> None:
    codes, round_id = world["codes"], world["round_id"]
    manager = await make_person(world["school"], "manager")
    context = await browser.new_context(viewport=DESKTOP, locale="zh-CN")
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await console_login(page, url, manager.username)
    await expect(page.get_by_test_id("site")).to_have_count(1)
    # The window's own day (a round opened just before midnight belongs to that day).
    day = world["window"][:10]
    await page.goto(f"{url}/console/patrol?site={world['school'].site_id}&date={day}")
    tile = page.locator(f"[data-testid=round][data-id='{round_id}']")
    await expect(tile).to_have_attribute("data-state", "completed")
    await expect(tile).to_contain_text("已完成")
    await expect(tile).to_contain_text("4/4 个点")
    said = tile.get_by_test_id("flag")
    await expect(said.first).to_be_visible()
    assert {"顺序不对", "太快", "其他路线的点"} <= set(await said.all_inner_texts())
    attention = page.locator(f"[data-testid=attention][data-id='{round_id}']")
    await expect(attention).to_contain_text("顺序不对")
    await expect(attention).to_contain_text("太快")
    await snap(page, "console-patrol-night-day-desktop-zh", backend)

    await tile.click()
    await expect(page.get_by_test_id("round-detail")).to_have_attribute("data-id", round_id)
    await expect(page.get_by_test_id("round-title")).to_contain_text("夜间巡逻")
    scans = page.get_by_test_id("scan")
    await expect(scans).to_have_count(5)
    await expect(page.locator(f"[data-testid=scan][data-tag='{codes[1]}']")).to_contain_text(
        "顺序不对：在路线上更靠前的点之后才扫了这个点。"
    )
    await expect(page.locator(f"[data-testid=scan][data-tag='{codes[1]}']")).to_contain_text(
        "NFC 芯片"
    )
    await expect(page.locator(f"[data-testid=scan][data-tag='{codes[3]}']")).to_contain_text(
        "太快：离上一个点的时间比步行所需的最短时间还短。"
    )
    stray = page.locator(f"[data-testid=scan][data-tag='{world['stray']}']")
    await expect(stray).to_contain_text("不在路线上")
    await expect(page.get_by_test_id("finished-note")).to_have_text("宿舍楼门已锁")
    await snap(page, "console-patrol-night-round-desktop-zh", backend)

    await page.get_by_test_id("lang").click()
    await expect(page.locator(f"[data-testid=scan][data-tag='{codes[3]}']")).to_contain_text(
        "Too fast: less time since the previous checkpoint than the walk between them takes."
    )
    await expect(page.locator(f"[data-testid=scan][data-tag='{codes[1]}']")).to_contain_text(
        "Out of order"
    )
    await snap(page, "console-patrol-night-round-desktop-en", backend)
    assert errors == [], errors
    await context.close()


async def test_a_voluntary_round_scanned_by_camera_carries_the_phones_position(
    browser, clean, api, tmp_path
) -> None:
    """The camera reads the door's label (scan.js's scanner, method `qr`) and the scan
    carries the fix of a phone standing at the door; a voluntary round has its own UUIDv7
    and no window, and finished with one checkpoint of four it is incomplete."""
    world = await a_night_round(api)
    codes = world["codes"]
    label = await api.get(f"/api/tags/{codes[0]}/label.png", headers=world["admin"].headers)
    assert label.status_code == 200, label.text
    video = camera_video(tmp_path / "door.y4m", label.content)
    async with camera_browser(browser, video) as chromium:
        context = await chromium.new_context(
            viewport=PHONE,
            locale="zh-CN",
            service_workers="allow",
            geolocation={"latitude": 31.23045, "longitude": 121.47372, "accuracy": 8},
        )
        await context.grant_permissions(["camera", "geolocation"])
        errors = ConsoleErrors()
        page = errors.watch(await context.new_page())
        await page.goto(f"{clean.url}/app/")
        await log_in(page, world["guard"].username)
        status = page.get_by_test_id("sync-status")
        await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
        await page.get_by_test_id("menu-patrol").click()
        await page.get_by_test_id("patrol-voluntary").click()
        await expect(page.get_by_test_id("patrol-round")).to_contain_text("夜间巡更路线")
        await page.get_by_test_id("patrol-start").click()
        await expect(page.get_by_test_id("patrol-round")).to_have_attribute(
            "data-state", "in_progress"
        )
        round_id = page.url.rsplit("/", 1)[1]
        assert uuid.UUID(round_id).version == 7

        await page.get_by_test_id("patrol-camera").click()
        await expect(page.get_by_test_id("patrol-scan-result")).to_have_attribute(
            "data-kind", "counted", timeout=15_000
        )
        assert page.url == f"{clean.url}/app/patrol/{round_id}"
        await expect(page.get_by_test_id("patrol-progress")).to_have_attribute("data-covered", "1")
        await page.get_by_test_id("patrol-finish").click()
        await expect(page.get_by_test_id("patrol-round")).to_have_attribute(
            "data-state", "incomplete"
        )
        await expect(status).to_contain_text("待上传 0 条", timeout=15_000)
        await expect(page.get_by_test_id("patrol-sent")).to_be_visible()

        detail = await api.get(f"/api/patrol/rounds/{round_id}", headers=world["admin"].headers)
        assert detail.status_code == 200, detail.text
        judged = detail.json()
        assert judged["round"]["voluntary"] and judged["round"]["window"] is None
        assert judged["round"]["state"] == "incomplete"
        assert not judged["round"]["counts_for_compliance"]
        [scan] = judged["scans"]
        assert scan["method"] == "qr" and scan["tag"] == codes[0]
        assert scan["position"] == {"lat": 31.23045, "lon": 121.47372}
        assert scan["accuracy_m"] == 8 and scan["flags"] == []
        assert [m["tag"] for m in judged["missing"]] == codes[1:]
        assert errors == []
        await context.close()


async def test_anyone_with_a_round_due_finds_patrol_mode_on_home(browser, clean, api) -> None:
    """A maintainer named on a schedule whose window is open: patrol mode comes right after
    their own first part (their actions); a guard's home leads with it."""
    world = await a_night_round(api)
    maintainer = await make_person(world["school"], "maintainer")
    opened = dt.datetime.now(SHANGHAI) - dt.timedelta(minutes=5)
    schedule = await api.post(
        f"/api/sites/{world['school'].site_id}/patrol/schedules",
        json={
            "name": "午间巡查",
            "route_id": world["route"]["id"],
            "times": {
                "kind": "fixed",
                "windows": [{"start": opened.strftime("%H:%M"), "duration_minutes": 60}],
            },
            "who": {"kind": "people", "people": [str(maintainer.user_id)]},
        },
        headers=world["admin"].headers,
    )
    assert schedule.status_code in (200, 201), schedule.text
    context = await browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="allow")
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await page.goto(f"{clean.url}/app/")
    await log_in(page, maintainer.username)
    await expect(page.get_by_test_id("sync-status")).to_have_attribute(
        "data-state", "ok", timeout=15_000
    )
    await expect(page.get_by_test_id("home-patrol-round")).to_have_attribute("data-state", "open")
    parts = page.locator("#view > *")
    assert await parts.nth(0).get_attribute("data-testid") == "home-actions"
    assert await parts.nth(1).get_attribute("data-testid") == "home-patrol"
    await page.get_by_test_id("home-patrol-round").get_by_role("button").click()
    await expect(page.get_by_test_id("patrol-round-title")).to_have_text("夜间巡更路线")
    await expect(page.get_by_test_id("patrol-start")).to_be_visible()
    assert errors == []
    await context.close()


# --- the phone's windows are the server's -------------------------------------------------


SCHEDULES = [
    {
        "kind": "repeating",
        "every_minutes": 120,
        "start": "22:00",
        "end": "06:00",
        "grace_minutes": 15,
    },
    {"kind": "repeating", "every_minutes": 90, "start": "20:30", "end": "20:30"},
    {
        "kind": "repeating",
        "every_minutes": 60,
        "start": "00:30",
        "end": "05:00",
        "grace_minutes": 5,
    },
    {
        "kind": "fixed",
        "windows": [
            {"start": "07:30", "duration_minutes": 60, "grace_minutes": 10},
            {"start": "12:00", "duration_minutes": 45},
            {"start": "23:30", "duration_minutes": 90, "grace_minutes": 30},
        ],
    },
]
CALENDAR = {
    "terms": [
        {
            "key": "2026-autumn",
            "name": "秋季学期",
            "first_day": "2026-09-01",
            "last_day": "2027-01-20",
        }
    ],
    "holidays": [{"name": "国庆", "first_day": "2026-10-01", "last_day": "2026-10-07"}],
    "extra_school_days": ["2026-10-10"],
}


def a_schedule(key: str, times: dict, *, days: str = "every_day", who: dict | None = None):
    who = who or {"kind": "role", "role": "guard"}
    data = {"key": key, "route": "r", "times": times, "who": who, "days": days}
    return msgspec.convert(data, RoundSchedule)


async def test_the_phone_names_the_same_windows_round_ids_and_duty_as_the_server(
    browser, clean
) -> None:
    """Every kind of times and days, in Shanghai and across both of New York's clock
    changes (a spring-forward night swallows an hourly slot), and a roster with swaps."""
    from checklists import SchoolCalendar

    context = await browser.new_context(viewport=PHONE, locale="zh-CN")
    page = await context.new_page()
    await page.goto(f"{clean.url}/app/")
    cases = []
    for zone, first, last in (
        ("Asia/Shanghai", "2026-09-28", "2026-10-12"),
        ("America/New_York", "2027-03-12", "2027-03-16"),
        ("America/New_York", "2026-10-30", "2026-11-03"),
    ):
        for times in SCHEDULES:
            for days in ("every_day", "school_days", "in_terms"):
                cases.append(
                    {"zone": zone, "first": first, "last": last, "times": times, "days": days}
                )
    calendar = msgspec.convert(CALENDAR, SchoolCalendar)
    expected = []
    for n, case in enumerate(cases):
        schedule = a_schedule(str(uuid.UUID(int=n + 1)), case["times"], days=case["days"])
        windows = round_windows(
            schedule,
            calendar,
            dt.date.fromisoformat(case["first"]),
            dt.date.fromisoformat(case["last"]),
            case["zone"],
        )
        expected.append(
            [
                [
                    w.key,
                    w.local_date.isoformat(),
                    int(w.start.timestamp() * 1000),
                    int(w.end.timestamp() * 1000),
                    int(w.grace_end.timestamp() * 1000),
                    str(round_id_for(schedule.key, w.key)),
                ]
                for w in windows
            ]
        )
    found = await page.evaluate(
        """async ({ cases, calendar }) => {
          const pw = await import("/web/app/patrolwindows.js");
          const { dayNumber, isoDay } = await import("/web/app/calendar.js");
          const out = [];
          for (const [n, c] of cases.entries()) {
            const id = `00000000-0000-0000-0000-${(n + 1).toString(16).padStart(12, "0")}`;
            const who = { kind: "role", role: "guard" };
            const schedule = { id, times: c.times, days: c.days, who };
            const windows = pw.roundWindows(schedule, {
              firstDay: dayNumber(c.first), lastDay: dayNumber(c.last), tz: c.zone, calendar });
            out.push(await Promise.all(windows.map(async (w) => [
              w.key, isoDay(w.localDate), w.start, w.end, w.graceEnd,
              await pw.roundIdFor(w.scheduleId, w.key)])));
          }
          return out;
        }""",
        {"cases": cases, "calendar": CALENDAR},
    )
    assert sum(len(w) for w in expected) > 500
    for case, theirs, ours in zip(cases, expected, found, strict=True):
        assert ours == theirs, case

    # Who owes a day's rounds: a roster, a swap, and a stand-in for someone not on it.
    roster = {
        "kind": "roster",
        "duties": [
            {"day": "2026-11-23", "person": "a"},
            {"day": "2026-11-23", "person": "b"},
            {"day": "2026-11-24", "person": "a"},
        ],
        "substitutes": [
            {"day": "2026-11-23", "person": "c", "replaces": "a"},
            {"day": "2026-11-24", "person": "d", "replaces": "z"},
        ],
    }
    schedule = a_schedule("s", SCHEDULES[0], who=roster)
    theirs = {
        day: list(who_is_due(schedule, dt.date.fromisoformat(day)).people)
        for day in ("2026-11-23", "2026-11-24", "2026-11-25")
    }
    ours = await page.evaluate(
        """async (who) => {
          const pw = await import("/web/app/patrolwindows.js");
          const { dayNumber } = await import("/web/app/calendar.js");
          const schedule = { who };
          return Object.fromEntries(["2026-11-23", "2026-11-24", "2026-11-25"].map((day) =>
            [day, pw.whoIsDue(schedule, dayNumber(day)).people]));
        }""",
        roster,
    )
    assert ours == theirs == {"2026-11-23": ["b", "c"], "2026-11-24": ["a", "d"], "2026-11-25": []}

    # The SHA-256 kept for pages without crypto.subtle (plain HTTP) is SHA-256.
    texts = ["", "abc", "x" * 55, "x" * 56, "夜间巡更/2026-11-23T02:00+1" * 9]
    plain = await page.evaluate(
        """async (texts) => {
          const plain = await import("/web/app/sha256.js");
          return texts.map((text) => plain.hex(plain.sha256(new TextEncoder().encode(text))));
        }""",
        texts,
    )
    assert plain == [hashlib.sha256(t.encode()).hexdigest() for t in texts]
    await context.close()
