"""A real server for benchmarks: a fresh database (a SQLite file, or a throw-away
PostgreSQL database on the local server), migrated, with the demo school, served by
`roundkeeper serve` on a loopback port."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "roundkeeper"
POSTGRES_ADMIN_URL = os.environ.get(
    "ROUNDKEEPER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@dataclass
class Running:
    base: str
    env: dict[str, str]
    database: str

    def roundkeeper(self, *args: str) -> str:
        return roundkeeper(self.env, *args)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def roundkeeper(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN), *args], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


async def _admin(statement: str) -> None:
    conn = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@contextlib.contextmanager
def database(backend: str, tmp: str) -> Iterator[str]:
    """The URL of an empty database of that backend, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp}/bench.sqlite3"
        return
    name = f"rk_bench_{os.getpid()}"
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{POSTGRES_ADMIN_URL.rpartition('/')[0]}/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


_PROFILED = """
import cProfile, runpy, signal, sys
# uvicorn raises the signal again once it has shut down: exit through Python instead, so the
# profile is written.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
out, sys.argv = sys.argv[1], sys.argv[2:]
cProfile.run("runpy.run_path(sys.argv[0], run_name='__main__')", out)
"""


@contextlib.contextmanager
def demo_server(backend: str, *, workers: int = 1, profile: str | None = None) -> Iterator[Running]:
    """`profile`: run the server (one process) under cProfile and write its profile there
    when it stops."""
    with tempfile.TemporaryDirectory() as tmp, database(backend, tmp) as url:
        port = free_port()
        env = {
            **os.environ,
            "ROUNDKEEPER_DATA_DIR": tmp,
            "ROUNDKEEPER_DATABASE_URL": url,
            "ROUNDKEEPER_PORT": str(port),
        }
        roundkeeper(env, "db", "upgrade")
        roundkeeper(env, "demo")
        command = [str(BIN), "serve", "--port", str(port), "--workers", str(workers)]
        if profile:
            command = [sys.executable, "-c", _PROFILED, profile, *command]
        server = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            # BENCH_SERVER_LOG=FILE keeps what the server wrote, to find out why it failed.
            stderr=open(os.environ["BENCH_SERVER_LOG"], "w")  # noqa: SIM115
            if os.environ.get("BENCH_SERVER_LOG")
            else subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(200):
                try:
                    if httpx.get(f"{base}/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            name = "PostgreSQL" if backend == "postgres" else "SQLite"
            yield Running(base=base, env=env, database=name)
        finally:
            server.terminate()
            server.wait(timeout=60 if profile else 10)
