"""Rounds as the facts make them: loaded from the database and judged as of a moment.

The facts are the truth and the verdict is derived from them (server/patrols/judging.py),
so it is computed again whenever it is read: a round in progress becomes incomplete once its
grace passes without anyone writing anything. `patrol_round` keeps each round's identity
(route, schedule, window, local date, from whichever fact arrived first) and its judgement
when its last fact arrived, for phones (entity `patrol_round`) and for finding a site's
rounds by date.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import msgspec

from checklists import SchoolCalendar
from server import clock
from server.accounts.sites import site_timezones
from server.accounts.users import display_names
from server.db import json_bytes
from server.feeds import Audience, Feed
from server.patrols import judging
from server.patrols.judging import SERIOUS, RoundFact, TagState, Verdict
from server.patrols.patrol_routes import route_names, route_versions
from server.patrols.round_schedules import Book, books_of, pure_schedule
from server.patrols.routes import RouteVersion
from server.patrols.tables import PatrolFact, PatrolRound
from server.patrols.windows import OnDuty, RoundWindow, round_id_for, who_is_due
from server.patrols.wire import RoundSummary, ScheduleOut
from server.registry.tags import tags_by_code
from server.schedules.calendars import calendar_of
from server.wire import PersonRef

_FACT_TYPES: dict[str, type[RoundFact]] = {
    "round.started": judging.RoundStarted,
    "checkpoint.scanned": judging.CheckpointScanned,
    "round.finished": judging.RoundFinished,
    "round.countersigned": judging.RoundCountersigned,
    "round.explained": judging.RoundExplained,
    "round.cancelled": judging.RoundCancelled,
}


@dataclass
class Judged:
    """A round with everything its summary and timeline need."""

    row: dict[str, Any]
    verdict: Verdict
    route: RouteVersion | None
    schedule: ScheduleOut | None
    window: RoundWindow | None
    on_duty: OnDuty | None
    facts: list[dict[str, Any]]
    now: dt.datetime
    """The moment it was judged as of."""


@dataclass
class SiteContext:
    """What judging a site's rounds reads once: its zone and calendar."""

    tz: str
    calendar: SchoolCalendar | None


async def site_context(site_id: uuid.UUID) -> SiteContext:
    tz = (await site_timezones([site_id]))[site_id]
    return SiteContext(tz=tz, calendar=await calendar_of(site_id))


def pure_fact(row: dict[str, Any], round_row: dict[str, Any]) -> RoundFact:
    body = row["body"]
    fields = msgspec.json.decode(json_bytes(body))
    if row["type"] == "round.started":
        # The route and window are the round's (every fact of it names the same ones).
        fields |= {"route": str(round_row["route"]), "window": round_row["window"]}
    return msgspec.convert(
        {
            **fields,
            "type": row["type"],
            "id": str(row["id"]),
            "round_id": str(row["round_id"]),
            "device_id": str(row["device_id"] or "web"),
            "person": str(row["person"]),
            "occurred_at": row["occurred_at"],
            "received_at": row["received_at"],
        },
        judging.Fact,  # type: ignore[arg-type]
    )


async def judge_rounds(
    rows: list[dict[str, Any]],
    now: dt.datetime,
    contexts: dict[uuid.UUID, SiteContext] | None = None,
    books: dict[uuid.UUID, Book] | None = None,
) -> dict[uuid.UUID, Judged]:
    """Judge these `patrol_round` rows as of `now`, reading their facts, routes, schedules
    and tags in bulk."""
    if not rows:
        return {}
    ids = [r["id"] for r in rows]
    facts: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for chunk in _chunks(ids, 500):
        for fact in await PatrolFact.select().where(PatrolFact.round_id.is_in(chunk)):
            facts[fact["round_id"]].append(fact)
    contexts = dict(contexts or {})
    for site in {r["site"] for r in rows} - contexts.keys():
        contexts[site] = await site_context(site)
    books = dict(books or {})
    missing = {r["schedule"] for r in rows if r["schedule"]} - books.keys()
    books |= await books_of(ids=missing)
    pure = {r["id"]: [pure_fact(f, r) for f in facts[r["id"]]] for r in rows}
    wanted = {(r["route"], _started_version(pure[r["id"]])) for r in rows if r["route"] is not None}
    versions = await route_versions(wanted)
    codes = {f.tag for fs in pure.values() for f in fs if isinstance(f, judging.CheckpointScanned)}
    tags = await tags_by_code(codes)
    known_at: dict[uuid.UUID, dict[str, TagState]] = {}
    days: dict[tuple[uuid.UUID, str], dict[str, tuple[ScheduleOut, RoundWindow]]] = {}
    judged = {}
    for row in rows:
        route = versions.get((row["route"], _started_version(pure[row["id"]])))
        if route is None:
            continue
        book = books.get(row["schedule"]) if row["schedule"] else None
        context = contexts[row["site"]]
        schedule = window = on_duty = None
        if book is not None and row["window"]:
            # A day's windows once per schedule, not once per round (Book.window_named).
            day = (row["schedule"], row["window"][:10])
            if day not in days:
                days[day] = _windows_of_day(book, context, day[1])
            found = days[day].get(row["window"])
            if found is not None:
                schedule, window = found
                on_duty = who_is_due(pure_schedule(schedule), window.local_date)
            else:
                # Walked in a window its schedule does not make (changed since): voluntary.
                schedule = book.out
        known = known_at.get(row["site"])
        if known is None:
            known = known_at[row["site"]] = {
                code: "active" if tag.status == "active" else "retired"
                for code, tag in tags.items()
                if tag.site_id == row["site"]
            }
        verdict = judging.judge(route, window, pure[row["id"]], now, known, on_duty=on_duty)
        judged[row["id"]] = Judged(
            row, verdict, route, schedule, window, on_duty, facts[row["id"]], now
        )
    return judged


def _windows_of_day(
    book: Book, context: SiteContext, day: str
) -> dict[str, tuple[ScheduleOut, RoundWindow]]:
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        return {}
    return {w.key: (rule, w) for rule, w in book.windows(context.calendar, date, date, context.tz)}


def _started_version(facts: list[RoundFact]) -> int | None:
    starts = sorted(
        (f for f in facts if isinstance(f, judging.RoundStarted)),
        key=lambda f: (f.occurred_at, f.id),
    )
    return starts[0].route_version if starts else None


async def summaries(judged: Iterable[Judged]) -> list[RoundSummary]:
    """Summaries of judged rounds, names read in bulk."""
    judged = list(judged)
    people: set[uuid.UUID] = set()
    for j in judged:
        if j.row["person"]:
            people.add(j.row["person"])
        if j.on_duty is not None:
            people |= {uuid.UUID(p) for p in j.on_duty.people}
    names = await display_names(sorted(people))
    routes = await route_names({j.row["route"] for j in judged if j.row["route"]})
    return [summary(j, names, routes) for j in judged]


def summary(
    j: Judged, names: dict[uuid.UUID, str], routes: dict[uuid.UUID, tuple[str, str]]
) -> RoundSummary:
    v = j.verdict
    row = j.row
    route_name = routes.get(row["route"], ("", ""))
    schedule = j.schedule
    countersigned = bool(v.countersigned_by)
    return RoundSummary(
        id=row["id"],
        site_id=row["site"],
        route_id=row["route"],
        route_name=route_name[0],
        route_name_en=route_name[1],
        route_version=v.route_version,
        schedule_id=row["schedule"],
        schedule_name=schedule.name if schedule else "",
        schedule_name_en=schedule.name_en if schedule else "",
        window=row["window"],
        local_date=row["local_date"],
        window_start=j.window.start if j.window else None,
        window_end=j.window.end if j.window else None,
        grace_end=j.window.grace_end if j.window else None,
        state=v.state,
        voluntary=v.voluntary,
        counts_for_compliance=v.counts_for_compliance,
        expected=v.expected,
        covered=v.covered,
        started_at=v.started_at,
        finished_at=v.finished_at,
        early_start=v.early_start,
        late_start=v.late_start,
        early_finish=v.early_finish,
        late_finish=v.late_finish,
        late=v.late_start or v.late_finish,
        flags=list(v.flags),
        serious=any(flag in SERIOUS for flag in v.flags),
        person=_person(row["person"], names),
        on_duty=_on_duty(j.on_duty, names),
        on_duty_role=j.on_duty.role if j.on_duty else None,
        scanned=[s.tag for s in v.scans if s.counted],
        needs_countersign=bool(schedule and schedule.countersign)
        and not countersigned
        and v.state in ("completed", "incomplete"),
        countersigned=countersigned,
        closed=countersigned or bool(v.explanations),
        explained=bool(v.explanations),
        window_open=_open(j.window, j.now),
    )


def unwalked_summary(
    site_id: uuid.UUID,
    schedule: ScheduleOut,
    window: RoundWindow,
    route: RouteVersion | None,
    routes: dict[uuid.UUID, tuple[str, str]],
    names: dict[uuid.UUID, str],
    now: dt.datetime,
) -> RoundSummary:
    """A scheduled window no fact names yet: upcoming, or missed once its grace passed."""
    on_duty = who_is_due(pure_schedule(schedule), window.local_date)
    route_name = routes.get(schedule.route_id, ("", ""))
    return RoundSummary(
        id=round_id_for(str(schedule.id), window.key),
        site_id=site_id,
        route_id=schedule.route_id,
        route_name=route_name[0],
        route_name_en=route_name[1],
        route_version=route.version if route else None,
        schedule_id=schedule.id,
        schedule_name=schedule.name,
        schedule_name_en=schedule.name_en,
        window=window.key,
        local_date=window.local_date,
        window_start=window.start,
        window_end=window.end,
        grace_end=window.grace_end,
        state="missed" if now >= window.grace_end else "upcoming",
        voluntary=False,
        counts_for_compliance=True,
        expected=len(route.checkpoints) if route else 0,
        covered=0,
        started_at=None,
        finished_at=None,
        early_start=False,
        late_start=False,
        early_finish=False,
        late_finish=False,
        late=False,
        flags=[],
        serious=False,
        person=None,
        on_duty=_on_duty(on_duty, names),
        on_duty_role=on_duty.role,
        scanned=[],
        needs_countersign=False,
        countersigned=False,
        closed=False,
        explained=False,
        window_open=_open(window, now),
    )


def _open(window: RoundWindow | None, now: dt.datetime) -> bool:
    return window is not None and window.start <= now < window.grace_end


def _person(user_id: uuid.UUID | None, names: dict[uuid.UUID, str]) -> PersonRef | None:
    if user_id is None:
        return None
    return PersonRef(id=user_id, name=names.get(user_id, ""))


def _on_duty(on_duty: OnDuty | None, names: dict[uuid.UUID, str]) -> list[PersonRef]:
    if on_duty is None:
        return []
    return [PersonRef(id=uuid.UUID(p), name=names.get(uuid.UUID(p), "")) for p in on_duty.people]


async def rounds_by_id(ids: Iterable[uuid.UUID]) -> list[dict[str, Any]]:
    wanted = sorted(set(ids))
    found = []
    for chunk in _chunks(wanted, 500):
        found += await PatrolRound.select().where(PatrolRound.id.is_in(chunk))
    return found


async def rejudge(round_ids: set[uuid.UUID]) -> list[RoundSummary]:
    """Judge these rounds now and keep the judgement on their rows; each changed row goes to
    phones. Call inside the write transaction that stored their new facts."""
    rows = await rounds_by_id(round_ids)
    now = clock.utcnow()
    judged = await judge_rounds(rows, now)
    for j in judged.values():
        j.row["person"] = _walker(j)
    out = await summaries(judged.values())
    for s in out:
        j = judged[s.id]
        row = j.row
        version = row["version"] + 1
        await PatrolRound.update(
            {
                PatrolRound.person: _walker(j),
                PatrolRound.route_version: s.route_version,
                PatrolRound.state: s.state,
                PatrolRound.covered: s.covered,
                PatrolRound.expected: s.expected,
                PatrolRound.flags: msgspec.json.encode(s.flags).decode(),
                PatrolRound.serious: s.serious,
                PatrolRound.started_at: s.started_at,
                PatrolRound.finished_at: s.finished_at,
                PatrolRound.judged_at: now,
                PatrolRound.summary: msgspec.json.encode(s).decode(),
                PatrolRound.version: version,
            }
        ).where(PatrolRound.id == row["id"])
        ROUND_FEED.record(row["site"], row["id"], version=version, data=s)
    return out


def _walker(j: Judged) -> uuid.UUID | None:
    """Who walks the round: who started it first (by device time), else who scanned first."""
    for kind in ("round.started", "checkpoint.scanned"):
        facts = sorted(
            (f for f in j.facts if f["type"] == kind), key=lambda f: (f["occurred_at"], f["id"])
        )
        if facts:
            return facts[0]["person"]
    return j.row["person"]


async def snapshot_rounds(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, RoundSummary]]:
    """The site's rounds of the last two days as last judged: what a phone needs to take up a
    round begun on another phone. Older rounds are the supervisors' (the console)."""
    since = clock.utcnow().date() - dt.timedelta(days=2)
    query = PatrolRound.select(PatrolRound.id, PatrolRound.version, PatrolRound.summary).where(
        (PatrolRound.site == site_id) & (PatrolRound.local_date >= since)
    )
    if after is not None:
        query = query.where(PatrolRound.id > uuid.UUID(after))
    rows = await query.order_by(PatrolRound.id).limit(limit)
    # A round is judged in the transaction that makes it; an empty summary is one whose
    # route could not be read, never sent.
    return [
        (str(r["id"]), r["version"], _SUMMARY.decode(json_bytes(r["summary"])))
        for r in rows
        if r["version"] > 0
    ]


_SUMMARY = msgspec.json.Decoder(RoundSummary)


ROUND_FEED = Feed("patrol_round", Audience.SITE, snapshot_rounds)


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
