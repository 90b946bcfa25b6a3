"""The demo school's patrols (`server.demo` builds the school): the nurse's five rounds a
day (每日五巡), the dormitory's night rounds every two hours by a duty roster of three
guards with one stand-in (替班), and the daily fire patrol (每日防火巡查) that the manager
countersigns. They are set up early in the morning the school started using Roundkeeper
(`HISTORY_DAYS` ago, with its schedules), and every round since is walked
(`server.demo_rounds`): most on time, a seeded few missed, late, rushed, out of order or
incomplete, the first missed one explained, most fire patrols countersigned.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

import msgspec

from server import clock
from server.accounts import users
from server.accounts.access import Caller
from server.db import table_classes
from server.demo_history import HISTORY_DAYS
from server.demo_rounds import (
    Habits,
    Push,
    clock_at,
    countersigns,
    explanation,
    pushes,
    take_in,
    walk_windows,
)
from server.patrols import patrol_routes, round_schedules
from server.patrols.rounds import site_context
from server.patrols.windows import (
    Duty,
    FixedTimes,
    FixedWindow,
    ForPeople,
    ForRoster,
    RepeatingTimes,
    RoundSchedule,
    RoundWindow,
    Substitute,
    who_is_due,
)
from server.patrols.wire import (
    CheckpointIn,
    RouteCreate,
    RouteOut,
    ScheduleChange,
    ScheduleCreate,
    ScheduleOut,
)

SEED = 61
"""The rounds' chance is seeded: loading the demo on the same day gives the same rounds."""
GUARDS = ("guard", "guard2", "guard3")
STAND_IN_DAYS_AGO = 9
"""The night a guard stands in for the one on the roster."""


@dataclass(frozen=True)
class _Stop:
    spot: str
    """The place, as `server.demo` names it (`_Builder.spots`)."""
    name: str
    name_en: str
    min_gap_seconds: int | None = None
    checklist: str | None = None


@dataclass(frozen=True)
class _Patrol:
    route: str
    route_en: str
    stops: tuple[_Stop, ...]
    schedule: str
    schedule_en: str
    times: FixedTimes | RepeatingTimes
    days: Literal["every_day", "school_days"]
    habits: Habits
    countersign: bool = False


NURSE = _Patrol(
    route="校医每日五巡",
    route_en="Nurse's five rounds a day",
    stops=(
        _Stop("clinic", "医务室", "School clinic"),
        _Stop("A1_corridor", "教学楼A 1楼走廊", "Building A floor 1 corridor", 60),
        _Stop("A1_toilets", "教学楼A 1楼卫生间", "Building A floor 1 toilets", 30),
        _Stop("A2_corridor", "教学楼A 2楼走廊", "Building A floor 2 corridor", 45),
        _Stop("B1_corridor", "教学楼B 1楼走廊", "Building B floor 1 corridor", 120),
        _Stop("B1_toilets", "教学楼B 1楼卫生间", "Building B floor 1 toilets", 30),
        _Stop("B2_corridor", "教学楼B 2楼走廊", "Building B floor 2 corridor", 45),
        _Stop("dining", "学生餐厅", "Dining hall", 150),
        _Stop("field", "田径运动场", "Sports field", 120),
        _Stop("gate", "学校大门", "Main gate", 120),
    ),
    schedule="每日五巡",
    schedule_en="Five rounds a day",
    times=FixedTimes(
        windows=tuple(
            FixedWindow(start=start, duration_minutes=40, grace_minutes=15)
            for start in ("07:30", "10:00", "12:30", "15:00", "17:30")
        )
    ),
    days="school_days",
    habits=Habits(
        opening_seconds=(60, 12 * 60),
        anomalies={"missed": 3, "late": 3, "rushed": 2, "short": 1, "unfinished": 1},
        notes=(
            "3年级2班一名学生发热37.8℃，已通知家长接回",
            "B栋1楼卫生间洗手液用完，已告知保洁",
            "操场东侧有积水，已提醒体育老师",
            "晨检缺勤2人，均已电话联系家长",
        ),
        short_note="医务室有学生就诊，未巡完操场和校门",
        excuse="校医参加区疾控中心传染病防控培训，当次由班主任代为巡查",
    ),
)
NIGHT = _Patrol(
    route="宿舍夜间巡查",
    route_en="Dormitory night patrol",
    stops=(
        _Stop("D_duty", "宿管值班室", "Housemaster's duty room"),
        _Stop("D1_corridor", "宿舍楼1楼走廊", "Dormitory floor 1 corridor", 30),
        _Stop("D2_corridor", "宿舍楼2楼走廊", "Dormitory floor 2 corridor", 60),
        _Stop("D3_corridor", "宿舍楼3楼走廊", "Dormitory floor 3 corridor", 60),
        _Stop("D3_stairs", "宿舍楼3楼楼梯间", "Dormitory floor 3 stairwell", 30),
        _Stop("D1_stairs", "宿舍楼1楼安全出口", "Dormitory ground-floor exit", 90),
    ),
    schedule="宿舍夜间巡查（每2小时）",
    schedule_en="Dormitory night rounds, every 2 hours",
    times=RepeatingTimes(every_minutes=120, start="22:00", end="06:00", grace_minutes=30),
    days="every_day",
    habits=Habits(
        opening_seconds=(3 * 60, 25 * 60),
        anomalies={"missed": 2, "late": 3, "rushed": 2, "out_of_order": 1, "short": 1},
        notes=(
            "302宿舍熄灯后仍有学生说话，已提醒",
            "2楼走廊一盏灯不亮，已报修",
            "一名学生胃痛，已联系校医并通知家长",
        ),
        short_note="1楼安全出口门禁报警，先行处理，未巡完",
        excuse="值班保安送突发急病的学生就医，宿管老师代为查寝",
    ),
)
FIRE = _Patrol(
    route="每日防火巡查",
    route_en="Daily fire patrol",
    stops=(
        _Stop(
            "duty",
            "总务处（火灾报警控制器）",
            "General affairs office (fire alarm panel)",
            checklist="fire_patrol_daily",
        ),
        _Stop("kitchen", "学生食堂后厨", "Canteen kitchen", 120),
        _Stop("A1_stairs", "教学楼A 1楼楼梯间", "Building A floor 1 stairwell", 120),
        _Stop("B1_stairs", "教学楼B 1楼楼梯间", "Building B floor 1 stairwell", 90),
        _Stop("C204", "计算机教室", "Computer room", 120),
        _Stop("C301", "科学实验室", "Science lab", 60),
        _Stop("D1_corridor", "宿舍楼1楼走廊", "Dormitory floor 1 corridor", 180),
        _Stop("bicycle_shed", "非机动车棚", "Bicycle shed", 120),
    ),
    schedule="每日防火巡查",
    schedule_en="Daily fire patrol",
    times=FixedTimes(windows=(FixedWindow(start="16:30", duration_minutes=60, grace_minutes=30),)),
    days="every_day",
    habits=Habits(
        opening_seconds=(2 * 60, 15 * 60),
        anomalies={"missed": 1, "late": 1},
        notes=("计算机教室插线板串接使用，已当场纠正", "非机动车棚有电动车充电，已劝离"),
        excuse="安全员外出参加区教育局消防安全培训",
    ),
    countersign=True,
)


@dataclass(frozen=True)
class PatrolsWalked:
    schedules: int
    rounds: int


async def walk_patrols(
    site_id: uuid.UUID, people: dict[str, uuid.UUID], spots: dict[str, uuid.UUID]
) -> PatrolsWalked:
    """The routes, the schedules and the rounds walked on them. Runs inside the demo's
    transaction, after the school calendar is set."""
    now = clock.utcnow().replace(microsecond=0)
    context = await site_context(site_id)
    zone = ZoneInfo(context.tz)
    today = now.astimezone(zone).date()
    since = today - dt.timedelta(days=HISTORY_DAYS)
    # Made at 07:00, after the night's last round and its grace, before the nurse's first.
    set_up = dt.datetime.combine(since, dt.time(7, 0), zone).astimezone(dt.UTC)
    rng = random.Random(SEED)
    tables: dict[str, Any] = {table._meta.tablename: table for table in table_classes()}
    manager = await _caller(people["manager"])
    roster = _roster(people, since, today)
    stand_in = _stand_in(roster, people, since, today - dt.timedelta(days=STAND_IN_DAYS_AGO))
    callers = {}
    with clock_at(set_up):
        for name in ("nurse", "inspector", *GUARDS):
            callers[name] = await _phone(tables, await _caller(people[name]), set_up)
        codes = await _tag_codes(tables, spots)
        schedules = {
            patrol.route: await _set_up(manager, site_id, patrol, who, codes)
            for patrol, who in (
                (NURSE, ForPeople(people=(str(people["nurse"]),))),
                (NIGHT, roster),
                (FIRE, ForPeople(people=(str(people["inspector"]),))),
            )
        }
    names = {str(user_id): name for name, user_id in people.items()}

    def patroller(patrol: _Patrol) -> Callable[[RoundWindow], str]:
        if patrol is NIGHT:
            night = RoundSchedule(key="night", route="night", times=NIGHT.times, who=stand_in)
            return lambda w: names[who_is_due(night, w.local_date).people[0]]
        return lambda w: "nurse" if patrol is NURSE else "inspector"

    found: list[Push] = []
    rounds = 0
    explained = False
    for patrol in (NURSE, NIGHT, FIRE):
        route, schedule = schedules[patrol.route]
        windows = round_schedules.windows_of(schedule, context.calendar, since, today, context.tz)
        windows = [w for w in windows if w.grace_end > set_up]  # owed once it is made
        walks, missed = walk_windows(
            patrol.habits, route, windows, patroller(patrol), now, today, rng
        )
        rounds += len(walks)
        found += pushes(walks, route, schedule, callers, now, rng)
        if patrol.countersign:
            found += countersigns(schedule, walks, manager, today, zone, rng)
        # The first missed round is explained in the morning after (so not yesterday's).
        old_enough = [key for key in missed if key[:10] < str(today - dt.timedelta(days=1))]
        if old_enough and not explained:
            reason = patrol.habits.excuse
            found.append(explanation(schedule, old_enough[0], reason, manager, zone, rng))
            explained = True
    # The day before the stand-in's night, the manager puts the swap on the roster.
    (day,) = {swap.day for swap in stand_in.substitutes}
    agreed = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(10, 5), zone)
    await take_in([push for push in found if push.at < agreed])
    with clock_at(agreed.astimezone(dt.UTC)):
        await _change_roster(manager, schedules[NIGHT.route][1], stand_in)
    await take_in([push for push in found if push.at >= agreed])
    return PatrolsWalked(schedules=len(schedules), rounds=rounds)


async def _caller(user_id: uuid.UUID) -> Caller:
    caller = await users.load_caller(user_id)
    assert caller is not None, "the demo's people are active"
    return caller


async def _phone(tables: dict[str, Any], caller: Caller, since: dt.datetime) -> Caller:
    """The patroller's phone: its facts carry its device id, as a synced fact does."""
    device = tables["device"]
    device_id = clock.new_id()
    await device.insert(
        device(id=device_id, user=caller.user_id, name="巡查手机", created_at=since)
    )
    return msgspec.structs.replace(caller, device_id=device_id)


async def _tag_codes(tables: dict[str, Any], spots: dict[str, uuid.UUID]) -> dict[str, str]:
    tag = tables["tag"]
    rows = await tag.select(tag.code, tag.location).where(
        tag.location.is_in(list(spots.values())) & (tag.status == "active")
    )
    by_place = {row["location"]: row["code"] for row in rows}
    return {spot: by_place[place] for spot, place in spots.items() if place in by_place}


async def _set_up(
    manager: Caller,
    site_id: uuid.UUID,
    patrol: _Patrol,
    who: ForPeople | ForRoster,
    codes: dict[str, str],
) -> tuple[RouteOut, ScheduleOut]:
    """The route and its schedule, as the manager makes them in the console."""
    route = RouteCreate(
        name=patrol.route,
        name_en=patrol.route_en,
        checkpoints=[
            CheckpointIn(
                tag=codes[stop.spot],
                name=stop.name,
                name_en=stop.name_en,
                checklist=stop.checklist,
                min_gap_seconds=stop.min_gap_seconds,
            )
            for stop in patrol.stops
        ],
    )
    made = await patrol_routes.create_route(manager, site_id, route)
    schedule = ScheduleCreate(
        name=patrol.schedule,
        name_en=patrol.schedule_en,
        route_id=made.id,
        times=patrol.times,
        who=who,
        days=patrol.days,
        countersign=patrol.countersign,
    )
    return made, await round_schedules.create_schedule(manager, site_id, schedule)


def _turn(since: dt.date, day: dt.date) -> int:
    return (day - since).days % len(GUARDS)


def _roster(people: dict[str, uuid.UUID], since: dt.date, today: dt.date) -> ForRoster:
    """The three guards take the nights in turn, to the end of this month."""
    last = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    days = [since + dt.timedelta(days=n) for n in range((last - since).days + 1)]
    return ForRoster(
        duties=tuple(Duty(day=day, person=str(people[GUARDS[_turn(since, day)]])) for day in days)
    )


def _stand_in(
    roster: ForRoster, people: dict[str, uuid.UUID], since: dt.date, day: dt.date
) -> ForRoster:
    """The roster with one night's swap: the guard of the next night stands in."""
    person = str(people[GUARDS[(_turn(since, day) + 1) % len(GUARDS)]])
    (replaced,) = [duty.person for duty in roster.duties if duty.day == day]
    swap = Substitute(day=day, person=person, replaces=replaced)
    return msgspec.structs.replace(roster, substitutes=(swap,))


async def _change_roster(manager: Caller, night: ScheduleOut, roster: ForRoster) -> None:
    await round_schedules.change_schedule(
        manager,
        night.id,
        ScheduleChange(
            name=night.name,
            name_en=night.name_en,
            route_id=night.route_id,
            times=night.times,
            who=roster,
            days=night.days,
            countersign=night.countersign,
            base_version=night.version,
        ),
    )
