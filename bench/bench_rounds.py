"""Judging a month of patrol rounds, in one process.

A site has 5 routes of 30 checkpoints each (positions 25-60 m apart, a minimum walking gap
before each), each route walked in 5 windows a day (07:30, 10:00, 12:30, 15:00, 17:30, 40
minutes and 15 of grace) every day of November 2026 in Asia/Shanghai: 750 rounds a site.
Facts are synthetic and arrive shuffled: most rounds walked in order; some started late,
some rushed (scans faster than the walking gap), some abandoned half-way, some missed, a
few with a checkpoint scanned twice, a stray tag, no GPS in the basement, or a second phone.
Their generation is not timed. Timed, per site: `round_windows` for each schedule, then
`judge` for every window's round as of the end of the month. Sites are computed one after
another, each from its own routes and facts.

    python bench/bench_rounds.py [--sites 1,2,5,10] [--runs 3]

Figures are the best of the runs. The same sites judged from the database, as the
supervisors' views read them: bench/bench_patrol_views.py.
"""

import argparse
import datetime as dt
import random
import time
from collections import Counter
from dataclasses import dataclass

from server.patrols.judging import (
    CheckpointScanned,
    Method,
    RoundFact,
    RoundFinished,
    RoundStarted,
    TagState,
    judge,
)
from server.patrols.routes import Checkpoint, Position, RouteVersion
from server.patrols.windows import (
    FixedTimes,
    FixedWindow,
    ForPeople,
    RoundSchedule,
    RoundWindow,
    round_windows,
)

TZ = "Asia/Shanghai"
FIRST, LAST = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
ROUTES, CHECKPOINTS = 5, 30
STARTS = ("07:30", "10:00", "12:30", "15:00", "17:30")
GUARDS = ("li", "wang", "zhao", "chen")
METHODS: tuple[Method, ...] = ("qr", "qr", "qr", "nfc", "typed")
METRES = 1 / 111_195  # of latitude


@dataclass
class Round:
    route: RouteVersion
    window: RoundWindow
    facts: list[RoundFact]


@dataclass
class Site:
    schedules: list[tuple[RoundSchedule, RouteVersion]]
    tags: dict[str, TagState]
    rounds: list[Round]


def make_route(site: int, number: int, draw: random.Random) -> RouteVersion:
    lat, lon = 31.2 + site * 0.01, 121.4 + number * 0.002
    checkpoints = []
    for at in range(CHECKPOINTS):
        lat += draw.uniform(25, 60) * METRES
        checkpoints.append(
            Checkpoint(
                tag=f"S{site}R{number}C{at:02d}",
                min_gap_seconds=30 if at else None,
                position=Position(lat=lat, lon=lon),
                radius_m=20,
            )
        )
    return RouteVersion(route=f"route-{number}", version=1, checkpoints=tuple(checkpoints))


def make_site(seed: int) -> Site:
    draw = random.Random(seed)
    windows = tuple(FixedWindow(start=s, duration_minutes=40, grace_minutes=15) for s in STARTS)
    schedules = []
    for number in range(ROUTES):
        route = make_route(seed, number, draw)
        schedule = RoundSchedule(
            key=f"patrol-{number}",
            route=route.route,
            times=FixedTimes(windows=windows),
            who=ForPeople(people=GUARDS),
        )
        schedules.append((schedule, route))
    tags: dict[str, TagState] = {
        c.tag: "active" for _, route in schedules for c in route.checkpoints
    }
    tags[f"S{seed}-OLD"] = "retired"
    rounds = []
    for schedule, route in schedules:
        for window in round_windows(schedule, None, FIRST, LAST, TZ):
            rounds.append(Round(route, window, walk(route, window, draw)))
    return Site(schedules=schedules, tags=tags, rounds=rounds)


def walk(route: RouteVersion, window: RoundWindow, draw: random.Random) -> list[RoundFact]:
    """The facts of one round, shuffled as a late sync and resent batches deliver them."""
    luck = draw.random()
    if luck < 0.05:
        return []  # missed
    round_id = f"{route.route}/{window.key}"
    person = draw.choice(GUARDS)
    late = luck < 0.15
    rushed = 0.15 <= luck < 0.22
    abandoned = 0.22 <= luck < 0.26
    at = window.start + dt.timedelta(minutes=draw.uniform(0, 10) + (45 if late else 0))
    count = 0

    def stamp() -> dict[str, object]:
        nonlocal count
        count += 1
        synced = at + dt.timedelta(minutes=draw.choice((0, 0, 0, 5, 90)))
        return {
            "id": f"{round_id}#{count}",
            "round_id": round_id,
            "device_id": "phone-2" if draw.random() < 0.01 else "phone-1",
            "person": person,
            "occurred_at": at,
            "received_at": synced,
        }

    facts: list[RoundFact] = [
        RoundStarted(**stamp(), route=route.route, route_version=route.version, window=window.key)  # type: ignore[arg-type]
    ]
    last = CHECKPOINTS // 2 if abandoned else CHECKPOINTS
    for checkpoint in route.checkpoints[:last]:
        at += dt.timedelta(seconds=draw.uniform(10, 25) if rushed else draw.uniform(35, 70))
        assert checkpoint.position is not None
        basement = draw.random() < 0.1
        position = Position(
            lat=checkpoint.position.lat + draw.gauss(0, 8) * METRES, lon=checkpoint.position.lon
        )
        scan = CheckpointScanned(
            **stamp(),  # type: ignore[arg-type]
            tag=checkpoint.tag,
            method=draw.choice(METHODS),
            position=None if basement else position,
            accuracy_m=None if basement else draw.uniform(5, 30),
        )
        facts.append(scan)
        if draw.random() < 0.02:
            facts.append(scan)  # the same op resent
    if draw.random() < 0.05:
        facts.append(
            CheckpointScanned(**stamp(), tag=route.checkpoints[3].tag, method="qr")  # type: ignore[arg-type]
        )
    if not abandoned:
        at += dt.timedelta(seconds=draw.uniform(10, 60))
        facts.append(RoundFinished(**stamp()))  # type: ignore[arg-type]
    draw.shuffle(facts)
    return facts


def compute(site: Site) -> tuple[int, int, Counter[str], float, float]:
    """Rounds, facts, states by kind, seconds computing windows, seconds judging."""
    start = time.perf_counter()
    for schedule, _ in site.schedules:
        round_windows(schedule, None, FIRST, LAST, TZ)
    middle = time.perf_counter()
    tally: Counter[str] = Counter()
    facts = 0
    for walked in site.rounds:
        verdict = judge(walked.route, walked.window, walked.facts, NOW, site.tags)
        tally[verdict.state] += 1
        if verdict.late_start:
            tally["late start"] += 1
        if "scan.too_fast" in verdict.flags:
            tally["rushed"] += 1
        facts += len(walked.facts)
    return len(site.rounds), facts, tally, middle - start, time.perf_counter() - middle


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", default="1,2,5,10")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    counts = [int(n) for n in args.sites.split(",")]

    started = time.perf_counter()
    sites = [make_site(seed) for seed in range(max(counts))]
    print(f"synthetic data for {len(sites)} sites made in {time.perf_counter() - started:.1f} s")
    print(
        f"a site: {ROUTES} routes x {len(STARTS)} windows a day x {CHECKPOINTS} checkpoints, "
        f"{FIRST} to {LAST} in {TZ}; best of {args.runs} runs"
    )
    print(
        f"{'sites':>5}{'rounds':>9}{'facts':>10}{'windows ms':>12}{'judge ms':>10}"
        f"{'rounds/s':>10}{'µs/round':>10}{'µs/fact':>9}"
    )
    tally: Counter[str] = Counter()
    for n in counts:
        best: tuple[float, float, list[tuple[int, int, Counter[str], float, float]]] | None = None
        for _ in range(args.runs):
            results = [compute(site) for site in sites[:n]]
            windows = sum(r[3] for r in results)
            judging = sum(r[4] for r in results)
            if best is None or judging < best[1]:
                best = (windows, judging, results)
        assert best is not None
        windows, judging, results = best
        rounds, facts = sum(r[0] for r in results), sum(r[1] for r in results)
        tally = sum((r[2] for r in results), Counter())
        print(
            f"{n:>5}{rounds:>9,}{facts:>10,}{windows * 1000:>12,.1f}{judging * 1000:>10,.1f}"
            f"{rounds / judging:>10,.0f}{judging * 1e6 / rounds:>10,.1f}"
            f"{judging * 1e6 / facts:>9,.2f}"
        )
    print("rounds: " + ", ".join(f"{kind} {count:,}" for kind, count in tally.most_common()))


if __name__ == "__main__":
    main()
