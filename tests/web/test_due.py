"""Due today and overdue on the phone: the port of the recurrence rules checked against
Python's on many generated schedules in the real browser, and the due screen against
GET /api/due, offline too, with a checklist filled in and a "won't do" sent."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import re
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from playwright.async_api import Page, expect
from playwright.async_api import TimeoutError as PlaywrightTimeout
from uuid_utils.compat import uuid7

import checklists
from checklists import SchoolCalendar
from server.registry.tables import Asset
from server.templates.templates import install_library
from tests.factories import make_asset, make_location, make_person, make_school, make_tag
from tests.inspections.helpers import extinguisher_answers, submission, submit
from tests.schedules.scheduling import born, due, make_schedule, put_calendar, set_now
from tests.web.test_client import ConsoleErrors, log_in, new_phone, read_meta, snap

ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "America/Havana",
    "Asia/Shanghai",
    "Australia/Lord_Howe",
    "UTC",
)
# Days clocks change (Berlin and New York both ways, Havana at midnight, Lord Howe by half
# an hour) with their zone, and plain days; a case is mostly near one of them in its zone.
AROUND = (
    (dt.date(2026, 3, 8), "America/New_York"),
    (dt.date(2026, 11, 1), "America/New_York"),
    (dt.date(2026, 3, 8), "America/Havana"),
    (dt.date(2026, 11, 1), "America/Havana"),
    (dt.date(2026, 3, 29), "Europe/Berlin"),
    (dt.date(2026, 10, 25), "Europe/Berlin"),
    (dt.date(2026, 4, 5), "Australia/Lord_Howe"),
    (dt.date(2026, 10, 4), "Australia/Lord_Howe"),
    (dt.date(2026, 11, 20), "Asia/Shanghai"),
    (dt.date(2027, 2, 28), "UTC"),
    (dt.date(2028, 2, 29), "Asia/Shanghai"),
)
CLOCKS = (
    "00:00",
    "00:30",
    "01:00",
    "01:30",
    "02:00",
    "02:15",
    "02:30",
    "03:00",
    "03:30",
    "07:30",
    "08:30",
    "12:00",
    "21:00",
    "22:00",
    "23:30",
)


def _iso(at: dt.datetime | None) -> str | None:
    if at is None:
        return None
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _windows(rng: random.Random) -> list[dict[str, str]]:
    """Windows a day rule accepts (in order, never overlapping), sometimes none."""
    while True:
        count = rng.choice((0, 0, 1, 1, 2, 3))
        windows = []
        for _ in range(count):
            start, end = rng.sample(CLOCKS, 2)
            windows.append({"start": start, "end": end})
        windows.sort(key=lambda w: w["start"])
        try:
            msgspec.convert({"every": "daily", "windows": windows}, checklists.Rule)
        except msgspec.ValidationError:
            continue
        return windows


def _rule(rng: random.Random) -> dict[str, Any] | None:
    every = rng.choice(("daily", "daily", "weekly", "monthly", "yearly", "per_term", None))
    if every is None:
        return None
    if every == "per_term":
        return {"every": "per_term", "times": rng.randint(1, 6)}
    rule: dict[str, Any] = {"every": every, "windows": _windows(rng)}
    if every == "daily":
        rule["school_days_only"] = rng.random() < 0.4
    elif every == "weekly":
        rule["weekdays"] = rng.sample(range(1, 8), rng.randint(1, 3))
    elif every == "monthly":
        rule["day"] = rng.choice((1, 15, 28, 29, 30, 31, "last"))
    else:
        rule["month"] = rng.randint(1, 12)
        rule["day"] = rng.randint(1, 28) if rule["month"] != 2 else rng.choice((28, 29))
    return rule


def _calendar(rng: random.Random, around: dt.date) -> dict[str, Any] | None:
    if rng.random() < 0.25:
        return None
    terms, holidays = [], []
    first = around - dt.timedelta(days=rng.randint(0, 120))
    for n in range(rng.randint(0, 3)):
        last = first + dt.timedelta(days=rng.randint(0, 110))
        terms.append(
            {"key": f"t{n}", "name": f"第{n}学期", "first_day": str(first), "last_day": str(last)}
        )
        first = last + dt.timedelta(days=rng.randint(1, 40))
    for n in range(rng.randint(0, 4)):
        start = around + dt.timedelta(days=rng.randint(-40, 40))
        holidays.append(
            {
                "name": f"假期{n}",
                "first_day": str(start),
                "last_day": str(start + dt.timedelta(days=rng.randint(0, 9))),
            }
        )
    extra = sorted(
        {str(around + dt.timedelta(days=rng.randint(-30, 30))) for _ in range(rng.randint(0, 3))}
    )
    weekdays = (
        sorted(rng.sample(range(1, 8), rng.randint(1, 7)))
        if rng.random() < 0.2
        else [1, 2, 3, 4, 5]
    )
    return {
        "terms": terms,
        "holidays": holidays,
        "extra_school_days": extra,
        "school_weekdays": weekdays,
    }


def _case(rng: random.Random) -> dict[str, Any]:
    day, zone = rng.choice(AROUND)
    if rng.random() < 0.3:
        zone = rng.choice(ZONES)
    around = day + dt.timedelta(days=rng.randint(-3, 3))
    start = around - dt.timedelta(days=rng.randint(0, 20))
    end = start + dt.timedelta(days=rng.randint(-1, 45))
    versions = []
    effective = start - dt.timedelta(days=rng.randint(0, 30))
    for _ in range(rng.randint(1, 3)):
        versions.append(
            {
                "effective_from": str(effective),
                "rule": _rule(rng),
                "skip_holidays": rng.random() < 0.4,
            }
        )
        effective += dt.timedelta(days=rng.randint(1, 25))
    base = dt.datetime.combine(start, dt.time(0), tzinfo=dt.UTC)
    span = max((end - start).days + 2, 1) * 86_400
    completions = sorted(
        base + dt.timedelta(seconds=rng.randint(-86_400, span)) for _ in range(rng.randint(0, 12))
    )
    return {
        "tz": zone,
        "start": str(start),
        "end": str(end),
        "versions": versions,
        "calendar": _calendar(rng, around),
        "completed_at": [_iso(c) for c in completions],
        "now": _iso(base + dt.timedelta(seconds=rng.randint(0, span))),
        "excused_share": rng.random(),
    }


def _swallowed() -> list[dict[str, Any]]:
    """Windows a spring-forward jump swallows whole, or halfway, on the night it does."""
    cases = []
    for day, zone, windows in (
        ("2026-03-29", "Europe/Berlin", [("02:00", "02:30"), ("02:30", "03:30")]),
        ("2026-03-29", "Europe/Berlin", [("02:15", "02:30"), ("23:30", "02:00")]),
        ("2026-03-08", "America/New_York", [("01:30", "02:15"), ("02:15", "02:30")]),
        ("2026-10-04", "Australia/Lord_Howe", [("02:00", "02:15"), ("02:15", "03:00")]),
        ("2026-03-08", "America/Havana", [("00:00", "00:30"), ("00:30", "01:30")]),
        ("2026-03-08", "America/Havana", []),
    ):
        start = dt.date.fromisoformat(day) - dt.timedelta(days=2)
        rule = {"every": "daily", "windows": [{"start": a, "end": b} for a, b in windows]}
        cases.append(
            {
                "tz": zone,
                "start": str(start),
                "end": str(start + dt.timedelta(days=4)),
                "versions": [{"effective_from": str(start), "rule": rule, "skip_holidays": False}],
                "calendar": None,
                "completed_at": [f"{day}T01:10:00.000Z", f"{day}T15:00:00.000Z"],
                "now": f"{day}T01:20:00.000Z",
                "excused_share": 0.0,
            }
        )
    return cases


def _python(case: dict[str, Any]) -> dict[str, Any]:
    versions = msgspec.convert(case["versions"], list[checklists.ScheduleVersion])
    calendar = (
        msgspec.convert(case["calendar"], SchoolCalendar) if case["calendar"] is not None else None
    )
    try:
        found = checklists.occurrences_for(
            versions,
            dt.date.fromisoformat(case["start"]),
            dt.date.fromisoformat(case["end"]),
            tz=case["tz"],
            calendar=calendar,
        )
    except checklists.CalendarRequired as error:
        return {"error": error.code}
    share = case["excused_share"]
    excused = [o.key for at, o in enumerate(found) if (at * 7919 % 100) / 100 < share]
    answers = checklists.statuses(
        found,
        [dt.datetime.fromisoformat(c) for c in case["completed_at"]],
        excused,
        dt.datetime.fromisoformat(case["now"]),
    )
    return {
        "occurrences": [
            [o.key, str(o.local_date), _iso(o.due_start), _iso(o.due_end), _iso(o.late_until)]
            for o in found
        ],
        "statuses": answers,
    }


PORT = """async (cases) => {
  const r = await import("/web/app/recurrence.js");
  const c = await import("/web/app/calendar.js");
  const iso = (ms) => (ms === null ? null : new Date(ms).toISOString());
  return cases.map((k) => {
    const calendar = k.calendar === null ? null : new c.SchoolCalendar(k.calendar);
    let found;
    try {
      const [start, end] = [c.dayNumber(k.start), c.dayNumber(k.end)];
      found = r.occurrencesFor(k.versions, start, end, { tz: k.tz, calendar });
    } catch (error) {
      if (error instanceof r.CalendarRequired) return { error: error.code };
      throw error;
    }
    const excused = found
      .filter((o, at) => ((at * 7919) % 100) / 100 < k.excused_share)
      .map((o) => o.key);
    const done = k.completed_at.map(Date.parse);
    const statuses = r.statuses(found, done, excused, Date.parse(k.now));
    return {
      occurrences: found.map((o) => [
        o.key, c.isoDay(o.localDate), iso(o.dueStart), iso(o.dueEnd), iso(o.lateUntil),
      ]),
      statuses,
    };
  });
}"""


async def _port(page: Page, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return await page.evaluate(PORT, cases)


async def test_the_phone_reads_schedules_as_the_server_does(browser, clean) -> None:
    """Generated schedules (every rule, windows past midnight and inside clock changes,
    versions, calendars with terms, holidays and make-up days, five zones): the phone's
    occurrences, their times and statuses are Python's, case by case."""
    rng = random.Random(20261122)
    cases = _swallowed() + [_case(rng) for _ in range(400)]
    expected = [_python(case) for case in cases]
    context = await new_phone(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await page.goto(f"{clean.url}/app/")
    answers = await _port(page, cases)
    mismatches = [
        (case, want, got)
        for case, want, got in zip(cases, expected, answers, strict=True)
        if want != got
    ]
    assert not mismatches, mismatches[0]
    # The cases reach what the port has to get right.
    occurrences = [o for e in expected for o in e.get("occurrences", [])]
    assert len(occurrences) > 2000
    assert any(e.get("error") for e in expected)
    assert {s for e in expected for s in e.get("statuses", [])} == {
        "done",
        "done_late",
        "due",
        "upcoming",
        "overdue",
        "excused",
    }
    assert any(o[0].startswith("term-") for o in occurrences)
    assert not errors
    await context.close()


# The due screen, end to end

# Zones tried in turn for the school: the first whose clock reads 03:00 to 21:59 now, so
# that a window of 01:00-02:00 has closed, one of 23:00-23:30 is still to come and the day
# does not change during the test.
SCHOOL_ZONES = ("Asia/Shanghai", "Europe/Berlin", "America/New_York", "America/Los_Angeles")
KITCHEN_GAS = "kitchen_gas_weekly"
EXTINGUISHER = "fire_extinguisher_monthly"


def school_zone() -> str:
    now = dt.datetime.now(dt.UTC)
    for zone in SCHOOL_ZONES:
        if 3 <= now.astimezone(ZoneInfo(zone)).hour < 22:
            return zone
    raise AssertionError("no zone is in its day")


async def a_school_with_schedules(api) -> dict[str, Any]:
    """Three extinguishers (one without a tag, one retired today) and a kitchen, a calendar
    with a term around today, and schedules whose occurrences today are due, upcoming and
    already overdue."""
    zone = school_zone()
    school = await make_school(timezone=zone)
    await install_library(school.organization_id)
    admin = await make_person(school, "admin")
    inspector = await make_person(school, "inspector")
    maintainer = await make_person(school, "maintainer")
    building = await make_location(admin, school, "教学楼A")
    floor = await make_location(admin, school, "3F", parent=building, kind="floor")
    kitchen = await make_location(admin, school, "食堂后厨", parent=building, kind="kitchen")
    tagged = await make_asset(admin, school, name="干粉灭火器 3F-01", location=floor)
    untagged = await make_asset(admin, school, name="干粉灭火器 3F-02", location=floor)
    # Retired today: still covered today, as the day it was retired.
    retired = await make_asset(admin, school, name="干粉灭火器 3F-03", location=floor)
    response = await api.patch(
        f"/api/assets/{retired}", json={"status": "retired"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    today = dt.datetime.now(ZoneInfo(zone)).date()
    calendar = {
        "terms": [
            {
                "key": "this-term",
                "name": "本学期",
                "first_day": str(today - dt.timedelta(days=30)),
                "last_day": str(today + dt.timedelta(days=60)),
            }
        ],
        "holidays": [
            {
                "name": "假期",
                "first_day": str(today + dt.timedelta(days=3)),
                "last_day": str(today + dt.timedelta(days=5)),
            }
        ],
    }
    assert (await put_calendar(api, admin, school.site_id, calendar)).status_code == 200
    schedules = {
        "all_day": await make_schedule(api, admin, school.site_id, {"every": "daily"}),
        "early_and_late": await make_schedule(
            api,
            admin,
            school.site_id,
            {
                "every": "daily",
                "windows": [{"start": "01:00", "end": "02:00"}, {"start": "23:00", "end": "23:30"}],
            },
        ),
        "per_term": await make_schedule(
            api, admin, school.site_id, {"every": "per_term", "times": 3}, skip_holidays=True
        ),
        "kitchen": await make_schedule(
            api,
            admin,
            school.site_id,
            {"every": "weekly", "weekdays": [today.isoweekday()]},
            targets={"by": "named", "location_ids": [str(kitchen)]},
            template_key=KITCHEN_GAS,
        ),
        "kitchen_early": await make_schedule(
            api,
            admin,
            school.site_id,
            {"every": "daily", "windows": [{"start": "00:30", "end": "01:30"}]},
            targets={
                "by": "subtree",
                "location_id": str(building),
                "assets": False,
                "location_kind": "kitchen",
            },
            template_key=KITCHEN_GAS,
        ),
    }
    return {
        "site_id": school.site_id,
        "zone": zone,
        "admin": admin,
        "inspector": inspector,
        "maintainer": maintainer,
        "tagged": tagged,
        "untagged": untagged,
        "retired": retired,
        "kitchen": kitchen,
        "tagged_code": await make_tag(admin, asset=tagged),
        "kitchen_code": await make_tag(admin, location=kitchen),
        "schedules": schedules,
    }


def outcome(item: dict[str, Any]) -> tuple[str, str | None, str | None, str | None]:
    """What became of an occurrence: its status, how a done one came out, and the state and
    reason of its excusal."""
    excusal = item["excusal"] or {}
    return (item["status"], item["result"], excusal.get("state"), excusal.get("reason"))


def entry_key(item: dict[str, Any]) -> str:
    target = item["target"]["asset_id"] or item["target"]["location_id"]
    return f"{item['schedule_id']}|{item['occurrence']['key']}|{target}"


def by_key(items: list[dict[str, Any]]) -> dict[str, str]:
    """Occurrence on target -> status."""
    return {entry_key(i): i["status"] for i in items}


async def server_due(api, person, site_id, scope: str) -> list[dict[str, Any]]:
    return await due(api, person, site_id, scope=scope)


# The phone's records of a site, read as no push or pull of the phone is under way (the same
# locks its sync takes): a read in the middle of a sync could see a scope between two of its
# transactions, or an op sent and not yet pulled back.
SITE_RECORDS = """async (site) => {
  const store = await import("/web/app/store.js");
  const work = await import("/web/app/duework.js");
  return store.exclusive("push", () => store.exclusive("pull", () => work.siteRecords(site)));
}"""


async def phone_due(page: Page, site_id, scope: str) -> list[dict[str, Any]]:
    return await page.evaluate(
        f"""async ([site, scope]) => {{
          const work = await import("/web/app/duework.js");
          return work.dueEntries({{ records: await ({SITE_RECORDS})(site), scope }});
        }}""",
        [str(site_id), scope],
    )


async def shown(page: Page, section: str) -> dict[str, str]:
    entries = page.get_by_test_id(section).get_by_test_id("due-entry")
    keys = await entries.evaluate_all(
        "(items) => items.map((i) => [i.dataset.key, i.dataset.status])"
    )
    return dict(keys)


async def shows(page: Page, section: str, expected: dict[str, str]) -> None:
    """Waits until a section lists exactly these entries (a sync may draw the page again
    meanwhile), then compares: a screen that never gets there fails with the difference."""
    with contextlib.suppress(PlaywrightTimeout):
        await page.wait_for_function(
            """([section, expected]) => {
              const items = document.querySelectorAll(
                `[data-testid="${section}"] [data-testid="due-entry"]`);
              const got = Object.fromEntries(
                [...items].map((i) => [i.dataset.key, i.dataset.status]));
              const keys = Object.keys(expected);
              return Object.keys(got).length === keys.length
                && keys.every((k) => got[k] === expected[k]);
            }""",
            arg=[section, expected],
            timeout=10_000,
        )
    assert await shown(page, section) == expected


async def assert_phone_matches_server(page: Page, api, school) -> dict[str, dict[str, str]]:
    """The phone's lists are the server's, and the screen shows them: overdue ones in their
    section, today's open ones as due today, the rest as done or excused."""
    inspector, site_id = school["inspector"], school["site_id"]
    found = {}
    for scope in ("today", "overdue"):
        server = await server_due(api, inspector, site_id, scope)
        phone = await phone_due(page, site_id, scope)
        assert by_key(phone) == by_key(server), scope
        for mine, theirs in zip(phone, server, strict=True):
            assert entry_key(mine) == entry_key(theirs)
            assert mine["title_zh"] == theirs["title_zh"]
            assert mine["target"] == theirs["target"]
            assert outcome(mine) == outcome(theirs)
            for field in ("due_start", "due_end", "late_until"):
                ours, server_time = mine["occurrence"][field], theirs["occurrence"][field]
                assert (ours and dt.datetime.fromisoformat(ours)) == (
                    server_time and dt.datetime.fromisoformat(server_time)
                )
        found[scope] = by_key(server)
    today = found["today"]
    await shows(page, "due-overdue", found["overdue"])
    await shows(page, "due-today", {k: s for k, s in today.items() if s in ("due", "upcoming")})
    await shows(
        page,
        "due-closed",
        {k: s for k, s in today.items() if s not in ("due", "upcoming", "overdue")},
    )
    return found


async def assert_target_pages_match_the_scan(page: Page, api, school, clean) -> None:
    """What a target page says is due on its thing (this week's and overdue) is what the
    server answers to a scan of its tag."""
    for code, target in (
        (school["tagged_code"], school["tagged"]),
        (school["kitchen_code"], school["kitchen"]),
    ):
        scan = await api.get(f"/api/tags/{code}", headers=school["inspector"].headers)
        assert scan.status_code == 200, scan.text
        server = by_key(scan.json()["due"])
        phone = await page.evaluate(
            f"""async ([site, target]) => {{
              const work = await import("/web/app/duework.js");
              return work.dueOn({{ records: await ({SITE_RECORDS})(site), target }});
            }}""",
            [str(school["site_id"]), str(target)],
        )
        assert by_key(phone) == server
        assert len(server) >= 2
        await page.goto(f"{clean.url}/t/{code}")
        await shows(page, "target-due", server)
    await snap(page, "target-due", clean.backend)


async def test_due_today_and_overdue_on_the_phone_match_the_server_offline_too(
    browser, clean, api
) -> None:
    school = await a_school_with_schedules(api)
    site_id, inspector = school["site_id"], school["inspector"]
    schedules = school["schedules"]
    context = await new_phone(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await page.goto(f"{clean.url}/app/")
    await log_in(page, inspector.username)
    status = page.get_by_test_id("sync-status")
    # Pulled: the status line names the time of the pull that finished.
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    await expect(status).to_contain_text("上次同步")
    await page.evaluate("navigator.serviceWorker.ready")
    await page.get_by_test_id("menu-due").click()
    await expect(page.get_by_test_id("due-title")).to_have_text("今日待检与逾期")

    found = await assert_phone_matches_server(page, api, school)
    today, overdue = found["today"], found["overdue"]
    tagged, untagged, kitchen = (str(school[k]) for k in ("tagged", "untagged", "kitchen"))
    day = dt.datetime.now(ZoneInfo(school["zone"])).date().isoformat()
    all_day = f"{schedules['all_day']['id']}|{day}|{tagged}"
    kitchen_due = f"{schedules['kitchen']['id']}|{day}|{kitchen}"
    early = f"{schedules['early_and_late']['id']}|{day}T01:00|{untagged}"
    late = f"{schedules['early_and_late']['id']}|{day}T23:00|{tagged}"
    assert today[all_day] == today[kitchen_due] == "due"
    assert today[late] == "upcoming"
    assert overdue[early] == "overdue"
    assert f"{schedules['kitchen_early']['id']}|{day}T00:30|{kitchen}" in overdue
    assert any(k.startswith(f"{schedules['per_term']['id']}|term-this-term#") for k in today)
    assert f"{schedules['all_day']['id']}|{day}|{school['retired']}" in today
    await snap(page, "due", clean.backend)
    await assert_target_pages_match_the_scan(page, api, school, clean)
    await page.goto(f"{clean.url}/app/due")

    # Offline, after a reload, the screen is the same.
    await context.set_offline(True)
    await page.reload()
    await expect(page.get_by_test_id("due-title")).to_be_visible()
    await shows(page, "due-overdue", overdue)
    # The untagged extinguisher's entries say so instead of leading anywhere.
    untagged_item = page.locator(f'[data-key="{early}"]')
    await expect(untagged_item.get_by_test_id("due-no-tag")).to_be_visible()
    await expect(untagged_item.get_by_test_id("due-open")).to_have_count(0)

    # The kitchen's check, filled in offline from its entry, leaves "due" at once.
    await page.locator(f'[data-key="{kitchen_due}"]').get_by_test_id("due-open").click()
    await expect(page.get_by_test_id("form-title")).to_be_visible()
    await page.get_by_test_id("all-ok").click()
    await page.get_by_test_id("submit").click()
    await expect(page.get_by_test_id("submitted")).to_be_visible()
    # Its target page says what is due on it: this check done, the early one overdue.
    section = page.get_by_test_id("target-due")
    await expect(section.locator(f'[data-key="{kitchen_due}"]')).to_have_attribute(
        "data-status", "done"
    )
    await page.goto(f"{clean.url}/app/due")
    await expect(page.locator(f'[data-key="{kitchen_due}"]')).to_have_attribute(
        "data-status", "done"
    )
    assert kitchen_due in await shown(page, "due-closed")
    assert kitchen_due not in await shown(page, "due-today")

    # "Won't do" needs a reason; given one, the entry is excused on the phone at once.
    item = page.locator(f'[data-key="{all_day}"]')
    await item.get_by_test_id("due-excuse").click()
    await item.get_by_test_id("due-excuse-save").click()
    await expect(item.get_by_test_id("due-reason-problem")).to_have_text("请填写原因")
    await item.get_by_test_id("due-reason").fill("灭火器送检，本周不在原位")
    await snap(page, "due-excuse", clean.backend)
    await item.get_by_test_id("due-excuse-save").click()
    await expect(page.locator(f'[data-key="{all_day}"]')).to_have_attribute(
        "data-status", "excused"
    )
    assert all_day in await shown(page, "due-closed")
    ops = await page.evaluate(
        """async () => {
          const store = await import("/web/app/store.js");
          return (await store.waitingOps()).map((r) => r.op);
        }"""
    )
    assert [op["type"] for op in ops] == ["inspection.submitted", "occurrence.excused"]
    excusal = ops[1]["body"]
    assert excusal["asset_id"] == tagged and excusal["occurrence_key"] == day
    assert excusal["schedule_id"] == schedules["all_day"]["id"]

    # Online: both reach the server, which lists the excusal and no longer has either due.
    # The sync the due screen starts on going online sends both and then pulls; the status
    # line says so once the pull is in (a page opened meanwhile could find the outbox empty
    # and the pull not yet done).
    await context.set_offline(False)
    await expect(status).to_contain_text("待上传 0 条", timeout=15_000)
    await expect(status).to_have_attribute("data-state", "ok")
    await page.goto(f"{clean.url}/app/")
    await expect(status).to_contain_text("待上传 0 条", timeout=15_000)
    stored = await api.get(f"/api/occurrences/excusals/{excusal['id']}", headers=inspector.headers)
    assert stored.status_code == 200, stored.text
    assert stored.json()["reason"] == "灭火器送检，本周不在原位"
    now_due = by_key(await server_due(api, inspector, site_id, "today"))
    assert now_due[all_day] == "excused" and now_due[kitchen_due] == "done"
    await page.get_by_test_id("menu-due").click()
    await expect(page.locator(f'[data-key="{all_day}"]')).to_have_attribute(
        "data-status", "excused"
    )
    await assert_phone_matches_server(page, api, school)
    await snap(page, "due-after-sync", clean.backend)
    assert not errors
    await context.close()


async def test_a_wont_do_the_server_refuses_is_shown_and_the_work_is_due_again(
    browser, clean, api
) -> None:
    """Who may excuse is the server's to say: a maintainer's "won't do" is refused, the
    refusal is shown with its code, and the work is due again on the phone."""
    school = await a_school_with_schedules(api)
    maintainer, site_id = school["maintainer"], school["site_id"]
    context = await new_phone(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await page.goto(f"{clean.url}/app/")
    await log_in(page, maintainer.username)
    status = page.get_by_test_id("sync-status")
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    await page.goto(f"{clean.url}/app/due")
    day = dt.datetime.now(ZoneInfo(school["zone"])).date().isoformat()
    all_day = f"{school['schedules']['all_day']['id']}|{day}|{school['tagged']}"
    item = page.locator(f'[data-key="{all_day}"]')
    await expect(item).to_have_attribute("data-status", "due")
    await item.get_by_test_id("due-excuse").click()
    await item.get_by_test_id("due-reason").fill("没空")
    await item.get_by_test_id("due-excuse-save").click()
    refused = page.get_by_test_id("due-refused")
    await expect(refused).to_contain_text("forbidden", timeout=15_000)
    await expect(refused).to_contain_text(day)
    await expect(refused).to_contain_text("灭火器月度检查 · 干粉灭火器 3F-01")
    await expect(page.locator(f'[data-key="{all_day}"]')).to_have_attribute("data-status", "due")
    await expect(status).to_contain_text("待上传 0 条")
    assert by_key(await server_due(api, school["admin"], site_id, "today"))[all_day] == "due"
    await snap(page, "due-refused", clean.backend)
    assert not errors
    await context.close()


# Generated schedules at a school, the phone against the API

BERLIN = "Europe/Berlin"
T0 = dt.datetime(2026, 10, 1, 6, 0, tzinfo=dt.UTC)
"""Thursday 1 October 2026, 08:00 in Berlin: the schedules are made."""
T1 = dt.datetime(2026, 11, 4, 10, 30, tzinfo=dt.UTC)
"""Wednesday 4 November 2026, 11:30 in Berlin, past the clocks going back: what is due."""


async def a_generated_school(api, monkeypatch, rng: random.Random) -> dict[str, Any]:
    """Places and things made before T0 (one added on 15 October, one retired on 20
    October), a calendar with a holiday and a make-up day, schedules on random rules with
    later versions, extinguisher inspections at random times and a few excusals."""
    set_now(monkeypatch, T0)
    school = await make_school(timezone=BERLIN)
    await install_library(school.organization_id)
    admin = await make_person(school, "admin")
    inspector = await make_person(school, "inspector")
    a = await make_location(admin, school, "教学楼A")
    f1 = await make_location(admin, school, "1F", parent=a, kind="floor")
    f2 = await make_location(admin, school, "2F", parent=a, kind="floor")
    kitchen = await make_location(admin, school, "食堂后厨", parent=a, kind="kitchen")
    room = await make_location(admin, school, "101", parent=f1, kind="room")
    b = await make_location(admin, school, "教学楼B")
    f3 = await make_location(admin, school, "3F", parent=b, kind="floor")
    extinguishers = [
        await make_asset(admin, school, name=f"灭火器{n}", location=place)
        for n, place in enumerate((f1, f2, f3, f1, f2))
    ]
    panel = await make_asset(admin, school, category="electrical_panel", name="配电箱", location=f1)
    locations = (a, f1, f2, kitchen, room, b, f3)
    await born(T0 - dt.timedelta(days=3), assets=(*extinguishers, panel), locations=locations)
    await born(dt.datetime(2026, 10, 15, 10, tzinfo=dt.UTC), assets=(extinguishers[4],))
    retired = extinguishers[3]
    patched = await api.patch(
        f"/api/assets/{retired}", json={"status": "retired"}, headers=admin.headers
    )
    assert patched.status_code == 200, patched.text
    await Asset.update({Asset.updated_at: dt.datetime(2026, 10, 20, 12, tzinfo=dt.UTC)}).where(
        Asset.id == retired
    )
    calendar = {
        "terms": [
            {"key": "autumn", "name": "秋季学期", "first_day": "2026-09-01",
             "last_day": "2027-01-20"},
        ],
        "holidays": [{"name": "国庆节", "first_day": "2026-10-01", "last_day": "2026-10-07"}],
        "extra_school_days": ["2026-10-10"],
    }  # fmt: skip
    assert (await put_calendar(api, admin, school.site_id, calendar)).status_code == 200
    pool = [
        (EXTINGUISHER, {"by": "category", "category": "fire_extinguisher"}),
        (EXTINGUISHER, {"by": "subtree", "location_id": str(a),
                        "asset_category": "fire_extinguisher"}),
        (EXTINGUISHER, {"by": "named", "asset_ids": [str(extinguishers[0]),
                                                     str(extinguishers[2])]}),
        ("electrical_panel_weekly", {"by": "category", "category": "electrical_panel"}),
        (KITCHEN_GAS, {"by": "subtree", "location_id": str(a), "assets": False,
                       "location_kind": "kitchen"}),
        ("building_structure_monthly", {"by": "subtree", "location_id": str(a),
                                        "assets": False, "location_kind": "floor"}),
        ("classroom_electrical_monthly", {"by": "named", "location_ids": [str(room)]}),
    ]  # fmt: skip
    for n in range(10):
        template, targets = pool[n % len(pool)]
        rule = None
        while rule is None:
            rule = _rule(rng)
        start = T0.date() + dt.timedelta(days=rng.randint(0, 10))
        made = await make_schedule(
            api,
            admin,
            school.site_id,
            rule,
            targets=targets,
            template_key=template,
            skip_holidays=rng.random() < 0.5,
            effective_from=str(start),
        )
        if rng.random() < 0.5:
            change = {
                "rule": _rule(rng),
                "effective_from": str(start + dt.timedelta(days=rng.randint(1, 30))),
                "skip_holidays": rng.random() < 0.5,
            }
            changed = await api.post(
                f"/api/sites/{school.site_id}/schedules/{made['id']}/versions",
                json=change,
                headers=admin.headers,
            )
            assert changed.status_code in (200, 201), changed.text
    # The clock moves for every domain: the inspections are sent by T1, once done.
    set_now(monkeypatch, T1)
    span = int((T1 - T0).total_seconds())
    for _ in range(30):
        at = T0 + dt.timedelta(seconds=rng.randint(0, span))
        answers = extinguisher_answers(gauge_zone=rng.choice(("green", "green", "red")))
        body = submission(asset=rng.choice(extinguishers), answers=answers, completed_at=at)
        done = await submit(api, inspector, body)
        assert done.status_code == 201, done.text
    overdue = await due(api, admin, school.site_id, scope="overdue")
    assert len(overdue) > 10
    # Two excused by the admin, standing; two by the inspector, waiting for approval, and
    # one of those rejected.
    approving = await api.put(
        f"/api/sites/{school.site_id}/excusal-policy",
        json={"approval_required": True},
        headers=admin.headers,
    )
    assert approving.status_code == 200, approving.text
    for n, item in enumerate(rng.sample(overdue, 4)):
        excused = await api.post(
            "/api/occurrences/excusals",
            json={
                "id": str(uuid7()),
                "schedule_id": item["schedule_id"],
                "occurrence_key": item["occurrence"]["key"],
                "asset_id": item["target"]["asset_id"],
                "location_id": item["target"]["location_id"],
                "reason": "停课",
            },
            headers=(admin if n < 2 else inspector).headers,
        )
        assert excused.status_code == 201, excused.text
        if n == 3:
            rejected = await api.post(
                "/api/occurrences/excusals/decisions",
                json={
                    "id": str(uuid7()),
                    "excusal_id": excused.json()["id"],
                    "decision": "reject",
                    "decided_at": T1.isoformat(),
                },
                headers=admin.headers,
            )
            assert rejected.status_code == 201, rejected.text
    return {"site_id": school.site_id, "inspector": inspector}


async def test_the_phone_lists_what_the_api_lists_for_generated_schedules(
    browser, clean, api, monkeypatch
) -> None:
    """Today, this week and overdue at a school with generated schedules across the clocks
    going back: the phone's lists, from what it pulled, are the server's, entry by entry."""
    for seed in (1, 2):
        school = await a_generated_school(api, monkeypatch, random.Random(seed))
        context = await new_phone(browser)
        errors = ConsoleErrors()
        page = errors.watch(await context.new_page())
        await page.goto(f"{clean.url}/app/")
        await log_in(page, school["inspector"].username)
        status = page.get_by_test_id("sync-status")
        await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
        seen = set()
        for scope in ("today", "week", "overdue"):
            server = await due(api, school["inspector"], school["site_id"], scope=scope)
            phone = await page.evaluate(
                """async ([site, scope, now]) => {
                  const work = await import("/web/app/duework.js");
                  const records = await work.siteRecords(site);
                  return work.dueEntries({ records, scope, now: Date.parse(now) });
                }""",
                [str(school["site_id"]), scope, T1.isoformat()],
            )
            assert [entry_key(e) for e in phone] == [entry_key(e) for e in server], scope
            assert [outcome(e) for e in phone] == [outcome(e) for e in server], scope
            seen |= {outcome(e)[:3] for e in server}
        assert {s for s, _, _ in seen} >= {"done", "overdue", "upcoming"}
        assert {r for _, r, _ in seen} >= {"pass", "fail"}
        # The admin's excusals leave the lists (they were overdue); the inspector's stay.
        assert {e for _, _, e in seen} >= {"pending", "rejected"}
        assert not errors
        await context.close()


# A due list that tells the truth


async def synced(page: Page, url: str) -> None:
    """Syncs from home (sends what waits, pulls what changed) and waits for the pull."""
    before = await read_meta(page, "last_sync")
    await page.goto(f"{url}/app/")
    await page.get_by_test_id("sync-now").click()
    await page.wait_for_function(
        """async (before) => {
          const store = await import("/web/app/store.js");
          const last = await store.getMeta("last_sync");
          return last && last !== before && (await store.outboxCount()) === 0;
        }""",
        arg=before,
        timeout=15_000,
    )


async def a_school_in_two_buildings(api) -> dict[str, Any]:
    """Three extinguishers with asset numbers in two buildings (one kept by the inspector,
    one by no one, one by a maintainer), checked daily all day and every night at
    01:00-02:00 (overdue by now)."""
    zone = school_zone()
    school = await make_school(timezone=zone)
    await install_library(school.organization_id)
    admin = await make_person(school, "admin")
    manager = await make_person(school, "manager")
    inspector = await make_person(school, "inspector")
    maintainer = await make_person(school, "maintainer")
    a = await make_location(admin, school, "教学楼A")
    a1 = await make_location(admin, school, "1F", parent=a, kind="floor")
    a3 = await make_location(admin, school, "3F", parent=a, kind="floor")
    b = await make_location(admin, school, "实验楼B")
    b2 = await make_location(admin, school, "2F", parent=b, kind="floor")
    things = {
        "unkept": await make_asset(
            admin, school, name="干粉灭火器 A1-01", asset_number="MHQ-A101", location=a1
        ),
        "kept": await make_asset(
            admin, school, name="干粉灭火器 A3-01", asset_number="MHQ-A301", location=a3
        ),
        "theirs": await make_asset(
            admin, school, name="干粉灭火器 B2-01", asset_number="MHQ-B201", location=b2
        ),
    }
    for thing, keeper in ((things["kept"], inspector), (things["theirs"], maintainer)):
        kept = await api.patch(
            f"/api/assets/{thing}", json={"keeper_id": str(keeper.user_id)}, headers=admin.headers
        )
        assert kept.status_code == 200, kept.text
    await born(dt.datetime.now(dt.UTC) - dt.timedelta(days=2), assets=tuple(things.values()))
    schedules = {
        "all_day": await make_schedule(api, admin, school.site_id, {"every": "daily"}),
        "night": await make_schedule(
            api,
            admin,
            school.site_id,
            {"every": "daily", "windows": [{"start": "01:00", "end": "02:00"}]},
        ),
    }
    day = dt.datetime.now(ZoneInfo(zone)).date().isoformat()
    keys = {
        f"{name}_{which}": f"{schedule['id']}|{day}{'T01:00' if which == 'night' else ''}|{thing}"
        for name, thing in things.items()
        for which, schedule in schedules.items()
    }
    return {
        "school": school,
        "site_id": school.site_id,
        "admin": admin,
        "manager": manager,
        "inspector": inspector,
        "things": things,
        "schedules": schedules,
        "day": day,
        "keys": keys,
    }


async def phone_of(browser, url: str, person) -> tuple[Any, Page, ConsoleErrors]:
    context = await new_phone(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await page.goto(f"{url}/app/")
    await log_in(page, person.username)
    status = page.get_by_test_id("sync-status")
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    return context, page, errors


async def count(page: Page, key: str) -> int:
    chip = page.get_by_test_id(f"due-count-{key}")
    return int(await chip.get_attribute("data-count") or -1)


async def test_the_due_list_shows_failed_as_failed_and_each_excusal_with_its_reason_and_person(
    browser, clean, api
) -> None:
    """A failed check is shown failed (red), not a green "已完成"; an inspector's excusal
    shows its reason and who made it, and is counted as excused, apart from done and from
    overdue; the inspector's own work comes first, grouped by building and floor with asset
    numbers, and the filters (in the URL) narrow it."""
    school = await a_school_in_two_buildings(api)
    inspector, keys, things = school["inspector"], school["keys"], school["things"]
    failed = submission(
        asset=things["unkept"],
        answers=extinguisher_answers(gauge_zone="red"),
        completed_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
    )
    assert (await submit(api, inspector, failed)).status_code == 201
    excused = await api.post(
        "/api/occurrences/excusals",
        json={
            "id": str(uuid7()),
            "schedule_id": school["schedules"]["night"]["id"],
            "occurrence_key": f"{school['day']}T01:00",
            "asset_id": str(things["kept"]),
            "reason": "三楼封闭施工，无法进入",
        },
        headers=inspector.headers,
    )
    assert excused.status_code == 201, excused.text

    context, page, errors = await phone_of(browser, clean.url, inspector)
    await page.goto(f"{clean.url}/app/due")
    await expect(page.get_by_test_id("due-title")).to_be_visible()
    # Mine by default: the maintainer's extinguisher in building B is not listed.
    await expect(page.get_by_test_id("due-mine")).to_have_attribute("aria-pressed", "true")
    assert keys["theirs_all_day"] not in await shown(page, "due-today")

    done = page.locator(f'[data-key="{keys["unkept_all_day"]}"]')
    await expect(done).to_have_attribute("data-result", "fail")
    await expect(done.get_by_test_id("due-status")).to_have_text("不合格")
    await expect(done.get_by_test_id("due-status")).to_have_class(re.compile("due-state-failed"))
    excusal = page.locator(f'[data-key="{keys["kept_night"]}"]')
    await expect(excusal).to_have_attribute("data-status", "excused")
    await expect(excusal.get_by_test_id("due-excusal-reason")).to_have_text(
        "测试inspector登记不做：三楼封闭施工，无法进入"
    )
    await expect(excusal.get_by_test_id("due-excusal")).to_have_attribute("data-state", "accepted")
    # The failed check also did the night's, late: failed too. One excused, one to do.
    late = page.locator(f'[data-key="{keys["unkept_night"]}"]')
    await expect(late.get_by_test_id("due-status")).to_have_text("补做不合格")
    counts = [await count(page, k) for k in ("overdue", "open", "passed", "failed", "excused")]
    assert counts == [0, 1, 0, 2, 1]
    # Grouped by building and floor, each thing with its asset number.
    groups = page.get_by_test_id("due-closed").get_by_test_id("due-group")
    await expect(groups).to_have_count(2)
    assert await groups.evaluate_all("(gs) => gs.map((g) => g.dataset.place)") == [
        "教学楼A · 1F",
        "教学楼A · 3F",
    ]
    await expect(done.get_by_test_id("due-thing")).to_contain_text("干粉灭火器 A1-01")
    await expect(done.get_by_test_id("due-number")).to_have_text(" · 编号 MHQ-A101")
    await snap(page, "due-truth", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(done.get_by_test_id("due-status")).to_have_text("Failed")
    await snap(page, "due-truth-en", clean.backend)
    await page.get_by_test_id("lang").click()

    # Everyone's: building B appears, and the URL says so.
    await page.get_by_test_id("due-all").click()
    await expect(page.locator(f'[data-key="{keys["theirs_all_day"]}"]')).to_be_visible()
    assert "mine=0" in page.url
    await page.get_by_test_id("due-building").select_option(label="实验楼B")
    await expect(page.get_by_test_id("due-entry")).to_have_count(2)
    await page.get_by_test_id("due-building").select_option(value="")
    await page.get_by_test_id("due-search").fill("A301")
    await expect(page.get_by_test_id("due-entry")).to_have_count(2)
    assert set(await shown(page, "due-closed")) | set(await shown(page, "due-today")) == {
        keys["kept_night"],
        keys["kept_all_day"],
    }
    # A link to everyone's overdue work: the maintainer's night check.
    await page.goto(f"{clean.url}/app/due?mine=0&overdue=1")
    await shows(page, "due-overdue", {keys["theirs_night"]: "overdue"})
    await expect(page.get_by_test_id("due-today")).to_have_count(0)
    await expect(page.get_by_test_id("due-overdue-only")).to_be_checked()
    await snap(page, "due-overdue-only", clean.backend)
    assert not errors
    await context.close()


async def test_an_inspectors_excusal_awaits_a_managers_approval_and_stays_overdue_meanwhile(
    browser, clean, api
) -> None:
    """Where the school asks for approval, an inspector's "won't do" leaves the check
    overdue in the manager's count, marked as awaiting approval; once the manager approves
    it on the phone it is excused, counted apart from done."""
    school = await a_school_in_two_buildings(api)
    manager, inspector, keys = school["manager"], school["inspector"], school["keys"]
    policy = await api.put(
        f"/api/sites/{school['site_id']}/excusal-policy",
        json={"approval_required": True},
        headers=manager.headers,
    )
    assert policy.status_code == 200, policy.text

    context, page, errors = await phone_of(browser, clean.url, inspector)
    await page.goto(f"{clean.url}/app/due")
    item = page.locator(f'[data-key="{keys["unkept_night"]}"]')
    await expect(item).to_have_attribute("data-status", "overdue")
    await item.get_by_test_id("due-excuse").click()
    await item.get_by_test_id("due-reason").fill("灭火器送检")
    await item.get_by_test_id("due-excuse-save").click()
    # Offline and online alike, it stays overdue, waiting for a manager.
    await expect(item.get_by_test_id("due-excusal")).to_have_attribute("data-state", "pending")
    await expect(item).to_have_attribute("data-status", "overdue")
    await expect(item.get_by_test_id("due-excuse")).to_have_count(0)
    await synced(page, clean.url)
    listed = await due(api, manager, school["site_id"], scope="overdue")
    assert by_key(listed)[keys["unkept_night"]] == "overdue"

    manager_context, manager_page, manager_errors = await phone_of(browser, clean.url, manager)
    await manager_page.goto(f"{clean.url}/app/due")
    await expect(manager_page.get_by_test_id("due-all")).to_have_attribute("aria-pressed", "true")
    pending = manager_page.locator(f'[data-key="{keys["unkept_night"]}"]')
    await expect(pending).to_have_attribute("data-status", "overdue")
    await expect(pending.get_by_test_id("due-excusal-reason")).to_have_text(
        "测试inspector登记不做：灭火器送检"
    )
    await expect(pending.get_by_test_id("due-excusal-state")).to_contain_text("待主管批准")
    assert await count(manager_page, "overdue") == 3
    assert await count(manager_page, "awaiting") == 1
    assert await count(manager_page, "excused") == 0
    await snap(manager_page, "due-approval", clean.backend)
    await manager_page.get_by_test_id("lang").click()
    await expect(pending.get_by_test_id("due-approve")).to_have_text("Approve")
    await snap(manager_page, "due-approval-en", clean.backend)
    await manager_page.get_by_test_id("lang").click()

    await pending.get_by_test_id("due-approve").click()
    await expect(pending).to_have_attribute("data-status", "excused")
    assert await count(manager_page, "overdue") == 2
    assert await count(manager_page, "excused") == 1
    assert await count(manager_page, "passed") == 0
    await synced(manager_page, clean.url)
    listed = await due(api, manager, school["site_id"], scope="today")
    entry = next(i for i in listed if entry_key(i) == keys["unkept_night"])
    assert entry["status"] == "excused"
    assert entry["excusal"]["state"] == "approved"
    assert entry["excusal"]["decided_by"]["id"] == str(manager.user_id)

    # The inspector's phone hears of it at its next sync.
    await synced(page, clean.url)
    await page.goto(f"{clean.url}/app/due")
    await expect(item).to_have_attribute("data-status", "excused")
    await expect(item.get_by_test_id("due-excusal-state")).to_have_text("测试manager已批准不做")
    assert not errors and not manager_errors
    await manager_context.close()
    await context.close()
