"""Pull: the latency of an empty incremental pull as the change log grows.

For each size (10 thousand and 1 million change rows), in a process of its own:
`roundkeeper serve` on a fresh database with the demo school, and a device of the demo
inspector up to date. Then the change log is filled straight through the driver (asyncpg
`copy_records_to_table`, sqlite3 `executemany`) with transactions of four changes each,
numbered after the demo's and the counter moved on: most of them of 200 other sites, and
in the first half some of the demo site's own (its older history, which the device pulls
to catch up). So the device's cursor ends up in the middle of the log with only other
sites' changes after it, where an up-to-date device's cursor always is. Then its empty
pulls (`POST /api/sync/pull`, nothing to bring) are timed against the servers in turn,
so that whatever else the machine does weighs on both sizes alike. The ratio should be
about 1: a pull's cost must not grow with the history.

After a fill, PostgreSQL's statistics are refreshed (ANALYZE) as autovacuum would on a
live server, and SQLite's write-ahead log is checkpointed as the server's own writes
would have done over the months the history stands for.

    python bench/bench_pull.py [--postgres] [--pulls 300] [--sizes 10000,1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sqlite3
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection

import asyncpg
import httpx
from harness import Running, demo_server

PER_TRANSACTION = 4
OWN_EVERY = 20
"""One transaction in this many, in the first half of a fill, is the demo site's."""
OTHER_SITES = 200
COLUMNS = ("position", "scope", "entity", "entity_id", "op", "version", "data", "changed_at")


def history(start: int, count: int, own_scope: str) -> tuple[list[tuple], int]:
    """`count` change rows numbered from `start + 1`; and the last position used."""
    others = [str(uuid.uuid4()) for _ in range(OTHER_SITES)]
    transactions = count // PER_TRANSACTION
    when = datetime.now(UTC) - timedelta(days=30)
    rows = []
    for t in range(transactions):
        position = start + 1 + t
        own = t < transactions // 2 and t % OWN_EVERY == 0
        scope = own_scope if own else others[t % OTHER_SITES]
        for n in range(PER_TRANSACTION):
            asset_id = str(uuid.uuid4())
            data = (
                f'{{"id":"{asset_id}","site_id":"{scope}","category":"fire_extinguisher",'
                f'"name":"干粉灭火器","asset_number":"MHQ-{t}-{n}","status":"active",'
                f'"attributes":{{"expiry_date":"2031-06-30"}}}}'
            )
            rows.append((position, scope, "asset", asset_id, "put", 1, data, when))
    return rows, start + transactions


async def fill_postgres(url: str, count: int, own_scope: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            start = await conn.fetchval("SELECT position FROM sync_counter FOR UPDATE")
            rows, last = history(start, count, own_scope)
            await conn.copy_records_to_table("sync_change", records=rows, columns=COLUMNS)
            await conn.execute("UPDATE sync_counter SET position = $1", last)
        await conn.execute("ANALYZE sync_change")
    finally:
        await conn.close()


def fill_sqlite(path: str, count: int, own_scope: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        conn.execute("BEGIN IMMEDIATE")
        start = conn.execute("SELECT position FROM sync_counter").fetchone()[0]
        rows, last = history(start, count, own_scope)
        # Stored as Piccolo stores a timestamptz on SQLite: the UTC time as text.
        conn.executemany(
            f"INSERT INTO sync_change ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * 8)})",
            [(*row[:7], str(row[7])) for row in rows],
        )
        conn.execute("UPDATE sync_counter SET position = ?", (last,))
        conn.execute("COMMIT")
        # Months of history do not sit in the write-ahead log at once: the server's own
        # checkpoints fold it into the database file as it goes.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def log_rows(running: Running) -> int:
    url = running.env["ROUNDKEEPER_DATABASE_URL"]
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            return conn.execute("SELECT count(*) FROM sync_change").fetchone()[0]
        finally:
            conn.close()

    async def count() -> int:
        conn = await asyncpg.connect(url)
        try:
            return await conn.fetchval("SELECT count(*) FROM sync_change")
        finally:
            await conn.close()

    return asyncio.run(count())


def fill_to(running: Running, rows: int, own_scope: str) -> None:
    missing = rows - log_rows(running)
    if missing <= 0:
        return
    url = running.env["ROUNDKEEPER_DATABASE_URL"]
    if url.startswith("sqlite:///"):
        fill_sqlite(url.removeprefix("sqlite:///"), missing, own_scope)
    else:
        asyncio.run(fill_postgres(url, missing, own_scope))


class Device:
    def __init__(self, client: httpx.Client, token: str, cursors: dict | None = None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}
        self.id = client.get("/api/me", headers=self.headers).json()["device_id"]
        self.cursors: dict[str, str | None] = dict(cursors or {})

    def pull(self, limit: int = 500) -> dict:
        response = self.client.post(
            "/api/sync/pull",
            headers=self.headers,
            json={
                "protocol": 1,
                "app_version": "bench",
                "device_id": self.id,
                "cursors": self.cursors,
                "limit": limit,
            },
        )
        if response.status_code != 200:
            raise SystemExit(f"pull failed: {response.status_code} {response.text[:500]}")
        return response.json()

    def catch_up(self) -> int:
        """Pull until up to date; the number of changes received."""
        received = 0
        while True:
            answer = self.pull(limit=5000)
            for page in answer["scopes"]:
                if page["status"] != "ok":
                    raise SystemExit(f"unexpected {page['status']} for {page['scope']}")
                self.cursors[page["scope"]] = page["cursor"]
                received += len(page["changes"])
            if not any(page["has_more"] for page in answer["scopes"]):
                return received

    def empty_pull(self) -> float:
        """Milliseconds; the pull must bring nothing and leave the cursors as they were."""
        started = time.perf_counter()
        answer = self.pull()
        elapsed = (time.perf_counter() - started) * 1000
        for page in answer["scopes"]:
            if page["changes"] or page["has_more"] or page["cursor"] != self.cursors[page["scope"]]:
                raise SystemExit(f"not an empty pull: {page}")
        return elapsed


def serve_filled(backend: str, rows: int, pipe: Connection) -> None:
    """In a process of its own (its own database): the demo school served, a device of its
    inspector up to date, the log filled to `rows`; reports how, then serves until told."""
    with demo_server(backend) as running:
        token = running.roundkeeper("token", "create", "inspector", "--device", "bench-pull")
        with httpx.Client(base_url=running.base, timeout=120) as client:
            # On a busy machine a server can take longer to start than the harness waits.
            for _ in range(600):
                try:
                    if client.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            device = Device(client, token)
            snapshot = device.catch_up()
            (scope,) = device.cursors
            started = time.perf_counter()
            fill_to(running, rows, scope)
            filled = time.perf_counter() - started
            caught_up = device.catch_up()
        pipe.send(
            {
                "database": running.database,
                "base": running.base,
                "token": token,
                "cursors": device.cursors,
                "rows": log_rows(running),
                "snapshot": snapshot,
                "filled": filled,
                "caught_up": caught_up,
            }
        )
        pipe.recv()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--pulls", type=int, default=300)
    parser.add_argument("--sizes", default="10000,1000000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    backend = "postgres" if args.postgres else "sqlite"
    # One server per size, side by side, and their pulls interleaved: whatever else the
    # machine is doing weighs on every size alike.
    servers = []
    for size in sizes:
        ours, theirs = multiprocessing.Pipe()
        process = multiprocessing.Process(target=serve_filled, args=(backend, size, theirs))
        process.start()
        servers.append((process, ours))
    try:
        ready = [pipe.recv() for _, pipe in servers]
        clients = [httpx.Client(base_url=r["base"], timeout=120) for r in ready]
        devices = [Device(c, r["token"], r["cursors"]) for c, r in zip(clients, ready, strict=True)]
        timings: list[list[float]] = [[] for _ in devices]
        for n in range(args.pulls + 20):
            order = list(range(len(devices)))
            if n % 2:
                order.reverse()
            for i in order:
                elapsed = devices[i].empty_pull()
                if n >= 20:  # the first ones warm the connections and the caches
                    timings[i].append(elapsed)
        for client in clients:
            client.close()
    finally:
        for process, pipe in servers:
            pipe.send("stop")
            process.join(timeout=60)
    print(
        f"{ready[0]['database']}, one server process per size, side by side; the demo "
        f"site's snapshot was {ready[0]['snapshot']} changes; {args.pulls} empty pulls "
        "per size, interleaved, after 20 to warm up"
    )
    print(f"{'rows in log':>12} {'fill s':>7} {'caught up':>9} {'median ms':>9} {'p95 ms':>7}")
    for r, t in zip(ready, timings, strict=True):
        print(
            f"{r['rows']:12,d} {r['filled']:7.1f} {r['caught_up']:9,d} "
            f"{statistics.median(t):9.2f} {percentile(t, 0.95):7.2f}"
        )
    first, last = timings[0], timings[-1]
    print(
        f"ratio {ready[-1]['rows']:,d} / {ready[0]['rows']:,d} rows: "
        f"median {statistics.median(last) / statistics.median(first):.2f}, "
        f"p95 {percentile(last, 0.95) / percentile(first, 0.95):.2f}"
    )


if __name__ == "__main__":
    main()
