"""A site-year of schedules: every occurrence and the status of each on each asset.

A site has 2,000 assets under 15 schedules (twice-daily gate checks, school-day patrols and
kitchen checks, a night patrol past midnight, weekly, monthly, per-term and yearly checks),
each schedule covering a subset of the assets, over the school year 2026-09-01 to
2027-08-31 in Asia/Shanghai with terms, holidays and make-up days. Every asset gets
synthetic inspections (most on time, some late, some missed, a few excused); their
generation is not timed. Timed, per site: `occurrences_for` for each schedule, then
`statuses` for each asset under it, as of the end of the year. Sites are computed one after
another in one process, each from its own decoded calendar and schedules.

    python bench/bench_occurrences.py [--sites 1,2,5,10] [--runs 3]

Figures are the best of the runs.
"""

import argparse
import datetime as dt
import random
import time
from collections import Counter
from dataclasses import dataclass

import msgspec

from checklists import Occurrence, Schedule, SchoolCalendar, occurrences_for, status, statuses

TZ = "Asia/Shanghai"
FIRST, LAST = dt.date(2026, 9, 1), dt.date(2027, 8, 31)
NOW = dt.datetime(2027, 9, 1, tzinfo=dt.UTC)

CALENDAR = {
    "terms": [
        {"key": "2026-autumn", "name": "2026-2027学年第一学期", "first_day": "2026-09-01",
         "last_day": "2027-01-22"},
        {"key": "2027-spring", "name": "2026-2027学年第二学期", "first_day": "2027-02-22",
         "last_day": "2027-07-02"},
    ],
    "holidays": [
        {"name": "中秋节", "first_day": "2026-09-25", "last_day": "2026-09-27"},
        {"name": "国庆节", "first_day": "2026-10-01", "last_day": "2026-10-07"},
        {"name": "元旦", "first_day": "2027-01-01", "last_day": "2027-01-03"},
        {"name": "寒假", "first_day": "2027-01-23", "last_day": "2027-02-21"},
        {"name": "清明节", "first_day": "2027-04-03", "last_day": "2027-04-05"},
        {"name": "劳动节", "first_day": "2027-05-01", "last_day": "2027-05-05"},
        {"name": "端午节", "first_day": "2027-06-09", "last_day": "2027-06-11"},
        {"name": "暑假", "first_day": "2027-07-03", "last_day": "2027-08-31"},
    ],
    "extra_school_days": ["2026-09-20", "2026-10-10", "2027-04-25"],
}  # fmt: skip


def rule_schedule(key: str, rule: dict, *, skip_holidays: bool = False) -> dict:
    version = {"effective_from": "2026-09-01", "rule": rule, "skip_holidays": skip_holidays}
    return {"key": key, "versions": [version]}


def windows(*spans: str) -> list[dict[str, str]]:
    return [dict(zip(("start", "end"), span.split("-"), strict=True)) for span in spans]


GATE_HOURS = windows("07:30-08:30", "16:00-17:00")
MEALS = windows("06:30-07:30", "11:00-12:30", "17:00-18:30")

# (schedule as a site would send it, how many of the site's assets it covers)
SCHEDULES: list[tuple[dict, int]] = [
    (rule_schedule("gate-check", {"every": "daily", "windows": GATE_HOURS}), 4),
    (rule_schedule("fire-patrol", {"every": "daily", "school_days_only": True}), 60),
    (rule_schedule("kitchen-morning", {"every": "daily", "school_days_only": True,
                                       "windows": windows("06:00-07:30")}), 30),
    (rule_schedule("dormitory-night", {"every": "daily", "windows": windows("22:00-06:00")},
                   skip_holidays=True), 40),
    (rule_schedule("tableware", {"every": "daily", "school_days_only": True,
                                 "windows": MEALS}), 10),
    (rule_schedule("playground", {"every": "weekly", "weekdays": [1]}, skip_holidays=True), 80),
    (rule_schedule("gas-appliances", {"every": "weekly", "weekdays": [5]}), 25),
    (rule_schedule("water-dispensers", {"every": "weekly", "weekdays": [3]},
                   skip_holidays=True), 120),
    (rule_schedule("distribution-boxes", {"every": "weekly", "weekdays": [2, 4]}), 150),
    (rule_schedule("extinguishers", {"every": "monthly", "day": 1}), 800),
    (rule_schedule("hydrant-boxes", {"every": "monthly", "day": "last"}), 120),
    (rule_schedule("emergency-lights", {"every": "monthly", "day": 15}), 400),
    (rule_schedule("fans-and-lights", {"every": "monthly", "day": 31}), 300),
    (rule_schedule("evacuation-drill", {"every": "per_term", "times": 2}), 60),
    (rule_schedule("building-safety", {"every": "yearly", "month": 9, "day": 1}), 200),
]  # fmt: skip
ASSETS = 2_000


@dataclass
class Site:
    calendar: SchoolCalendar
    # Per schedule, per asset it covers: inspection times and excused occurrence keys.
    schedules: list[tuple[Schedule, list[tuple[list[dt.datetime], set[str]]]]]


def make_site(seed: int) -> Site:
    """A site decoded from JSON as the server would get it, with synthetic inspections."""
    draw = random.Random(seed)
    calendar = msgspec.json.decode(msgspec.json.encode(CALENDAR), type=SchoolCalendar)
    site = Site(calendar=calendar, schedules=[])
    for body, covered in SCHEDULES:
        schedule = msgspec.json.decode(msgspec.json.encode(body), type=Schedule)
        due = occurrences_for(schedule.versions, FIRST, LAST, tz=TZ, calendar=calendar)
        assets = [inspections(due, draw) for _ in draw.sample(range(ASSETS), covered)]
        site.schedules.append((schedule, assets))
    return site


def inspections(due: list[Occurrence], draw: random.Random) -> tuple[list[dt.datetime], set[str]]:
    done: list[dt.datetime] = []
    excused: set[str] = set()
    for occurrence in due:
        luck = draw.random()
        if luck < 0.85:
            window = (occurrence.due_end - occurrence.due_start).total_seconds()
            done.append(occurrence.due_start + dt.timedelta(seconds=draw.uniform(0, window - 1)))
        elif luck < 0.92:
            late_until = occurrence.late_until or occurrence.due_end + dt.timedelta(days=7)
            room = (late_until - occurrence.due_end).total_seconds()
            if room > 0:
                done.append(occurrence.due_end + dt.timedelta(seconds=draw.uniform(0, room - 1)))
        elif luck < 0.94:
            excused.add(occurrence.key)
    draw.shuffle(done)  # as inspections arrive: in no particular order
    return done, excused


def compute(site: Site) -> tuple[int, int, Counter[str], float, float]:
    """Occurrences, asset-occurrences, statuses by kind, seconds generating, seconds judging."""
    generating = judging = 0.0
    count = pairs = 0
    tally: Counter[str] = Counter()
    for schedule, assets in site.schedules:
        start = time.perf_counter()
        due = occurrences_for(schedule.versions, FIRST, LAST, tz=TZ, calendar=site.calendar)
        middle = time.perf_counter()
        for done, excused in assets:
            tally.update(statuses(due, done, excused, NOW))
        generating += middle - start
        judging += time.perf_counter() - middle
        count += len(due)
        pairs += len(due) * len(assets)
    return count, pairs, tally, generating, judging


def one_by_one_rate(site: Site, calls: int = 20_000) -> float:
    """`status` per call for comparison: it scans an asset's inspections each time."""
    schedule, assets = site.schedules[9]  # monthly extinguishers
    due = occurrences_for(schedule.versions, FIRST, LAST, tz=TZ, calendar=site.calendar)
    start = time.perf_counter()
    made = 0
    while made < calls:
        for done, excused in assets:
            for occurrence in due:
                status(occurrence, done, occurrence.key in excused, NOW)
            made += len(due)
    return made / (time.perf_counter() - start)


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
        f"a site: {ASSETS:,} assets, {len(SCHEDULES)} schedules covering "
        f"{sum(n for _, n in SCHEDULES):,} asset-schedules, {FIRST} to {LAST} in {TZ}; "
        f"best of {args.runs} runs"
    )
    print(
        f"{'sites':>5}{'occurrences':>13}{'asset-occ.':>12}{'occurrences ms':>16}"
        f"{'statuses ms':>13}{'total ms':>10}{'ms/site':>9}{'statuses/s':>12}"
    )
    tally: Counter[str] = Counter()
    for n in counts:
        best = None
        for _ in range(args.runs):
            results = [compute(site) for site in sites[:n]]
            generating = sum(r[3] for r in results)
            judging = sum(r[4] for r in results)
            if best is None or generating + judging < best[0] + best[1]:
                best = (generating, judging, results)
        generating, judging, results = best
        count, pairs = sum(r[0] for r in results), sum(r[1] for r in results)
        tally = sum((r[2] for r in results), Counter())
        total = generating + judging
        print(
            f"{n:>5}{count:>13,}{pairs:>12,}{generating * 1000:>16,.1f}{judging * 1000:>13,.1f}"
            f"{total * 1000:>10,.1f}{total * 1000 / n:>9,.1f}{pairs / judging:>12,.0f}"
        )
    shares = ", ".join(f"{kind} {share / tally.total():.1%}" for kind, share in tally.most_common())
    print(f"statuses at {NOW:%Y-%m-%d}: {shares}")
    print(
        f"status() one call at a time, monthly schedule: {one_by_one_rate(sites[0]):,.0f} calls/s"
    )


if __name__ == "__main__":
    main()
