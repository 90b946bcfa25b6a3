"""The location tree of a site: building > floor > room, any depth."""

from __future__ import annotations

import uuid
from typing import Any, get_args

import msgspec

from checklists.templates import LocationKind
from server import clock
from server.accounts.access import EVERYONE, MANAGERS, Caller
from server.clock import new_id
from server.db import contains, transaction
from server.errors import DomainError, not_found
from server.feeds import Audience, Feed
from server.registry.tables import Asset, Location
from server.registry.wire import (
    LocationCreate,
    LocationOut,
    LocationPage,
    LocationRecord,
    LocationUpdate,
)

# The template language's `applies_to.location_kinds` must name the same kinds.
KINDS: tuple[str, ...] = get_args(LocationKind)
MAX_PAGE = 500


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise DomainError(
            "request.invalid",
            f"unknown location kind {kind!r}; one of {', '.join(KINDS)}",
            field="kind",
        )
    return kind


async def site_tree(site_id: uuid.UUID) -> dict[uuid.UUID, dict[str, Any]]:
    """Every location of a site by id (a site has hundreds, so one query beats recursion)."""
    rows = (
        await Location.select(
            Location.id,
            Location.parent,
            Location.name,
            Location.name_en,
            Location.code,
            Location.kind,
            Location.status,
        )
        .where(Location.site == site_id)
        .run()
    )
    return {r["id"]: r for r in rows}


def path_of(tree: dict[uuid.UUID, dict[str, Any]], location_id: uuid.UUID | None) -> list[str]:
    names: list[str] = []
    seen: set[uuid.UUID] = set()
    while location_id is not None and location_id in tree and location_id not in seen:
        seen.add(location_id)
        names.append(tree[location_id]["name"])
        location_id = tree[location_id]["parent"]
    return names[::-1]


def subtree_ids(tree: dict[uuid.UUID, dict[str, Any]], root: uuid.UUID) -> set[uuid.UUID]:
    children: dict[uuid.UUID | None, list[uuid.UUID]] = {}
    for row in tree.values():
        children.setdefault(row["parent"], []).append(row["id"])
    found, stack = set(), [root]
    while stack:
        node = stack.pop()
        if node in found:
            continue
        found.add(node)
        stack.extend(children.get(node, []))
    return found


async def load_location(caller: Caller, location_id: uuid.UUID) -> dict[str, Any]:
    row = await Location.select().where(Location.id == location_id).first().run()
    if row is None or row["site"] not in caller.roles:
        raise not_found("location")
    return row


async def get_location(caller: Caller, location_id: uuid.UUID) -> LocationOut:
    row = await load_location(caller, location_id)
    return _out(row, path_of(await site_tree(row["site"]), row["id"]))


async def create_location(caller: Caller, data: LocationCreate) -> LocationOut:
    caller.require(data.site_id, MANAGERS)
    check_kind(data.kind)
    if data.id is not None:
        earlier = await Location.select().where(Location.id == data.id).first()
        if earlier is not None:
            return await _replayed(caller, earlier, data)
    now = clock.utcnow()
    location = Location(
        id=data.id or new_id(),
        site=data.site_id,
        parent=data.parent_id,
        kind=data.kind,
        name=data.name,
        name_en=data.name_en,
        code=data.code,
        sort_order=data.sort_order,
        status="active",
        version=1,
        created_at=now,
        updated_at=now,
    )
    async with transaction():
        if data.parent_id is not None:
            await _check_parent(caller, data.site_id, data.parent_id)
        await Location.insert(location).run()
        record_location(location.to_dict())
    return await get_location(caller, location.id)


async def _replayed(caller: Caller, earlier: dict[str, Any], data: LocationCreate) -> LocationOut:
    """A create sent again (a retry) returns what the first one made; the same id with
    other content is a conflict and the first stays."""
    if earlier["site"] not in caller.roles:
        # Another organisation's location: its id is not confirmed to exist (authorised first).
        raise DomainError("not_found", "location not found", field="id")
    same = (
        earlier["site"],
        earlier["parent"],
        earlier["kind"],
        earlier["name"],
        earlier["name_en"],
        earlier["code"],
        earlier["sort_order"],
    ) == (
        data.site_id,
        data.parent_id,
        data.kind,
        data.name,
        data.name_en,
        data.code,
        data.sort_order,
    )
    if not same:
        raise DomainError(
            "location.id_taken", "this id belongs to a different location", field="id"
        )
    return await get_location(caller, earlier["id"])


async def update_location(
    caller: Caller, location_id: uuid.UUID, data: LocationUpdate
) -> LocationOut:
    async with transaction():
        row = await load_location(caller, location_id)
        caller.require(row["site"], MANAGERS, "location")
        _check_version(row, data.version)
        changes: dict[Any, Any] = {}
        if data.parent_id is not msgspec.UNSET and data.parent_id != row["parent"]:
            if data.parent_id is not None:
                await _check_parent(caller, row["site"], data.parent_id)
                tree = await site_tree(row["site"])
                if data.parent_id in subtree_ids(tree, location_id):
                    raise DomainError(
                        "location.cycle", "a location cannot move under itself", field="parent_id"
                    )
            changes[Location.parent] = data.parent_id
        if data.kind is not msgspec.UNSET:
            changes[Location.kind] = check_kind(data.kind)
        if data.status is not msgspec.UNSET and data.status != row["status"]:
            if data.status == "retired":
                await _check_can_retire(location_id)
            changes[Location.status] = data.status
        for field, column in (
            ("name", Location.name),
            ("name_en", Location.name_en),
            ("code", Location.code),
            ("sort_order", Location.sort_order),
        ):
            value = getattr(data, field)
            if value is not msgspec.UNSET:
                changes[column] = value
        if changes:
            changes[Location.version] = row["version"] + 1
            changes[Location.updated_at] = clock.utcnow()
            rows = (
                await Location.update(changes)
                .where(Location.id == location_id)
                .returning(*Location.all_columns())
                .run()
            )
            record_location(rows[0])
    return await get_location(caller, location_id)


async def list_locations(
    caller: Caller,
    *,
    site_id: uuid.UUID | None = None,
    parent_id: uuid.UUID | None = None,
    kind: str | None = None,
    status: str | None = "active",
    q: str | None = None,
    after: uuid.UUID | None = None,
    limit: int = 100,
) -> LocationPage:
    if site_id is not None:
        caller.require(site_id, EVERYONE)  # a stranger's site is not found, as everywhere
    sites = _visible_sites(caller, site_id)
    if not sites:
        return LocationPage(items=[], next_after=None)
    query = Location.select().where(Location.site.is_in(sites))
    if parent_id is not None:
        query = query.where(Location.parent == parent_id)
    if kind:
        query = query.where(Location.kind == kind)
    if status:
        query = query.where(Location.status == status)
    if q:
        query = query.where(contains(Location.name, q) | contains(Location.code, q))
    if after is not None:
        query = query.where(Location.id > after)
    limit = max(1, min(limit, MAX_PAGE))
    rows = await query.order_by(Location.id).limit(limit + 1).run()
    trees = {s: await site_tree(s) for s in {r["site"] for r in rows[:limit]}}
    items = [_out(r, path_of(trees[r["site"]], r["id"])) for r in rows[:limit]]
    return LocationPage(items=items, next_after=items[-1].id if len(rows) > limit else None)


def location_record(row: dict[str, Any]) -> LocationRecord:
    return LocationRecord(
        id=row["id"],
        site_id=row["site"],
        parent_id=row["parent"],
        kind=row["kind"],
        name=row["name"],
        name_en=row["name_en"],
        code=row["code"],
        sort_order=row["sort_order"],
        status=row["status"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def record_location(row: dict[str, Any]) -> None:
    LOCATION_FEED.record(row["site"], row["id"], version=row["version"], data=location_record(row))


async def snapshot_location(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, LocationRecord]]:
    """Every location of the site, retired ones too."""
    query = Location.select().where(Location.site == site_id)
    if after is not None:
        query = query.where(Location.id > uuid.UUID(after))
    rows = await query.order_by(Location.id).limit(limit)
    return [(str(r["id"]), r["version"], location_record(r)) for r in rows]


def _visible_sites(caller: Caller, site_id: uuid.UUID | None) -> list[uuid.UUID]:
    if site_id is None:
        return caller.site_ids(EVERYONE)
    return [site_id] if site_id in caller.roles else []


async def _check_parent(caller: Caller, site_id: uuid.UUID, parent_id: uuid.UUID) -> None:
    parent = await Location.select(Location.site).where(Location.id == parent_id).first().run()
    if parent is None or parent["site"] not in caller.roles:
        raise DomainError("not_found", "parent location not found", field="parent_id")
    if parent["site"] != site_id:
        raise DomainError(
            "location.parent_in_other_site",
            "the parent location belongs to another site",
            field="parent_id",
        )


async def _check_can_retire(location_id: uuid.UUID) -> None:
    if (
        await Location.exists()
        .where((Location.parent == location_id) & (Location.status == "active"))
        .run()
    ):
        raise DomainError("location.in_use", "retire or move the locations inside it first")
    if (
        await Asset.exists()
        .where((Asset.location == location_id) & (Asset.status == "active"))
        .run()
    ):
        raise DomainError("location.in_use", "retire or move the assets in it first")


def _check_version(row: dict[str, Any], version: int | msgspec.UnsetType) -> None:
    if version is not msgspec.UNSET and version != row["version"]:
        raise DomainError(
            "location.version_conflict",
            f"changed by someone else: version is {row['version']}, you sent {version}",
            field="version",
        )


def _out(row: dict[str, Any], path: list[str]) -> LocationOut:
    return LocationOut(
        id=row["id"],
        site_id=row["site"],
        parent_id=row["parent"],
        kind=row["kind"],
        name=row["name"],
        name_en=row["name_en"],
        code=row["code"],
        sort_order=row["sort_order"],
        status=row["status"],
        version=row["version"],
        path=path,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


LOCATION_FEED = Feed("location", Audience.SITE, snapshot_location)
