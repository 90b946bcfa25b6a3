"""QR tags: issue, resolve, replace a damaged label, rebind, retire; history kept.

A tag code is public (it is printed on a wall) and grants nothing: resolving one still
needs a caller who belongs to the tag's site.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from qr.codes import InvalidTagCode, format_code, new_code, normalize_code
from qr.urls import tag_url
from server import clock
from server.accounts.access import EVERYONE, MANAGERS, Caller
from server.accounts.users import display_names
from server.clock import new_id
from server.db import transaction
from server.errors import DomainError, not_found
from server.feeds import Audience, Feed
from server.registry.assets import get_asset
from server.registry.locations import get_location
from server.registry.tables import Asset, Location, Tag, TagEvent
from server.registry.wire import (
    TagBulkIssued,
    TagCreate,
    TagEventOut,
    TagOut,
    TagPage,
    TagRebind,
    TagRecord,
    TagResolution,
    TagTarget,
)

MAX_CODE_ATTEMPTS = 8


def parse_code(text: str) -> str:
    try:
        return normalize_code(text)
    except InvalidTagCode as exc:
        raise DomainError("tag.invalid_code", f"invalid code: {exc.reason}", field="code") from None


async def load_tag(caller: Caller, code: str) -> dict[str, Any]:
    row = await Tag.select().where(Tag.code == parse_code(code)).first().run()
    if row is None or row["site"] not in caller.roles:
        raise not_found("tag")
    return row


async def _target_site(
    caller: Caller, asset_id: uuid.UUID | None, location_id: uuid.UUID | None
) -> uuid.UUID:
    """The site of a tag's target, checked to be exactly one existing, visible thing."""
    if (asset_id is None) == (location_id is None):
        raise DomainError(
            "tag.target_required",
            "a tag points at exactly one asset or one location",
            field="asset_id",
        )
    if asset_id is not None:
        row = await Asset.select(Asset.site).where(Asset.id == asset_id).first()
        field = "asset_id"
    else:
        row = await Location.select(Location.site).where(Location.id == location_id).first()
        field = "location_id"
    if row is None or row["site"] not in caller.roles:
        raise DomainError("not_found", f"{field.removesuffix('_id')} not found", field=field)
    return row["site"]


async def _insert_tag(
    site_id: uuid.UUID,
    asset_id: uuid.UUID | None,
    location_id: uuid.UUID | None,
    code: str | None,
) -> dict[str, Any]:
    if code is not None:
        if await Tag.exists().where(Tag.code == code).run():
            raise DomainError("tag.code_taken", f"code {code} is already registered", field="code")
    else:
        for _ in range(MAX_CODE_ATTEMPTS):
            code = new_code()
            if not await Tag.exists().where(Tag.code == code).run():
                break
        else:  # 34 billion codes: reaching this means the random source is broken
            raise RuntimeError("could not find a free tag code")
    now = clock.utcnow()
    row: dict[str, Any] = {
        "id": new_id(),
        "site": site_id,
        "code": code,
        "asset": asset_id,
        "location": location_id,
        "status": "active",
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    await Tag.insert(Tag(**row)).run()
    record_tag(row)
    return row


async def _update_tag(tag_id: uuid.UUID, changes: dict[Any, Any]) -> dict[str, Any]:
    """Change a tag and return it as stored; every change grows its version."""
    changes = {**changes, Tag.version: Tag.version + 1, Tag.updated_at: clock.utcnow()}
    rows = await Tag.update(changes).where(Tag.id == tag_id).returning(*Tag.all_columns())
    record_tag(rows[0])
    return rows[0]


def tag_record(row: dict[str, Any]) -> TagRecord:
    return TagRecord(
        id=row["id"],
        site_id=row["site"],
        code=row["code"],
        status=row["status"],
        asset_id=row["asset"],
        location_id=row["location"],
    )


def record_tag(row: dict[str, Any]) -> None:
    TAG_FEED.record(row["site"], row["id"], version=row["version"], data=tag_record(row))


async def snapshot_tag(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, TagRecord]]:
    """Every tag of the site, replaced and retired ones too (a scan of an old label
    must still say what became of it)."""
    query = Tag.select().where(Tag.site == site_id)
    if after is not None:
        query = query.where(Tag.id > uuid.UUID(after))
    rows = await query.order_by(Tag.id).limit(limit)
    return [(str(r["id"]), r["version"], tag_record(r)) for r in rows]


async def _add_event(
    tag: dict[str, Any], kind: str, by: uuid.UUID | None, note: str = "", **refs: Any
) -> None:
    await TagEvent.insert(
        TagEvent(
            id=new_id(),
            tag=tag["id"],
            site=tag["site"],
            kind=kind,
            asset=tag["asset"],
            location=tag["location"],
            note=note,
            by_user=by,
            at=clock.utcnow(),
            **refs,
        )
    ).run()


async def issue_tag(caller: Caller, data: TagCreate, public_url: str) -> TagOut:
    """A new tag for a target. Registering a pre-printed code twice for the same target
    (a retried request) returns the tag the first request made."""
    code = parse_code(data.code) if data.code is not None else None
    async with transaction():
        site_id = await _target_site(caller, data.asset_id, data.location_id)
        caller.require(site_id, MANAGERS, "tag")
        if code is not None:
            earlier = await Tag.select().where(Tag.code == code).first()
            if earlier is not None and (
                earlier["site"],
                earlier["asset"],
                earlier["location"],
                earlier["status"],
            ) == (site_id, data.asset_id, data.location_id, "active"):
                return tag_out(earlier, public_url)
        tag = await _insert_tag(site_id, data.asset_id, data.location_id, code)
        await _add_event(tag, "issued", caller.user_id, data.note)
    return tag_out(tag, public_url)


async def issue_missing_tags(
    caller: Caller, site_id: uuid.UUID, targets: str = "all", by: uuid.UUID | None = None
) -> TagBulkIssued:
    """A tag for every active asset and/or location of the site that has no active tag."""
    caller.require(site_id, MANAGERS)
    tagged = await Tag.select(Tag.asset, Tag.location).where(
        (Tag.site == site_id) & (Tag.status == "active")
    )
    tagged_assets = {r["asset"] for r in tagged if r["asset"]}
    tagged_locations = {r["location"] for r in tagged if r["location"]}
    wanted: list[tuple[uuid.UUID | None, uuid.UUID | None]] = []
    if targets in ("all", "locations"):
        rows = (
            await Location.select(Location.id)
            .where((Location.site == site_id) & (Location.status == "active"))
            .order_by(Location.id)
        )
        wanted += [(None, r["id"]) for r in rows if r["id"] not in tagged_locations]
    if targets in ("all", "assets"):
        rows = (
            await Asset.select(Asset.id)
            .where((Asset.site == site_id) & (Asset.status == "active"))
            .order_by(Asset.id)
        )
        wanted += [(r["id"], None) for r in rows if r["id"] not in tagged_assets]
    async with transaction():
        for asset_id, location_id in wanted:
            tag = await _insert_tag(site_id, asset_id, location_id, None)
            await _add_event(tag, "issued", by or caller.user_id)
    return TagBulkIssued(issued=len(wanted))


async def resolve_tag(caller: Caller, code: str, public_url: str) -> TagResolution:
    tag = await load_tag(caller, code)
    target: TagTarget | None = None
    if tag["status"] != "retired":
        if tag["asset"] is not None:
            target = TagTarget(kind="asset", asset=await get_asset(caller, tag["asset"]))
        elif tag["location"] is not None:
            target = TagTarget(
                kind="location", location=await get_location(caller, tag["location"])
            )
    replaced_by = None
    if tag["status"] == "replaced":
        event = (
            await TagEvent.select(TagEvent.other_tag.code)
            .where((TagEvent.tag == tag["id"]) & (TagEvent.kind == "replaced"))
            .first()
        )
        replaced_by = event["other_tag.code"] if event else None
    return TagResolution(
        tag=tag_out(tag, public_url),
        target=target,
        replaced_by=replaced_by,
    )


async def replace_tag(caller: Caller, code: str, note: str, public_url: str) -> TagOut:
    """A new label for the same target (the old one was damaged or lost)."""
    async with transaction():
        old = await load_tag(caller, code)
        caller.require(old["site"], MANAGERS, "tag")
        _require_active(old)
        new = await _insert_tag(old["site"], old["asset"], old["location"], None)
        await _update_tag(old["id"], {Tag.status: "replaced"})
        await _add_event(old, "replaced", caller.user_id, note, other_tag=new["id"])
        await _add_event(new, "issued", caller.user_id, note, other_tag=old["id"])
    return tag_out(new, public_url)


async def rebind_tag(caller: Caller, code: str, data: TagRebind, public_url: str) -> TagOut:
    """Point an existing label at another asset or location of the same site."""
    async with transaction():
        tag = await load_tag(caller, code)
        caller.require(tag["site"], MANAGERS, "tag")
        _require_active(tag)
        site_id = await _target_site(caller, data.asset_id, data.location_id)
        if site_id != tag["site"]:
            raise DomainError(
                "request.invalid",
                "a tag can only be rebound within its own site",
                field="asset_id" if data.asset_id else "location_id",
            )
        previous = {"previous_asset": tag["asset"], "previous_location": tag["location"]}
        tag = await _update_tag(
            tag["id"], {Tag.asset: data.asset_id, Tag.location: data.location_id}
        )
        await _add_event(tag, "rebound", caller.user_id, data.note, **previous)
    return tag_out(tag, public_url)


async def retire_tag(caller: Caller, code: str, note: str, public_url: str) -> TagOut:
    async with transaction():
        tag = await load_tag(caller, code)
        caller.require(tag["site"], MANAGERS, "tag")
        if tag["status"] == "retired":
            return tag_out(tag, public_url)
        tag = await _update_tag(tag["id"], {Tag.status: "retired"})
        await _add_event(tag, "retired", caller.user_id, note)
    return tag_out(tag, public_url)


async def tag_history(caller: Caller, code: str) -> list[TagEventOut]:
    tag = await load_tag(caller, code)
    rows = (
        await TagEvent.select(*TagEvent.all_columns(), TagEvent.other_tag.code)
        .where(TagEvent.tag == tag["id"])
        .order_by(TagEvent.at)
        .order_by(TagEvent.id)
    )
    names = await display_names([r["by_user"] for r in rows if r["by_user"]])
    things = await _thing_names(
        {a for r in rows for a in (r["asset"], r["previous_asset"]) if a},
        {p for r in rows for p in (r["location"], r["previous_location"]) if p},
    )
    return [
        TagEventOut(
            id=r["id"],
            kind=r["kind"],
            asset_id=r["asset"],
            location_id=r["location"],
            previous_asset_id=r["previous_asset"],
            previous_location_id=r["previous_location"],
            other_tag_code=r["other_tag.code"],
            note=r["note"],
            by_user_id=r["by_user"],
            at=r["at"],
            by_name=names.get(r["by_user"]) if r["by_user"] else None,
            target_name=things.get(r["asset"] or r["location"]),
            previous_target_name=things.get(r["previous_asset"] or r["previous_location"]),
        )
        for r in rows
    ]


async def _thing_names(
    asset_ids: set[uuid.UUID], location_ids: set[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Names of assets and locations by id, in two queries."""
    found: dict[uuid.UUID, str] = {}
    if asset_ids:
        rows = await Asset.select(Asset.id, Asset.name).where(Asset.id.is_in(list(asset_ids)))
        found |= {r["id"]: r["name"] for r in rows}
    if location_ids:
        rows = await Location.select(Location.id, Location.name).where(
            Location.id.is_in(list(location_ids))
        )
        found |= {r["id"]: r["name"] for r in rows}
    return found


async def list_tags(
    caller: Caller,
    *,
    site_id: uuid.UUID | None = None,
    asset_id: uuid.UUID | None = None,
    location_id: uuid.UUID | None = None,
    status: str | None = "active",
    public_url: str,
    after: uuid.UUID | None = None,
    limit: int = 100,
) -> TagPage:
    if site_id is not None:
        caller.require(site_id, EVERYONE)  # a stranger's site is not found, as everywhere
    sites = caller.site_ids(EVERYONE) if site_id is None else [site_id]
    sites = [s for s in sites if s in caller.roles]
    if not sites:
        return TagPage(items=[], next_after=None)
    query = Tag.select().where(Tag.site.is_in(sites))
    if asset_id is not None:
        query = query.where(Tag.asset == asset_id)
    if location_id is not None:
        query = query.where(Tag.location == location_id)
    if status:
        query = query.where(Tag.status == status)
    if after is not None:
        query = query.where(Tag.id > after)
    limit = max(1, min(limit, 500))
    rows = await query.order_by(Tag.id).limit(limit + 1)
    items = [tag_out(r, public_url) for r in rows[:limit]]
    return TagPage(items=items, next_after=items[-1].id if len(rows) > limit else None)


def _require_active(tag: dict[str, Any]) -> None:
    if tag["status"] != "active":
        raise DomainError("tag.not_active", f"this tag is {tag['status']}", field="code")


def tag_out(row: dict[str, Any], public_url: str) -> TagOut:
    return TagOut(
        id=row["id"],
        site_id=row["site"],
        code=row["code"],
        printed_code=format_code(row["code"]),
        url=tag_url(public_url, row["code"]),
        status=row["status"],
        asset_id=row["asset"],
        location_id=row["location"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


TAG_FEED = Feed("tag", Audience.SITE, snapshot_tag)


class TagInfo(msgspec.Struct, frozen=True, kw_only=True):
    """A tag with its thing's names, for another domain that points at tags (a patrol
    route's checkpoints)."""

    id: uuid.UUID
    site_id: uuid.UUID
    code: str
    status: str
    asset_id: uuid.UUID | None
    location_id: uuid.UUID | None
    name: str
    name_en: str


async def tags_by_code(codes: set[str]) -> dict[str, TagInfo]:
    """The tags of these codes as stored (normalised: `normalize_code`), any site, any
    status; a code no tag has is left out."""
    if not codes:
        return {}
    rows = await Tag.select(Tag.id, Tag.site, Tag.code, Tag.status, Tag.asset, Tag.location).where(
        Tag.code.is_in(sorted(codes))
    )
    assets = {r["asset"] for r in rows if r["asset"]}
    locations = {r["location"] for r in rows if r["location"]}
    names: dict[uuid.UUID, tuple[str, str]] = {}
    if assets:
        found = await Asset.select(Asset.id, Asset.name, Asset.name_en).where(
            Asset.id.is_in(list(assets))
        )
        names |= {r["id"]: (r["name"], r["name_en"]) for r in found}
    if locations:
        found = await Location.select(Location.id, Location.name, Location.name_en).where(
            Location.id.is_in(list(locations))
        )
        names |= {r["id"]: (r["name"], r["name_en"]) for r in found}
    return {
        r["code"]: TagInfo(
            id=r["id"],
            site_id=r["site"],
            code=r["code"],
            status=r["status"],
            asset_id=r["asset"],
            location_id=r["location"],
            name=names.get(r["asset"] or r["location"], ("", ""))[0],
            name_en=names.get(r["asset"] or r["location"], ("", ""))[1],
        )
        for r in rows
    }
