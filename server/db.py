"""Engines, transactions and migrations for SQLite and PostgreSQL.

Piccolo finds its engine through a configuration module; Roundkeeper builds the engine
from Settings instead and binds it to every table, so one process can talk to the
database its settings name (the test suite switches between SQLite and PostgreSQL).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import msgspec
from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.commands.forwards import ForwardsMigrationManager
from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import AppConfig, Finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory
from piccolo.table import Table

from server import piccolo_conf
from sync import changelog

# Piccolo's migration machinery locates its configuration module by this variable;
# it is set (never read) here so that `roundkeeper db upgrade` needs no extra set-up.
os.environ.setdefault("PICCOLO_CONF", "server.piccolo_conf")

SQLITE_BUSY_TIMEOUT_S = 30.0


class DatabaseNotReady(Exception):
    """The database is unreachable or not migrated; the message says what to run."""


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo opens a new SQLite connection (and its thread) for every query outside a
    transaction; keeping a few open connections for those makes a typical API request
    several times cheaper. Transactions still get a connection of their own."""

    def __init__(self, *, pool_size: int = 8, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._idle: list[Any] = []
        self._pool_size = pool_size

    async def get_connection(self) -> Any:
        pending = aiosqlite.connect(**self.connection_kwargs)
        # An idle pooled connection must never keep a finished process alive.
        pending._thread.daemon = True
        connection = await pending
        # aiosqlite types row_factory as a class; sqlite3 takes any callable.
        connection.row_factory = dict_factory  # type: ignore[assignment]
        await connection.execute("PRAGMA foreign_keys = 1")
        return connection

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        connection = self._idle.pop() if self._idle else await self.get_connection()
        healthy = False
        try:
            # isolation_level=None: each statement commits on its own.
            async with connection.execute(query, args or []) as cursor:
                rows = await cursor.fetchall()
            healthy = True
            return rows
        finally:
            if healthy and len(self._idle) < self._pool_size:
                self._idle.append(connection)
            else:
                await connection.close()

    async def close_idle(self) -> None:
        while self._idle:
            await self._idle.pop().close()


def engine_from_url(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        # `timeout` becomes SQLite's busy_timeout: writers wait instead of failing.
        return PooledSQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_S)
    return PostgresEngine(config={"dsn": url})


def app_configs() -> list[AppConfig]:
    return Finder().get_app_configs(sort_by_migration_dependencies=True)


def table_classes() -> list[type[Table]]:
    tables: list[type[Table]] = [Migration]
    for config in app_configs():
        tables.extend(config.table_classes)
    return tables


def bind(engine: Engine) -> None:
    """Point every table (and Piccolo's migration machinery) at `engine`."""
    piccolo_conf.DB = engine
    for table in table_classes():
        table._meta.db = engine


def current_engine() -> Engine:
    if piccolo_conf.DB is None:
        raise RuntimeError("no database engine bound; call server.db.bind() first")
    return piccolo_conf.DB


def is_sqlite() -> bool:
    return isinstance(current_engine(), SQLiteEngine)


@contextlib.asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    """A write transaction: BEGIN IMMEDIATE on SQLite (serialised writers, no
    "database is locked" on upgrade from read to write), READ COMMITTED on PostgreSQL.
    Inside another transaction it joins that one.

    Changes recorded for devices (`sync.changelog.record`) are numbered and written as
    the transaction's last step, so the change log's order is the commit order."""
    engine = current_engine()
    if engine.current_transaction.get() is not None:
        yield
        return
    if isinstance(engine, SQLiteEngine):
        # SQLite has one writer at a time. Queue this process's writers fairly here rather
        # than let them poll the file lock, where an unlucky one can wait for seconds.
        async with (
            _writer_lock(engine),
            engine.transaction(transaction_type=TransactionType.immediate),
            _numbered_changes(),
        ):
            yield
        return
    async with engine.transaction(), _numbered_changes():
        yield


@contextlib.asynccontextmanager
async def _numbered_changes() -> AsyncIterator[None]:
    token = changelog.begin()
    try:
        yield
        buffer = changelog.current()
        assert buffer is not None
        await changelog.flush(buffer)
    finally:
        changelog.end(token)


@contextlib.asynccontextmanager
async def snapshot() -> AsyncIterator[None]:
    """A read-only view of one moment, for pulls and reports: every query inside sees the
    same committed state (REPEATABLE READ on PostgreSQL; a deferred transaction on SQLite,
    whose WAL gives the reader a fixed snapshot from its first read)."""
    engine = current_engine()
    if engine.current_transaction.get() is not None:
        yield
        return
    if isinstance(engine, SQLiteEngine):
        async with engine.transaction(transaction_type=TransactionType.deferred):
            yield
        return
    async with engine.transaction():
        await engine.run_ddl("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def _writer_lock(engine: SQLiteEngine) -> asyncio.Lock:
    lock = getattr(engine, "_roundkeeper_writer_lock", None)
    if lock is None:
        lock = asyncio.Lock()
        engine._roundkeeper_writer_lock = lock  # type: ignore[attr-defined]
    return lock


def contains(column: Any, text: str) -> Any:
    """A case-insensitive substring filter (SQLite's LIKE already ignores ASCII case).
    A `%` or `_` typed by the user acts as a wildcard; for a search box that is harmless."""
    pattern = f"%{text}%"
    return column.like(pattern) if is_sqlite() else column.ilike(pattern)


async def prepare(engine: Engine) -> None:
    """Settings that live in the database file itself (SQLite's journal mode)."""
    if isinstance(engine, SQLiteEngine):
        await engine.run_ddl("PRAGMA journal_mode=WAL")


async def upgrade(engine: Engine, *, quiet: bool = False) -> list[str]:
    """Run every migration not yet run; return the ids that ran."""
    bind(engine)
    await prepare(engine)
    before = set(await _migrations_ran())
    out = io.StringIO()
    with contextlib.redirect_stdout(out) if quiet else contextlib.nullcontext():
        for config in app_configs():
            result = await ForwardsMigrationManager(app_name=config.app_name).run()
            if not result.success:
                raise DatabaseNotReady(f"migration of {config.app_name} failed: {result.message}")
    return sorted(set(await _migrations_ran()) - before)


async def pending_migrations() -> list[str]:
    wanted: set[str] = set()
    manager = BaseMigrationManager()
    for config in app_configs():
        modules = manager.get_migration_modules(config.resolved_migrations_folder_path)
        wanted.update(f"{config.app_name}:{mid}" for mid in modules)
    return sorted(wanted - set(await _migrations_ran()))


async def check_ready() -> None:
    """Raise DatabaseNotReady unless the database answers and is fully migrated."""
    try:
        pending = await pending_migrations()
    except Exception as exc:
        raise DatabaseNotReady(f"the database is unreachable: {exc}") from exc
    if pending:
        raise DatabaseNotReady(
            f"the database is not migrated ({len(pending)} migrations pending, "
            f"first {pending[0]}); run: roundkeeper db upgrade"
        )


async def _migrations_ran() -> list[str]:
    if not await Migration.table_exists().run():
        return []
    rows = await Migration.select(Migration.app_name, Migration.name).run()
    return [f"{r['app_name']}:{r['name']}" for r in rows]


async def start(engine: Engine) -> None:
    bind(engine)
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=10)


async def stop(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        if engine.pool is not None:
            await engine.close_connection_pool()
    elif isinstance(engine, PooledSQLiteEngine):
        await engine.close_idle()


@contextlib.asynccontextmanager
async def connected(url: str) -> AsyncIterator[Engine]:
    """An engine for a command-line task: bound, pooled on PostgreSQL, closed after."""
    engine = engine_from_url(url)
    await start(engine)
    try:
        yield engine
    finally:
        await stop(engine)


def json_bytes(value: Any) -> bytes:
    """A JSON column's value as JSON bytes, for msgspec to decode into its type. Piccolo
    hands a JSON column back as its text (or, read with `load_json`, as the value)."""
    if isinstance(value, bytes):
        return value
    return value.encode() if isinstance(value, str) else msgspec.json.encode(value)
