"""How the demo school's patrol rounds were walked (`server.demo_patrols` says which patrols):
each window's round as the patroller's phone recorded it, a seeded few going wrong, and the
pushes that bring the facts in through the round facts' handlers, each at the time it would
have arrived (the clock the handlers read is set to it), so the rounds, the facts and the
change log are what sync would have made.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

from server import clock
from server.accounts.access import Caller
from server.facts import FactHandler
from server.patrols import round_facts
from server.patrols.windows import RoundWindow, round_id_for
from server.patrols.wire import (
    CheckpointScan,
    RoundCountersign,
    RoundExplain,
    RoundFinish,
    RoundStart,
    RouteOut,
    ScheduleOut,
)

Kind = Literal["on_time", "late", "rushed", "out_of_order", "short", "unfinished", "missed"]
"""How a round went: late (begun after its window), rushed (faster than the walk between
checkpoints), out of order, short (finished without the last two checkpoints), unfinished
(the phone never finished it)."""


@dataclass(frozen=True)
class Habits:
    """How a patrol's rounds go."""

    opening_seconds: tuple[int, int]
    """How long after its window opens a round begins, at the earliest and latest."""
    anomalies: dict[Kind, int]
    """How many of the past windows (before today) go wrong, and how."""
    notes: tuple[str, ...]
    """What a patroller writes at the finish now and then."""
    short_note: str = ""
    excuse: str = ""
    """Why a missed round was missed, when the manager explains it."""


@dataclass
class Walk:
    """What a patroller's phone recorded in one window (up to now)."""

    window: RoundWindow
    patroller: str
    start: dt.datetime
    scans: list[tuple[str, dt.datetime]]
    finish: dt.datetime | None
    note: str = ""

    @property
    def last(self) -> dt.datetime:
        return max([self.start, *(at for _, at in self.scans), *filter(None, [self.finish])])


@dataclass
class Push:
    """What one caller sends at `at`, in order."""

    at: dt.datetime
    caller: Caller
    facts: list[tuple[FactHandler[Any], Any]] = field(default_factory=list)


def walk_windows(
    habits: Habits,
    route: RouteOut,
    windows: list[RoundWindow],
    patroller: Callable[[RoundWindow], str],
    now: dt.datetime,
    today: dt.date,
    rng: random.Random,
) -> tuple[list[Walk], list[str]]:
    """The rounds walked in `windows` up to `now`, and the keys of the windows missed.
    Today's windows all go well: those to come are left to come."""
    past = [w for w in windows if w.local_date < today and w.grace_end <= now]
    wanted = [kind for kind, n in habits.anomalies.items() for _ in range(n)]
    chosen = rng.sample(past, min(len(wanted), len(past)))
    kinds = {window.key: kind for window, kind in zip(chosen, wanted, strict=False)}
    walks = []
    for window in windows:
        kind = kinds.get(window.key, "on_time")
        if kind == "missed":
            continue
        walk = _until(_walk(habits, route, window, kind, patroller(window), rng), now)
        if walk is not None:
            walks.append(walk)
    return walks, sorted(key for key, kind in kinds.items() if kind == "missed")


def _walk(
    habits: Habits, route: RouteOut, window: RoundWindow, kind: Kind, who: str, rng: random.Random
) -> Walk:
    """The round as the phone records it, every checkpoint a little slower than the walk
    from the one before (its `min_gap_seconds`) unless rushed."""
    if kind == "late":
        start = window.end + dt.timedelta(minutes=rng.randint(2, 10))
    else:
        start = window.start + dt.timedelta(seconds=rng.randint(*habits.opening_seconds))
    stops = list(route.checkpoints)
    if kind == "short":
        stops = stops[:-2]
    elif kind == "unfinished":
        stops = stops[: len(stops) // 2]
    elif kind == "out_of_order":
        stops[2], stops[3] = stops[3], stops[2]
    at = start + dt.timedelta(seconds=rng.randint(20, 60))
    scans = []
    for index, stop in enumerate(stops):
        if index:
            gap = stop.min_gap_seconds or 60
            rushed = kind == "rushed"
            seconds = rng.randint(5, max(6, gap // 3)) if rushed else gap + rng.randint(15, 90)
            at += dt.timedelta(seconds=seconds)
        scans.append((stop.tag, at))
    finish = None if kind == "unfinished" else at + dt.timedelta(seconds=rng.randint(30, 90))
    note = habits.short_note if kind == "short" else ""
    if kind == "on_time" and rng.random() < 0.1:
        note = rng.choice(habits.notes)
    return Walk(window, who, start, scans, finish, note)


def _until(walk: Walk, now: dt.datetime) -> Walk | None:
    """The part of the round walked by now (today's round in progress, or none yet)."""
    if walk.start > now:
        return None
    walk.scans = [(tag, at) for tag, at in walk.scans if at <= now]
    if walk.finish is not None and walk.finish > now:
        walk.finish = None
    return walk


def pushes(
    walks: list[Walk],
    route: RouteOut,
    schedule: ScheduleOut,
    callers: dict[str, Caller],
    now: dt.datetime,
    rng: random.Random,
) -> list[Push]:
    """Each patroller's phone pushes the day's (or the night's) rounds once they are over,
    or now for a day still going on. A push's facts are sent by kind (the starts, the scans,
    the finishes): the rounds and facts are those of a push in the order walked, in a third
    of the handlers' runs."""
    days: dict[tuple[str, dt.date], list[Walk]] = {}
    for walk in walks:
        days.setdefault((walk.patroller, walk.window.local_date), []).append(walk)
    found = []
    for (patroller, _), walked in days.items():
        last = max(walk.last for walk in walked)
        at = min(last + dt.timedelta(seconds=rng.randint(60, 900)), now)
        starts, scans, finishes = [], [], []
        for walk in walked:
            common: dict[str, Any] = {
                "round_id": round_id_for(str(schedule.id), walk.window.key),
                "route_id": route.id,
                "schedule_id": schedule.id,
                "window": walk.window.key,
            }
            starts.append(
                RoundStart(
                    id=fact_id(walk.start, rng),
                    route_version=route.version,
                    started_at=walk.start,
                    **common,
                )
            )
            scans += [
                CheckpointScan(id=fact_id(at, rng), tag=tag, method="qr", scanned_at=at, **common)
                for tag, at in walk.scans
            ]
            if walk.finish is not None:
                finishes.append(
                    RoundFinish(
                        id=fact_id(walk.finish, rng),
                        finished_at=walk.finish,
                        note=walk.note,
                        **common,
                    )
                )
        push = Push(at, callers[patroller])
        push.facts += [(round_facts.STARTED, body) for body in starts]
        push.facts += [(round_facts.SCANNED, body) for body in scans]
        push.facts += [(round_facts.FINISHED, body) for body in finishes]
        found.append(push)
    return found


def countersigns(
    schedule: ScheduleOut,
    walks: list[Walk],
    manager: Caller,
    today: dt.date,
    zone: ZoneInfo,
    rng: random.Random,
) -> list[Push]:
    """The manager countersigns the finished rounds in the morning after, but yesterday's,
    today's and about one in six: those still wait."""
    found = []
    for walk in walks:
        day = walk.window.local_date
        if walk.finish is None or (today - day).days < 2 or rng.random() < 1 / 6:
            continue
        at = _morning_after(day, zone, rng)
        body = RoundCountersign(
            id=fact_id(at, rng),
            round_id=round_id_for(str(schedule.id), walk.window.key),
            countersigned_at=at,
            note="已核查，问题已整改" if walk.note else "已核查",
        )
        found.append(Push(at, manager, [(round_facts.COUNTERSIGNED, body)]))
    return found


def explanation(
    schedule: ScheduleOut,
    key: str,
    reason: str,
    manager: Caller,
    zone: ZoneInfo,
    rng: random.Random,
) -> Push:
    """The manager closes the missed round of window `key` in the morning after."""
    at = _morning_after(dt.date.fromisoformat(key[:10]), zone, rng)
    body = RoundExplain(
        id=fact_id(at, rng),
        round_id=round_id_for(str(schedule.id), key),
        schedule_id=schedule.id,
        window=key,
        explained_at=at,
        reason=reason,
    )
    return Push(at, manager, [(round_facts.EXPLAINED, body)])


def _morning_after(day: dt.date, zone: ZoneInfo, rng: random.Random) -> dt.datetime:
    at = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(8, rng.randint(0, 50)), zone)
    return at.astimezone(dt.UTC)


async def take_in(found: list[Push]) -> None:
    """Each push through the handlers at its time, in order of time; consecutive facts of one
    kind are one run, as the sync engine takes a push in."""
    for push in sorted(found, key=lambda p: p.at):
        runs: list[tuple[FactHandler[Any], list[Any]]] = []
        for handler, body in push.facts:
            if runs and runs[-1][0] is handler:
                runs[-1][1].append(body)
            else:
                runs.append((handler, [body]))
        with clock_at(push.at):
            for handler, bodies in runs:
                batch = await handler.prepare(push.caller, bodies, now=push.at)
                refused = [p for p in batch.plans if isinstance(p, Exception)]
                assert not refused, refused
                await batch.write()


@contextlib.contextmanager
def clock_at(when: dt.datetime) -> Iterator[None]:
    """Everything written in here is written as if it were `when`, the way the tests move
    the clock: the handlers stamp what they receive with the server's time."""
    real = clock.utcnow
    clock.utcnow = lambda: when
    try:
        yield
    finally:
        clock.utcnow = real


def fact_id(at: dt.datetime, rng: random.Random) -> uuid.UUID:
    """A UUIDv7 made at `at`, as the phone made it (RFC 9562: 48 bits of milliseconds, the
    version, 74 seeded random bits and the variant)."""
    ms = int(at.timestamp() * 1000)
    value = (ms << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64) | (0b10 << 62)
    return uuid.UUID(int=value | rng.getrandbits(62))
