"""Every database test runs twice: on a SQLite file and on a PostgreSQL database, each
behind a real HTTP server (uvicorn on a loopback port, in this process).

PostgreSQL is found at ROUNDKEEPER_TEST_POSTGRES_URL (default: the local server, user
postgres). It is never skipped: without it the PostgreSQL half of the suite fails.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiosqlite
import asyncpg
import httpx
import pytest
import uvicorn

from server import db
from server.app import create_app
from server.settings import Settings

POSTGRES_ADMIN_URL = os.environ.get(
    "ROUNDKEEPER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PUBLIC_URL = "https://rk.school.example.cn"


@dataclass
class Database:
    backend: str
    url: str


async def _create_pg_database(name: str) -> str:
    try:
        conn = await asyncpg.connect(POSTGRES_ADMIN_URL)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(
            f"PostgreSQL is required for the test suite and is not reachable at "
            f"{POSTGRES_ADMIN_URL}: {exc}. Start it (pg_ctlcluster 15 main start) or set "
            "ROUNDKEEPER_TEST_POSTGRES_URL."
        )
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
        # A commit need not wait for its WAL to reach the disk: what the tests read back is
        # the same (every session sees a commit at once); only a crash of PostgreSQL itself
        # could lose the last commits of a database that is dropped after the run anyway.
        await conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await conn.close()
    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    return f"{base}/{name}"


async def _drop_pg_database(name: str) -> None:
    conn = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


SCHOOLS_ZONE = ZoneInfo("Asia/Shanghai")
"""The zone of the tests' schools (tests/factories.py) and of the demo school."""
SUITE = timedelta(minutes=12)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Tests make work due "today" in the schools' zone and read it back moments later from
    the server and in the browser, each on the real clock: a run that crossed midnight
    there would see two days. A run that would cross it starts just after it instead."""
    now = datetime.now(SCHOOLS_ZONE)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), SCHOOLS_ZONE)
    if midnight - now < SUITE:
        wait = (midnight - now).total_seconds() + 5
        print(f"\nwaiting {wait:.0f} s: the run would cross midnight in {SCHOOLS_ZONE.key}")
        time.sleep(wait)


_MAGIC = {b"\x89PNG": "png", b"\xff\xd8": "jpeg", b"RIFF": "webp", b"%PDF": "pdf"}


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """Bytes are named by their kind, not their content: a picture drawn afresh on each
    run must give the same test id in every worker of a parallel run."""
    if isinstance(val, bytes):
        kind = next((name for magic, name in _MAGIC.items() if val.startswith(magic)), "bytes")
        return f"{argname}-{kind}"
    return None


@pytest.fixture(scope="session")
def tmp_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("roundkeeper")


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
async def database(request: pytest.FixtureRequest, tmp_root: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        yield Database("sqlite", f"sqlite:///{tmp_root}/test.sqlite3")
        return
    name = f"rk_test_{os.getpid()}"
    url = await _create_pg_database(name)
    yield Database("postgres", url)
    await _drop_pg_database(name)


@pytest.fixture
async def empty_database(database: Database, tmp_path: Path) -> AsyncIterator[str]:
    """A second, unmigrated database of the same kind."""
    if database.backend == "sqlite":
        yield f"sqlite:///{tmp_path}/empty.sqlite3"
        return
    name = f"rk_empty_{os.getpid()}"
    yield await _create_pg_database(name)
    await _drop_pg_database(name)


def make_settings(url: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": url,
        "public_url": PUBLIC_URL,
        "secret_key": "test-secret-key-" + "x" * 32,
        "data_dir": data_dir,
        "blob_dir": data_dir / "blobs",
        "password_hashing": "fast",
        # The test server speaks plain HTTP on loopback behind an https public URL.
        "secure_cookies": False,
        # The tests' webhook receivers (tests/notifications/receiver.py) listen on the
        # loopback, which webhooks reach only where it is allowed.
        "webhook_allow_private": ("127.0.0.1/32",),
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@dataclass
class Server:
    url: str
    settings: Settings
    backend: str


@pytest.fixture(scope="session")
async def server(database: Database, tmp_root: Path) -> AsyncIterator[Server]:
    engine = db.engine_from_url(database.url)
    await db.upgrade(engine, quiet=True)
    settings = make_settings(database.url, tmp_root / f"data-{database.backend}")
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=0, log_level="warning", lifespan="on"
    )
    uv = uvicorn.Server(config)
    task = asyncio.create_task(uv.serve())
    while not uv.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = uv.servers[0].sockets[0].getsockname()[1]
    yield Server(url=f"http://127.0.0.1:{port}", settings=settings, backend=database.backend)
    uv.should_exit = True
    await task


@pytest.fixture
async def clean(server: Server) -> AsyncIterator[Server]:
    """Each test starts from empty tables (the schema stays)."""
    await truncate_all()
    yield server


async def truncate_all() -> None:
    # The change log's counter keeps its one row: positions only ever grow.
    kept = {"migration", "sync_counter"}
    tables = [t for t in db.table_classes() if t._meta.tablename not in kept]
    engine = db.current_engine()
    if db.is_sqlite():
        # RESTRICT is checked row by row in SQLite, so a tree cannot be deleted in one
        # statement with foreign keys on. One script in one transaction, whose commit need
        # not wait for the disk.
        deletes = "".join(f'DELETE FROM "{table._meta.tablename}";' for table in tables)
        async with aiosqlite.connect(engine.path, isolation_level=None) as conn:
            await conn.executescript(
                f"PRAGMA foreign_keys = OFF; PRAGMA synchronous = OFF; BEGIN; {deletes} COMMIT;"
            )
    elif engine.pool is not None:
        # TRUNCATE of every table costs a second or more a test (PostgreSQL makes new files
        # for each table it empties and syncs them); DELETE of a test's few rows costs
        # milliseconds. The foreign keys' triggers are off for it, as TRUNCATE ... CASCADE
        # ignores the order of the tables too (a superuser's setting; without it, TRUNCATE).
        async with engine.pool.acquire() as conn:
            if await _is_superuser(conn):
                deletes = "".join(f'DELETE FROM "{t._meta.tablename}";' for t in tables)
                async with conn.transaction():
                    await conn.execute(f"SET LOCAL session_replication_role = replica;{deletes}")
            else:
                names = ", ".join(f'"{t._meta.tablename}"' for t in tables)
                await conn.execute(f"TRUNCATE {names} CASCADE")
    else:
        names = ", ".join(f'"{t._meta.tablename}"' for t in tables)
        await engine.run_ddl(f"TRUNCATE {names} CASCADE")


_superuser: dict[str, bool] = {}


async def _is_superuser(conn: asyncpg.Connection) -> bool:
    if "answer" not in _superuser:
        _superuser["answer"] = bool(
            await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        )
    return _superuser["answer"]


@pytest.fixture
async def api(clean: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=clean.url, timeout=30) as client:
        yield client


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"
