"""Due today and overdue on the phone: the port of the recurrence rules checked against
Python's on many generated schedules in the real browser, and the due screen against
GET /api/due, offline too, with a checklist filled in and a "won't do" sent."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import msgspec
from playwright.async_api import Page

import checklists
from checklists import SchoolCalendar
from tests.web.test_client import ConsoleErrors, new_phone

ZONES = ("Europe/Berlin", "America/New_York", "Asia/Shanghai", "Australia/Lord_Howe", "UTC")
# Days clocks change (Berlin and New York both ways, Lord Howe by half an hour) with their
# zone, and plain days; a case is mostly near one of them in its zone.
AROUND = (
    (dt.date(2026, 3, 8), "America/New_York"),
    (dt.date(2026, 11, 1), "America/New_York"),
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
