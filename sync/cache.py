"""The cached reference data and the cursor of each scope it was pulled under.

Part of the device's local store (`sync.store`). Records are kept as the server sent them
(raw JSON per scope, entity and id, with their version): the device's cache does not move
when the server adds a field, and this package knows no domain table.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

import msgspec

from sync.device import CachedRecord
from sync.timestamps import now_text
from sync.wire import DEL, SCOPE_REMOVED, SCOPE_RESET, Change, ScopePage

if TYPE_CHECKING:
    from sync.store import DeviceStore


class ReferenceCache:
    def __init__(self, store: DeviceStore) -> None:
        self._store = store

    def cursors(self) -> dict[str, str | None]:
        """Every known scope and its cursor; null means the next pull starts it from a
        snapshot (R24, R27)."""
        rows = self._store.db.execute("SELECT scope, cursor FROM cursors ORDER BY scope")
        return {row["scope"]: row["cursor"] for row in rows}

    def apply_page(self, page: ScopePage) -> None:
        """Apply one scope's page and save its cursor in one transaction (R31).

        A `put` replaces the cached record unless the cached version is newer; a `del`
        removes it (R32). `reset` drops the scope's cache first and keeps the page's cursor
        (null: the next pull starts from a snapshot); `removed` drops the scope's cache and
        cursor (R28, R29). The outbox is never touched.
        """
        with self._store.transaction() as db:
            if page.status in (SCOPE_RESET, SCOPE_REMOVED):
                db.execute("DELETE FROM reference WHERE scope = ?", (page.scope,))
            if page.status == SCOPE_REMOVED:
                db.execute("DELETE FROM cursors WHERE scope = ?", (page.scope,))
                return
            for change in page.changes:
                apply_change(db, page.scope, change)
            db.execute(
                "INSERT INTO cursors (scope, cursor, pulled_at) VALUES (?, ?, ?)"
                " ON CONFLICT (scope) DO UPDATE SET cursor = excluded.cursor,"
                " pulled_at = excluded.pulled_at",
                (page.scope, page.cursor, now_text()),
            )

    def get(self, entity: str, id: str, *, scope: str | None = None) -> CachedRecord | None:
        sql = "SELECT * FROM reference WHERE entity = ? AND id = ?"
        args: tuple[Any, ...] = (entity, id)
        if scope is not None:
            sql += " AND scope = ?"
            args += (scope,)
        row = self._store.db.execute(sql + " ORDER BY scope LIMIT 1", args).fetchone()
        return _record(row) if row is not None else None

    def all(self, entity: str, *, scope: str | None = None) -> list[CachedRecord]:
        sql = "SELECT * FROM reference WHERE entity = ?"
        args: tuple[Any, ...] = (entity,)
        if scope is not None:
            sql += " AND scope = ?"
            args += (scope,)
        rows = self._store.db.execute(sql + " ORDER BY scope, id", args).fetchall()
        return [_record(row) for row in rows]

    def find_tag(self, code: str) -> CachedRecord | None:
        """The cached tag printed with `code`, in the canonical form the server keeps."""
        row = self._store.db.execute(
            "SELECT * FROM reference WHERE entity = 'tag' AND json_extract(data, '$.code') = ?"
            " ORDER BY scope LIMIT 1",
            (code,),
        ).fetchone()
        return _record(row) if row is not None else None

    def counts(self) -> dict[str, int]:
        """Cached records per entity."""
        rows = self._store.db.execute(
            "SELECT entity, count(*) AS n FROM reference GROUP BY entity ORDER BY entity"
        )
        return {row["entity"]: row["n"] for row in rows}


def apply_change(db: sqlite3.Connection, scope: str, change: Change) -> None:
    if change.op == DEL:
        db.execute(
            "DELETE FROM reference WHERE scope = ? AND entity = ? AND id = ?",
            (scope, change.entity, change.id),
        )
        return
    db.execute(
        "INSERT INTO reference (scope, entity, id, version, data) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (scope, entity, id) DO UPDATE SET version = excluded.version,"
        " data = excluded.data WHERE excluded.version >= reference.version",
        (
            scope,
            change.entity,
            change.id,
            change.version,
            (raw_json(change.data) or b"null").decode(),
        ),
    )


def raw_json(value: object) -> bytes | None:
    """The bytes of an optional raw field, None when it was not sent (an unset or empty
    `msgspec.Raw`)."""
    if isinstance(value, msgspec.Raw) and len(value):
        return bytes(value)
    return None


def _record(row: sqlite3.Row) -> CachedRecord:
    return CachedRecord(
        scope=row["scope"],
        entity=row["entity"],
        id=row["id"],
        version=row["version"],
        data=msgspec.json.decode(row["data"]),
    )
