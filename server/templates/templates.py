"""Publishing checklist templates as immutable versions, per organization."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from typing import Any, Literal

import msgspec

from checklists import InvalidTemplate, Template, load_library, parse_template
from server import clock
from server.accounts.access import ADMINS, Caller
from server.accounts.sites import lock_organization, organization_of_site, site_ids_of
from server.clock import new_id
from server.db import transaction
from server.errors import DomainError, forbidden, not_found
from server.feeds import Audience, Feed
from server.templates.tables import TemplateVersion
from server.templates.wire import (
    TemplateChecked,
    TemplateListed,
    TemplateProblem,
    TemplatePublished,
    TemplateRecord,
    TemplateVersionOut,
)


def _content_sha256(template: Template) -> str:
    # The version number is the server's to give, so it is no part of the content.
    canonical = msgspec.structs.replace(template, version=1)
    return hashlib.sha256(msgspec.json.encode(canonical)).hexdigest()


def read_template(content: bytes, format: Literal["yaml", "json"]) -> Template:
    try:
        return parse_template(content, format=format)
    except InvalidTemplate as exc:
        raise DomainError(
            "template.invalid",
            f"{len(exc.problems)} problems in the template; nothing was published",
            errors=[{"path": p.path, "code": p.code, "reason": p.reason} for p in exc.problems],
        ) from None


async def _latest_of(organization_id: uuid.UUID, key: str) -> dict[str, Any] | None:
    """The version number and content digest of the key's newest version."""
    return await (
        TemplateVersion.select(TemplateVersion.version, TemplateVersion.content_sha256)
        .where((TemplateVersion.organization == organization_id) & (TemplateVersion.key == key))
        .order_by(TemplateVersion.version, ascending=False)
        .first()
    )


async def check_for(
    caller: Caller, content: bytes, format: Literal["yaml", "json"]
) -> TemplateChecked:
    """What publishing `content` would do: its problems, or the version it would become.
    Nothing is stored, so a person sees every problem before anything is published."""
    if not caller.site_ids(ADMINS):
        raise forbidden("only an organization's admins publish templates")
    try:
        template = parse_template(content, format=format)
    except InvalidTemplate as exc:
        problems = [
            TemplateProblem(path=p.path, code=p.code, reason=p.reason) for p in exc.problems
        ]
        return TemplateChecked(valid=False, problems=problems)
    latest = await _latest_of(caller.organization_id, template.key)
    if latest is None:
        return TemplateChecked(valid=True, problems=[], key=template.key, version=1, changed=True)
    changed = latest["content_sha256"] != _content_sha256(template)
    return TemplateChecked(
        valid=True,
        problems=[],
        key=template.key,
        latest=latest["version"],
        version=latest["version"] + 1 if changed else latest["version"],
        changed=changed,
    )


async def publish_template(
    organization_id: uuid.UUID, template: Template, by: uuid.UUID | None
) -> TemplatePublished:
    """Store `template` as the next version of its key, unless its content equals the
    latest version's. Published versions are never changed. Every site of the organization
    is sent the new version."""
    digest = _content_sha256(template)
    async with transaction():
        await lock_organization(organization_id)
        latest = await _latest_of(organization_id, template.key)
        if latest is not None and latest["content_sha256"] == digest:
            return TemplatePublished(key=template.key, version=latest["version"], created=False)
        version = 1 if latest is None else latest["version"] + 1
        stored = msgspec.structs.replace(template, version=version)
        await TemplateVersion.insert(
            TemplateVersion(
                id=new_id(),
                organization=organization_id,
                key=template.key,
                version=version,
                category=template.category,
                title_zh=template.title.zh_cn,
                title_en=template.title.en,
                body=msgspec.json.encode(stored).decode(),
                content_sha256=digest,
                published_at=clock.utcnow(),
                published_by=by,
            )
        )
        # Encoded once: an organization may have thousands of sites.
        data = msgspec.Raw(
            msgspec.json.encode(TemplateRecord(key=template.key, version=version, template=stored))
        )
        for site_id in await site_ids_of(organization_id):
            TEMPLATE_FEED.record(site_id, template.key, version=version, data=data)
    return TemplatePublished(key=template.key, version=version, created=True)


async def publish_for(caller: Caller, template: Template) -> TemplatePublished:
    if not caller.site_ids(ADMINS):
        raise forbidden("only an organization's admins publish templates")
    return await publish_template(caller.organization_id, template, caller.user_id)


async def install_library(organization_id: uuid.UUID) -> int:
    """Publish every built-in template into an organization, all or none; returns how many
    were new."""
    created = 0
    async with transaction():
        for template in load_library().values():
            result = await publish_template(organization_id, template, None)
            created += result.created
    return created


async def _latest_versions(organization_id: uuid.UUID, *columns: Any) -> list[dict[str, Any]]:
    """The newest version's row of every template key, in key order."""
    rows = (
        await TemplateVersion.select(TemplateVersion.key, TemplateVersion.version, *columns)
        .where(TemplateVersion.organization == organization_id)
        .order_by(TemplateVersion.key)
        .order_by(TemplateVersion.version)
    )
    return list({row["key"]: row for row in rows}.values())


_DECODED: dict[uuid.UUID, Template] = {}
_DECODED_MAX = 1024


def decode_version(version_id: uuid.UUID, body: str) -> Template:
    """The stored template of a version. Versions never change, so each is decoded once
    per process."""
    template = _DECODED.get(version_id)
    if template is None:
        if len(_DECODED) >= _DECODED_MAX:
            _DECODED.clear()
        template = _DECODED[version_id] = msgspec.json.decode(body, type=Template)
    return template


async def versions_by_key(
    organization_id: uuid.UUID, wanted: set[tuple[str, int]]
) -> dict[tuple[str, int], tuple[uuid.UUID, Template]]:
    """The named (key, version) pairs of an organization that exist, decoded."""
    if not wanted:
        return {}
    rows = await TemplateVersion.select(
        TemplateVersion.id, TemplateVersion.key, TemplateVersion.version, TemplateVersion.body
    ).where(
        (TemplateVersion.organization == organization_id)
        & TemplateVersion.key.is_in(sorted({key for key, _ in wanted}))
    )
    found = {}
    for row in rows:
        pair = (row["key"], row["version"])
        if pair in wanted:
            found[pair] = (row["id"], decode_version(row["id"], row["body"]))
    return found


async def published_versions(organization_id: uuid.UUID, key: str) -> list[int]:
    """The version numbers published under `key`, oldest first (none: no such template)."""
    rows = await TemplateVersion.select(TemplateVersion.version).where(
        (TemplateVersion.organization == organization_id) & (TemplateVersion.key == key)
    )
    return sorted(row["version"] for row in rows)


async def template_of_version(version_id: uuid.UUID) -> Template:
    """The template a stored version id holds (the id must exist: a foreign key names it)."""
    row = (
        await TemplateVersion.select(TemplateVersion.body)
        .where(TemplateVersion.id == version_id)
        .first()
    )
    assert row is not None, "a foreign key names the version"
    return decode_version(version_id, row["body"])


async def template_titles(
    organization_id: uuid.UUID, keys: Iterable[str]
) -> dict[str, tuple[str, str]]:
    """The latest published titles (zh, en) of these template keys."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = (
        await TemplateVersion.select(
            TemplateVersion.key, TemplateVersion.title_zh, TemplateVersion.title_en
        )
        .where(
            (TemplateVersion.organization == organization_id) & TemplateVersion.key.is_in(wanted)
        )
        .order_by(TemplateVersion.version)
    )
    return {row["key"]: (row["title_zh"], row["title_en"]) for row in rows}


async def latest_templates(organization_id: uuid.UUID) -> list[tuple[dict[str, Any], Template]]:
    """The newest version of every template key with its summary columns, in key order."""
    rows = await _latest_versions(
        organization_id, TemplateVersion.id, *_SUMMARY, TemplateVersion.body
    )
    return [(row, decode_version(row["id"], row.pop("body"))) for row in rows]


async def snapshot_template(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, TemplateRecord]]:
    """The latest version of every template key of the site's organization."""
    organization_id = await organization_of_site(site_id)
    if organization_id is None:
        return []
    # A few dozen keys, sorted here: the database's collation might order text otherwise.
    latest = sorted(await latest_templates(organization_id), key=lambda pair: pair[0]["key"])
    return [
        (
            row["key"],
            row["version"],
            TemplateRecord(key=row["key"], version=row["version"], template=template),
        )
        for row, template in latest
        if after is None or row["key"] > after
    ][:limit]


_SUMMARY = (
    TemplateVersion.category,
    TemplateVersion.title_zh,
    TemplateVersion.title_en,
    TemplateVersion.published_at,
)


async def list_templates(caller: Caller) -> list[TemplateListed]:
    library = load_library()
    return [
        TemplateListed(**row, from_library=row["key"] in library)
        for row in await _latest_versions(organization_of(caller), *_SUMMARY)
    ]


async def get_template(caller: Caller, key: str, version: int | None = None) -> TemplateVersionOut:
    rows = (
        await TemplateVersion.select()
        .where(
            (TemplateVersion.organization == organization_of(caller)) & (TemplateVersion.key == key)
        )
        .order_by(TemplateVersion.version)
    )
    if not rows:
        raise not_found("template")
    chosen = (
        rows[-1] if version is None else next((r for r in rows if r["version"] == version), None)
    )
    if chosen is None:
        raise not_found(f"version {version} of template {key}")
    return TemplateVersionOut(
        id=chosen["id"],
        key=key,
        version=chosen["version"],
        versions=[r["version"] for r in rows],
        published_at=chosen["published_at"],
        published_by=chosen["published_by"],
        template=msgspec.json.decode(chosen["body"], type=Template),
    )


def organization_of(caller: Caller) -> uuid.UUID:
    # Templates belong to the organization; anyone with a current role in it may read them.
    if not caller.roles:
        raise not_found("template")
    return caller.organization_id


TEMPLATE_FEED = Feed("template", Audience.SITE, snapshot_template)
