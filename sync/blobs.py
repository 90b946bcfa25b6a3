"""The queue of photos and signatures to upload, apart from the ops that name them (R39).

Part of the device's local store (`sync.store`). Every file the device made stays known
after its upload: a server restored from a backup may say it is missing again (R38), and
only a file still known here can be sent again.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from sync.device import BlobFile, QueuedBlob
from sync.timestamps import now_text

if TYPE_CHECKING:
    from sync.store import DeviceStore


class BlobQueue:
    def __init__(self, store: DeviceStore) -> None:
        self._store = store

    def add(self, blob: BlobFile) -> None:
        with self._store.transaction() as db:
            self.add_in(db, blob)

    def add_in(self, db: sqlite3.Connection, blob: BlobFile) -> None:
        # A file uploaded already stays uploaded: the server has those exact bytes.
        db.execute(
            "INSERT INTO blobs (sha256, site_id, path, queued_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (sha256) DO UPDATE SET path = excluded.path",
            (blob.sha256, str(blob.site_id), str(blob.path), now_text()),
        )

    def queued(self, limit: int | None = None) -> list[QueuedBlob]:
        """Not yet uploaded; the least tried first, so one bad file does not hold the rest."""
        rows = self._store.db.execute(
            "SELECT * FROM blobs WHERE uploaded_at IS NULL"
            " ORDER BY attempts, queued_at, sha256 LIMIT ?",
            (-1 if limit is None else limit,),
        )
        return [
            QueuedBlob(
                sha256=row["sha256"],
                site_id=uuid.UUID(row["site_id"]),
                path=Path(row["path"]),
                attempts=row["attempts"],
                last_error=row["last_error"],
            )
            for row in rows
        ]

    def count(self) -> int:
        count: int = self._store.db.execute(
            "SELECT count(*) FROM blobs WHERE uploaded_at IS NULL"
        ).fetchone()[0]
        return count

    def failing(self) -> int:
        count: int = self._store.db.execute(
            "SELECT count(*) FROM blobs WHERE uploaded_at IS NULL AND last_error IS NOT NULL"
        ).fetchone()[0]
        return count

    def uploaded(self, sha256: str) -> None:
        with self._store.transaction() as db:
            db.execute(
                "UPDATE blobs SET uploaded_at = ?, last_error = NULL WHERE sha256 = ?",
                (now_text(), sha256),
            )

    def failed(self, sha256: str, error: str) -> None:
        with self._store.transaction() as db:
            db.execute(
                "UPDATE blobs SET attempts = attempts + 1, last_error = ? WHERE sha256 = ?",
                (error[:500], sha256),
            )

    def requeue_in(self, db: sqlite3.Connection, missing: Iterable[str]) -> int:
        """Queue again the files the server says it lacks; returns how many were known."""
        requeued = 0
        for sha256 in missing:
            done = db.execute(
                "UPDATE blobs SET uploaded_at = NULL WHERE sha256 = ? AND uploaded_at IS NOT NULL",
                (sha256,),
            )
            requeued += done.rowcount
        return requeued
