"""A site's tags as its managers look through them: what each is on and where, searched and
paged on the server (a site may hold tens of thousands), and what still has no tag."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from qr.codes import format_code
from server.accounts.access import EVERYONE, Caller
from server.db import contains
from server.registry.locations import MAX_PAGE, path_of, site_tree
from server.registry.tables import Asset, Location, Tag
from server.registry.wire import TagCoverage, TagListed, TagListPage

TagStatus = Literal["active", "replaced", "retired", "all"]
Targets = Literal["assets", "locations", "all"]
# What a person may type of a code: the printed form with its dash, any case.
_CODE_NOISE = str.maketrans("", "", " -")


async def list_site_tags(
    caller: Caller,
    site_id: uuid.UUID,
    *,
    status: TagStatus = "active",
    targets: Targets = "all",
    q: str | None = None,
    after: uuid.UUID | None = None,
    limit: int = 50,
) -> TagListPage:
    """Newest first. `q` matches the code (or part of it), the name of what the tag is
    on, an asset's number or a location's code."""
    caller.require(site_id, EVERYONE)
    query = Tag.select(
        *Tag.all_columns(),
        Tag.asset.name.as_alias("asset_name"),
        Tag.asset.asset_number.as_alias("asset_number"),
        Tag.asset.location.as_alias("asset_location"),
        Tag.location.name.as_alias("location_name"),
        Tag.location.code.as_alias("location_code"),
        Tag.location.parent.as_alias("location_parent"),
    ).where(Tag.site == site_id)
    if status != "all":
        query = query.where(Tag.status == status)
    if targets == "assets":
        query = query.where(Tag.asset.is_not_null())
    elif targets == "locations":
        query = query.where(Tag.location.is_not_null())
    text = (q or "").strip()
    if text:
        found = (
            contains(Tag.asset.name, text)
            | contains(Tag.asset.asset_number, text)
            | contains(Tag.location.name, text)
            | contains(Tag.location.code, text)
        )
        code = text.upper().translate(_CODE_NOISE)
        if code:
            found = found | contains(Tag.code, code)
        query = query.where(found)
    if after is not None:
        query = query.where(Tag.id < after)
    limit = max(1, min(limit, MAX_PAGE))
    rows = await query.order_by(Tag.id, ascending=False).limit(limit + 1)
    tree = await site_tree(site_id) if rows else {}
    items = [_listed(r, tree) for r in rows[:limit]]
    return TagListPage(items=items, next_after=items[-1].id if len(rows) > limit else None)


def _listed(row: dict[str, Any], tree: dict[uuid.UUID, dict[str, Any]]) -> TagListed:
    if row["asset"] is not None:
        name, number = row["asset_name"], row["asset_number"]
        place = path_of(tree, row["asset_location"])
    else:
        name, number = row["location_name"], row["location_code"]
        place = path_of(tree, row["location_parent"])
    return TagListed(
        id=row["id"],
        code=row["code"],
        printed_code=format_code(row["code"]),
        status=row["status"],
        asset_id=row["asset"],
        location_id=row["location"],
        target_name=name or "",
        target_number=number or "",
        place=place,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def count_untagged(caller: Caller, site_id: uuid.UUID) -> TagCoverage:
    """What a bulk issue would tag now: active things with no active tag."""
    caller.require(site_id, EVERYONE)
    active = (Tag.site == site_id) & (Tag.status == "active")
    tagged_assets = {
        r["asset"]
        for r in await Tag.select(Tag.asset).where(
            active & Tag.asset.is_not_null() & (Tag.asset.status == "active")
        )
    }
    tagged_locations = {
        r["location"]
        for r in await Tag.select(Tag.location).where(
            active & Tag.location.is_not_null() & (Tag.location.status == "active")
        )
    }
    assets = await Asset.count().where((Asset.site == site_id) & (Asset.status == "active"))
    locations = await Location.count().where(
        (Location.site == site_id) & (Location.status == "active")
    )
    return TagCoverage(
        untagged_assets=assets - len(tagged_assets),
        untagged_locations=locations - len(tagged_locations),
    )
