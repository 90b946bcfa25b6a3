"""What supervisors read: the day's rounds per window, a round's timeline, the month's
completion grid, a person's rounds and the checkpoints' exceptions. Every view judges the
rounds as of now from their facts, and lists a scheduled window nobody walked as upcoming
or missed."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from server import clock
from server.accounts.access import EVERYONE, Caller
from server.accounts.users import display_names, members_of
from server.db import json_bytes
from server.errors import DomainError, not_found
from server.patrols.judging import OUTSIDE_WINDOW
from server.patrols.patrol_routes import route_names, route_versions, routes_out
from server.patrols.round_schedules import books_of
from server.patrols.rounds import (
    Judged,
    SiteContext,
    judge_rounds,
    rounds_by_id,
    site_context,
    summaries,
    unwalked_summary,
)
from server.patrols.routes import Position
from server.patrols.tables import PatrolFact, PatrolRound, PatrolRoute
from server.patrols.windows import ForPeople, ForRoster, round_id_for
from server.patrols.wire import (
    CheckpointReport,
    CheckpointStats,
    DayCounts,
    MatrixCell,
    MatrixDay,
    MatrixSchedule,
    MissingCheckpoint,
    PatrolDay,
    Patroller,
    PatrolMonth,
    PersonRounds,
    RoundDetail,
    RoundSummary,
    RouteOut,
    ScanOut,
    ScheduleOut,
    Signature,
)
from server.schedules.calendars import local_today
from server.wire import PersonRef

MAX_DAYS = 62
"""The longest period a person's history or the checkpoint report covers at once."""


async def rounds_between(
    site_id: uuid.UUID,
    first: dt.date,
    last: dt.date,
    *,
    context: SiteContext | None = None,
    now: dt.datetime | None = None,
) -> list[RoundSummary]:
    """Every round dated `first` to `last` (site-local dates): each scheduled window, walked
    or not, in order of its start, then the voluntary rounds and rounds of windows the
    schedule no longer makes, in order of their start."""
    now = now or clock.utcnow()
    context = context or await site_context(site_id)
    books = await books_of(site_id)
    rows = await PatrolRound.select().where(
        (PatrolRound.site == site_id)
        & (PatrolRound.local_date >= first)
        & (PatrolRound.local_date <= last)
    )
    judged = await judge_rounds(rows, now, {site_id: context}, books)
    windows = [
        found
        for book in books.values()
        for found in book.windows(context.calendar, first, last, context.tz)
    ]
    windows.sort(key=lambda sw: (sw[1].start, sw[0].name))
    walked = await summaries(judged.values())
    by_round = {s.id: s for s in walked}
    route_ids = {rule.route_id for book in books.values() for _, rule in book.rules if rule}
    routes = await route_names(route_ids)
    newest = await route_versions({(route_id, None) for route_id in route_ids})
    people = {uuid.UUID(p) for schedule, _ in windows for p in _named(schedule)}
    names = await display_names(sorted(people))
    out: list[RoundSummary] = []
    used: set[uuid.UUID] = set()
    for schedule, window in windows:
        round_id = round_id_for(str(schedule.id), window.key)
        found = by_round.get(round_id)
        if found is not None:
            out.append(found)
            used.add(round_id)
        else:
            route = newest.get((schedule.route_id, None))
            out.append(unwalked_summary(site_id, schedule, window, route, routes, names, now))
    rest = [s for s in walked if s.id not in used]
    rest.sort(key=lambda s: (s.started_at or s.window_start or now, str(s.id)))
    return out + rest


async def patrollers(caller: Caller, site_id: uuid.UUID) -> list[Patroller]:
    """Who may walk a round at the site (everyone but auditors), names and roles only: for
    choosing whose history to read, by any member, auditors included."""
    caller.require(site_id, EVERYONE)
    return [
        Patroller(id=m.user_id, name=m.display_name, role=m.role)
        for m in await members_of(site_id)
        if m.role != "auditor"
    ]


def _named(schedule: ScheduleOut) -> list[str]:
    who = schedule.who
    if isinstance(who, ForPeople):
        return list(who.people)
    if isinstance(who, ForRoster):
        return [d.person for d in who.duties] + [s.person for s in who.substitutes]
    return []


def counts_of(rounds: Iterable[RoundSummary]) -> DayCounts:
    scheduled = [r for r in rounds if r.counts_for_compliance or r.state == "cancelled"]
    scheduled = [r for r in scheduled if not r.voluntary]
    tally: dict[str, int] = defaultdict(int)
    for r in scheduled:
        tally[r.state] += 1
    return DayCounts(
        scheduled=len(scheduled),
        completed=tally["completed"],
        incomplete=tally["incomplete"],
        in_progress=tally["in_progress"],
        missed=tally["missed"],
        upcoming=tally["upcoming"],
        cancelled=tally["cancelled"],
        late=sum(1 for r in scheduled if r.late),
        flagged=sum(1 for r in scheduled if r.flags),
    )


async def patrol_day(caller: Caller, site_id: uuid.UUID, day: dt.date | None) -> PatrolDay:
    caller.require(site_id, EVERYONE)
    context = await site_context(site_id)
    day = day or local_today(context.tz)
    rounds = await rounds_between(site_id, day, day, context=context)
    return PatrolDay(site_id=site_id, date=day, rounds=rounds, counts=counts_of(rounds))


async def patrol_month(caller: Caller, site_id: uuid.UUID, month: str | None) -> PatrolMonth:
    caller.require(site_id, EVERYONE)
    context = await site_context(site_id)
    if month is None:
        month = local_today(context.tz).isoformat()[:7]
    try:
        first = dt.date.fromisoformat(f"{month}-01")
    except ValueError:
        raise DomainError("request.invalid", "month is YYYY-MM", field="month") from None
    last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    rounds = await rounds_between(site_id, first, last, context=context)
    grids = []
    for schedule in [book.out for book in (await books_of(site_id)).values()]:
        mine = [r for r in rounds if r.schedule_id == schedule.id and not r.voluntary]
        if not mine:
            continue
        times = sorted({_column(r.window) for r in mine if r.window}, key=_column_order)
        days = []
        for offset in range((last - first).days + 1):
            day = first + dt.timedelta(days=offset)
            cells: list[MatrixCell | None] = [None] * len(times)
            for r in mine:
                if r.local_date == day and r.window:
                    cells[times.index(_column(r.window))] = MatrixCell(
                        round_id=r.id,
                        window=r.window,
                        state=r.state,
                        late=r.late,
                        flagged=bool(r.flags),
                        coverage=r.covered / r.expected if r.expected else 0.0,
                        closed=r.closed,
                        explained=r.explained,
                        needs_countersign=r.needs_countersign,
                        countersigned=r.countersigned,
                    )
            days.append(MatrixDay(date=day, cells=cells))
        grids.append(
            MatrixSchedule(
                schedule_id=schedule.id,
                name=schedule.name,
                name_en=schedule.name_en,
                times=times,
                days=days,
                counts=counts_of(mine),
            )
        )
    return PatrolMonth(site_id=site_id, month=month, schedules=grids)


def _column(window: str) -> str:
    return window[11:]


def _column_order(column: str) -> tuple[int, str]:
    return (1 if column.endswith("+1") else 0, column)


async def person_rounds(
    caller: Caller,
    site_id: uuid.UUID,
    user_id: uuid.UUID,
    since: dt.date | None,
    until: dt.date | None,
) -> PersonRounds:
    caller.require(site_id, EVERYONE)
    context = await site_context(site_id)
    until = until or local_today(context.tz)
    since = since or until - dt.timedelta(days=29)
    _check_period(since, until)
    member = next((m for m in await members_of(site_id) if m.user_id == user_id), None)
    if member is None:
        raise not_found("person")
    rounds = await rounds_between(site_id, since, until, context=context)
    mine = [
        r
        for r in rounds
        if (r.person and r.person.id == user_id)
        or any(p.id == user_id for p in r.on_duty)
        or (r.on_duty_role == member.role and r.person is None)
    ]
    mine.reverse()
    return PersonRounds(
        person=PersonRef(id=user_id, name=member.display_name),
        since=since,
        until=until,
        rounds=mine,
        counts=counts_of(mine),
    )


async def checkpoint_report(
    caller: Caller, site_id: uuid.UUID, since: dt.date | None, until: dt.date | None
) -> CheckpointReport:
    """Per checkpoint of every active route: how often it was scanned in the period, the
    shortest and average time from the scan before it in the same round, and how long since
    it was last scanned at all."""
    caller.require(site_id, EVERYONE)
    context = await site_context(site_id)
    until = until or local_today(context.tz)
    since = since or until - dt.timedelta(days=29)
    _check_period(since, until)
    now = clock.utcnow()
    rows = await PatrolRound.select().where(
        (PatrolRound.site == site_id)
        & (PatrolRound.local_date >= since)
        & (PatrolRound.local_date <= until)
    )
    judged = await judge_rounds(rows, now, {site_id: context})
    scans: dict[tuple[uuid.UUID, str], list[float]] = defaultdict(list)
    counts: dict[tuple[uuid.UUID, str], int] = defaultdict(int)
    flagged: dict[tuple[uuid.UUID, str], int] = defaultdict(int)
    last: dict[tuple[uuid.UUID, str], dt.datetime] = {}
    for j in judged.values():
        previous = None
        for scan in j.verdict.scans:
            if not scan.counted:
                continue
            key = (j.row["route"], scan.tag)
            counts[key] += 1
            if [f for f in scan.flags if f != OUTSIDE_WINDOW]:
                flagged[key] += 1
            if previous is not None:
                scans[key].append((scan.occurred_at - previous).total_seconds())
            previous = scan.occurred_at
            if key not in last or scan.occurred_at > last[key]:
                last[key] = scan.occurred_at
    ever = await _last_scans(site_id)
    routes = await _site_routes(site_id)
    out = []
    today = local_today(context.tz)
    for route in routes:
        for checkpoint in route.checkpoints:
            key = (route.id, checkpoint.tag)
            gaps = scans.get(key, [])
            latest = ever.get(checkpoint.tag)
            out.append(
                CheckpointStats(
                    route_id=route.id,
                    route_name=route.name,
                    route_name_en=route.name_en,
                    tag=checkpoint.tag,
                    name=checkpoint.name,
                    name_en=checkpoint.name_en,
                    scans=counts.get(key, 0),
                    shortest_gap_seconds=min(gaps) if gaps else None,
                    average_gap_seconds=sum(gaps) / len(gaps) if gaps else None,
                    last_scanned_at=latest,
                    days_since_last_scan=(
                        None if latest is None else (today - _local(latest, context.tz)).days
                    ),
                    flagged_scans=flagged.get(key, 0),
                )
            )
    return CheckpointReport(site_id=site_id, since=since, until=until, checkpoints=out)


async def _site_routes(site_id: uuid.UUID) -> list[RouteOut]:
    rows = await PatrolRoute.select(PatrolRoute.id).where(
        (PatrolRoute.site == site_id) & (PatrolRoute.status == "active")
    )
    return await routes_out([r["id"] for r in rows])


async def _last_scans(site_id: uuid.UUID) -> dict[str, dt.datetime]:
    """When each tag of the site was last scanned on a round, ever."""
    rows = await PatrolFact.raw(
        "SELECT tag, MAX(occurred_at) AS at FROM patrol_fact "
        "WHERE site = {} AND type = {} GROUP BY tag",
        site_id,
        "checkpoint.scanned",
    )
    latest: dict[str, dt.datetime] = {}
    for row in rows:
        at = row["at"]
        if isinstance(at, str):
            # SQLite keeps times as text; MAX() hands back the text.
            at = dt.datetime.fromisoformat(at)
        latest[row["tag"]] = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return latest


def _local(at: dt.datetime, tz: str) -> dt.date:
    return at.astimezone(ZoneInfo(tz)).date()


def _check_period(since: dt.date, until: dt.date) -> None:
    if until < since:
        raise DomainError("request.invalid", "until is before since", field="until")
    if (until - since).days >= MAX_DAYS:
        raise DomainError("request.invalid", f"a period is at most {MAX_DAYS} days", field="since")


async def round_detail(caller: Caller, round_id: uuid.UUID) -> RoundDetail:
    rows = await rounds_by_id([round_id])
    if not rows or rows[0]["site"] not in caller.roles:
        raise not_found("round")
    caller.require(rows[0]["site"], EVERYONE, "round")
    judged = (await judge_rounds(rows, clock.utcnow())).get(round_id)
    if judged is None:
        raise not_found("round")
    return await detail_of(judged)


async def detail_of(j: Judged) -> RoundDetail:
    (summary,) = await summaries([j])
    facts = {f["id"]: f for f in j.facts}
    people = {f["person"] for f in j.facts}
    names = await display_names(sorted(people))
    route = j.route
    assert route is not None, "a judged round has its route"
    stored = await routes_out([j.row["route"]])
    names_of = {}
    if stored:
        # Names as the route's newest version gives them; tags are the same on every version.
        names_of = {c.tag: (c.name, c.name_en) for c in stored[0].checkpoints}
    scans = []
    for scan in j.verdict.scans:
        fact = facts[uuid.UUID(scan.fact_id)]
        body = _body(fact)
        name = names_of.get(scan.tag, ("", ""))
        scans.append(
            ScanOut(
                id=fact["id"],
                tag=scan.tag,
                checkpoint=scan.checkpoint,
                checkpoint_name=name[0],
                checkpoint_name_en=name[1],
                scanned_at=scan.occurred_at,
                received_at=fact["received_at"],
                person=PersonRef(id=fact["person"], name=names.get(fact["person"], "")),
                device_id=fact["device_id"],
                method=scan.method,
                nfc_serial=body.get("nfc_serial"),
                position=body.get("position") and _position(body["position"]),
                accuracy_m=body.get("accuracy_m"),
                counted=scan.counted,
                flags=list(scan.flags),
            )
        )

    def signed(kind: str, field: str) -> list[Signature]:
        found = sorted(
            (f for f in j.facts if f["type"] == kind), key=lambda f: (f["occurred_at"], f["id"])
        )
        return [
            Signature(
                person=PersonRef(id=f["person"], name=names.get(f["person"], "")),
                at=f["occurred_at"],
                text=_body(f).get(field, ""),
            )
            for f in found
        ]

    finishes = signed("round.finished", "note")
    cancels = signed("round.cancelled", "reason")
    return RoundDetail(
        round=summary,
        scans=scans,
        missing=[
            MissingCheckpoint(
                tag=t, name=names_of.get(t, ("", ""))[0], name_en=names_of.get(t, ("", ""))[1]
            )
            for t in j.verdict.missing
        ],
        finished_note=finishes[-1].text if finishes else "",
        countersigns=signed("round.countersigned", "note"),
        explanations=signed("round.explained", "reason"),
        cancelled=cancels[0] if cancels else None,
    )


def _body(fact: dict[str, Any]) -> dict[str, Any]:
    body = fact["body"]
    decoded: dict[str, Any] = msgspec.json.decode(json_bytes(body))
    return decoded


def _position(value: dict[str, Any]) -> Position:
    return Position(lat=value["lat"], lon=value["lon"])


async def missed_rounds(
    site_id: uuid.UUID, since: dt.datetime, until: dt.datetime
) -> list[RoundSummary]:
    """Scheduled rounds whose grace ended in [since, until) with no start and no scan, and
    not cancelled: for `round.missed` (server/notifications)."""
    context = await site_context(site_id)
    zone = ZoneInfo(context.tz)
    # A window's local date is at most a day before its grace ends (night rounds).
    first = since.astimezone(zone).date() - dt.timedelta(days=1)
    last = until.astimezone(zone).date()
    rounds = await rounds_between(site_id, first, last, context=context, now=until)
    return [
        r
        for r in rounds
        if r.state == "missed" and r.grace_end is not None and since <= r.grace_end < until
    ]


async def flagged_rounds(
    site_ids: list[uuid.UUID], since: dt.datetime, until: dt.datetime
) -> list[tuple[RoundSummary, dt.datetime]]:
    """Rounds with a serious flag (judging.SERIOUS) whose facts first reached the server in
    [since, until), with when: for `round.flagged`, once per round."""
    if not site_ids:
        return []
    rows = await PatrolRound.select().where(
        PatrolRound.site.is_in(site_ids)
        & (PatrolRound.serious.eq(True))
        & (PatrolRound.judged_at >= since)
        & (PatrolRound.judged_at < until)
    )
    judged = await judge_rounds(rows, until)
    out = await summaries(judged.values())
    return [(s, judged[s.id].row["judged_at"]) for s in out if s.serious]
