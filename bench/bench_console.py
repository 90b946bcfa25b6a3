"""The console at a big school: the register's asset list with 20,000 assets and the repairs
board with 5,000 corrective actions, and what a browser downloads to open the console.

Starts `roundkeeper serve` on a fresh database with the demo school, then adds to the demo
site 20,000 assets (spread over its places, one in ten untagged-looking by category) and
5,000 corrective actions (hazard reports of every state, owned by the demo's maintainer or
no one, raised over the last 90 days), written as rows; the set-up is not timed.

Timed, as the admin's browser asks (its session cookie, over loopback, one request at a
time): each request a page makes when it opens, `--runs` times; the figure is the median
of the page's requests added up (server time as the client sees it: the request sent to
the last byte read), with the bytes of the answers raw and gzip-compressed at level 6 as the
deploy configs do.

- assets: the register's assets tab (first page, a text search, one building's assets,
  the next page), and the places and people its filters and forms offer;
- board: the repairs board (a page of each state's column) and the people it names;
- today: the morning figures.

First load: the console's shell, the modules main.js imports (directly or through others),
its styles and strings, then the Today page's module, strings and styles, as a browser
with nothing cached fetches them.

    python bench/bench_console.py [--postgres] [--runs 10]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gzip
import random
import re
import statistics
import time
import uuid

import httpx
from harness import ROOT, demo_server
from uuid_utils.compat import uuid7

from server import db
from server.accounts.tables import Site, User
from server.actions.tables import CorrectiveAction, HazardReport
from server.registry.tables import Asset, Location
from sync.bulk import insert_rows

ASSETS = 20_000
ACTIONS = 5_000
PASSWORD = "roundkeeper-demo"
CHUNK = 2_000
CONSOLE = ROOT / "server" / "web" / "console"
STATES = (
    ("open", 0.45),
    ("in_progress", 0.15),
    ("fixed", 0.1),
    ("verified", 0.25),
    ("cancelled", 0.05),
)
CATEGORIES = ("fire_extinguisher", "electrical_panel", "emergency_light", "desk", "projector")


async def _insert(table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        async with db.transaction():
            await insert_rows(table, rows[start : start + CHUNK])


async def seed(url: str) -> uuid.UUID:
    """The demo site's id, after adding its assets and actions."""
    engine = db.engine_from_url(url)
    await db.start(engine)
    try:
        site = await Site.select(Site.id).where(Site.name == "阳光实验小学").first()
        assert site is not None
        site_id = site["id"]
        places = [
            row["id"] for row in await Location.select(Location.id).where(Location.site == site_id)
        ]
        people = {
            row["username"]: row["id"]
            for row in await User.select(User.id, User.username).where(
                User.username.is_in(["inspector", "maintainer"])
            )
        }
        draw = random.Random(7)
        now = dt.datetime.now(dt.UTC)
        await _insert(
            Asset,
            [
                {
                    "id": uuid7(),
                    "site": site_id,
                    "location": draw.choice(places),
                    "category": draw.choice(CATEGORIES),
                    "name": f"器材 {n:05}",
                    "name_en": f"Item {n:05}",
                    "asset_number": f"BIG-{n:05}",
                    "serial_number": f"SN{draw.randrange(10**8):08}",
                    "attributes": "{}",
                    "keeper": None,
                    "status": "active",
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(ASSETS)
            ],
        )
        reports, actions = [], []
        for n in range(ACTIONS):
            raised = now - dt.timedelta(minutes=draw.randrange(90 * 24 * 60))
            state = draw.choices([s for s, _ in STATES], [w for _, w in STATES])[0]
            report = uuid7()
            reports.append(
                {
                    "id": report,
                    "site": site_id,
                    "kind": "hazard",
                    "asset": None,
                    "location": draw.choice(places),
                    "description": f"隐患 {n}：插座松动",
                    "photos": "[]",
                    "size": "small",
                    "reporter": people["inspector"],
                    "reported_at": raised,
                    "received_at": raised,
                    "content_sha256": f"{n:064x}",
                }
            )
            closed = state in ("verified", "cancelled")
            actions.append(
                {
                    "id": uuid7(),
                    "site": site_id,
                    "source": "hazard",
                    "finding": None,
                    "report": report,
                    "asset": None,
                    "location": reports[-1]["location"],
                    "title": f"隐患 {n}：插座松动",
                    "title_en": "",
                    "description": "",
                    "requester": people["inspector"],
                    "owner": people["maintainer"] if draw.random() < 0.6 else None,
                    "priority": "high" if draw.random() < 0.1 else "normal",
                    "size": "small",
                    "state": state,
                    "raised_at": raised,
                    "due_at": raised + dt.timedelta(days=3),
                    "closed_at": raised + dt.timedelta(days=2) if closed else None,
                    "evidence": None,
                    "version": 1,
                    "created_at": raised,
                    "updated_at": raised,
                }
            )
        await _insert(HazardReport, reports)
        await _insert(CorrectiveAction, actions)
        return site_id
    finally:
        await db.stop(engine)


def measure(client: httpx.Client, paths: list[str], runs: int) -> tuple[float, int, int]:
    """The median over `runs` of the requests' time added up (ms), and their bytes raw and
    gzipped."""
    totals = []
    raw = zipped = 0
    for _ in range(runs):
        total = 0.0
        raw = zipped = 0
        for path in paths:
            started = time.perf_counter()
            answer = client.get(path)
            total += time.perf_counter() - started
            assert answer.status_code == 200, (path, answer.status_code, answer.text[:200])
            raw += len(answer.content)
            zipped += len(gzip.compress(answer.content, 6))
        totals.append(total * 1000)
    return statistics.median(totals), raw, zipped


STATIC_IMPORT = re.compile(r'^import\s+(?:[^;]*?\bfrom\s+)?"(\.{1,2}/[\w./-]+\.js)"', re.MULTILINE)


def first_load(client: httpx.Client) -> tuple[int, int, int]:
    """What a browser with nothing cached fetches to show the Today page: files, raw and
    gzipped bytes."""
    found: list[str] = []
    todo = [CONSOLE / "main.js", CONSOLE / "pages" / "today.js"]
    while todo:
        file = todo.pop().resolve()
        relative = file.relative_to(CONSOLE).as_posix()
        if relative in found:
            continue
        found.append(relative)
        for name in STATIC_IMPORT.findall(file.read_text(encoding="utf-8")):
            todo.append(file.parent / name)
    paths = ["/console/"] + [f"/web/console/{name}" for name in found]
    paths += [f"/web/console/{name}" for name in ("console.css", "i18n/zh-CN.json")]
    paths += ["/web/console/i18n/today.zh-CN.json"]
    if (CONSOLE / "css" / "today.css").is_file():
        paths.append("/web/console/css/today.css")
    raw = zipped = 0
    for path in paths:
        answer = client.get(path)
        assert answer.status_code == 200, path
        raw += len(answer.content)
        zipped += len(gzip.compress(answer.content, 6))
    return len(paths), raw, zipped


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    backend = "postgres" if args.postgres else "sqlite"
    with demo_server(backend) as running:
        started = time.perf_counter()
        site = asyncio.run(seed(running.env["ROUNDKEEPER_DATABASE_URL"]))
        print(
            f"{running.database}: demo site with {ASSETS:,} more assets and {ACTIONS:,} "
            f"actions, set up in {time.perf_counter() - started:.1f} s; median of {args.runs} runs"
        )
        with httpx.Client(base_url=running.base, timeout=60) as client:
            login = {"username": "admin", "password": PASSWORD}
            assert client.post("/api/auth/login", json=login).status_code == 200
            first = client.get(f"/api/assets?site_id={site}&limit=50&status=active").json()
            building = client.get(f"/api/locations?site_id={site}&limit=500").json()["items"][0]
            assets = f"/api/assets?site_id={site}&limit=50&status=active"
            people = f"/api/sites/{site}/people"
            places = f"/api/locations?site_id={site}&limit=500"
            board = [
                f"/api/actions?site_id={site}&state={state}&limit={20 if n < 3 else 10}"
                for n, (state, _) in enumerate(STATES)
            ]
            views = {
                "assets: first page": [assets, places, people],
                "assets: search 'BIG-1234'": [f"{assets}&q=BIG-1234"],
                "assets: one building": [f"{assets}&location_id={building['id']}"],
                "assets: next page": [f"{assets}&after={first['next_after']}"],
                "board: five columns": [*board, people],
                "board: overdue only": [f"{path}&overdue=true" for path in board[:3]],
                "today": [f"/api/sites/{site}/today"],
            }
            print(f"  {'view':<30}{'requests':>9}{'ms':>9}{'KB raw':>9}{'KB gzip':>9}")
            for name, paths in views.items():
                ms, raw, zipped = measure(client, paths, args.runs)
                print(
                    f"  {name:<30}{len(paths):>9}{ms:>9.1f}{raw / 1024:>9.1f}{zipped / 1024:>9.1f}"
                )
            files, raw, zipped = first_load(client)
            print(
                f"first load of the console (Today page): {files} files, "
                f"{zipped / 1024:.1f} KB gzip-6 ({raw / 1024:.1f} KB raw)"
            )


if __name__ == "__main__":
    main()
