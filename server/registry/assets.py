"""Assets: extinguishers, distribution boxes, playground equipment and the rest."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from piccolo.columns.combination import WhereRaw

from server import clock
from server.accounts import users
from server.accounts.access import EVERYONE, MANAGERS, Caller
from server.clock import new_id
from server.db import contains, transaction
from server.errors import DomainError, not_found
from server.feeds import Audience, Feed
from server.registry.locations import MAX_PAGE, path_of, site_tree, subtree_ids
from server.registry.tables import Asset, Location
from server.registry.wire import (
    AssetCreate,
    AssetOut,
    AssetPage,
    AssetRecord,
    AssetUpdate,
    AttributeValue,
)

CATEGORIES = (
    "fire_extinguisher",
    "fire_hydrant_box",
    "fire_alarm_panel",
    "emergency_light",
    "exit_sign",
    "electrical_panel",
    "playground_equipment",
    "sports_equipment",
    "kitchen_gas",
    "water_dispenser",
    "refrigerator",
    "disinfection_cabinet",
    "other",
)
"""Categories the built-in checklists know; others are allowed (a school has many kinds)."""


def check_attributes(attributes: dict[str, AttributeValue]) -> dict[str, AttributeValue]:
    """Attribute keys ending in `_date` hold ISO dates (an extinguisher's expiry_date)."""
    for key, value in attributes.items():
        if len(key) > 64 or not key.replace("_", "").isalnum():
            raise DomainError(
                "request.invalid",
                "attribute names are letters, digits and _",
                field=f"attributes.{key}",
            )
        if key.endswith("_date") and value is not None:
            try:
                dt.date.fromisoformat(str(value))
            except ValueError:
                raise DomainError(
                    "request.invalid",
                    f"{value!r} is not a date (YYYY-MM-DD)",
                    field=f"attributes.{key}",
                ) from None
    return attributes


async def _load(caller: Caller, asset_id: uuid.UUID) -> dict[str, Any]:
    row = await Asset.select().where(Asset.id == asset_id).first().output(load_json=True).run()
    if row is None or row["site"] not in caller.roles:
        raise not_found("asset")
    return row


async def get_asset(caller: Caller, asset_id: uuid.UUID) -> AssetOut:
    row = await _load(caller, asset_id)
    return (await _render([row]))[0]


async def create_asset(caller: Caller, data: AssetCreate) -> AssetOut:
    caller.require(data.site_id, MANAGERS)
    check_attributes(data.attributes)
    if data.id is not None:
        earlier = await Asset.select().where(Asset.id == data.id).first().output(load_json=True)
        if earlier is not None:
            return await _replayed(caller, earlier, data)
    async with transaction():
        await _check_refs(data.site_id, data.location_id, data.keeper_id)
        await _check_number_free(data.site_id, data.asset_number, None)
        now = clock.utcnow()
        asset = Asset(
            id=data.id or new_id(),
            site=data.site_id,
            location=data.location_id,
            category=data.category,
            name=data.name,
            name_en=data.name_en,
            asset_number=data.asset_number,
            serial_number=data.serial_number,
            attributes=data.attributes,
            keeper=data.keeper_id,
            status="active",
            version=1,
            created_at=now,
            updated_at=now,
        )
        await Asset.insert(asset).run()
        record_asset(asset.to_dict())
    return await get_asset(caller, asset.id)


async def _replayed(caller: Caller, earlier: dict[str, Any], data: AssetCreate) -> AssetOut:
    """A create sent again (a retry) returns what the first one made; the same id with
    other content is a conflict and the first stays."""
    if earlier["site"] not in caller.roles:
        # Another organisation's asset: its id is not confirmed to exist (authorised first).
        raise DomainError("not_found", "asset not found", field="id")
    stored = (
        earlier["site"],
        earlier["location"],
        earlier["category"],
        earlier["name"],
        earlier["name_en"],
        earlier["asset_number"],
        earlier["serial_number"],
        earlier["attributes"] or {},
        earlier["keeper"],
    )
    sent = (
        data.site_id,
        data.location_id,
        data.category,
        data.name,
        data.name_en,
        data.asset_number,
        data.serial_number,
        data.attributes,
        data.keeper_id,
    )
    if stored != sent:
        raise DomainError("asset.id_taken", "this id belongs to a different asset", field="id")
    return await get_asset(caller, earlier["id"])


async def update_asset(caller: Caller, asset_id: uuid.UUID, data: AssetUpdate) -> AssetOut:
    async with transaction():
        row = await _load(caller, asset_id)
        site_id = row["site"]
        caller.require(site_id, MANAGERS, "asset")
        if data.version is not msgspec.UNSET and data.version != row["version"]:
            raise DomainError(
                "asset.version_conflict",
                f"changed by someone else: version is {row['version']}, you sent {data.version}",
                field="version",
            )
        changes: dict[Any, Any] = {}
        location_id = row["location"] if data.location_id is msgspec.UNSET else data.location_id
        keeper_id = row["keeper"] if data.keeper_id is msgspec.UNSET else data.keeper_id
        await _check_refs(site_id, location_id, keeper_id)
        changes[Asset.location] = location_id
        changes[Asset.keeper] = keeper_id
        if data.asset_number is not msgspec.UNSET:
            await _check_number_free(site_id, data.asset_number, asset_id)
            changes[Asset.asset_number] = data.asset_number
        if data.attributes is not msgspec.UNSET:
            changes[Asset.attributes] = check_attributes(data.attributes)
        for field, column in (
            ("category", Asset.category),
            ("name", Asset.name),
            ("name_en", Asset.name_en),
            ("serial_number", Asset.serial_number),
            ("status", Asset.status),
        ):
            value = getattr(data, field)
            if value is not msgspec.UNSET:
                changes[column] = value
        changes[Asset.version] = row["version"] + 1
        changes[Asset.updated_at] = clock.utcnow()
        rows = (
            await Asset.update(changes)
            .where(Asset.id == asset_id)
            .returning(*Asset.all_columns())
            .run()
        )
        record_asset(rows[0])
    return await get_asset(caller, asset_id)


async def list_assets(
    caller: Caller,
    *,
    site_id: uuid.UUID | None = None,
    location_id: uuid.UUID | None = None,
    category: str | None = None,
    status: str | None = "active",
    keeper_id: uuid.UUID | None = None,
    q: str | None = None,
    untagged: bool = False,
    after: uuid.UUID | None = None,
    limit: int = 100,
) -> AssetPage:
    """Assets the caller may see; `location_id` includes everything inside that location,
    `q` finds text in the name, English name, asset number or serial number, `untagged`
    keeps those without an active tag."""
    if site_id is not None:
        caller.require(site_id, EVERYONE)  # a stranger's site is not found, as everywhere
    sites = caller.site_ids(EVERYONE) if site_id is None else [site_id]
    sites = [s for s in sites if s in caller.roles]
    if not sites:
        return AssetPage(items=[], next_after=None)
    query = Asset.select().where(Asset.site.is_in(sites))
    if location_id is not None:
        location = await Location.select(Location.site).where(Location.id == location_id).first()
        if location is None or location["site"] not in sites:
            return AssetPage(items=[], next_after=None)
        inside = subtree_ids(await site_tree(location["site"]), location_id)
        query = query.where(Asset.location.is_in(list(inside)))
    if category:
        query = query.where(Asset.category == category)
    if status:
        query = query.where(Asset.status == status)
    if keeper_id is not None:
        query = query.where(Asset.keeper == keeper_id)
    if q:
        query = query.where(
            contains(Asset.name, q)
            | contains(Asset.name_en, q)
            | contains(Asset.asset_number, q)
            | contains(Asset.serial_number, q)
        )
    if untagged:
        # Answered by the tag table's index on its asset, row by row of the site's page.
        query = query.where(
            WhereRaw(
                "NOT EXISTS (SELECT 1 FROM tag WHERE tag.asset = asset.id AND tag.status = {})",
                "active",
            )
        )
    if after is not None:
        query = query.where(Asset.id > after)
    limit = max(1, min(limit, MAX_PAGE))
    rows = await query.order_by(Asset.id).limit(limit + 1).output(load_json=True).run()
    items = await _render(rows[:limit])
    return AssetPage(items=items, next_after=items[-1].id if len(rows) > limit else None)


def asset_record(row: dict[str, Any]) -> AssetRecord:
    attributes = row["attributes"]
    if isinstance(attributes, str):  # a JSON column read without decoding
        attributes = msgspec.json.decode(attributes)
    return AssetRecord(
        id=row["id"],
        site_id=row["site"],
        location_id=row["location"],
        category=row["category"],
        name=row["name"],
        name_en=row["name_en"],
        asset_number=row["asset_number"],
        serial_number=row["serial_number"],
        attributes=attributes or {},
        keeper_id=row["keeper"],
        status=row["status"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def record_asset(row: dict[str, Any]) -> None:
    ASSET_FEED.record(row["site"], row["id"], version=row["version"], data=asset_record(row))


async def snapshot_asset(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, AssetRecord]]:
    """Every asset of the site, retired ones too."""
    query = Asset.select().where(Asset.site == site_id)
    if after is not None:
        query = query.where(Asset.id > uuid.UUID(after))
    rows = await query.order_by(Asset.id).limit(limit).output(load_json=True)
    return [(str(r["id"]), r["version"], asset_record(r)) for r in rows]


async def _check_refs(
    site_id: uuid.UUID, location_id: uuid.UUID | None, keeper_id: uuid.UUID | None
) -> None:
    if location_id is not None:
        location = (
            await Location.select(Location.site, Location.status)
            .where(Location.id == location_id)
            .first()
        )
        if location is None or location["site"] != site_id:
            raise DomainError(
                "asset.location_in_other_site",
                "the location is not one of this site's",
                field="location_id",
            )
    if keeper_id is not None and not await users.is_member(keeper_id, site_id):
        raise DomainError(
            "asset.keeper_not_member", "the keeper must be a member of the site", field="keeper_id"
        )


async def _check_number_free(site_id: uuid.UUID, number: str, asset_id: uuid.UUID | None) -> None:
    if not number:
        return
    query = Asset.exists().where((Asset.site == site_id) & (Asset.asset_number == number))
    if asset_id is not None:
        query = query.where(Asset.id != asset_id)
    if await query.run():
        raise DomainError(
            "asset.number_taken",
            f"asset number {number!r} is already used at this site",
            field="asset_number",
        )


async def _render(rows: list[dict[str, Any]]) -> list[AssetOut]:
    trees = {s: await site_tree(s) for s in {r["site"] for r in rows}}
    names = await users.display_names([r["keeper"] for r in rows if r["keeper"]])
    return [
        AssetOut(
            id=r["id"],
            site_id=r["site"],
            location_id=r["location"],
            location_path=path_of(trees[r["site"]], r["location"]),
            category=r["category"],
            name=r["name"],
            name_en=r["name_en"],
            asset_number=r["asset_number"],
            serial_number=r["serial_number"],
            attributes=r["attributes"] or {},
            keeper_id=r["keeper"],
            keeper_name=names.get(r["keeper"]) if r["keeper"] else None,
            status=r["status"],
            version=r["version"],
            created_at=r["created_at"],
            updated_at=r["updated_at"],
        )
        for r in rows
    ]


ASSET_FEED = Feed("asset", Audience.SITE, snapshot_asset)
