"""What other domains need to know about the things checklists are filled in for.

An inspection, a finding or a schedule points at an asset or a location; these functions
answer, in bulk, which site it belongs to, where it is and what sort of thing it is,
without the caller touching the registry's tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

import msgspec

from server.accounts.access import Caller
from server.errors import not_found
from server.registry.locations import load_location, site_tree, subtree_ids
from server.registry.tables import Asset, Location


class TargetInfo(msgspec.Struct, frozen=True, kw_only=True):
    site_id: uuid.UUID
    asset_id: uuid.UUID | None
    location_id: uuid.UUID | None
    """The location itself, or where the asset is (None for an asset with no place)."""
    category: str | None
    """The asset's category; None for a location."""
    kind: str | None
    """The location's kind; None for an asset."""
    status: str
    keeper_id: uuid.UUID | None = None


async def find_targets(
    asset_ids: Iterable[uuid.UUID], location_ids: Iterable[uuid.UUID]
) -> tuple[dict[uuid.UUID, TargetInfo], dict[uuid.UUID, TargetInfo]]:
    """Assets and locations by id, each in one query; ids that do not exist are absent.
    Not scoped by a caller: the caller checks `site_id` against its own memberships."""
    assets: dict[uuid.UUID, TargetInfo] = {}
    locations: dict[uuid.UUID, TargetInfo] = {}
    wanted_assets, wanted_locations = set(asset_ids), set(location_ids)
    if wanted_assets:
        rows = await Asset.select(
            Asset.id, Asset.site, Asset.location, Asset.category, Asset.status, Asset.keeper
        ).where(Asset.id.is_in(list(wanted_assets)))
        for row in rows:
            assets[row["id"]] = TargetInfo(
                site_id=row["site"],
                asset_id=row["id"],
                location_id=row["location"],
                category=row["category"],
                kind=None,
                status=row["status"],
                keeper_id=row["keeper"],
            )
    if wanted_locations:
        rows = await Location.select(
            Location.id, Location.site, Location.kind, Location.status
        ).where(Location.id.is_in(list(wanted_locations)))
        for row in rows:
            locations[row["id"]] = TargetInfo(
                site_id=row["site"],
                asset_id=None,
                location_id=row["id"],
                category=None,
                kind=row["kind"],
                status=row["status"],
            )
    return assets, locations


async def location_subtree(
    caller: Caller, location_id: uuid.UUID
) -> tuple[uuid.UUID, set[uuid.UUID]]:
    """The site of a location the caller may see, and the ids of it and everything under it
    (for "everything in building A" filters)."""
    row = await load_location(caller, location_id)
    return row["site"], subtree_ids(await site_tree(row["site"]), location_id)


async def asset_site(caller: Caller, asset_id: uuid.UUID) -> uuid.UUID:
    row = await Asset.select(Asset.site).where(Asset.id == asset_id).first()
    if row is None or row["site"] not in caller.roles:
        raise not_found("asset")
    return row["site"]


class SiteThing(msgspec.Struct, frozen=True, kw_only=True):
    """An asset or a location of a site, as a schedule selects its targets: by category,
    by place in the location tree, or by name."""

    asset_id: uuid.UUID | None
    location_id: uuid.UUID | None
    """The location itself, or where the asset is now (None for an asset with no place)."""
    parent_id: uuid.UUID | None
    """A location's parent; None for an asset."""
    name: str
    category: str | None
    kind: str | None
    keeper_id: uuid.UUID | None
    status: str
    created_at: datetime
    updated_at: datetime
    """A retired thing's last change: when it was retired."""


async def site_things(site_id: uuid.UUID) -> list[SiteThing]:
    """Every asset and location of a site, retired ones too, in two queries. Not scoped by
    a caller: the caller has checked its role at the site."""
    locations = await Location.select(
        Location.id,
        Location.parent,
        Location.name,
        Location.kind,
        Location.status,
        Location.created_at,
        Location.updated_at,
    ).where(Location.site == site_id)
    assets = await Asset.select(
        Asset.id,
        Asset.location,
        Asset.name,
        Asset.category,
        Asset.keeper,
        Asset.status,
        Asset.created_at,
        Asset.updated_at,
    ).where(Asset.site == site_id)
    return [
        SiteThing(
            asset_id=None,
            location_id=row["id"],
            parent_id=row["parent"],
            name=row["name"],
            category=None,
            kind=row["kind"],
            keeper_id=None,
            status=row["status"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )
        for row in locations
    ] + [
        SiteThing(
            asset_id=row["id"],
            location_id=row["location"],
            parent_id=None,
            name=row["name"],
            category=row["category"],
            kind=None,
            keeper_id=row["keeper"],
            status=row["status"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )
        for row in assets
    ]


async def count_active_things(site_id: uuid.UUID) -> int:
    """How many places and assets of the site are in use: none means its register is still
    to be made (for callers already authorised)."""
    places = await Location.count().where(
        (Location.site == site_id) & (Location.status == "active")
    )
    assets = await Asset.count().where((Asset.site == site_id) & (Asset.status == "active"))
    return places + assets
