"""A server process killed (SIGKILL) while it applies a batch of a large push, then started
again: the device pushes again and every op is applied exactly once (R8, R9). On SQLite the
file comes back intact. The server is `roundkeeper serve`, a process of its own, on the
test database."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
from uuid_utils.compat import uuid7

from checklists import load_library
from server.db import transaction
from server.inspections.tables import Finding, Inspection
from server.templates.templates import publish_template
from sync.client import DeviceClient, ServerUnavailable
from sync.store import DeviceStore
from sync.tables import SyncDevice, SyncOp
from tests.conftest import PUBLIC_URL
from tests.factories import make_asset, make_person, make_school
from tests.inspections.helpers import extinguisher_answers

BIN = Path(sys.executable).parent / "roundkeeper"
TEMPLATE = "fire_extinguisher_monthly"
BACKLOG = 3000
BATCH = 500


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """`roundkeeper serve` on a loopback port, started again on the same port after a kill."""

    def __init__(self, database_url: str, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir / "server.log"
        self.env = {
            **os.environ,
            "ROUNDKEEPER_DATABASE_URL": database_url,
            "ROUNDKEEPER_DATA_DIR": str(data_dir),
            "ROUNDKEEPER_PUBLIC_URL": PUBLIC_URL,
            "ROUNDKEEPER_PASSWORD_HASHING": "fast",
        }
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("a") as log:
            self.process = await asyncio.create_subprocess_exec(
                str(BIN),
                "serve",
                "--port",
                str(self.port),
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        async with httpx.AsyncClient() as http:
            for _ in range(600):
                if self.process.returncode is not None:
                    pytest.fail(f"the server did not start:\n{self.log.read_text()}")
                try:
                    if (await http.get(self.url + "/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        pytest.fail("the server did not become ready in 30 s")

    async def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), 10)


class WritingProbe:
    """Whether another connection holds an open write transaction on the database: the
    server is in the middle of applying a batch."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.conn: asyncpg.Connection | None = None

    async def writing(self) -> bool:
        if self.url.startswith("sqlite:///"):
            return self._sqlite_writing(self.url.removeprefix("sqlite:///"))
        if self.conn is None:
            self.conn = await asyncpg.connect(self.url)
        return await self.conn.fetchval(
            "SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
        )

    @staticmethod
    def _sqlite_writing(path: str) -> bool:
        probe = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return True
            raise
        finally:
            if probe.in_transaction:
                probe.execute("ROLLBACK")
            probe.close()
        return False

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()


class KillDuringPush(httpx.AsyncBaseTransport):
    """A network that works, except that during the `at`-th push, once the server has
    opened the batch's transaction, the server is killed."""

    def __init__(self, served: Served, probe: WritingProbe, at: int) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.served = served
        self.probe = probe
        self.at = at
        self.pushes = 0
        self.killed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != "/api/sync/push":
            return await self.inner.handle_async_request(request)
        self.pushes += 1
        if self.pushes != self.at:
            return await self.inner.handle_async_request(request)
        sent = asyncio.ensure_future(self.inner.handle_async_request(request))
        for _ in range(10_000):
            if await self.probe.writing():
                break
            assert not sent.done(), "the batch was answered before the server could be killed"
            await asyncio.sleep(0.001)
        await self.served.kill()
        self.killed = True
        return await sent

    async def aclose(self) -> None:
        await self.inner.aclose()


async def no_wait(_: float) -> None:
    pass


async def test_a_server_killed_in_the_middle_of_a_large_push_applies_every_op_once(
    clean, database, tmp_path
):
    school = await make_school()
    async with transaction():
        await publish_template(school.organization_id, load_library()[TEMPLATE], None)
    admin = await make_person(school, "admin")
    inspector = await make_person(school, "inspector")
    assets = [str(await make_asset(admin, school, asset_number=f"MHQ-{n}")) for n in range(5)]

    served = Served(database.url, tmp_path)
    await served.start()
    probe = WritingProbe(database.url)
    network = KillDuringPush(served, probe, at=2)
    store = DeviceStore(tmp_path / "phone.sqlite3", durable=False)
    made: dict[str, bool] = {}
    try:
        async with DeviceClient(
            store, transport=network, sleep=no_wait, batch_size=BATCH
        ) as client:
            await client.enrol(served.url, inspector.token)
            for n in range(BACKLOG):
                completed = datetime.now(UTC) - timedelta(minutes=BACKLOG - n)
                failing = n % 10 == 0
                body = {
                    "id": str(uuid7()),
                    "template_key": TEMPLATE,
                    "template_version": 1,
                    "asset_id": assets[n % len(assets)],
                    "answers": extinguisher_answers(hose="fail" if failing else "pass"),
                    "started_at": (completed - timedelta(seconds=40)).isoformat(),
                    "completed_at": completed.isoformat(),
                }
                client.enqueue("inspection.submitted", body, completed)
                made[body["id"]] = failing

            with pytest.raises(ServerUnavailable):
                await client.push()
            assert network.killed
            device_id = store.state()["device_id"]
            # The first batch committed; the one in flight when the server died did not.
            device = await SyncDevice.select().where(SyncDevice.id == device_id).first()
            assert device["last_applied_seq"] == BATCH
            assert await Inspection.count().where(Inspection.site == school.site_id) == BATCH
            assert store.outbox.count() == BACKLOG - BATCH

            await served.start()
            report = await client.push()
        assert report.remaining == 0 and report.last_applied_seq == BACKLOG
    finally:
        await served.stop()
        await probe.close()

    results = store.outbox.results()
    assert len(results) == BACKLOG and {r.status for r in results} == {"applied"}
    assert (store.outbox.count(), store.state()["last_applied_seq"]) == (0, BACKLOG)
    store.close()
    stored = await Inspection.select(Inspection.id).where(Inspection.site == school.site_id)
    ids = [str(row["id"]) for row in stored]
    assert len(ids) == len(set(ids)) == BACKLOG
    assert set(ids) == set(made)
    device = await SyncDevice.select().where(SyncDevice.id == device_id).first()
    assert device["last_applied_seq"] == BACKLOG
    assert await SyncOp.count().where(SyncOp.device_id == device_id) == BACKLOG
    findings = await Finding.select(Finding.inspection).where(Finding.site == school.site_id)
    assert sorted(str(f["inspection"]) for f in findings) == sorted(
        i for i, failing in made.items() if failing
    )
    if database.backend == "sqlite":
        path = database.url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as check:
            assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
