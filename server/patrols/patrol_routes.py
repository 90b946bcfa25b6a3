"""Patrol routes: the checkpoints a round visits, kept as versions that never change.

Every change is a new version; a round is judged by the version it started on, so a route
edited while a guard is out on it changes nothing for that round. Checkpoints are existing,
active tags of the route's site, resolved when the version is written; a checkpoint's
mini-checklist is pinned to the template's newest version then.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from server import clock
from server.accounts.access import EVERYONE, MANAGERS, Caller
from server.db import is_sqlite, json_bytes, transaction
from server.errors import DomainError, not_found
from server.feeds import Audience, Feed
from server.patrols import routes as pure
from server.patrols.tables import PatrolRoute, PatrolRouteVersion
from server.patrols.wire import (
    ChecklistRef,
    CheckpointIn,
    CheckpointOut,
    RouteChange,
    RouteCreate,
    RouteOut,
)
from server.registry.tags import parse_code, tags_by_code
from server.templates.templates import published_versions, template_titles

_CHECKPOINTS = msgspec.json.Decoder(list[CheckpointOut])


async def _checkpoints(
    caller: Caller, site_id: uuid.UUID, given: list[CheckpointIn]
) -> list[CheckpointOut]:
    """The checkpoints resolved against the site's tags and templates, or the first
    problem with its field path."""
    codes = []
    for index, checkpoint in enumerate(given):
        try:
            codes.append(parse_code(checkpoint.tag))
        except DomainError as exc:
            raise DomainError(exc.code, exc.detail, field=f"checkpoints[{index}].tag") from None
    tags = await tags_by_code(set(codes))
    keys = {c.checklist for c in given if c.checklist}
    titles = await template_titles(caller.organization_id, keys)
    versions = {key: await published_versions(caller.organization_id, key) for key in keys}
    seen: set[str] = set()
    out = []
    for index, (checkpoint, code) in enumerate(zip(given, codes, strict=True)):
        where = f"checkpoints[{index}]"
        tag = tags.get(code)
        if tag is None or tag.site_id != site_id:
            raise DomainError(
                "route.tag_unknown", f"{code} is not a tag of this site", field=f"{where}.tag"
            )
        if tag.status != "active":
            raise DomainError(
                "route.tag_retired", f"tag {code} is {tag.status}", field=f"{where}.tag"
            )
        if code in seen:
            raise DomainError(
                "route.tag_twice", f"tag {code} is on the route twice", field=f"{where}.tag"
            )
        seen.add(code)
        checklist = None
        if checkpoint.checklist:
            published = versions[checkpoint.checklist]
            if not published:
                raise DomainError(
                    "route.unknown_template",
                    f"no checklist {checkpoint.checklist!r}",
                    field=f"{where}.checklist",
                )
            zh, en = titles[checkpoint.checklist]
            checklist = ChecklistRef(
                key=checkpoint.checklist, version=published[-1], title_zh=zh, title_en=en
            )
        out.append(
            CheckpointOut(
                tag=code,
                tag_id=tag.id,
                asset_id=tag.asset_id,
                location_id=tag.location_id,
                name=checkpoint.name or tag.name,
                name_en=checkpoint.name_en or tag.name_en,
                label=checkpoint.name,
                label_en=checkpoint.name_en,
                thing_name=tag.name,
                thing_name_en=tag.name_en,
                checklist=checklist,
                min_gap_seconds=checkpoint.min_gap_seconds,
                position=checkpoint.position,
                radius_m=checkpoint.radius_m,
                nfc_serial=checkpoint.nfc_serial,
            )
        )
    return out


async def create_route(caller: Caller, site_id: uuid.UUID, data: RouteCreate) -> RouteOut:
    caller.require(site_id, MANAGERS)
    checkpoints = await _checkpoints(caller, site_id, data.checkpoints)
    now = clock.utcnow()
    route_id = clock.new_id()
    async with transaction():
        await PatrolRoute.insert(
            PatrolRoute(
                id=route_id,
                site=site_id,
                name=data.name,
                name_en=data.name_en,
                status="active",
                version=1,
                created_at=now,
                updated_at=now,
            )
        )
        await _add_version(caller, route_id, 1, data, checkpoints, now)
        out = await _route_out(route_id)
        record_route(out)
    return out


async def change_route(caller: Caller, route_id: uuid.UUID, data: RouteChange) -> RouteOut:
    """A new version of the route, made against `base_version`."""
    row = await _route_row(caller, route_id, EVERYONE)
    caller.require(row["site"], MANAGERS, "route")
    checkpoints = await _checkpoints(caller, row["site"], data.checkpoints)
    now = clock.utcnow()
    async with transaction():
        row = await _locked(route_id)
        if row["status"] != "active":
            raise DomainError("route.retired", "a retired route cannot be changed")
        if row["version"] != data.base_version:
            raise DomainError(
                "route.version_conflict",
                f"changed by someone else: version is {row['version']}, "
                f"you sent {data.base_version}",
                field="base_version",
            )
        version = row["version"] + 1
        await PatrolRoute.update(
            {
                PatrolRoute.name: data.name,
                PatrolRoute.name_en: data.name_en,
                PatrolRoute.version: version,
                PatrolRoute.updated_at: now,
            }
        ).where(PatrolRoute.id == route_id)
        await _add_version(caller, route_id, version, data, checkpoints, now)
        out = await _route_out(route_id)
        record_route(out)
    return out


async def retire_route(caller: Caller, route_id: uuid.UUID) -> RouteOut:
    """A retired route is no longer offered to start; rounds already on it keep it."""
    row = await _route_row(caller, route_id, EVERYONE)
    caller.require(row["site"], MANAGERS, "route")
    async with transaction():
        await _locked(route_id)
        await PatrolRoute.update(
            {PatrolRoute.status: "retired", PatrolRoute.updated_at: clock.utcnow()}
        ).where(PatrolRoute.id == route_id)
        out = await _route_out(route_id)
        record_route(out)
    return out


async def list_routes(
    caller: Caller, site_id: uuid.UUID, *, include_retired: bool = False
) -> list[RouteOut]:
    caller.require(site_id, EVERYONE)
    query = PatrolRoute.select(PatrolRoute.id).where(PatrolRoute.site == site_id)
    if not include_retired:
        query = query.where(PatrolRoute.status == "active")
    rows = await query.order_by(PatrolRoute.created_at, PatrolRoute.id)
    return await routes_out([r["id"] for r in rows])


async def get_route(caller: Caller, route_id: uuid.UUID, version: int | None = None) -> RouteOut:
    await _route_row(caller, route_id, EVERYONE)
    return await _route_out(route_id, version)


async def route_versions(
    wanted: set[tuple[uuid.UUID, int | None]],
) -> dict[tuple[uuid.UUID, int | None], pure.RouteVersion]:
    """The pure route versions named (a None version: the newest), for judging rounds."""
    ids = sorted({route_id for route_id, _ in wanted})
    if not ids:
        return {}
    newest = {
        r["id"]: r["version"]
        for r in await PatrolRoute.select(PatrolRoute.id, PatrolRoute.version).where(
            PatrolRoute.id.is_in(ids)
        )
    }
    rows = await PatrolRouteVersion.select(
        PatrolRouteVersion.route,
        PatrolRouteVersion.version,
        PatrolRouteVersion.mode,
        PatrolRouteVersion.checkpoints,
    ).where(PatrolRouteVersion.route.is_in(ids))
    by_key = {(r["route"], r["version"]): r for r in rows}
    found = {}
    for route_id, version in wanted:
        row = by_key.get((route_id, version if version is not None else newest.get(route_id)))
        if row is not None:
            found[(route_id, version)] = pure_version(row)
    return found


def pure_version(row: dict[str, Any]) -> pure.RouteVersion:
    return pure.RouteVersion(
        route=str(row["route"]),
        version=row["version"],
        mode=row["mode"],
        checkpoints=tuple(
            pure.Checkpoint(
                tag=c.tag,
                name=c.name,
                checklist=c.checklist.key if c.checklist else None,
                min_gap_seconds=c.min_gap_seconds,
                position=c.position,
                radius_m=c.radius_m,
                nfc_serial=c.nfc_serial,
            )
            for c in checkpoints_of(row)
        ),
    )


def checkpoints_of(row: dict[str, Any]) -> list[CheckpointOut]:
    value = row["checkpoints"]
    return _CHECKPOINTS.decode(json_bytes(value))


async def routes_out(route_ids: list[uuid.UUID]) -> list[RouteOut]:
    if not route_ids:
        return []
    routes = await PatrolRoute.select().where(PatrolRoute.id.is_in(route_ids))
    by_id = {r["id"]: r for r in routes}
    versions = await PatrolRouteVersion.select().where(PatrolRouteVersion.route.is_in(route_ids))
    newest = {(v["route"]): v for v in versions if v["version"] == by_id[v["route"]]["version"]}
    return [_out(by_id[i], newest[i]) for i in route_ids if i in by_id]


async def route_names(route_ids: set[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str]]:
    if not route_ids:
        return {}
    rows = await PatrolRoute.select(PatrolRoute.id, PatrolRoute.name, PatrolRoute.name_en).where(
        PatrolRoute.id.is_in(list(route_ids))
    )
    return {r["id"]: (r["name"], r["name_en"]) for r in rows}


async def route_site(route_id: uuid.UUID) -> tuple[uuid.UUID, str] | None:
    """The route's site and status, or None."""
    row = (
        await PatrolRoute.select(PatrolRoute.site, PatrolRoute.status)
        .where(PatrolRoute.id == route_id)
        .first()
    )
    return None if row is None else (row["site"], row["status"])


def record_route(out: RouteOut) -> None:
    ROUTE_FEED.record(out.site_id, out.id, version=out.version, data=out)


async def snapshot_routes(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, RouteOut]]:
    """Every route of the site, retired ones too (a phone's round on one goes on)."""
    query = PatrolRoute.select(PatrolRoute.id).where(PatrolRoute.site == site_id)
    if after is not None:
        query = query.where(PatrolRoute.id > uuid.UUID(after))
    rows = await query.order_by(PatrolRoute.id).limit(limit)
    return [(str(out.id), out.version, out) for out in await routes_out([r["id"] for r in rows])]


ROUTE_FEED = Feed("patrol_route", Audience.SITE, snapshot_routes)


async def _add_version(
    caller: Caller,
    route_id: uuid.UUID,
    version: int,
    data: RouteCreate,
    checkpoints: list[CheckpointOut],
    now: Any,
) -> None:
    await PatrolRouteVersion.insert(
        PatrolRouteVersion(
            id=clock.new_id(),
            route=route_id,
            version=version,
            mode=data.mode,
            checkpoints=msgspec.json.encode(checkpoints).decode(),
            created_at=now,
            created_by=caller.user_id,
        )
    )


async def _route_row(caller: Caller, route_id: uuid.UUID, allowed: frozenset[str]) -> dict:
    row = await PatrolRoute.select().where(PatrolRoute.id == route_id).first()
    if row is None or row["site"] not in caller.roles:
        raise not_found("route")
    caller.require(row["site"], allowed, "route")
    return row


async def _locked(route_id: uuid.UUID) -> dict:
    query = PatrolRoute.select().where(PatrolRoute.id == route_id)
    if not is_sqlite():
        query = query.lock_rows("UPDATE")
    row = await query.first()
    assert row is not None, "routes are never deleted"
    return row


async def _route_out(route_id: uuid.UUID, version: int | None = None) -> RouteOut:
    row = await PatrolRoute.select().where(PatrolRoute.id == route_id).first()
    assert row is not None, "routes are never deleted"
    wanted = version if version is not None else row["version"]
    stored = (
        await PatrolRouteVersion.select()
        .where((PatrolRouteVersion.route == route_id) & (PatrolRouteVersion.version == wanted))
        .first()
    )
    if stored is None:
        raise not_found("route version")
    return _out(row, stored)


def _out(row: dict[str, Any], version: dict[str, Any]) -> RouteOut:
    return RouteOut(
        id=row["id"],
        site_id=row["site"],
        name=row["name"],
        name_en=row["name_en"],
        mode=version["mode"],
        version=version["version"],
        status=row["status"],
        checkpoints=checkpoints_of(version),
        updated_at=row["updated_at"],
    )
