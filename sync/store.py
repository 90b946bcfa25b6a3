"""The device's local store: one SQLite file per device, the device's memory between syncs.

It holds who the device is, its clock and next `device_seq`, the outbox of ops not yet
acknowledged, the results of acknowledged ops, a cursor per scope, the cached reference
data, and the queue of photos to upload. Everything that must change together changes in
one local transaction:

- an op gets its `device_seq` and HLC as it enters the outbox (R2, R33), so a crash can
  neither skip a number nor give one to two ops;
- a pulled page and its cursor are saved together (R31), so a crash between the two can
  neither skip the page nor apply it under an old cursor;
- a push's results, the ops they settle and the merged clock are saved together.

The store is split by noun: `outbox` (`sync.outbox`), `cache` (`sync.cache`) and `blobs`
(`sync.blobs`) share this connection and its transactions.

The file is opened in WAL mode with `synchronous=FULL`: the outbox is the only copy of a
record until the server acknowledges it, so a committed enqueue must survive a power cut.
"""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import msgspec

from sync import hlc as clock
from sync.blobs import BlobQueue
from sync.cache import ReferenceCache
from sync.device import DeviceStatus, Identity, StoreError
from sync.outbox import Outbox
from sync.timestamps import now_text

__all__ = ["DeviceStore", "StoreError"]

SCHEMA_VERSION = 1
SCHEMA = (
    # One row: who the device is and its counters. `next_seq` and `hlc` change only
    # together with the outbox (R2, R33); `last_applied_seq` is the server's, as last heard.
    """CREATE TABLE device (
        only INTEGER PRIMARY KEY CHECK (only = 1),
        server_url TEXT NOT NULL,
        token TEXT NOT NULL,
        device_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        username TEXT NOT NULL,
        display_name TEXT NOT NULL,
        organization_id TEXT NOT NULL,
        sites TEXT NOT NULL,
        enrolled_at TEXT NOT NULL,
        next_seq INTEGER NOT NULL DEFAULT 1,
        hlc TEXT,
        last_applied_seq INTEGER NOT NULL DEFAULT 0,
        last_push_at TEXT,
        last_pull_at TEXT
    )""",
    """CREATE TABLE outbox (
        device_seq INTEGER PRIMARY KEY,
        op_id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        v INTEGER NOT NULL,
        hlc TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        body BLOB NOT NULL,
        queued_at TEXT NOT NULL
    )""",
    # Acknowledged ops keep their body: a rejected or conflicting one is shown to a person,
    # and after a server restored from a backup answers `gap` the lost ones are resent.
    """CREATE TABLE op_results (
        device_seq INTEGER PRIMARY KEY,
        op_id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        v INTEGER NOT NULL,
        hlc TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        body BLOB NOT NULL,
        status TEXT NOT NULL,
        code TEXT,
        detail TEXT,
        field TEXT,
        current BLOB,
        result BLOB,
        parallel INTEGER NOT NULL DEFAULT 0,
        acknowledged_at TEXT NOT NULL,
        dismissed_at TEXT
    )""",
    "CREATE INDEX op_results_attention ON op_results (status) WHERE dismissed_at IS NULL",
    # A null cursor: the scope is known, and its next pull starts from a snapshot (R27).
    """CREATE TABLE cursors (
        scope TEXT PRIMARY KEY,
        cursor TEXT,
        pulled_at TEXT NOT NULL
    )""",
    """CREATE TABLE reference (
        scope TEXT NOT NULL,
        entity TEXT NOT NULL,
        id TEXT NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (scope, entity, id)
    )""",
    "CREATE INDEX reference_entity ON reference (entity, id)",
    # A scan looks a tag up by its printed code.
    """CREATE INDEX reference_tag_code ON reference (json_extract(data, '$.code'))
        WHERE entity = 'tag'""",
    # Every photo the device made, uploaded or not: the server may later say one is
    # missing (a restore), and only a file still known here can be sent again.
    """CREATE TABLE blobs (
        sha256 TEXT PRIMARY KEY,
        site_id TEXT NOT NULL,
        path TEXT NOT NULL,
        queued_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        uploaded_at TEXT
    )""",
    "CREATE INDEX blobs_queued ON blobs (attempts, queued_at) WHERE uploaded_at IS NULL",
)


class DeviceStore:
    """Not thread-safe: one store object per thread (the file may be opened by several)."""

    def __init__(self, path: str | Path, *, durable: bool = True) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # The store holds the device's bearer token: readable by its owner only (SQLite
            # gives the -wal and -shm files the same mode).
            self.path.touch(mode=0o600, exist_ok=True)
        # isolation_level=None: transactions are begun explicitly, BEGIN IMMEDIATE for
        # writes, so two processes on one file (the CLI and a simulator) queue instead of
        # failing on a lock upgrade.
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA busy_timeout = 10000")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
        self._db.execute("PRAGMA foreign_keys = ON")
        self._migrate()
        self.outbox = Outbox(self)
        self.cache = ReferenceCache(self)
        self.blobs = BlobQueue(self)

    @property
    def db(self) -> sqlite3.Connection:
        """The connection, for reads; writes go through `transaction()`."""
        return self._db

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> DeviceStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer app (store version {version}); update the app"
            )
        if version < SCHEMA_VERSION:
            with self.transaction():
                for statement in SCHEMA:
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One local write transaction; anything raised inside rolls all of it back."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # Identity -------------------------------------------------------------------------

    def identity(self) -> Identity | None:
        row = self._db.execute("SELECT * FROM device WHERE only = 1").fetchone()
        if row is None or row["device_id"] is None:
            return None
        return Identity(
            server_url=row["server_url"],
            token=row["token"],
            device_id=uuid.UUID(row["device_id"]),
            user_id=uuid.UUID(row["user_id"]),
            username=row["username"],
            display_name=row["display_name"],
            organization_id=uuid.UUID(row["organization_id"]),
            sites=msgspec.json.decode(row["sites"]),
            enrolled_at=datetime.fromisoformat(row["enrolled_at"]),
        )

    def require_identity(self) -> Identity:
        identity = self.identity()
        if identity is None:
            raise StoreError(f"this device is not enrolled (store {self.path})")
        return identity

    def enrol(self, identity: Identity) -> None:
        """Record who this device is. Enrolling as another device (a new token names a new
        device) starts a new outbox and a new cache, so it is refused while ops of the old
        device wait to be sent: they carry its seqs and clock and only it may send them."""
        with self.transaction() as db:
            row = db.execute("SELECT device_id, user_id FROM device WHERE only = 1").fetchone()
            same_device = row is not None and row["device_id"] == str(identity.device_id)
            if row is not None and row["device_id"] is not None and not same_device:
                waiting = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
                if waiting:
                    raise StoreError(
                        f"{waiting} ops of device {row['device_id']} are not sent yet; "
                        "push them with that device's token before enrolling another"
                    )
                for table in ("op_results", "cursors", "reference"):
                    db.execute(f"DELETE FROM {table}")
            values = (
                identity.server_url,
                identity.token,
                str(identity.device_id),
                str(identity.user_id),
                identity.username,
                identity.display_name,
                str(identity.organization_id),
                msgspec.json.encode(identity.sites).decode(),
                identity.enrolled_at.isoformat(),
            )
            if same_device:
                db.execute(
                    "UPDATE device SET server_url = ?, token = ?, device_id = ?, user_id = ?,"
                    " username = ?, display_name = ?, organization_id = ?, sites = ?,"
                    " enrolled_at = ? WHERE only = 1",
                    values,
                )
            else:
                db.execute("DELETE FROM device")
                db.execute(
                    "INSERT INTO device (only, server_url, token, device_id, user_id, username,"
                    " display_name, organization_id, sites, enrolled_at, next_seq)"
                    " VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                    values,
                )

    def state(self, db: sqlite3.Connection | None = None) -> sqlite3.Row:
        """The device row: counters and clock; raises `StoreError` before enrolment."""
        row: sqlite3.Row | None = (
            (db or self._db).execute("SELECT * FROM device WHERE only = 1").fetchone()
        )
        if row is None:
            raise StoreError(f"this device is not enrolled (store {self.path})")
        return row

    def hlc(self) -> clock.Hlc | None:
        text = self.state()["hlc"]
        return clock.parse_hlc(text) if text else None

    def next_seq(self) -> int:
        next_seq: int = self.state()["next_seq"]
        return next_seq

    def fast_forward(self, db: sqlite3.Connection, last_applied_seq: int) -> None:
        """A device enrolled again with a store that lost its history (a reinstalled app)
        must not reuse numbers the server holds (R4): with nothing waiting, the next number
        follows the server's last."""
        if not db.execute("SELECT count(*) FROM outbox").fetchone()[0]:
            db.execute(
                "UPDATE device SET next_seq = max(next_seq, ?) WHERE only = 1",
                (last_applied_seq + 1,),
            )

    def merged_hlc(self, state: sqlite3.Row, server_hlc: str, now_ms: int | None) -> str | None:
        """The device's clock after receiving the server's (R33); a server clock that does
        not parse is ignored rather than allowed to fail a sync."""
        try:
            remote = clock.parse_hlc(server_hlc)
        except clock.InvalidHlc:
            unchanged: str | None = state["hlc"]
            return unchanged
        local = clock.parse_hlc(state["hlc"]) if state["hlc"] else None
        now = clock.now_ms() if now_ms is None else now_ms
        return str(clock.receive(local, remote, now, state["device_id"]))

    def note_pull(
        self, last_applied_seq: int, server_hlc: str, *, now_ms: int | None = None
    ) -> None:
        """After a pull: merge the server's clock, remember when, and learn the server's
        `last_applied_seq` (read in the pull's snapshot, R30)."""
        with self.transaction() as db:
            state = self.state(db)
            self.fast_forward(db, last_applied_seq)
            db.execute(
                "UPDATE device SET hlc = ?, last_pull_at = ?,"
                " last_applied_seq = max(last_applied_seq, ?) WHERE only = 1",
                (self.merged_hlc(state, server_hlc, now_ms), now_text(), last_applied_seq),
            )

    def status(self) -> DeviceStatus:
        identity = self.identity()
        row = self._db.execute("SELECT * FROM device WHERE only = 1").fetchone()
        return DeviceStatus(
            enrolled=identity is not None,
            server_url=identity.server_url if identity else None,
            device_id=identity.device_id if identity else None,
            username=identity.username if identity else None,
            queued_ops=self.outbox.count(),
            queued_blobs=self.blobs.count(),
            failing_blobs=self.blobs.failing(),
            next_seq=row["next_seq"] if row else 1,
            last_applied_seq=row["last_applied_seq"] if row else 0,
            last_push_at=_when(row["last_push_at"]) if row else None,
            last_pull_at=_when(row["last_pull_at"]) if row else None,
            cursors=self.cache.cursors(),
            cached=self.cache.counts(),
            needs_attention=self.outbox.needs_attention(),
        )


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
