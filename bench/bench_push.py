"""Push ingest: inspections per second through POST /api/sync/push, and the ceiling.

Starts `roundkeeper serve` on a fresh database with the demo school, then:
1. one device pushes a backlog of inspections (fire-extinguisher checks, 9 answers, one
   photo reference each; one in ten fails an item and so also writes a finding) in
   batches of 200;
2. 32 devices push their backlogs at once;
3. the ceiling: the same inspection rows and ledger rows inserted straight through the
   driver (asyncpg `executemany`, or sqlite3 `executemany`) in one transaction, into
   copies of the tables in the same database.
Durability is left as configured (fsync and synchronous commit on).

    python bench/bench_push.py [--postgres] [--ops 10000] [--devices 32] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sqlite3
import time
import uuid
from datetime import UTC, datetime, timedelta
from itertools import cycle

import asyncpg
import httpx
from harness import demo_server
from uuid_utils.compat import uuid7

from sync.hlc import tick

BATCH = 200


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


async def push_backlog(client: httpx.AsyncClient, token: str, device_id: str, ops: list[dict]):
    headers = {"Authorization": f"Bearer {token}"}
    for start in range(0, len(ops), BATCH):
        response = await client.post(
            "/api/sync/push",
            headers=headers,
            json={
                "protocol": 1,
                "app_version": "bench",
                "device_id": device_id,
                "device_now": datetime.now(UTC).isoformat(),
                "ops": ops[start : start + BATCH],
            },
        )
        body = response.json()
        if response.status_code != 200 or any(r["status"] != "applied" for r in body["results"]):
            raise SystemExit(f"push failed: {response.status_code} {response.text[:500]}")


async def devices(base: str, running, count: int) -> list[tuple[str, str]]:
    found = []
    async with httpx.AsyncClient(base_url=base) as client:
        for n in range(count):
            token = running.roundkeeper("token", "create", "inspector", "--device", f"bench{n}")
            me = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
            found.append((token, me.json()["device_id"]))
    return found


async def measure(running, total: int, n_devices: int) -> tuple[float, float, list[dict]]:
    base = running.base
    made = await devices(base, running, n_devices + 1)
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
        await push_backlog(client, token, device_id, one)
        single = total / (time.perf_counter() - started)

        each = max(total // n_devices, BATCH)
        loads = [backlog(d, assets, each) for _, d in made[1:]]
        started = time.perf_counter()
        await asyncio.gather(
            *(push_backlog(client, t, d, ops) for (t, d), ops in zip(made[1:], loads, strict=True))
        )
        many = each * n_devices / (time.perf_counter() - started)
    return single, many, one


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
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    backend = "postgres" if args.postgres else "sqlite"
    with demo_server(backend, workers=args.workers) as running:
        single, many, ops = asyncio.run(measure(running, args.ops, args.devices))
        url = running.env["ROUNDKEEPER_DATABASE_URL"]
        if args.postgres:
            ceiling = asyncio.run(ceiling_postgres(url, ops))
        else:
            ceiling = ceiling_sqlite(url.removeprefix("sqlite:///"), ops)
    print(
        f"{running.database}, {args.workers} server process(es), batches of {BATCH}, "
        f"{args.ops} ops from one device, then {args.devices} devices at once"
    )
    print(f"one device            {single:8.0f} inspections/s")
    print(f"{args.devices:2d} devices at once    {many:8.0f} inspections/s")
    print(f"driver ceiling        {ceiling:8.0f} rows/s (inspection + ledger row per op)")
    print(f"one device / ceiling  {single / ceiling:8.2f}")


if __name__ == "__main__":
    main()
