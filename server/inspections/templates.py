"""Publishing checklist templates as immutable versions, per organization."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any, Literal

import msgspec

from checklists import InvalidTemplate, Template, load_library, parse_template
from server.accounts.access import ADMINS, Caller
from server.clock import new_id, utcnow
from server.db import transaction
from server.errors import DomainError, forbidden, not_found
from server.inspections.tables import TemplateVersion
from server.inspections.wire import TemplatePublished, TemplateSummary, TemplateVersionOut


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


async def publish_template(
    organization_id: uuid.UUID, template: Template, by: uuid.UUID | None
) -> TemplatePublished:
    """Store `template` as the next version of its key, unless its content equals the
    latest version's. Published versions are never changed."""
    digest = _content_sha256(template)
    async with transaction():
        latest = (
            await TemplateVersion.select(TemplateVersion.version, TemplateVersion.content_sha256)
            .where(
                (TemplateVersion.organization == organization_id)
                & (TemplateVersion.key == template.key)
            )
            .order_by(TemplateVersion.version, ascending=False)
            .first()
        )
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
                published_at=utcnow(),
                published_by=by,
            )
        )
    return TemplatePublished(key=template.key, version=version, created=True)


async def publish_for(caller: Caller, template: Template) -> TemplatePublished:
    if not caller.site_ids(ADMINS):
        raise forbidden("only an organization's admins publish templates")
    return await publish_template(caller.organization_id, template, caller.user_id)


async def install_library(organization_id: uuid.UUID) -> int:
    """Publish every built-in template into an organization; returns how many were new."""
    created = 0
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


_SUMMARY = (
    TemplateVersion.category,
    TemplateVersion.title_zh,
    TemplateVersion.title_en,
    TemplateVersion.published_at,
)


async def list_templates(caller: Caller) -> list[TemplateSummary]:
    return [
        TemplateSummary(**row) for row in await _latest_versions(_organization(caller), *_SUMMARY)
    ]


async def get_template(caller: Caller, key: str, version: int | None = None) -> TemplateVersionOut:
    rows = (
        await TemplateVersion.select()
        .where(
            (TemplateVersion.organization == _organization(caller)) & (TemplateVersion.key == key)
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


async def applicable_templates(
    caller: Caller, *, asset_category: str | None = None, location_kind: str | None = None
) -> list[TemplateSummary]:
    """The latest version of each template whose `applies_to` names the asset's category or
    the location's kind: what a phone offers after scanning that thing's tag."""
    found = []
    for row in await _latest_versions(_organization(caller), *_SUMMARY, TemplateVersion.body):
        template = msgspec.json.decode(row["body"], type=Template)
        applies = template.applies_to
        if (asset_category and asset_category in applies.asset_categories) or (
            location_kind and location_kind in applies.location_kinds
        ):
            summary = {k: v for k, v in row.items() if k != "body"}
            frequency = str(template.frequency.__struct_config__.tag)
            found.append(TemplateSummary(**summary, frequency=frequency))
    return found


def _organization(caller: Caller) -> uuid.UUID:
    # Templates belong to the organization; anyone with a current role in it may read them.
    if not caller.roles:
        raise not_found("template")
    return caller.organization_id
