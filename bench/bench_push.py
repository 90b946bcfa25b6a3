"""Push ingest: inspections per second through POST /api/sync/push, patrol scans beside
them, and the ceiling.

Starts `roundkeeper serve` on a fresh database with the demo school, then:
1. one device pushes a backlog of inspections (fire-extinguisher checks, 9 answers, one
   photo reference each; one in ten fails an item and so also writes a finding) in
   batches of 200 (sync/client.py's batch);
2. 32 devices push their backlogs at once;
3. a guard's phone that walked hourly rounds offline for two weeks pushes its backlog:
   `--scans` checkpoint.scanned ops, each round's round.started before its 30 scans and
   round.finished after them, in batches of 50 as the phone's outbox sends them
   (server/web/app/outbox.js), then the same backlog from a second phone in batches of 200,
   the inspections' batch (each phone its own schedule of the same route, so its own rounds);
4. the ceiling: the same inspection rows and ledger rows inserted straight through the
   driver (asyncpg `executemany`, or sqlite3 `executemany`) in one transaction, into
   copies of the tables in the same database.
Durability is left as configured (fsync and synchronous commit on). `--profile FILE` runs
the server under cProfile and writes its profile there (timings then run slower).

    python bench/bench_push.py [--postgres] [--ops 10000] [--devices 32] [--scans 10000]
                               [--workers 1] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import sqlite3
import time
import uuid
from datetime import UTC, datetime, timedelta
from itertools import cycle
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import msgspec
from harness import demo_server
from uuid_utils.compat import uuid7

from server import db
from server.patrols.tables import PatrolScheduleVersion
from server.patrols.windows import (
    ForRole,
    RepeatingTimes,
    RoundSchedule,
    round_id_for,
    round_windows,
)
from sync.hlc import tick

BATCH = 200
PHONE_BATCH = 50
"""server/web/app/outbox.js: what the phone, which walks the rounds, sends at once."""
CHECKPOINTS = 30
TZ = "Asia/Shanghai"
HOURLY = RepeatingTimes(every_minutes=60, start="00:00", end="00:00", grace_minutes=15)
METRES = 1 / 111_195  # of latitude


def answers(n: int) -> dict:
    return {
        "gauge_zone": "green",
        "seal_and_pin": "pass",
        "hose": "fail" if n % 10 == 0 else "pass",
        "body": "pass",
        "service_life_end": "2031-06-30",
        "cabinet_opens": "na",
        "signage_and_access": "pass",
        "photo": [hashlib.sha256(f"photo {n}".encode()).hexdigest()],
        "notes": "",
    }


def backlog(device_id: str, assets: list[str], count: int) -> list[dict]:
    clock, ops = None, []
    start = datetime.now(UTC) - timedelta(days=2)
    for n, asset in zip(range(count), cycle(assets)):
        completed = start + timedelta(seconds=10 * n)
        clock = tick(clock, int(completed.timestamp() * 1000), device_id)
        ops.append(
            {
                "type": "inspection.submitted",
                "v": 1,
                "op_id": str(uuid7()),
                "device_seq": n + 1,
                "hlc": str(clock),
                "occurred_at": completed.isoformat(),
                "body": {
                    "id": str(uuid7()),
                    "template_key": "fire_extinguisher_monthly",
                    "template_version": 1,
                    "asset_id": asset,
                    "answers": answers(n),
                    "started_at": (completed - timedelta(minutes=2)).isoformat(),
                    "completed_at": completed.isoformat(),
                },
            }
        )
    return ops


async def push_backlog(
    client: httpx.AsyncClient, token: str, device_id: str, ops: list[dict], batch: int = BATCH
) -> list[float]:
    """Each batch's seconds."""
    headers = {"Authorization": f"Bearer {token}"}
    took = []
    for start in range(0, len(ops), batch):
        began = time.perf_counter()
        response = await client.post(
            "/api/sync/push",
            headers=headers,
            json={
                "protocol": 1,
                "app_version": "bench",
                "device_id": device_id,
                "device_now": datetime.now(UTC).isoformat(),
                "ops": ops[start : start + batch],
            },
        )
        body = response.json()
        if response.status_code != 200 or any(r["status"] != "applied" for r in body["results"]):
            raise SystemExit(f"push failed: {response.status_code} {response.text[:500]}")
        took.append(time.perf_counter() - began)
    return took


def tenths(took: list[float], batch: int) -> tuple[float, float]:
    """Ops a second over the first tenth of the batches and over the last: a backlog that
    slows as it goes shows it here."""
    tenth = max(1, len(took) // 10)
    return tenth * batch / sum(took[:tenth]), tenth * batch / sum(took[-tenth:])


async def devices(base: str, running, count: int, user: str = "inspector") -> list[tuple[str, str]]:
    found = []
    async with httpx.AsyncClient(base_url=base) as client:
        for n in range(count):
            token = running.roundkeeper("token", "create", user, "--device", f"bench-{user}{n}")
            me = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
            found.append((token, me.json()["device_id"]))
    return found


async def patrol(
    client: httpx.AsyncClient, running, schedules: int
) -> tuple[dict, list[str], dict[str, str]]:
    """A route of 30 of the demo school's rooms (positions 40 m apart, a 30 s walk before
    each) and `schedules` hourly round schedules of it for the guards, made by the admin
    through the API: the route, the schedules' ids and the admin's headers."""
    ((token, _),) = await devices(running.base, running, 1, "admin")
    headers = {"Authorization": f"Bearer {token}"}
    site = (await client.get("/api/me", headers=headers)).json()["sites"][0]["site_id"]
    listing = await client.get("/api/tags", params={"site_id": site, "limit": 500}, headers=headers)
    rooms = [t["code"] for t in listing.json()["items"] if t["location_id"]][:CHECKPOINTS]
    checkpoints = [
        {
            "tag": code,
            "min_gap_seconds": 30 if n else None,
            "position": {"lat": 31.2 + n * 40 * METRES, "lon": 121.4},
            "radius_m": 20,
        }
        for n, code in enumerate(rooms)
    ]
    made = await client.post(
        f"/api/sites/{site}/patrol/routes",
        json={"name": "夜间巡查", "name_en": "Bench patrol", "checkpoints": checkpoints},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    route = made.json()
    ids = []
    for n in range(schedules):
        made = await client.post(
            f"/api/sites/{site}/patrol/schedules",
            json={
                "name": f"每小时巡查 {n + 1}",
                "route_id": route["id"],
                "times": msgspec.to_builtins(HOURLY),
                "who": {"kind": "role", "role": "guard"},
            },
            headers=headers,
        )
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    return route, ids, headers


async def backdate(url: str, schedules: list[str]) -> None:
    """Make the schedules a month old, as they were when the rounds were walked: a window
    before a schedule was made is not owed (server/patrols/round_schedules.py, Book)."""
    engine = db.engine_from_url(url)
    await db.start(engine)
    try:
        await PatrolScheduleVersion.update(
            {PatrolScheduleVersion.effective_at: datetime.now(UTC) - timedelta(days=30)}
        ).where(PatrolScheduleVersion.schedule.is_in([uuid.UUID(s) for s in schedules]))
    finally:
        await db.stop(engine)


def walked(device_id: str, route: dict, schedule_id: str, scans: int) -> list[dict]:
    """A phone's outbox after walking the schedule's hourly rounds up to the last hour: each
    round started 2 minutes into its window, its checkpoints scanned in order 40-70 s apart,
    finished; `scans` scans in all (the last round cut short)."""
    draw = random.Random(schedule_id)
    rounds = -(-scans // CHECKPOINTS)
    now = datetime.now(UTC)
    today = now.astimezone(ZoneInfo(TZ)).date()
    pure = RoundSchedule(
        key=schedule_id, route=route["id"], times=HOURLY, who=ForRole(role="guard")
    )
    first = today - timedelta(days=rounds // 24 + 2)
    windows = [w for w in round_windows(pure, None, first, today, TZ) if w.grace_end < now]
    windows = windows[-rounds:]
    clock, ops = None, []

    def op(kind: str, at: datetime, window: str, **body) -> None:
        nonlocal clock
        clock = tick(clock, int(at.timestamp() * 1000), device_id)
        ops.append(
            {
                "type": kind,
                "v": 1,
                "op_id": str(uuid7()),
                "device_seq": len(ops) + 1,
                "hlc": str(clock),
                "occurred_at": at.isoformat(),
                "body": {
                    "id": str(uuid7()),
                    "round_id": str(round_id_for(schedule_id, window)),
                    "route_id": route["id"],
                    "schedule_id": schedule_id,
                    "window": window,
                    **body,
                },
            }
        )

    left = scans
    for window in windows:
        at = window.start + timedelta(minutes=2)
        op("round.started", at, window.key, route_version=1, started_at=at.isoformat())
        for checkpoint in route["checkpoints"][: min(left, CHECKPOINTS)]:
            at += timedelta(seconds=draw.uniform(40, 70))
            where = checkpoint["position"]
            op(
                "checkpoint.scanned",
                at,
                window.key,
                tag=checkpoint["tag"],
                method="qr",
                position={"lat": where["lat"] + draw.gauss(0, 5) * METRES, "lon": where["lon"]},
                accuracy_m=10.0,
                scanned_at=at.isoformat(),
            )
            left -= 1
        at += timedelta(seconds=30)
        op("round.finished", at, window.key, finished_at=at.isoformat(), note="")
    assert left == 0, "not enough windows for the backlog"
    return ops


async def measure(
    running, total: int, n_devices: int, scans: int
) -> tuple[dict[str, float], list[dict]]:
    base = running.base
    made = await devices(base, running, n_devices + 1)
    figures: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        token, device_id = made[0]
        listing = await client.get(
            "/api/assets",
            params={"category": "fire_extinguisher", "limit": 200},
            headers={"Authorization": f"Bearer {token}"},
        )
        assets = [a["id"] for a in listing.json()["items"]]
        one = backlog(device_id, assets, total)
        started = time.perf_counter()
        took = await push_backlog(client, token, device_id, one)
        figures["single"] = total / (time.perf_counter() - started)
        figures["single first"], figures["single last"] = tenths(took, BATCH)

        each = max(total // n_devices, BATCH)
        loads = [backlog(d, assets, each) for _, d in made[1:]]
        started = time.perf_counter()
        await asyncio.gather(
            *(push_backlog(client, t, d, ops) for (t, d), ops in zip(made[1:], loads, strict=True))
        )
        figures["many"] = each * n_devices / (time.perf_counter() - started)

        if scans:
            route, schedules, admin = await patrol(client, running, 2)
            await backdate(running.env["ROUNDKEEPER_DATABASE_URL"], schedules)
            phones = await devices(base, running, 2, "guard")
            for (token, device_id), schedule, batch in zip(
                phones, schedules, (PHONE_BATCH, BATCH), strict=True
            ):
                ops = walked(device_id, route, schedule, scans)
                started = time.perf_counter()
                took = await push_backlog(client, token, device_id, ops, batch)
                seconds = time.perf_counter() - started
                figures[f"scans {batch}"] = scans / seconds
                figures[f"ops {batch}"] = len(ops) / seconds
                figures[f"first {batch}"], figures[f"last {batch}"] = tenths(took, batch)
                first = ops[0]["body"]["round_id"]
                judged = (await client.get(f"/api/patrol/rounds/{first}", headers=admin)).json()
                assert judged["round"]["state"] == "completed", judged["round"]
                assert not judged["round"]["voluntary"], judged["round"]
    return figures, one


def ceiling_rows(ops: list[dict]) -> tuple[list[tuple], list[tuple]]:
    """The rows a push writes for these ops: inspections and ledger entries."""
    now = datetime.now(UTC)
    inspections, ledger = [], []
    for op in ops:
        body = op["body"]
        completed = datetime.fromisoformat(body["completed_at"])
        inspections.append(
            (
                uuid.uuid4(),
                body["template_key"],
                1,
                completed - timedelta(minutes=2),
                completed,
                now,
                str(body["answers"]),
                '{"result":"pass","score":100.0}',
                "pass",
                100.0,
                hashlib.sha256(str(body).encode()).hexdigest(),
            )
        )
        ledger.append((uuid.uuid4(), op["device_seq"], uuid.uuid4(), op["type"], "applied", now))
    return inspections, ledger


CEILING_TABLES = (
    "CREATE TABLE bench_inspection (id UUID PRIMARY KEY, template_key VARCHAR(64), "
    "template_version INTEGER, started_at TIMESTAMPTZ, completed_at TIMESTAMPTZ, "
    "received_at TIMESTAMPTZ, answers TEXT, evaluation TEXT, result VARCHAR(8), "
    "score DOUBLE PRECISION, content_sha256 VARCHAR(64))",
    "CREATE TABLE bench_op (device_id UUID, device_seq BIGINT, op_id UUID, "
    "type VARCHAR(64), status VARCHAR(12), received_at TIMESTAMPTZ, "
    "PRIMARY KEY (device_id, device_seq))",
)


async def ceiling_postgres(url: str, ops: list[dict]) -> float:
    inspections, ledger = ceiling_rows(ops)
    conn = await asyncpg.connect(url)
    try:
        for statement in CEILING_TABLES:
            await conn.execute(statement)
        started = time.perf_counter()
        async with conn.transaction():
            marks = ", ".join(f"${i}" for i in range(1, 12))
            await conn.executemany(f"INSERT INTO bench_inspection VALUES ({marks})", inspections)
            await conn.executemany("INSERT INTO bench_op VALUES ($1, $2, $3, $4, $5, $6)", ledger)
        return len(ops) / (time.perf_counter() - started)
    finally:
        await conn.close()


def ceiling_sqlite(path: str, ops: list[dict]) -> float:
    inspections, ledger = ceiling_rows(ops)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        for statement in CEILING_TABLES:
            conn.execute(statement)

        def text(row):
            return tuple(str(v) if isinstance(v, uuid.UUID | datetime) else v for v in row)

        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            f"INSERT INTO bench_inspection VALUES ({', '.join(['?'] * 11)})",
            [text(r) for r in inspections],
        )
        conn.executemany(
            "INSERT INTO bench_op VALUES (?, ?, ?, ?, ?, ?)", [text(r) for r in ledger]
        )
        conn.execute("COMMIT")
        return len(ops) / (time.perf_counter() - started)
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--ops", type=int, default=10_000)
    parser.add_argument("--devices", type=int, default=32)
    parser.add_argument("--scans", type=int, default=10_000, help="0: no patrol backlog")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--profile", help="run the server under cProfile, writing here")
    args = parser.parse_args()
    backend = "postgres" if args.postgres else "sqlite"
    with demo_server(backend, workers=args.workers, profile=args.profile) as running:
        figures, ops = asyncio.run(measure(running, args.ops, args.devices, args.scans))
        url = running.env["ROUNDKEEPER_DATABASE_URL"]
        if args.postgres:
            ceiling = asyncio.run(ceiling_postgres(url, ops))
        else:
            ceiling = ceiling_sqlite(url.removeprefix("sqlite:///"), ops)
    single = figures["single"]
    print(
        f"{running.database}, {args.workers} server process(es), batches of {BATCH}, "
        f"{args.ops} ops from one device, then {args.devices} devices at once"
        + ("; under cProfile" if args.profile else "")
    )
    print(
        f"one device            {single:8.0f} inspections/s "
        f"(first tenth {figures['single first']:.0f}, last tenth {figures['single last']:.0f})"
    )
    print(f"{args.devices:2d} devices at once    {figures['many']:8.0f} inspections/s")
    if args.scans:
        rounds = -(-args.scans // CHECKPOINTS)
        print(
            f"patrol backlog: {args.scans} checkpoint.scanned ops in {rounds} hourly rounds of "
            f"{CHECKPOINTS} checkpoints (+ round.started, round.finished each), one phone"
        )
        for batch in (PHONE_BATCH, BATCH):
            scans = figures[f"scans {batch}"]
            print(
                f"  batches of {batch:<3}      {scans:8.0f} scans/s, {scans / single:.2f} x one "
                f"device's inspections/s ({figures[f'ops {batch}']:.0f} ops/s: first tenth "
                f"{figures[f'first {batch}']:.0f}, last tenth {figures[f'last {batch}']:.0f})"
            )
    print(f"driver ceiling        {ceiling:8.0f} rows/s (inspection + ledger row per op)")
    print(f"one device / ceiling  {single / ceiling:8.2f}")
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
