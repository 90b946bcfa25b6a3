"""A site-year of due work read from the database: the server's side of
bench/bench_occurrences.py.

Each site has 2,000 assets under the 15 schedules of bench_occurrences (named targets, each
schedule with its own template), its calendar, and its synthetic inspections (about 80
thousand a site, most on time, some late, some missed) and excusals, stored as rows. The
set-up is not timed. Timed, per site: `site_work` (the schedules with their versions, the
calendar, the site's things) and `find_due` over the school year as of its end (the
inspections and excusals read in one query each, then every occurrence's status on every
asset). Sites are computed one after another in one process.

    python bench/bench_due.py [--postgres] [--sites 1,2,5,10] [--runs 3]

Figures are the best of the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import tempfile
import time
import uuid
from collections import Counter

import msgspec
from bench_occurrences import ASSETS, CALENDAR, FIRST, LAST, NOW, SCHEDULES, TZ, inspections
from harness import database
from uuid_utils.compat import uuid7

from checklists import Schedule, SchoolCalendar, occurrences_for
from server import clock, db
from server.accounts import sites, users
from server.accounts.wire import SiteCreate
from server.inspections.tables import Inspection
from server.registry.tables import Asset
from server.schedules import calendars, schedules
from server.schedules.due import find_due, site_work
from server.schedules.tables import OccurrenceExcusal
from server.schedules.wire import NamedTargets, ScheduleCreate
from server.templates.tables import TemplateVersion
from server.templates.templates import install_library
from sync.bulk import insert_rows

SET_UP_AT = dt.datetime(2026, 8, 31, 17, 0, tzinfo=dt.UTC)  # 1 September, 01:00 in Shanghai
CHUNK = 5_000


async def make_site(seed: int) -> tuple[uuid.UUID, int]:
    """A site with its assets, calendar, schedules, inspections and excusals; the site's id
    and how many inspections it has."""
    draw = random.Random(seed)
    organization = await sites.create_organization(f"bench group {seed}")
    site_id = await sites.create_site(
        organization, SiteCreate(name=f"bench school {seed}", timezone=TZ)
    )
    await install_library(organization)
    user_id = await users.create_user(
        organization_id=organization,
        username=f"bench{seed}-{uuid.uuid4().hex[:6]}",
        display_name="bench",
        password="a long enough password",
        hashing="fast",
    )
    await users.set_membership(user_id, site_id, "admin")
    caller = await users.load_caller(user_id)
    assert caller is not None

    born = SET_UP_AT - dt.timedelta(days=30)
    assets = [uuid7() for _ in range(ASSETS)]
    await _insert(
        Asset,
        [
            {
                "id": asset,
                "site": site_id,
                "location": None,
                "category": "bench_item",
                "name": f"asset {n}",
                "name_en": "",
                "asset_number": f"B-{n:05}",
                "serial_number": "",
                "attributes": "{}",
                "keeper": None,
                "status": "active",
                "version": 1,
                "created_at": born,
                "updated_at": born,
            }
            for n, asset in enumerate(assets)
        ],
    )
    calendar = msgspec.json.decode(msgspec.json.encode(CALENDAR), type=SchoolCalendar)
    await calendars.set_calendar(caller, site_id, calendar)
    templates = {
        row["key"]: row["id"]
        for row in await TemplateVersion.select(TemplateVersion.key, TemplateVersion.id).where(
            TemplateVersion.organization == organization
        )
    }
    rows, excusals = [], []
    for (body, covered), key in zip(SCHEDULES, sorted(templates), strict=False):
        version = msgspec.json.decode(msgspec.json.encode(body), type=Schedule).versions[0]
        chosen = draw.sample(assets, covered)
        made = await schedules.create_schedule(
            caller,
            site_id,
            ScheduleCreate(
                template_key=key,
                targets=NamedTargets(asset_ids=chosen),
                rule=version.rule,  # type: ignore[arg-type]
                skip_holidays=version.skip_holidays,
                effective_from=FIRST,
            ),
        )
        due = occurrences_for([version], FIRST, LAST, tz=TZ, calendar=calendar)
        dates = {o.key: o.local_date for o in due}
        for asset in chosen:
            done, excused = inspections(due, draw)
            rows += [_inspection(site_id, templates[key], key, asset, user_id, at) for at in done]
            excusals += [
                {
                    "id": uuid7(),
                    "site": site_id,
                    "schedule": made.id,
                    "occurrence_key": occurrence,
                    "occurrence_date": dates[occurrence],
                    "asset": asset,
                    "location": None,
                    "reason": "bench",
                    "excused_by": user_id,
                    "received_at": NOW,
                    "content_sha256": "",
                }
                for occurrence in excused
            ]
    await _insert(Inspection, rows)
    await _insert(OccurrenceExcusal, excusals)
    return site_id, len(rows)


def _inspection(
    site_id: uuid.UUID,
    template_id: uuid.UUID,
    key: str,
    asset: uuid.UUID,
    user_id: uuid.UUID,
    at: dt.datetime,
) -> dict:
    return {
        "id": uuid7(),
        "site": site_id,
        "template": template_id,
        "template_key": key,
        "template_version": 1,
        "asset": asset,
        "location": None,
        "inspector": user_id,
        "device": None,
        "started_at": at - dt.timedelta(minutes=2),
        "completed_at": at,
        "received_at": at,
        "latitude": None,
        "longitude": None,
        "accuracy_m": None,
        "note": "",
        "answers": "{}",
        "evaluation": "{}",
        "result": "pass",
        "score": 1.0,
        "critical_failure": False,
        "supersedes": None,
        "content_sha256": "",
    }


async def _insert(table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        async with db.transaction():
            await insert_rows(table, rows[start : start + CHUNK])


async def timed(site_id: uuid.UUID) -> tuple[float, float, Counter[str]]:
    start = time.perf_counter()
    work = await site_work(site_id)
    middle = time.perf_counter()
    found = await find_due(work, FIRST, LAST, NOW)
    end = time.perf_counter()
    return middle - start, end - middle, Counter(f.status for f in found)


async def run(url: str, counts: list[int], runs: int, backend: str) -> None:
    engine = db.engine_from_url(url)
    await db.upgrade(engine, quiet=True)
    await db.start(engine)
    real_now = clock.utcnow
    clock.utcnow = lambda: SET_UP_AT  # schedules start on the first day of the school year
    try:
        started = time.perf_counter()
        made = [await make_site(seed) for seed in range(max(counts))]
        clock.utcnow = real_now
        print(
            f"{backend}: {len(made)} sites set up in {time.perf_counter() - started:.1f} s; "
            f"a site: {ASSETS:,} assets, {len(SCHEDULES)} schedules, "
            f"{made[0][1]:,} inspections; {FIRST} to {LAST} in {TZ}; best of {runs} runs"
        )
        print(
            f"{'sites':>5}{'asset-occ.':>12}{'site_work ms':>14}{'find_due ms':>13}"
            f"{'total ms':>10}{'ms/site':>9}"
        )
        tally: Counter[str] = Counter()
        for n in counts:
            best = None
            for _ in range(runs):
                results = [await timed(site_id) for site_id, _ in made[:n]]
                reading = sum(r[0] for r in results)
                finding = sum(r[1] for r in results)
                if best is None or reading + finding < best[0] + best[1]:
                    best = (reading, finding, results)
            reading, finding, results = best
            tally = sum((r[2] for r in results), Counter())
            total = reading + finding
            print(
                f"{n:>5}{tally.total():>12,}{reading * 1000:>14,.1f}{finding * 1000:>13,.1f}"
                f"{total * 1000:>10,.1f}{total * 1000 / n:>9,.1f}"
            )
        shares = ", ".join(
            f"{kind} {count / tally.total():.1%}" for kind, count in tally.most_common()
        )
        print(f"statuses at {NOW:%Y-%m-%d}: {shares}")
    finally:
        clock.utcnow = real_now
        await db.stop(engine)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--sites", default="1,2,5,10")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    counts = [int(n) for n in args.sites.split(",")]
    backend = "postgres" if args.postgres else "sqlite"
    with tempfile.TemporaryDirectory() as tmp, database(backend, tmp) as url:
        asyncio.run(run(url, counts, args.runs, backend))


if __name__ == "__main__":
    main()
