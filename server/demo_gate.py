"""The demo school's gate: a week of visitors as the gatekeeper registered them, each fact
brought in through the visit facts' handlers at the time it would have arrived (as
server/demo_rounds.py does for rounds), so the register, the change log and what gate
devices pull are what sync would have made.

The week is ordinary with a few things a manager should see: visitors who stayed past
their expected time, one who was never approved (the host never answered and the visitor
left), one refused, one never checked out, and people who came back (a repeat visitor's
form fills itself at the gate). Today some are inside, one waits for their host. No real
person's document: the numbers are made up with a right check digit.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from server import clock
from server.accounts.access import Caller
from server.demo_rounds import Push, fact_id, take_in
from server.gate import cards, pass_facts, settings, visit_facts, watchlist
from server.gate import pass_wire as passes_wire
from server.gate.documents import check_character
from server.gate.wire import VisitApprove, VisitCheckIn, VisitCheckOut, VisitRefuse

DAYS = 7


@dataclass(frozen=True)
class Visitor:
    name: str
    organisation: str
    purpose: str
    id_number: str
    phone: str
    plate: str | None = None


def _resident_id(region: str, born: str, sequence: int) -> str:
    body = f"{region}{born}{sequence:03d}"
    return body + check_character(body)


VISITORS = tuple(
    Visitor(name, organisation, purpose, _resident_id(*document), phone, plate)
    for name, organisation, purpose, document, phone, plate in (
        ("王建华", "区教育局", "检查食堂", ("110105", "19750312", 21), "13812340001", None),
        ("陈丽", "市场监管所", "食品安全抽查", ("110108", "19820605", 48), "13912340002", None),
        ("赵刚", "消防救援站", "消防设施检查", ("110101", "19880921", 13), "13712340003", None),
        ("孙萍", "绿源蔬菜配送", "送菜", ("130102", "19900114", 64), "15012340004", "京B3K721"),
        ("周强", "安达电梯维保", "电梯维保", ("110106", "19791130", 35), "15112340005", None),
        ("吴敏", "家长", "给孩子送药", ("110105", "19860702", 82), "18612340006", None),
        ("郑伟", "晨光文具", "送教学用品", ("120103", "19930428", 17), "18812340007", "津A5D209"),
        ("冯晓", "区卫生监督所", "饮用水抽检", ("110102", "19840817", 56), "13612340008", None),
    )
)
WATCHED = ("110105", "19700101", 99)
"""The watchlist's one entry: a person a court order keeps away from a pupil."""

HOSTS = ("manager", "inspector", "nurse", "maintainer", "admin")
PURPOSE_HOST = {"食品安全抽查": "manager", "给孩子送药": "nurse", "电梯维保": "maintainer"}


@dataclass(frozen=True)
class GateWeek:
    visits: int
    inside: int
    passes: int
    cards: int


def _visit(
    gate: Caller,
    site_id: uuid.UUID,
    who: Visitor,
    host: uuid.UUID,
    at: dt.datetime,
    stay: int,
    rng: random.Random,
) -> tuple[uuid.UUID, Push]:
    visit_id = fact_id(at, rng)
    body = VisitCheckIn(
        id=fact_id(at, rng),
        visit_id=visit_id,
        site_id=site_id,
        name=who.name,
        id_type="resident_id",
        id_number=who.id_number,
        phone=who.phone,
        organisation=who.organisation,
        host_id=host,
        purpose=who.purpose,
        party_size=rng.choice((1, 1, 1, 2)),
        plate=who.plate,
        badge=f"V{rng.randint(1, 30):02d}",
        expected_stay_minutes=stay,
        checked_in_at=at,
    )
    return visit_id, Push(at, gate, [(visit_facts.CHECKED_IN, body)])


def _approved(
    gate: Caller, site_id: uuid.UUID, visit_id: uuid.UUID, host: uuid.UUID, at: dt.datetime, rng
) -> Push:
    body = VisitApprove(
        id=fact_id(at, rng),
        visit_id=visit_id,
        site_id=site_id,
        channel="phone",
        by_id=host,
        approved_at=at,
    )
    return Push(at, gate, [(visit_facts.APPROVED, body)])


def _out(gate: Caller, site_id: uuid.UUID, visit_id: uuid.UUID, at: dt.datetime, rng) -> Push:
    body = VisitCheckOut(
        id=fact_id(at, rng),
        visit_id=visit_id,
        site_id=site_id,
        checked_out_at=at,
        method=rng.choice(("slip", "list")),
    )
    return Push(at, gate, [(visit_facts.CHECKED_OUT, body)])


async def register_week(
    site_id: uuid.UUID, keepers: dict[str, uuid.UUID], callers: dict[str, Caller], zone: str
) -> GateWeek:
    """The week's visits up to now at the demo school's gate, the gate's settings (delivery
    vans may come in), a watchlist entry, today's early-leave passes and two pick-up
    cards."""
    rng = random.Random(17)
    manager = callers["manager"]
    await settings.set_settings(
        manager, site_id, settings.GateSettingsIn(vehicles_allowed=True, version=0)
    )
    tz = ZoneInfo(zone)
    gate = callers["gatekeeper"]
    now = clock.utcnow()
    today = now.astimezone(tz).date()
    pushes: list[Push] = []
    count = inside = 0
    for back in range(DAYS, -1, -1):
        day = today - dt.timedelta(days=back)
        if day.weekday() >= 5:
            continue
        for n in range(rng.randint(4, 7)):
            who = rng.choice(VISITORS)
            host_name = PURPOSE_HOST.get(who.purpose, rng.choice(HOSTS))
            host = keepers[host_name]
            at = dt.datetime.combine(day, dt.time(8 + n, rng.randint(0, 50)), tz).astimezone(dt.UTC)
            if at > now - dt.timedelta(minutes=20):
                break
            stay = rng.choice((30, 45, 60, 90))
            visit_id, checked_in = _visit(gate, site_id, who, host, at, stay, rng)
            pushes.append(checked_in)
            count += 1
            answer = at + dt.timedelta(minutes=rng.randint(1, 4))
            special = count if back else -1
            if special == 3:
                # The host never answered; the visitor gave up and left.
                pushes.append(_out(gate, site_id, visit_id, at + dt.timedelta(minutes=25), rng))
                continue
            if special == 8:
                body = VisitRefuse(
                    id=fact_id(answer, rng),
                    visit_id=visit_id,
                    site_id=site_id,
                    channel="phone",
                    by_id=host,
                    refused_at=answer,
                    reason="今天不在学校，请改天再来",
                )
                pushes.append(Push(answer, gate, [(visit_facts.REFUSED, body)]))
                continue
            pushes.append(_approved(gate, site_id, visit_id, host, answer, rng))
            if special == 12:
                continue  # never checked out
            overstay = special in (5, 15, 20)
            minutes = stay + (rng.randint(40, 90) if overstay else -rng.randint(0, stay // 2))
            leaves = answer + dt.timedelta(minutes=minutes)
            if back == 0 and leaves > now:
                inside += 1
                continue
            pushes.append(_out(gate, site_id, visit_id, leaves, rng))
    # Today: one waiting for the host's answer right now.
    waiting = now - dt.timedelta(minutes=3)
    who = VISITORS[1]
    _, checked_in = _visit(gate, site_id, who, keepers["manager"], waiting, 60, rng)
    pushes.append(checked_in)
    await take_in(pushes)
    await watchlist.add_entry(
        manager,
        site_id,
        watchlist.WatchEntryIn(
            id=fact_id(now, rng),
            id_type="resident_id",
            id_number=_resident_id(*WATCHED),
            name="马某",
            reason="法院禁止令：不得接近本校学生（2026 年 9 月起）",
        ),
    )
    passes = await _passes(callers["inspector"], manager, site_id, now, rng)
    carded = await _cards(manager, site_id, now, rng)
    return GateWeek(visits=count + 1, inside=inside, passes=passes, cards=carded)


async def _passes(
    teacher: Caller, manager: Caller, site_id: uuid.UUID, now: dt.datetime, rng: random.Random
) -> int:
    """Today's passes: one confirmed and gone, one confirmed and waiting at the gate, one
    waiting for the parent."""
    made = []
    for pupil, class_name, reason, collector in (
        ("王小明", "三年级二班", "发烧，家长接回就医", "王芳"),
        ("李思琪", "五年级一班", "下午参加区钢琴比赛", "李军"),
        ("张浩然", "一年级三班", "牙科复诊", "张丽"),
    ):
        created = now - dt.timedelta(minutes=rng.randint(30, 90))
        leave = passes_wire.PassIn(
            id=fact_id(created, rng),
            pass_id=fact_id(created, rng),
            pupil=pupil,
            class_name=class_name,
            reason=reason,
            leave_from=now - dt.timedelta(minutes=20),
            leave_until=now + dt.timedelta(hours=2),
            collector=collector,
            collector_phone=f"1391234{rng.randint(1000, 9999)}",
            created_at=created,
        )
        await pass_facts.create_pass(teacher, site_id, leave)
        made.append(leave)
    for leave in made[:2]:
        confirmed = leave.created_at + dt.timedelta(minutes=5)
        await pass_facts.confirm_pass(
            teacher,
            leave.pass_id,
            passes_wire.ConfirmationIn(
                id=fact_id(confirmed, rng),
                parent_name=leave.collector or "",
                parent_phone=leave.collector_phone or "",
                confirmed_at=confirmed,
            ),
        )
    gone = now - dt.timedelta(minutes=10)
    await pass_facts.exit_pass(
        manager,
        made[0].pass_id,
        passes_wire.ExitIn(
            id=fact_id(gone, rng), exited_at=gone, collected_by=made[0].collector, method="scan"
        ),
    )
    return len(made)


async def _cards(manager: Caller, site_id: uuid.UUID, now: dt.datetime, rng: random.Random) -> int:
    """Two kindergarten-age children's cards for the school year; one has a grandfather
    collecting this week only."""
    year_end = now + dt.timedelta(days=200)
    for child, class_name, collectors in (
        (
            "刘小雨",
            "一年级一班",
            [
                passes_wire.CollectorIn(
                    key="JS-0101", name="刘芳", relation="母亲", phone="13900001111"
                ),
                passes_wire.CollectorIn(
                    key="JS-0102",
                    name="刘建国",
                    relation="祖父",
                    phone="13900002222",
                    valid_from=now - dt.timedelta(days=2),
                    valid_until=now + dt.timedelta(days=5),
                ),
            ],
        ),
        (
            "陈一诺",
            "一年级二班",
            [
                passes_wire.CollectorIn(
                    key="JS-0201", name="陈静", relation="母亲", phone="13900003333"
                )
            ],
        ),
    ):
        await cards.create_card(
            manager,
            site_id,
            passes_wire.PickupCardIn(
                id=fact_id(now, rng),
                child=child,
                class_name=class_name,
                valid_from=now - dt.timedelta(days=90),
                valid_until=year_end,
                collectors=collectors,
            ),
        )
    return 2
