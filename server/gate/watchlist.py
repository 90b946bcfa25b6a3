"""The watchlist: people the gate must not let in without a manager's decision.

Managers add and remove entries; gate devices receive each active entry as the feed
entity `watch_key`, its id and keyed hash (`id_key`, with the site's key) and nothing else,
and match a visitor's document against them offline. The server matches every check-in
again against its own active entries, so a device with an old list (or none) cannot let a
listed person through unseen (server/gate/visit_facts.py). The entry's name, reason and
masked number are for managers only; no full number is kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from msgspec import Meta

from server import clock
from server.accounts.access import MANAGERS, Caller
from server.accounts.sites import site_timezones
from server.accounts.users import display_names
from server.db import transaction
from server.errors import DomainError, not_found
from server.feeds import Audience, Feed
from server.gate.documents import DocumentKind, check_document, id_key, mask_id
from server.gate.keys import site_key
from server.gate.settings import settings_of
from server.gate.tables import WatchEntryRow
from server.wire import PersonRef, Request
from sync.bulk import insert_rows

Typed = Annotated[str, Meta(max_length=40)]


class WatchEntryIn(Request, frozen=True, kw_only=True):
    """`id`: made by the caller, so that an entry sent twice is added once. The number is
    checked for its kind as at a check-in, then kept only hashed and masked."""

    id: uuid.UUID
    id_type: DocumentKind
    id_number: Typed
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    reason: Annotated[str, Meta(max_length=500)] = ""


class WatchEntryOut(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    site_id: uuid.UUID
    id_type: DocumentKind
    id_masked: str
    name: str
    reason: str
    added_by: PersonRef
    added_at: datetime
    removed_by: PersonRef | None
    removed_at: datetime | None
    version: int


class WatchKey(msgspec.Struct, frozen=True, kw_only=True):
    """The feed entity `watch_key`: all a gate device learns of an entry."""

    id: uuid.UUID
    site_id: uuid.UUID
    id_key: str


async def list_entries(caller: Caller, site_id: uuid.UUID) -> list[WatchEntryOut]:
    """The site's entries, active and removed, the latest added first."""
    caller.require(site_id, MANAGERS)
    rows = await WatchEntryRow.select().where(WatchEntryRow.site == site_id)
    rows.sort(key=lambda r: (r["added_at"], str(r["id"])), reverse=True)
    return await _outs(rows)


async def add_entry(caller: Caller, site_id: uuid.UUID, data: WatchEntryIn) -> WatchEntryOut:
    """Refused with the document's fault (`visit.id_check_digit`, ...) on `id_number`, and
    with `watch.no_document` for "no document", which has no number to match. The same
    entry sent again is answered as it stands; another one under the same id is 409
    `watch.conflict`."""
    caller.require(site_id, MANAGERS)
    if data.id_type == "none":
        raise DomainError(
            "watch.no_document", "a watch entry needs a document to match", field="id_type"
        )
    zone = (await site_timezones([site_id]))[site_id]
    today = clock.utcnow().astimezone(ZoneInfo(zone)).date()
    checked = check_document(data.id_type, data.id_number, today=today)
    if checked.faults or checked.value is None:
        first = checked.faults[0]
        raise DomainError(
            first.code,
            first.reason,
            field="id_number",
            errors=[
                {"code": f.code, "detail": f.reason, "field": "id_number"} for f in checked.faults
            ]
            if len(checked.faults) > 1
            else None,
        )
    settings, _ = (await settings_of([site_id]))[site_id]
    key = id_key(data.id_type, checked.value, site_key(site_id))
    async with transaction():
        earlier = await WatchEntryRow.select().where(WatchEntryRow.id == data.id).first()
        if earlier is not None:
            same = earlier["site"] == site_id and (
                earlier["id_key"],
                earlier["id_type"],
                earlier["name"],
                earlier["reason"],
            ) == (key, data.id_type, data.name, data.reason)
            if not same:
                raise DomainError(
                    "watch.conflict", "another entry was added under this id", field="id"
                )
            return (await _outs([earlier]))[0]
        row: dict[str, Any] = {
            "id": data.id,
            "site": site_id,
            "id_key": key,
            "id_type": data.id_type,
            "id_masked": mask_id(checked.value, settings.mask_keep),
            "name": data.name,
            "reason": data.reason,
            "added_by": caller.user_id,
            "added_at": clock.utcnow(),
            "removed_by": None,
            "removed_at": None,
            "version": 1,
        }
        await insert_rows(WatchEntryRow, [row])
        WATCH_KEY_FEED.record(
            site_id, data.id, version=1, data=WatchKey(id=data.id, site_id=site_id, id_key=key)
        )
    return (await _outs([row]))[0]


async def remove_entry(caller: Caller, entry_id: uuid.UUID) -> WatchEntryOut:
    """The entry stops matching; it stays listed for managers, with who removed it. Removing
    it again changes nothing."""
    async with transaction():
        row = await WatchEntryRow.select().where(WatchEntryRow.id == entry_id).first()
        if row is None or row["site"] not in caller.roles:
            raise not_found("watch entry")
        caller.require(row["site"], MANAGERS, "watch entry")
        if row["removed_at"] is None:
            now = clock.utcnow()
            row = row | {
                "removed_by": caller.user_id,
                "removed_at": now,
                "version": row["version"] + 1,
            }
            await WatchEntryRow.update(
                {
                    WatchEntryRow.removed_by: caller.user_id,
                    WatchEntryRow.removed_at: now,
                    WatchEntryRow.version: row["version"],
                }
            ).where(WatchEntryRow.id == entry_id)
            WATCH_KEY_FEED.record(row["site"], entry_id, version=row["version"], deleted=True)
    return (await _outs([row]))[0]


async def listed(site_id: uuid.UUID, keys: Iterable[str], at: datetime) -> set[str]:
    """Which of `keys` an entry of the site lists, as of `at` (a check-in's time): an entry
    removed before it does not count, one added after it does (the server knows now)."""
    wanted = sorted(set(keys))
    if not wanted:
        return set()
    rows = await WatchEntryRow.select(WatchEntryRow.id_key, WatchEntryRow.removed_at).where(
        (WatchEntryRow.site == site_id) & WatchEntryRow.id_key.is_in(wanted)
    )
    return {r["id_key"] for r in rows if r["removed_at"] is None or r["removed_at"] > at}


async def snapshot_watch_keys(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, WatchKey]]:
    query = WatchEntryRow.select(WatchEntryRow.id, WatchEntryRow.id_key, WatchEntryRow.version)
    query = query.where((WatchEntryRow.site == site_id) & WatchEntryRow.removed_at.is_null())
    if after is not None:
        query = query.where(WatchEntryRow.id > uuid.UUID(after))
    rows = await query.order_by(WatchEntryRow.id).limit(limit)
    return [
        (str(r["id"]), r["version"], WatchKey(id=r["id"], site_id=site_id, id_key=r["id_key"]))
        for r in rows
    ]


async def _outs(rows: list[dict[str, Any]]) -> list[WatchEntryOut]:
    people = {r["added_by"] for r in rows} | {r["removed_by"] for r in rows if r["removed_by"]}
    names = await display_names(sorted(people))

    def person(user_id: uuid.UUID | None) -> PersonRef | None:
        return None if user_id is None else PersonRef(id=user_id, name=names.get(user_id, ""))

    return [
        WatchEntryOut(
            id=r["id"],
            site_id=r["site"],
            id_type=r["id_type"],
            id_masked=r["id_masked"],
            name=r["name"],
            reason=r["reason"],
            added_by=PersonRef(id=r["added_by"], name=names.get(r["added_by"], "")),
            added_at=r["added_at"],
            removed_by=person(r["removed_by"]),
            removed_at=r["removed_at"],
            version=r["version"],
        )
        for r in rows
    ]


WATCH_KEY_FEED = Feed("watch_key", Audience.GATE, snapshot_watch_keys)
