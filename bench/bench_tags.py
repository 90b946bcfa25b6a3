"""Tag resolution throughput, as a ratio to a trivial JSON route of the same server.

Starts `roundkeeper serve` on a loopback port against a fresh database with the demo
school, then drives GET /api/tags/{code} (bearer token, demo codes in turn) and GET
/healthz with the same client and concurrency, and prints requests/second for each.

    python bench/bench_tags.py [--postgres] [--requests 3000] [--concurrency 16]

The default database is a SQLite file in a temporary directory; `--postgres` measures a
throw-away database on the local PostgreSQL instead.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx
from harness import demo_server


async def hammer(client: httpx.AsyncClient, urls: list[str], total: int, concurrency: int) -> float:
    counter = iter(range(total))

    async def worker() -> None:
        for i in counter:
            response = await client.get(urls[i % len(urls)])
            if response.status_code != 200:
                raise SystemExit(f"{urls[i % len(urls)]}: {response.status_code} {response.text}")

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (time.perf_counter() - start)


async def measure(base: str, token: str, codes: list[str], total: int, concurrency: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as client:
        await hammer(client, ["/healthz"], 200, concurrency)  # warm up
        await hammer(client, [f"/api/tags/{c}" for c in codes], 200, concurrency)
        trivial = await hammer(client, ["/healthz"], total, concurrency)
        tags = await hammer(client, [f"/api/tags/{c}" for c in codes], total, concurrency)
    print(f"GET /healthz          {trivial:8.0f} requests/s")
    print(f"GET /api/tags/{{code}}  {tags:8.0f} requests/s")
    print(f"tag resolution / trivial route = {tags / trivial:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with demo_server("postgres" if args.postgres else "sqlite") as running:
        token = running.roundkeeper("token", "create", "inspector", "--device", "bench")
        listing = httpx.get(
            f"{running.base}/api/tags",
            params={"limit": 200},
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        codes = [t["code"] for t in listing["items"]]
        print(
            f"{running.database}, {len(codes)} tags, {args.requests} requests per route, "
            f"concurrency {args.concurrency}, one server process"
        )
        asyncio.run(measure(running.base, token, codes, args.requests, args.concurrency))


if __name__ == "__main__":
    main()
