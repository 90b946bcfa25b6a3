"""A month of patrol rounds judged from the database as the supervisors' views read them:
the server's side of bench/bench_rounds.py.

Each site is bench_rounds' site made real: 5 routes of 30 tagged rooms (positions 25-60 m
apart, a 30 s walk before each), each with a round schedule of 5 windows a day (07:30,
10:00, 12:30, 15:00, 17:30, 40 minutes and 15 of grace) for four named guards, every day of
November 2026 in Asia/Shanghai: 750 windows a site. The rounds' facts are bench_rounds'
(`walk`: most in order, some late, rushed, abandoned or missed, a few with a scan twice, a
stray tag, no GPS or a second phone), stored as the push stores them (`patrol_fact` rows,
one `patrol_round` row a walked round) with bulk inserts; the set-up is not timed.

Timed, one site after another, each site's month asked for on its own as a supervisor
asks, as of 1 December: `rounds_between` for the month (every window, walked or not, judged
from its facts) and `patrol_month`, the completion grid (which reads the same and lays it
out). Beside them, in the same run, the pure judging of bench_rounds on the same sites'
shape (no database), per round.

    python bench/bench_patrol_views.py [--postgres] [--sites 1,2,5,10] [--runs 3]
                                       [--profile FILE]

Figures are the best of the runs. `--profile FILE` writes a cProfile of one pass of
`rounds_between` over every site.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import os
import random
import tempfile
import time
import uuid
from collections import Counter
from typing import Any

import msgspec
from bench_rounds import (
    CHECKPOINTS,
    FIRST,
    GUARDS,
    LAST,
    NOW,
    ROUTES,
    STARTS,
    TZ,
    compute,
    make_site,
    walk,
)
from bench_rounds import make_route as pure_route
from harness import database
from uuid_utils.compat import uuid7

from server import clock, db
from server.accounts import sites, users
from server.accounts.access import Caller
from server.accounts.wire import SiteCreate
from server.patrols import judging, round_facts, supervision
from server.patrols.patrol_routes import create_route, route_versions
from server.patrols.round_schedules import create_schedule, windows_of
from server.patrols.tables import PatrolFact, PatrolRound
from server.patrols.windows import FixedTimes, FixedWindow, ForPeople, round_id_for
from server.patrols.wire import (
    CheckpointIn,
    CheckpointScan,
    RoundFinish,
    RoundStart,
    RouteCreate,
    ScheduleCreate,
)
from server.registry import tags
from server.registry.tables import Location, Tag
from sync.bulk import insert_rows

CHUNK = 2_000
MONTH = FIRST.isoformat()[:7]
HANDLERS = {
    "round.started": round_facts.STARTED,
    "checkpoint.scanned": round_facts.SCANNED,
    "round.finished": round_facts.FINISHED,
}


async def _insert(table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        async with db.transaction():
            await insert_rows(table, rows[start : start + CHUNK])


async def make_site_db(seed: int) -> tuple[uuid.UUID, Caller, int, int]:
    """A site with its rooms, tags, routes, schedules and a month of facts: its id, a
    manager's caller, and how many rounds and facts it has."""
    draw = random.Random(seed)
    organization = await sites.create_organization(f"bench patrol group {seed}")
    site_id = await sites.create_site(
        organization, SiteCreate(name=f"bench patrol school {seed}", timezone=TZ)
    )
    suffix = uuid.uuid4().hex[:6]

    async def person(name: str, role: str) -> uuid.UUID:
        user_id = await users.create_user(
            organization_id=organization,
            username=f"{name}{seed}-{suffix}",
            display_name=name,
            password="a long enough password",
            hashing="fast",
        )
        await users.set_membership(user_id, site_id, role)
        return user_id

    admin = await users.load_caller(await person("admin", "admin"))
    assert admin is not None
    guards = [await person(name, "guard") for name in GUARDS]
    born = NOW - dt.timedelta(days=60)
    rooms = [uuid7() for _ in range(ROUTES * CHECKPOINTS)]
    await _insert(
        Location,
        [
            {
                "id": room,
                "site": site_id,
                "parent": None,
                "kind": "room",
                "name": f"房间 {n}",
                "name_en": f"Room {n}",
                "code": f"R{n:03}",
                "sort_order": n,
                "status": "active",
                "version": 1,
                "created_at": born,
                "updated_at": born,
            }
            for n, room in enumerate(rooms)
        ],
    )
    await tags.issue_missing_tags(admin, site_id, "locations")
    codes = {r["location"]: r["code"] for r in await Tag.select().where(Tag.site == site_id)}
    windows = tuple(FixedWindow(start=s, duration_minutes=40, grace_minutes=15) for s in STARTS)
    facts: list[dict[str, Any]] = []
    rounds: list[dict[str, Any]] = []
    phones = {"phone-1": uuid7(), "phone-2": uuid7()}
    people = dict(zip(GUARDS, guards, strict=True))
    for number in range(ROUTES):
        shape = pure_route(seed, number, draw)
        route = await create_route(
            admin,
            site_id,
            RouteCreate(
                name=f"巡查路线 {number + 1}",
                checkpoints=[
                    CheckpointIn(
                        tag=codes[rooms[number * CHECKPOINTS + at]],
                        min_gap_seconds=c.min_gap_seconds,
                        position=c.position,
                        radius_m=c.radius_m,
                    )
                    for at, c in enumerate(shape.checkpoints)
                ],
            ),
        )
        schedule = await create_schedule(
            admin,
            site_id,
            ScheduleCreate(
                name=f"每日五巡 {number + 1}",
                route_id=route.id,
                times=FixedTimes(windows=windows),
                who=ForPeople(people=tuple(str(g) for g in guards)),
            ),
        )
        version = (await route_versions({(route.id, None)}))[(route.id, None)]
        for window in windows_of(schedule, None, FIRST, LAST, TZ):
            walked = walk(version, window, draw)
            if not walked:
                continue
            round_id = round_id_for(str(schedule.id), window.key)
            where = (site_id, route.id, schedule.id, window.key)
            stored = _stored(walked, round_id, where, phones, people)
            facts += stored
            first = min(stored, key=lambda f: (f["type"] != "round.started", f["occurred_at"]))
            rounds.append(
                {
                    "id": round_id,
                    "site": site_id,
                    "route": route.id,
                    "route_version": 1,
                    "schedule": schedule.id,
                    "window": window.key,
                    "local_date": window.local_date,
                    "person": first["person"],
                    "state": "completed",
                    "covered": 0,
                    "expected": CHECKPOINTS,
                    "flags": "[]",
                    "serious": False,
                    "started_at": first["occurred_at"],
                    "finished_at": None,
                    "first_received_at": min(f["received_at"] for f in stored),
                    "judged_at": max(f["received_at"] for f in stored),
                    "summary": "{}",
                    "version": 1,
                }
            )
    await _insert(PatrolRound, rounds)
    await _insert(PatrolFact, facts)
    manager = await users.load_caller(await person("manager", "manager"))
    assert manager is not None
    return site_id, manager, ROUTES * len(STARTS) * ((LAST - FIRST).days + 1), len(facts)


def _stored(
    walked: list[judging.RoundFact],
    round_id: uuid.UUID,
    where: tuple[uuid.UUID, uuid.UUID, uuid.UUID, str],
    phones: dict[str, uuid.UUID],
    people: dict[str, uuid.UUID],
) -> list[dict[str, Any]]:
    """The `patrol_fact` rows a push makes of these facts: the op body as the phone sends
    it, kept as `round_facts` keeps it (a fact resent is stored once)."""
    site_id, route_id, schedule_id, window = where
    ids: dict[str, uuid.UUID] = {}
    rows = []
    for fact in walked:
        if fact.id in ids:
            continue
        ids[fact.id] = fact_id = uuid.UUID(str(uuid7()))
        common: dict[str, Any] = {
            "id": fact_id,
            "round_id": round_id,
            "route_id": route_id,
            "schedule_id": schedule_id,
            "window": window,
        }
        body: RoundStart | CheckpointScan | RoundFinish
        if isinstance(fact, judging.RoundStarted):
            body = RoundStart(
                **common, route_version=fact.route_version, started_at=fact.occurred_at
            )
        elif isinstance(fact, judging.CheckpointScanned):
            body = CheckpointScan(
                **common,
                tag=fact.tag,
                method=fact.method,
                position=fact.position,
                accuracy_m=fact.accuracy_m,
                scanned_at=fact.occurred_at,
            )
        else:
            body = RoundFinish(**common, finished_at=fact.occurred_at, note="")
        handler = HANDLERS[fact.__struct_config__.tag]  # type: ignore[attr-defined]
        fields = msgspec.to_builtins(body)
        for name in ("id", "round_id", "route_id", "schedule_id", "window", handler.at):
            fields.pop(name, None)
        rows.append(
            {
                "id": fact_id,
                "site": site_id,
                "round_id": round_id,
                "type": handler.type,
                "person": people[fact.person],
                "device_id": phones[fact.device_id],
                "tag": getattr(fact, "tag", None),
                "occurred_at": fact.occurred_at,
                "received_at": fact.received_at,
                "body": msgspec.json.encode(fields).decode(),
                "content_sha256": handler.digest(body),  # type: ignore[arg-type]
            }
        )
    return rows


async def timed(site_id: uuid.UUID, manager: Caller) -> tuple[float, float, Counter[str]]:
    """Seconds for the month's `rounds_between`, seconds for `patrol_month`, states."""
    start = time.perf_counter()
    rounds = await supervision.rounds_between(site_id, FIRST, LAST)
    middle = time.perf_counter()
    grid = await supervision.patrol_month(manager, site_id, MONTH)
    end = time.perf_counter()
    assert sum(s.counts.scheduled for s in grid.schedules) == len(rounds)
    return middle - start, end - middle, Counter(r.state for r in rounds)


async def run(url: str, counts: list[int], runs: int, backend: str, profile: str | None) -> None:
    engine = db.engine_from_url(url)
    await db.upgrade(engine, quiet=True)
    await db.start(engine)
    real_now = clock.utcnow
    clock.utcnow = lambda: NOW - dt.timedelta(days=40)  # routes and schedules made in October
    try:
        started = time.perf_counter()
        made = [await make_site_db(seed) for seed in range(max(counts))]
        clock.utcnow = lambda: NOW
        print(
            f"{backend}: {len(made)} sites set up in {time.perf_counter() - started:.1f} s; "
            f"a site: {ROUTES} routes x {len(STARTS)} windows a day x {CHECKPOINTS} checkpoints, "
            f"{made[0][2]:,} windows, {made[0][3]:,} facts; {FIRST} to {LAST} in {TZ}, "
            f"as of {NOW:%Y-%m-%d}; best of {runs} runs"
        )
        pure_sites = [make_site(seed) for seed in range(max(counts))]
        print(
            f"{'sites':>5}{'rounds':>8}{'facts':>9}{'between ms':>12}{'µs/round':>10}"
            f"{'month ms':>10}{'µs/round':>10}{'ms/site':>9}{'pure µs/round':>15}"
        )
        tally: Counter[str] = Counter()
        for n in counts:
            best = None
            for _ in range(runs):
                results = [await timed(site_id, manager) for site_id, manager, _, _ in made[:n]]
                between = sum(r[0] for r in results)
                month = sum(r[1] for r in results)
                if best is None or between + month < best[0] + best[1]:
                    best = (between, month, results)
            assert best is not None
            between, month, results = best
            tally = sum((r[2] for r in results), Counter())
            pure = min(sum(compute(site)[4] for site in pure_sites[:n]) for _ in range(runs))
            rounds = sum(m[2] for m in made[:n])
            facts = sum(m[3] for m in made[:n])
            print(
                f"{n:>5}{rounds:>8,}{facts:>9,}{between * 1000:>12,.1f}"
                f"{between * 1e6 / rounds:>10,.0f}{month * 1000:>10,.1f}"
                f"{month * 1e6 / rounds:>10,.0f}{(between + month) * 1000 / n:>9,.0f}"
                f"{pure * 1e6 / rounds:>15,.0f}"
            )
        print("rounds: " + ", ".join(f"{kind} {count:,}" for kind, count in tally.most_common()))
        print("load average (1, 5, 15 min): " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for site_id, _, _, _ in made:
                await supervision.rounds_between(site_id, FIRST, LAST)
            profiler.disable()
            profiler.dump_stats(profile)
            print(f"profile of rounds_between over {len(made)} sites written to {profile}")
    finally:
        clock.utcnow = real_now
        await db.stop(engine)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--sites", default="1,2,5,10")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", help="write a cProfile of rounds_between here")
    args = parser.parse_args()
    counts = [int(n) for n in args.sites.split(",")]
    backend = "postgres" if args.postgres else "sqlite"
    with tempfile.TemporaryDirectory() as tmp, database(backend, tmp) as url:
        asyncio.run(run(url, counts, args.runs, backend, args.profile))


if __name__ == "__main__":
    main()
