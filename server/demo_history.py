"""The demo school's routine (`server.demo` builds the school): the school calendar of the
current school year, the schedules a real school keeps with the library's templates, and
the last five weeks of inspections done against them, most on time, some late, a few
failed (their findings raise corrective actions) and a few left undone, so a newcomer's
due list and the manager's figures show real work.

Everything is dated from today, so the demo stays current whenever it is loaded. The
school started using Roundkeeper `HISTORY_DAYS` ago: its things are dated back to that day
and its schedules are in force from it. A schedule version may not start in the past
through the API; the demo writes the rows as they would have been written that day, the
way a migration would, and records each schedule for devices once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

import checklists
from checklists import DailyRule, Holiday, MonthlyRule, Rule, SchoolCalendar, Term, WeeklyRule
from checklists.answers import shown_items
from checklists.templates import (
    CheckItem,
    ChoiceItem,
    DateItem,
    NumberItem,
    PhotoItem,
    SignatureItem,
    Template,
    TextItem,
)
from server import clock
from server.accounts.access import Caller
from server.clock import new_id
from server.db import table_classes
from server.inspections import inspections
from server.inspections.wire import InspectionSubmit
from server.registry import assets
from server.schedules import due, schedules
from server.schedules.calendars import set_calendar
from server.schedules.wire import CategoryTargets, DueEntry, NamedTargets, TargetSpec
from server.templates import templates

TIMEZONE = "Asia/Shanghai"
HISTORY_DAYS = 35
"""The school has kept its schedules for five weeks."""
_BATCH = 100

# (template, target index among the schedule's targets): the latest closed occurrence is
# left undone, so the manager sees a few overdue.
_LEFT_UNDONE = {
    ("water_dispenser_weekly", 0),
    ("water_dispenser_weekly", 1),
    ("kitchen_gas_weekly", 0),
    ("classroom_electrical_monthly", 3),
}
# (template, target index): the latest check found a fault.
_FAULTS = {
    ("playground_equipment_weekly", 0): ("bolts_tight", "螺栓松动，已停用待修"),
    ("electrical_panel_weekly", 2): ("no_overheating", "断路器发热，已报维修"),
}


def school_calendar(today: dt.date) -> SchoolCalendar:
    """The school year `today` is in (from August): an autumn term to late January, the
    winter holiday, a spring term to early July and the summer holiday, with 国庆节, 元旦,
    清明节 and 劳动节 and the weekend days worked to make up for the long ones (调休:
    the last weekend day before, the first after). Lunar holidays are left out, their
    dates move every year."""
    year = today.year if today.month >= 8 else today.year - 1
    spring = year + 1
    autumn_start = _weekday_on_or_after(dt.date(year, 9, 1))
    autumn_end = dt.date(spring, 1, 22)
    spring_start = _weekday_on_or_after(dt.date(spring, 2, 23))
    spring_end = dt.date(spring, 7, 3)
    national = (dt.date(year, 10, 1), dt.date(year, 10, 7))
    labour = (dt.date(spring, 5, 1), dt.date(spring, 5, 5))
    return SchoolCalendar(
        terms=(
            Term(
                key=f"{year}-autumn",
                name=f"{year}—{spring}学年第一学期",
                first_day=autumn_start,
                last_day=autumn_end,
            ),
            Term(
                key=f"{spring}-spring",
                name=f"{year}—{spring}学年第二学期",
                first_day=spring_start,
                last_day=spring_end,
            ),
        ),
        holidays=(
            Holiday(name="国庆节", first_day=national[0], last_day=national[1]),
            Holiday(name="元旦", first_day=dt.date(spring, 1, 1), last_day=dt.date(spring, 1, 1)),
            Holiday(
                name="寒假",
                first_day=autumn_end + dt.timedelta(days=1),
                last_day=spring_start - dt.timedelta(days=1),
            ),
            Holiday(name="清明节", first_day=dt.date(spring, 4, 4), last_day=dt.date(spring, 4, 6)),
            Holiday(name="劳动节", first_day=labour[0], last_day=labour[1]),
            Holiday(
                name="暑假",
                first_day=spring_end + dt.timedelta(days=1),
                last_day=dt.date(spring, 8, 31),
            ),
        ),
        extra_school_days=tuple(
            day for first, last in (national, labour) for day in _make_up_days(first, last)
        ),
    )


def _weekday_on_or_after(day: dt.date) -> dt.date:
    while day.isoweekday() > 5:
        day += dt.timedelta(days=1)
    return day


def _make_up_days(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    before, after = first - dt.timedelta(days=1), last + dt.timedelta(days=1)
    while before.isoweekday() <= 5:
        before -= dt.timedelta(days=1)
    while after.isoweekday() <= 5:
        after += dt.timedelta(days=1)
    return before, after


@dataclass(frozen=True)
class Planned:
    template_key: str
    targets: TargetSpec
    rule: Rule


def planned_schedules(today: dt.date, places: list[tuple[uuid.UUID, str, str]]) -> list[Planned]:
    """What the school keeps, on the demo's things (`places`: id, kind, code). Monthly work
    is on a day of the month counted back from today, so the last round is in the past."""

    def monthly(days_ago: int) -> MonthlyRule:
        return MonthlyRule(day=(today - dt.timedelta(days=days_ago)).day)

    def category(name: str) -> CategoryTargets:
        return CategoryTargets(category=name)  # type: ignore[arg-type]

    def named(ids: list[uuid.UUID]) -> NamedTargets:
        return NamedTargets(location_ids=ids)

    classrooms = [i for i, kind, code in places if kind == "room" and code[:1] in ("A", "B")]
    buildings = [i for i, kind, _ in places if kind == "building"]
    kitchens = [i for i, kind, _ in places if kind == "kitchen"]
    main_gate = [i for i, kind, code in places if kind == "gate" and code == "G1"]
    return [
        Planned("fire_extinguisher_monthly", category("fire_extinguisher"), monthly(20)),
        Planned("fire_hydrant_box_monthly", category("fire_hydrant_box"), monthly(9)),
        Planned("fire_alarm_panel_monthly", category("fire_alarm_panel"), monthly(3)),
        Planned("emergency_lighting_monthly", category("emergency_light"), monthly(14)),
        Planned("building_structure_monthly", named(buildings), monthly(25)),
        Planned("classroom_electrical_monthly", named(classrooms), monthly(12)),
        Planned("electrical_panel_weekly", category("electrical_panel"), WeeklyRule(weekdays=(3,))),
        Planned("water_dispenser_weekly", category("water_dispenser"), WeeklyRule(weekdays=(5,))),
        Planned(
            "playground_equipment_weekly",
            category("playground_equipment"),
            WeeklyRule(weekdays=(1,)),
        ),
        Planned("sports_equipment_weekly", category("sports_equipment"), WeeklyRule(weekdays=(1,))),
        Planned("kitchen_gas_weekly", category("kitchen_gas"), WeeklyRule(weekdays=(2,))),
        Planned("kitchen_hygiene_daily", named(kitchens), DailyRule(school_days_only=True)),
        Planned("gate_post_daily", named(main_gate), DailyRule()),
    ]


async def keep_routine(
    manager: Caller,
    inspector: Caller,
    site_id: uuid.UUID,
    places: list[tuple[uuid.UUID, str, str]],
) -> tuple[int, int]:
    """The calendar, the schedules and five weeks of inspections; (schedules, inspections).
    Runs inside the demo's transaction, right after the school is built."""
    now = clock.utcnow().replace(microsecond=0)
    zone = ZoneInfo(TIMEZONE)
    today = now.astimezone(zone).date()
    first_day = today - dt.timedelta(days=HISTORY_DAYS)
    began = dt.datetime.combine(first_day, dt.time(8, 0), zone).astimezone(dt.UTC)
    await set_calendar(manager, site_id, school_calendar(today))
    tables: dict[str, Any] = {table._meta.tablename: table for table in table_classes()}
    for name in ("asset", "location"):
        table = tables[name]
        await table.update({table.created_at: began, table.updated_at: began}).where(
            table.site == site_id
        )
    planned = [p for p in planned_schedules(today, places) if _has_targets(p.targets)]
    for plan in planned:
        await _schedule_since(tables, manager, site_id, plan, first_day, began)
    entries = (await due.list_due(manager, site_id, first_day=first_day, last_day=today)).items
    done = await _inspect(
        inspector, site_id, [e for e in entries if e.occurrence.due_end <= now], now
    )
    return len(planned), done


def _has_targets(spec: TargetSpec) -> bool:
    return not isinstance(spec, NamedTargets) or bool(spec.location_ids or spec.asset_ids)


async def _schedule_since(
    tables: dict[str, Any],
    manager: Caller,
    site_id: uuid.UUID,
    plan: Planned,
    first_day: dt.date,
    began: dt.datetime,
) -> None:
    """A schedule as it was made on `first_day` (schedules.create_schedule, dated back)."""
    schedule, version = tables["schedule"], tables["schedule_version"]
    schedule_id = new_id()
    await schedule.insert(
        schedule(
            id=schedule_id,
            site=site_id,
            template_key=plan.template_key,
            targets=msgspec.json.encode(plan.targets).decode(),
            version=1,
            created_at=began,
            created_by=manager.user_id,
            updated_at=began,
        )
    )
    await version.insert(
        version(
            id=new_id(),
            schedule=schedule_id,
            effective_from=first_day,
            rule=msgspec.json.encode(plan.rule).decode(),
            skip_holidays=False,
            added_at=began,
            added_by=manager.user_id,
        )
    )
    schedules.record_schedule((await schedules.site_schedules(site_id, [schedule_id]))[0])


async def _inspect(
    inspector: Caller, site_id: uuid.UUID, closed: list[DueEntry], now: dt.datetime
) -> int:
    """Inspections for the occurrences whose time has passed: on time, some late, the
    latest of a few left undone."""
    expiry = {
        a.id: str(a.attributes["expiry_date"])
        for a in (
            await assets.list_assets(
                inspector, site_id=site_id, category="fire_extinguisher", limit=500
            )
        ).items
    }
    order: dict[str, list[uuid.UUID]] = {}
    latest: dict[tuple[str, uuid.UUID], str] = {}
    for entry in sorted(closed, key=lambda e: e.occurrence.due_start):
        target = _target(entry)
        seen = order.setdefault(entry.template_key, [])
        if target not in seen:
            seen.append(target)
        latest[entry.template_key, target] = entry.occurrence.key
    submissions = []
    # The organization numbers the versions it publishes: the library's current one is its
    # latest, whatever number the library file gives it.
    published: dict[str, int] = {}
    for n, entry in enumerate(closed):
        target = _target(entry)
        index = order[entry.template_key].index(target)
        is_latest = latest[entry.template_key, target] == entry.occurrence.key
        if is_latest and (entry.template_key, index) in _LEFT_UNDONE:
            continue
        template = checklists.library_template(entry.template_key)
        if template.key not in published:
            versions = await templates.published_versions(inspector.organization_id, template.key)
            published[template.key] = versions[-1]
        completed = _completed_at(entry, index, now)
        if entry.template_key == "fire_extinguisher_monthly":
            answers = _extinguisher_answers(index, expiry[target], target)
        else:
            fault = _FAULTS.get((entry.template_key, index)) if is_latest else None
            answers = _answers(template, target, completed.date(), fault)
        submissions.append(
            InspectionSubmit(
                id=new_id(),
                template_key=template.key,
                template_version=published[template.key],
                asset_id=entry.target.asset_id,
                location_id=entry.target.location_id if entry.target.asset_id is None else None,
                answers=answers,
                started_at=completed - dt.timedelta(minutes=4 + n % 5),
                completed_at=completed,
            )
        )
    for at in range(0, len(submissions), _BATCH):
        batch = await inspections.SUBMITTED.prepare(
            inspector, submissions[at : at + _BATCH], now=now
        )
        refused = [r for r in batch.plans if isinstance(r, Exception)]
        assert not refused, refused
        await batch.write()
    return len(submissions)


def _target(entry: DueEntry) -> uuid.UUID:
    found = entry.target.asset_id or entry.target.location_id
    assert found is not None
    return found


def _completed_at(entry: DueEntry, index: int, now: dt.datetime) -> dt.datetime:
    """In the morning of the day it is due, a round a few minutes per target; one in eight
    the next morning instead (done late), where a later occurrence does not close it."""
    occurrence = entry.occurrence
    on_time = occurrence.due_start + dt.timedelta(hours=9, minutes=(7 * index) % 300)
    on_time = min(on_time, occurrence.due_end - dt.timedelta(minutes=1))
    digest = hashlib.sha256(f"{occurrence.key} {_target(entry)}".encode()).digest()
    if digest[0] % 8 == 0:
        late = occurrence.due_end + dt.timedelta(hours=8, minutes=(7 * index) % 120)
        if late < now and (occurrence.late_until is None or late < occurrence.late_until):
            return late
    return on_time


def _extinguisher_answers(n: int, expiry_date: str, target: uuid.UUID) -> dict[str, Any]:
    """The extinguisher round: two gauges in the red, a cracked hose, and every extinguisher
    past its service life (its expiry date is on its label) failing that item."""
    return {
        "gauge_zone": "red" if n in (5, 23) else "green",
        "seal_and_pin": "pass",
        "hose": "fail" if n == 11 else "pass",
        "body": "pass",
        "service_life_end": expiry_date,
        "cabinet_opens": "na",
        "signage_and_access": "pass",
        "photo": [hashlib.sha256(f"demo photo {target}".encode()).hexdigest()],
        "notes": "压力不足，已报修" if n in (5, 23) else "",
    }


def _answers(
    template: Template, target: uuid.UUID, day: dt.date, fault: tuple[str, str] | None
) -> dict[str, Any]:
    """Every required item answered as a careful inspector would on a good day; `fault`:
    (the check that failed, the note)."""
    answers: dict[str, Any] = {}
    for item in template.items:
        if isinstance(item, CheckItem):
            answers[item.key] = "fail" if fault and fault[0] == item.key else "pass"
        elif not item.required or (item.required_when and isinstance(item, TextItem)):
            if isinstance(item, TextItem) and fault:
                answers[item.key] = fault[1][: item.max_length]
        elif isinstance(item, ChoiceItem):
            good = [o.value for o in item.options if o.value not in item.fail_options]
            answers[item.key] = [good[0]] if item.multiple else good[0]
        elif isinstance(item, NumberItem):
            answers[item.key] = _reading(item)
        elif isinstance(item, TextItem):
            answers[item.key] = "正常"[: item.max_length]
        elif isinstance(item, DateItem):
            answers[item.key] = (day + dt.timedelta(days=365 * 3)).isoformat()
        elif isinstance(item, PhotoItem):
            answers[item.key] = [
                hashlib.sha256(f"demo photo {target} {day} {i}".encode()).hexdigest()
                for i in range(item.min_count)
            ]
        elif isinstance(item, SignatureItem):
            answers[item.key] = hashlib.sha256(
                f"demo signature {target} {day}".encode()
            ).hexdigest()
    shown = shown_items(template, answers)
    return {key: value for key, value in answers.items() if key in shown}


def _reading(item: NumberItem) -> int | float:
    if item.min is not None and item.max is not None:
        return round((item.min + item.max) / 2)
    if item.max is not None:
        return round(item.max) - 2
    if item.min is not None:
        return round(item.min) + 5
    return 0
