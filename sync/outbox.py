"""The outbox: records made on this device, numbered and clocked as they are made, kept
until the server gives each a final answer, then kept with that answer.

Part of the device's local store (`sync.store`): every method that writes is one local
transaction.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from sync import hlc as clock
from sync.cache import raw_json
from sync.device import AttentionOp, BlobFile, Settlement, StoreError
from sync.ids import uuid7
from sync.timestamps import now_text
from sync.wire import GAP, Op, PushResponse

if TYPE_CHECKING:
    from sync.store import DeviceStore

NEEDS_A_PERSON = ("rejected", "conflict")


class Outbox:
    def __init__(self, store: DeviceStore) -> None:
        self._store = store

    def enqueue(
        self,
        type: str,
        body: Any,
        occurred_at: datetime,
        *,
        v: int = 1,
        blobs: Iterable[BlobFile] = (),
        now_ms: int | None = None,
    ) -> Op:
        """Put a record in the outbox with the next `device_seq` and a fresh HLC (R2, R33).

        `body` is anything msgspec encodes (a dict, a Struct). `blobs` are the files the
        record names, queued for upload in the same transaction: a record is never saved
        without the photos it names being remembered.
        """
        if occurred_at.utcoffset() is None:
            raise ValueError("occurred_at must carry its UTC offset")
        raw = msgspec.json.encode(body)
        with self._store.transaction() as db:
            state = self._store.state(db)
            last = clock.parse_hlc(state["hlc"]) if state["hlc"] else None
            now = clock.now_ms() if now_ms is None else now_ms
            op = Op(
                type=type,
                v=v,
                op_id=uuid7(),
                device_seq=state["next_seq"],
                hlc=str(clock.tick(last, now, state["device_id"])),
                occurred_at=occurred_at,
                body=msgspec.Raw(raw),
            )
            db.execute(
                "INSERT INTO outbox (device_seq, op_id, type, v, hlc, occurred_at, body,"
                " queued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    op.device_seq,
                    str(op.op_id),
                    type,
                    v,
                    op.hlc,
                    occurred_at.isoformat(),
                    raw,
                    now_text(),
                ),
            )
            db.execute(
                "UPDATE device SET next_seq = next_seq + 1, hlc = ? WHERE only = 1", (op.hlc,)
            )
            for blob in blobs:
                self._store.blobs.add_in(db, blob)
        return op

    def pending(self, limit: int | None = None) -> list[Op]:
        """The ops waiting to be sent, oldest first (R1)."""
        rows = self._store.db.execute(
            "SELECT * FROM outbox ORDER BY device_seq LIMIT ?", (-1 if limit is None else limit,)
        ).fetchall()
        return [_op(row) for row in rows]

    def count(self) -> int:
        count: int = self._store.db.execute("SELECT count(*) FROM outbox").fetchone()[0]
        return count

    def settle(self, response: PushResponse, *, now_ms: int | None = None) -> Settlement:
        """Take a push's answer, in one transaction: every op with a final status leaves
        the outbox for the results (R6, R14); the server's clock is merged (R33); blobs the
        server says are missing and this device has are queued again (R38, R39).

        On `gap` the ops the server lacks, from `last_applied_seq + 1`, are put back in the
        outbox from the results, so the next batch sends them (R5). A server says gap only
        when it lost what it once acknowledged (restored from a backup).
        """
        settled: list[str] = []
        gap = False
        with self._store.transaction() as db:
            state = self._store.state(db)
            for result in response.results:
                if result.status == GAP:
                    gap = True
                    continue
                row = db.execute(
                    "SELECT * FROM outbox WHERE device_seq = ? AND op_id = ?",
                    (result.device_seq, str(result.op_id)),
                ).fetchone()
                if row is None:  # settled already, by an earlier answer
                    continue
                db.execute(
                    "INSERT OR REPLACE INTO op_results (device_seq, op_id, type, v, hlc,"
                    " occurred_at, body, status, code, detail, field, current, result,"
                    " parallel, acknowledged_at) VALUES"
                    " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        row["device_seq"],
                        row["op_id"],
                        row["type"],
                        row["v"],
                        row["hlc"],
                        row["occurred_at"],
                        row["body"],
                        result.status,
                        result.code,
                        result.detail,
                        result.field,
                        raw_json(result.current),
                        raw_json(result.result),
                        int(result.parallel),
                        now_text(),
                    ),
                )
                db.execute("DELETE FROM outbox WHERE device_seq = ?", (row["device_seq"],))
                settled.append(result.status)
            last_applied = max(state["last_applied_seq"], response.last_applied_seq)
            if gap:
                last_applied = response.last_applied_seq
                self._reopen_after(db, response.last_applied_seq)
            self._store.fast_forward(db, response.last_applied_seq)
            merged = self._store.merged_hlc(state, response.server_hlc, now_ms)
            db.execute(
                "UPDATE device SET last_applied_seq = ?, hlc = ?, last_push_at = ? WHERE only = 1",
                (last_applied, merged, now_text()),
            )
            requeued = self._store.blobs.requeue_in(db, response.missing_blobs)
        return Settlement(
            settled=len(settled),
            rejected=sum(status in NEEDS_A_PERSON for status in settled),
            gap=gap,
            last_applied_seq=response.last_applied_seq,
            requeued_blobs=requeued,
        )

    def _reopen_after(self, db: sqlite3.Connection, last_applied_seq: int) -> None:
        head = db.execute("SELECT min(device_seq) FROM outbox").fetchone()[0]
        if head is None:
            head = db.execute("SELECT next_seq FROM device").fetchone()[0]
        wanted = range(last_applied_seq + 1, head)
        if not wanted:
            return
        have = db.execute(
            "SELECT count(*) FROM op_results WHERE device_seq >= ? AND device_seq < ?",
            (wanted.start, wanted.stop),
        ).fetchone()[0]
        if have != len(wanted):
            raise StoreError(
                f"the server has ops only up to {last_applied_seq} and this device no longer "
                f"holds ops {wanted.start} to {wanted.stop - 1}; a person must reconcile"
            )
        db.execute(
            "INSERT INTO outbox (device_seq, op_id, type, v, hlc, occurred_at, body, queued_at)"
            " SELECT device_seq, op_id, type, v, hlc, occurred_at, body, ? FROM op_results"
            " WHERE device_seq >= ? AND device_seq < ?",
            (now_text(), wanted.start, wanted.stop),
        )
        db.execute(
            "DELETE FROM op_results WHERE device_seq >= ? AND device_seq < ?",
            (wanted.start, wanted.stop),
        )

    def results(self, *, statuses: Iterable[str] | None = None) -> list[AttentionOp]:
        """Acknowledged ops with their answers, oldest first."""
        sql = "SELECT * FROM op_results"
        args: tuple[Any, ...] = ()
        if statuses is not None:
            args = tuple(statuses)
            sql += f" WHERE status IN ({', '.join('?' * len(args))})"
        rows = self._store.db.execute(sql + " ORDER BY device_seq", args).fetchall()
        return [_attention(row) for row in rows]

    def needs_attention(self) -> list[AttentionOp]:
        """Rejected and conflicting ops not yet dismissed: a person must look at them."""
        rows = self._store.db.execute(
            "SELECT * FROM op_results WHERE status IN ('rejected', 'conflict')"
            " AND dismissed_at IS NULL ORDER BY device_seq"
        ).fetchall()
        return [_attention(row) for row in rows]

    def dismiss(self, op_id: uuid.UUID) -> bool:
        """A person has seen this rejected or conflicting op; it leaves `needs_attention`."""
        with self._store.transaction() as db:
            done = db.execute(
                "UPDATE op_results SET dismissed_at = ? WHERE op_id = ? AND dismissed_at IS NULL",
                (now_text(), str(op_id)),
            )
        return done.rowcount == 1


def _op(row: sqlite3.Row) -> Op:
    return Op(
        type=row["type"],
        v=row["v"],
        op_id=uuid.UUID(row["op_id"]),
        device_seq=row["device_seq"],
        hlc=row["hlc"],
        occurred_at=datetime.fromisoformat(row["occurred_at"]),
        body=msgspec.Raw(row["body"]),
    )


def _attention(row: sqlite3.Row) -> AttentionOp:
    return AttentionOp(
        device_seq=row["device_seq"],
        op_id=uuid.UUID(row["op_id"]),
        type=row["type"],
        status=row["status"],
        code=row["code"],
        detail=row["detail"],
        field=row["field"],
        occurred_at=datetime.fromisoformat(row["occurred_at"]),
        acknowledged_at=datetime.fromisoformat(row["acknowledged_at"]),
        body=msgspec.json.decode(row["body"]),
        current=msgspec.json.decode(row["current"]) if row["current"] else None,
    )
