"""Inspection submissions per second through the API (POST /api/inspections).

Starts `roundkeeper serve` on a fresh database with the demo school and submits
fire-extinguisher inspections (9 answers, one photo reference; every tenth one fails an
item and so also writes a finding) for the demo's extinguishers, one request after
another and then from concurrent clients. Each submission is validated, evaluated
against its exact template version and written in its own transaction.

    python bench/bench_inspections.py [--postgres] [--count 2000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta
from itertools import cycle

import httpx
from bench_push import answers
from harness import demo_server
from uuid_utils.compat import uuid7


def inspection(asset_id: str, n: int) -> dict:
    completed = datetime.now(UTC) - timedelta(seconds=n)
    return {
        "id": str(uuid7()),
        "template_key": "fire_extinguisher_monthly",
        "template_version": 1,
        "asset_id": asset_id,
        "answers": answers(n),
        "started_at": (completed - timedelta(minutes=2)).isoformat(),
        "completed_at": completed.isoformat(),
    }


async def submit_all(base: str, token: str, assets: list[str], count: int, concurrency: int):
    bodies = [inspection(asset, n) for n, asset in zip(range(count), cycle(assets))]
    todo = iter(bodies)
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as client:

        async def worker() -> None:
            for body in todo:
                response = await client.post("/api/inspections", json=body)
                if response.status_code != 201:
                    raise SystemExit(f"{response.status_code} {response.text}")

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with demo_server("postgres" if args.postgres else "sqlite") as running:
        token = running.roundkeeper("token", "create", "inspector", "--device", "bench")
        listing = httpx.get(
            f"{running.base}/api/assets",
            params={"category": "fire_extinguisher", "limit": 200},
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        assets = [a["id"] for a in listing["items"]]
        asyncio.run(submit_all(running.base, token, assets, 50, 1))  # warm up
        one = asyncio.run(submit_all(running.base, token, assets, args.count, 1))
        many = asyncio.run(submit_all(running.base, token, assets, args.count, args.concurrency))
        print(
            f"{running.database}, one server process, {args.count} inspections per run, "
            f"{len(assets)} extinguishers"
        )
        print(f"one client               {one:8.0f} inspections/s")
        print(f"{args.concurrency:2d} concurrent clients   {many:8.0f} inspections/s")


if __name__ == "__main__":
    main()
