"""Organizations and their sites."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from server import clock
from server.accounts.access import ADMINS, Caller
from server.accounts.tables import Organization, Site
from server.accounts.users import set_membership
from server.accounts.wire import SiteCreate, SiteInfo, SiteOut, SiteUpdate
from server.clock import new_id
from server.db import is_sqlite, transaction
from server.errors import DomainError, forbidden, not_found
from server.feeds import Audience, Feed


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(
            "site.unknown_timezone",
            f"unknown timezone {name!r}; use an IANA name such as Asia/Shanghai",
            field="timezone",
        ) from None
    return name


async def create_organization(name: str) -> uuid.UUID:
    org_id = new_id()
    await Organization.insert(Organization(id=org_id, name=name, created_at=clock.utcnow())).run()
    return org_id


async def lock_organization(organization_id: uuid.UUID) -> None:
    """Hold the organization's row until the transaction ends. Adding a site and publishing
    a template both take it, so a template is either recorded into the new site or already
    published when the site's first snapshot is read; never neither."""
    if not is_sqlite():  # SQLite's single writer serialises them already
        # NO KEY UPDATE: rows that merely reference the organization need not wait.
        await (
            Organization.select(Organization.id)
            .where(Organization.id == organization_id)
            .lock_rows("NO KEY UPDATE")
        )


async def create_site(organization_id: uuid.UUID, data: SiteCreate) -> uuid.UUID:
    check_timezone(data.timezone)
    site = Site(
        id=new_id(),
        organization=organization_id,
        name=data.name,
        name_en=data.name_en,
        timezone=data.timezone,
        keep_photo_location=False,
        version=1,
        created_at=clock.utcnow(),
    )
    async with transaction():
        await lock_organization(organization_id)
        await Site.insert(site).run()
        record_site(site.to_dict())
    return site.id


async def add_site(caller: Caller, data: SiteCreate) -> SiteOut:
    """A new site in the caller's organization; only an admin of one of its sites may add one,
    and becomes the new site's admin."""
    if not caller.site_ids(ADMINS):
        raise forbidden("only an organization's admins can add sites")
    async with transaction():
        site_id = await create_site(caller.organization_id, data)
        await set_membership(caller.user_id, site_id, "admin")
    return SiteOut(
        id=site_id,
        organization_id=caller.organization_id,
        name=data.name,
        name_en=data.name_en,
        timezone=data.timezone,
        keep_photo_location=False,
        role="admin",
    )


async def list_sites(caller: Caller) -> list[SiteOut]:
    ids = list(caller.roles)
    if not ids:
        return []
    rows = await Site.select().where(Site.id.is_in(ids)).order_by(Site.name).run()
    return [_site_out(row, caller.roles[row["id"]]) for row in rows]


async def get_site(caller: Caller, site_id: uuid.UUID) -> SiteOut:
    role = caller.role_at(site_id)
    if role is None:
        raise not_found("site")
    row = await Site.select().where(Site.id == site_id).first().run()
    if row is None:
        raise not_found("site")
    return _site_out(row, role)


async def update_site(caller: Caller, site_id: uuid.UUID, data: SiteUpdate) -> SiteOut:
    """A site's own settings; only its admins may change them."""
    caller.require(site_id, ADMINS, "site")
    if data.timezone is not msgspec.UNSET:
        check_timezone(data.timezone)
    changes: dict[Any, Any] = {}
    for field, column in (
        ("name", Site.name),
        ("name_en", Site.name_en),
        ("timezone", Site.timezone),
        ("keep_photo_location", Site.keep_photo_location),
    ):
        value = getattr(data, field)
        if value is not msgspec.UNSET:
            changes[column] = value
    if changes:
        changes[Site.version] = Site.version + 1
        async with transaction():
            rows = (
                await Site.update(changes)
                .where(Site.id == site_id)
                .returning(*Site.all_columns())
                .run()
            )
            record_site(rows[0])
    return await get_site(caller, site_id)


async def sites_keeping_photo_location(site_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Those of `site_ids` whose viewers see where photos were taken."""
    ids = list(site_ids)
    if not ids:
        return set()
    rows = (
        await Site.select(Site.id)
        .where(Site.id.is_in(ids) & Site.keep_photo_location.eq(True))
        .run()
    )
    return {row["id"] for row in rows}


async def site_timezones(site_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each site's IANA timezone (for callers already authorised)."""
    wanted = list(set(site_ids))
    if not wanted:
        return {}
    rows = await Site.select(Site.id, Site.timezone).where(Site.id.is_in(wanted))
    return {row["id"]: row["timezone"] for row in rows}


async def site_ids_of(organization_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await Site.select(Site.id).where(Site.organization == organization_id)
    return [row["id"] for row in rows]


async def organization_of_site(site_id: uuid.UUID) -> uuid.UUID | None:
    row = await Site.select(Site.organization).where(Site.id == site_id).first()
    return row["organization"] if row else None


def site_info(row: dict[str, Any]) -> SiteInfo:
    return SiteInfo(
        id=row["id"],
        organization_id=row["organization"],
        name=row["name"],
        name_en=row["name_en"],
        timezone=row["timezone"],
        keep_photo_location=row["keep_photo_location"],
    )


def record_site(row: dict[str, Any]) -> None:
    SITE_FEED.record(row["id"], row["id"], version=row["version"], data=site_info(row))


async def snapshot_site(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, SiteInfo]]:
    """The site itself, as the one row of its own snapshot."""
    if limit < 1 or (after is not None and after >= str(site_id)):
        return []
    row = await Site.select().where(Site.id == site_id).first()
    return [] if row is None else [(str(row["id"]), row["version"], site_info(row))]


async def find_site(name: str) -> dict | None:
    """A site by exact name (command-line use, where there is no caller)."""
    return await Site.select().where(Site.name == name).first().run()


async def find_organization(name: str) -> uuid.UUID | None:
    row = await Organization.select(Organization.id).where(Organization.name == name).first()
    return row["id"] if row else None


def _site_out(row: dict, role: str) -> SiteOut:
    return SiteOut(
        id=row["id"],
        organization_id=row["organization"],
        name=row["name"],
        name_en=row["name_en"],
        timezone=row["timezone"],
        keep_photo_location=row["keep_photo_location"],
        role=role,
    )


SITE_FEED = Feed("site", Audience.SITE, snapshot_site)
