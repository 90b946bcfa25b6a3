"""Answering a pull: per scope, a snapshot for a new device, then the change log.

A cursor is a position in the change log plus, while a snapshot is being paged, where the
snapshot has got to. Positions come from the one-row counter taken as each writing
transaction's last step (see `sync.changelog`), so reading "everything after N" never
skips a transaction that numbered earlier but committed later (R25). A page ends on a
transaction boundary (R26). Run `pull` inside one read snapshot (R30).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import msgspec
from piccolo.columns.combination import Combinable, WhereRaw

from sync.tables import SyncChange, SyncCounter
from sync.wire import (
    ABSENT,
    PUT,
    SCOPE_OK,
    SCOPE_REMOVED,
    SCOPE_RESET,
    Change,
    InvalidCursor,
    ScopePage,
    decode_cursor,
    encode_cursor,
)


class Feed(Protocol):
    """One kind of entity in a scope: its name and how to list the scope's current rows,
    in the order of their ids (as strings), after a given id. The server decides what a
    scope is (a site and an audience); here it is only a name."""

    @property
    def name(self) -> str: ...

    async def snapshot(
        self, scope: str, after: str | None, limit: int
    ) -> list[tuple[str, int, Any]]: ...


@dataclass(frozen=True)
class _Cursor:
    position: int
    feed: int | None = None
    """While a snapshot is paged: the feed it has got to (None once it is done)."""
    after: str | None = None


@dataclass(frozen=True)
class Counter:
    position: int
    epoch: str
    pruned_through: int


async def read_counter() -> Counter:
    row = await SyncCounter.select().first()
    assert row is not None, "the sync migrations insert the counter row"
    return Counter(row["position"], row["epoch"], row["pruned_through"])


def _encode(cursor: _Cursor, epoch: str, key: bytes) -> str:
    if cursor.feed is None:
        return encode_cursor(cursor.position, epoch, key)
    state = f"{epoch}.s{cursor.feed}" + (f".{cursor.after}" if cursor.after else "")
    return encode_cursor(cursor.position, state, key)


def _decode(text: str, epoch: str, key: bytes) -> _Cursor | None:
    """None when the cursor cannot be used here: garbled, or made by another database."""
    try:
        position, state = decode_cursor(text, key)
    except InvalidCursor:
        return None
    parts = state.split(".", 2)
    if parts[0] != epoch:
        return None
    if len(parts) == 1:
        return _Cursor(position)
    if not parts[1].startswith("s") or not parts[1][1:].isdigit():
        return None
    return _Cursor(position, int(parts[1][1:]), parts[2] if len(parts) == 3 else None)


async def pull_scope(
    scope: str,
    cursor_text: str | None,
    *,
    feeds: Sequence[Feed],
    counter: Counter,
    limit: int,
    key: bytes,
) -> ScopePage:
    """One page of one scope the caller may see; `key` signs and checks its cursors."""
    if cursor_text is None:
        cursor = _Cursor(counter.position, feed=0)
    else:
        decoded = _decode(cursor_text, counter.epoch, key)
        # Older than what the log keeps, or ahead of it (a database restored from an
        # older backup): the device must start this scope again (R29). So must a
        # snapshot still being paged: once done it goes on from the log at its starting
        # position, and a record deleted after its page was sent, its tombstone pruned,
        # would stay on the device for good.
        if (
            decoded is None
            or decoded.position > counter.position
            or decoded.position < counter.pruned_through
            or (decoded.feed is not None and decoded.feed >= len(feeds))
        ):
            return ScopePage(
                scope=scope, status=SCOPE_RESET, changes=[], cursor=None, has_more=True
            )
        cursor = decoded
    if cursor.feed is not None:
        return await _snapshot_page(
            scope, cursor, feeds=feeds, counter=counter, limit=limit, key=key
        )
    return await _log_page(scope, cursor, counter=counter, limit=limit, key=key)


def removed(scope: str) -> ScopePage:
    """A scope the device had and its user may no longer see (R28)."""
    return ScopePage(scope=scope, status=SCOPE_REMOVED, changes=[], cursor=None, has_more=False)


async def _snapshot_page(
    scope: str,
    cursor: _Cursor,
    *,
    feeds: Sequence[Feed],
    counter: Counter,
    limit: int,
    key: bytes,
) -> ScopePage:
    changes: list[Change] = []
    feed, after = cursor.feed, cursor.after
    assert feed is not None
    while feed < len(feeds) and len(changes) < limit:
        wanted = limit - len(changes)
        rows = await feeds[feed].snapshot(scope, after, wanted)
        changes += [
            Change(
                entity=feeds[feed].name,
                id=entity_id,
                op=PUT,
                version=version,
                data=msgspec.Raw(msgspec.json.encode(data)),
            )
            for entity_id, version, data in rows
        ]
        if len(rows) < wanted:
            feed, after = feed + 1, None
        else:
            after = rows[-1][0]
    if feed < len(feeds):
        next_cursor = _Cursor(cursor.position, feed, after)
        return ScopePage(
            scope=scope,
            status=SCOPE_OK,
            changes=changes,
            cursor=_encode(next_cursor, counter.epoch, key),
            has_more=True,
        )
    # The snapshot is done: from here on the log, from where the snapshot started. Changes
    # made while it was paged come again; applying a change twice is harmless (R32).
    return ScopePage(
        scope=scope,
        status=SCOPE_OK,
        changes=changes,
        cursor=_encode(_Cursor(cursor.position), counter.epoch, key),
        has_more=await _any_after(scope, cursor.position),
    )


_CHANGE_COLUMNS = (
    SyncChange.position,
    SyncChange.entity,
    SyncChange.entity_id,
    SyncChange.op,
    SyncChange.version,
    SyncChange.data,
)


async def _log_page(
    scope: str, cursor: _Cursor, *, counter: Counter, limit: int, key: bytes
) -> ScopePage:
    rows = (
        await SyncChange.select(*_CHANGE_COLUMNS)
        .where(_after(scope, cursor.position))
        .order_by(SyncChange.scope, SyncChange.position, SyncChange.id)
        .limit(limit + 1)
    )
    has_more = len(rows) > limit
    if has_more:
        last = rows[limit - 1]["position"]
        if rows[limit]["position"] == last:
            # Never end a page inside a transaction (R26): take the rest of it.
            rest = (
                await SyncChange.select(*_CHANGE_COLUMNS)
                .where((SyncChange.scope == scope) & (SyncChange.position == last))
                .order_by(SyncChange.id)
            )
            rows = [r for r in rows if r["position"] < last] + rest
        else:
            rows = rows[:limit]
        has_more = await _any_after(scope, last)
    position = rows[-1]["position"] if rows else cursor.position
    return ScopePage(
        scope=scope,
        status=SCOPE_OK,
        changes=[_change(row) for row in rows],
        cursor=_encode(_Cursor(position), counter.epoch, key),
        has_more=has_more,
    )


def _after(scope: str, position: int) -> Combinable:
    """The scope's changes after `position`, to be read in the order of the index on
    (scope, position, id). Not `scope = ? AND position > ?`: PostgreSQL's planner, which
    takes a scope's changes to be spread evenly over the log, then prefers the index on
    position alone for a LIMIT and walks every later change of every other scope to find
    none, because an up-to-date device's cursor sits on its scope's last change (110 ms
    instead of 0.1 ms with a million rows; bench/bench_pull.py). `scope <= ?` rather than
    `scope = ?` keeps the scope in the ORDER BY, which only the composite index gives."""
    return WhereRaw("(scope, position) > ({}, {})", scope, position) & (SyncChange.scope <= scope)


async def _any_after(scope: str, position: int) -> bool:
    rows = (
        await SyncChange.select(SyncChange.position)
        .where(_after(scope, position))
        .order_by(SyncChange.scope, SyncChange.position)
        .limit(1)
    )
    return bool(rows)


def _change(row: dict[str, Any]) -> Change:
    data = row["data"]
    return Change(
        entity=row["entity"],
        id=row["entity_id"],
        op=row["op"],
        version=row["version"],
        data=msgspec.Raw(data.encode()) if data is not None else ABSENT,
    )
