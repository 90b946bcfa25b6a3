"""Tag resolution throughput, as a ratio to a trivial JSON route of the same server.

Starts `roundkeeper serve` on a loopback port against a fresh database with the demo
school, then drives GET /api/tags/{code} (bearer token, demo codes in turn) and GET
/healthz with the same client and concurrency, and prints requests/second for each.

    python bench/bench_tags.py [--database-url URL] [--requests 3000] [--concurrency 16]

The default database is a SQLite file in a temporary directory; pass a PostgreSQL URL
(of an empty database) to measure that instead.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "roundkeeper"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def roundkeeper(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN), *args], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


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
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {
            **os.environ,
            "ROUNDKEEPER_DATA_DIR": tmp,
            "ROUNDKEEPER_DATABASE_URL": args.database_url or f"sqlite:///{tmp}/bench.sqlite3",
            "ROUNDKEEPER_PORT": str(port),
        }
        roundkeeper(env, "db", "upgrade")
        roundkeeper(env, "demo")
        token = roundkeeper(env, "token", "create", "inspector", "--device", "bench")
        server = subprocess.Popen(
            [str(BIN), "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    if httpx.get(f"{base}/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            listing = httpx.get(
                f"{base}/api/tags",
                params={"limit": 200},
                headers={"Authorization": f"Bearer {token}"},
            ).json()
            codes = [t["code"] for t in listing["items"]]
            database = "PostgreSQL" if args.database_url else "SQLite"
            print(
                f"{database}, {len(codes)} tags, {args.requests} requests per route, "
                f"concurrency {args.concurrency}, one server process"
            )
            asyncio.run(measure(base, token, codes, args.requests, args.concurrency))
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
