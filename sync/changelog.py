"""Recording changes for pull, numbered in commit order.

Domain code calls `record(...)` for every change to data devices pull, inside the write
transaction that makes the change. The changes wait in memory; `flush` runs as the
transaction's last step: it takes the next position from the one-row counter
(`UPDATE ... SET position = position + 1 RETURNING position`) and writes the changes under
it. The counter row stays locked until commit, so on PostgreSQL a transaction that numbers
later also commits later, and a reader that has seen position N has seen everything
numbered below N (R25). SQLite has one writer at a time, so the same code is correct there.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec

from sync.bulk import insert_rows
from sync.tables import SyncChange, SyncCounter
from sync.wire import DEL, PUT


class NoTransaction(RuntimeError):
    """A change was recorded outside a write transaction: it would never reach devices."""


@dataclass
class ChangeBuffer:
    changes: list[tuple[str, str, str, str, int, str | None]] = field(default_factory=list)
    position: int | None = None
    """Set by `flush`: the position this transaction's changes were written under."""


_current: contextvars.ContextVar[ChangeBuffer | None] = contextvars.ContextVar(
    "roundkeeper_changes", default=None
)


def begin() -> contextvars.Token[ChangeBuffer | None]:
    return _current.set(ChangeBuffer())


def end(token: contextvars.Token[ChangeBuffer | None]) -> None:
    _current.reset(token)


def current() -> ChangeBuffer | None:
    return _current.get()


def record(
    scope: str | Any,
    entity: str,
    entity_id: str | Any,
    *,
    version: int,
    data: Any = None,
    deleted: bool = False,
) -> None:
    """Note that `entity` `entity_id` changed in `scope` (the server's scopes are site
    ids). `data` is the entity as devices see it (a msgspec Struct, or anything msgspec
    encodes); a deletion carries none."""
    buffer = _current.get()
    if buffer is None:
        raise NoTransaction(f"{entity} {entity_id} changed outside a write transaction")
    encoded = None if deleted else msgspec.json.encode(data).decode()
    buffer.changes.append(
        (str(scope), entity, str(entity_id), DEL if deleted else PUT, version, encoded)
    )


def mark() -> int:
    """Where the current transaction's changes stand, for `rollback_to` after a savepoint
    is rolled back."""
    buffer = _current.get()
    return len(buffer.changes) if buffer is not None else 0


def rollback_to(mark: int) -> None:
    buffer = _current.get()
    if buffer is not None:
        del buffer.changes[mark:]


async def flush(buffer: ChangeBuffer) -> int | None:
    """Number the transaction and write its changes; the transaction's last step."""
    if not buffer.changes:
        return None
    numbered = await SyncCounter.raw(
        "UPDATE sync_counter SET position = position + 1 RETURNING position"
    )
    position: int = numbered[0]["position"]
    now = datetime.now(UTC)
    await insert_rows(
        SyncChange,
        [
            {
                "position": position,
                "scope": scope,
                "entity": entity,
                "entity_id": entity_id,
                "op": op,
                "version": version,
                "data": data,
                "changed_at": now,
            }
            for scope, entity, entity_id, op, version, data in buffer.changes
        ],
    )
    buffer.position = position
    buffer.changes.clear()
    return position
