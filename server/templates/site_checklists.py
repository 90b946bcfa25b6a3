"""Which checklists apply to what, at each site.

A template says where it applies (`applies_to`: asset categories, location kinds). A site
may replace that with its own answer, or switch the template off: a school without a
kitchen has no use for the kitchen checks, and one with a swimming pool may attach the
building check to a new location kind.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from checklists import Template
from checklists.templates import LocationKind
from server import clock
from server.accounts.access import EVERYONE, MANAGERS, Caller
from server.clock import new_id
from server.db import transaction
from server.errors import DomainError, not_found
from server.feeds import Audience, Feed
from server.templates.tables import SiteChecklist, TemplateVersion
from server.templates.templates import latest_templates
from server.templates.wire import (
    SiteChecklistOut,
    SiteChecklistRecord,
    SiteChecklistSet,
    TemplateSummary,
)

LOCATION_KINDS = frozenset(LocationKind.__args__)  # type: ignore[attr-defined]


class Applicability:
    """Where each template applies at one site: overrides first, else the template's own."""

    def __init__(self, overrides: dict[str, dict[str, Any]]) -> None:
        self._overrides = overrides

    def overridden(self, template_key: str) -> bool:
        return template_key in self._overrides

    def version(self, template_key: str) -> int:
        override = self._overrides.get(template_key)
        return 0 if override is None else override["version"]

    def rule(self, template: Template) -> tuple[bool, list[str], list[str]]:
        override = self._overrides.get(template.key)
        if override is None:
            applies = template.applies_to
            return True, list(applies.asset_categories), list(applies.location_kinds)
        return override["enabled"], override["asset_categories"], override["location_kinds"]

    def applies(
        self, template: Template, *, asset_category: str | None, location_kind: str | None
    ) -> bool:
        enabled, categories, kinds = self.rule(template)
        return enabled and (
            (asset_category is not None and asset_category in categories)
            or (location_kind is not None and location_kind in kinds)
        )


async def applicability(site_id: uuid.UUID) -> Applicability:
    rows = await SiteChecklist.select().where(SiteChecklist.site == site_id).output(load_json=True)
    return Applicability({row["template_key"]: row for row in rows})


async def applicable_templates(
    caller: Caller,
    site_id: uuid.UUID,
    *,
    asset_category: str | None = None,
    location_kind: str | None = None,
) -> list[tuple[TemplateSummary, uuid.UUID]]:
    """The latest version of each template that applies, at this site, to a thing of this
    category or kind, with the id of that version: what a phone offers after a scan."""
    caller.require(site_id, EVERYONE)
    rules = await applicability(site_id)
    found = []
    for row, template in await latest_templates(caller.organization_id):
        if rules.applies(template, asset_category=asset_category, location_kind=location_kind):
            summary = TemplateSummary(
                key=row["key"],
                version=row["version"],
                category=row["category"],
                title_zh=row["title_zh"],
                title_en=row["title_en"],
                published_at=row["published_at"],
                frequency=str(template.frequency.__struct_config__.tag),
            )
            found.append((summary, row["id"]))
    return found


async def list_site_checklists(caller: Caller, site_id: uuid.UUID) -> list[SiteChecklistOut]:
    caller.require(site_id, EVERYONE)
    overrides = await applicability(site_id)
    listing = []
    for row, template in await latest_templates(caller.organization_id):
        enabled, categories, kinds = overrides.rule(template)
        listing.append(
            SiteChecklistOut(
                template_key=row["key"],
                title_zh=row["title_zh"],
                title_en=row["title_en"],
                enabled=enabled,
                asset_categories=categories,
                location_kinds=kinds,
                overridden=overrides.overridden(template.key),
                version=overrides.version(template.key),
            )
        )
    return listing


async def set_site_checklist(
    caller: Caller, site_id: uuid.UUID, template_key: str, data: SiteChecklistSet
) -> SiteChecklistOut:
    caller.require(site_id, MANAGERS)
    unknown = sorted(set(data.location_kinds) - LOCATION_KINDS)
    if unknown:
        raise DomainError(
            "request.invalid",
            f"unknown location kinds {', '.join(unknown)}; "
            f"one of {', '.join(sorted(LOCATION_KINDS))}",
            field="location_kinds",
        )
    await _require_template(caller, template_key)
    values: dict[Any, Any] = {
        SiteChecklist.enabled: data.enabled,
        SiteChecklist.asset_categories: sorted(set(data.asset_categories)),
        SiteChecklist.location_kinds: sorted(set(data.location_kinds)),
        SiteChecklist.updated_at: clock.utcnow(),
        SiteChecklist.updated_by: caller.user_id,
    }
    async with transaction():
        where = (SiteChecklist.site == site_id) & (SiteChecklist.template_key == template_key)
        stored = await SiteChecklist.select(SiteChecklist.version).where(where).first()
        current = 0 if stored is None else stored["version"]
        if data.version is not msgspec.UNSET and data.version != current:
            raise DomainError(
                "site_checklist.version_conflict",
                f"changed by someone else: version is {current}, you sent {data.version}",
                field="version",
            )
        if stored is not None:
            values[SiteChecklist.version] = SiteChecklist.version + 1
            rows = await SiteChecklist.update(values).where(where).returning(*_RECORDED)
        else:
            rows = await SiteChecklist.insert(
                SiteChecklist(
                    id=new_id(),
                    site=site_id,
                    template_key=template_key,
                    version=1,
                    **{column._meta.name: value for column, value in values.items()},
                )
            ).returning(*_RECORDED)
        row = rows[0]
        SITE_CHECKLIST_FEED.record(
            site_id,
            template_key,
            version=row["version"],
            data=site_checklist_record(row),
        )
    return await _one(caller, site_id, template_key)


async def clear_site_checklist(
    caller: Caller, site_id: uuid.UUID, template_key: str
) -> SiteChecklistOut:
    """Back to the template's own `applies_to` at this site."""
    caller.require(site_id, MANAGERS)
    await _require_template(caller, template_key)
    async with transaction():
        cleared = await (
            SiteChecklist.delete()
            .where((SiteChecklist.site == site_id) & (SiteChecklist.template_key == template_key))
            .returning(SiteChecklist.version)
        )
        if cleared:
            SITE_CHECKLIST_FEED.record(
                site_id,
                template_key,
                version=cleared[0]["version"] + 1,
                deleted=True,
            )
    return await _one(caller, site_id, template_key)


_RECORDED = (
    SiteChecklist.template_key,
    SiteChecklist.enabled,
    SiteChecklist.asset_categories,
    SiteChecklist.location_kinds,
    SiteChecklist.version,
)


def site_checklist_record(row: dict[str, Any]) -> SiteChecklistRecord:
    def listed(value: Any) -> list[str]:
        # A JSON column read without decoding (as RETURNING gives it) is still text.
        return msgspec.json.decode(value) if isinstance(value, str) else value

    return SiteChecklistRecord(
        template_key=row["template_key"],
        enabled=row["enabled"],
        asset_categories=listed(row["asset_categories"]),
        location_kinds=listed(row["location_kinds"]),
    )


async def snapshot_site_checklist(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, SiteChecklistRecord]]:
    """The site's overrides, by template key."""
    rows = await SiteChecklist.select(*_RECORDED).where(SiteChecklist.site == site_id)
    # A few dozen at most, sorted here: the database's collation might order text otherwise.
    rows.sort(key=lambda row: row["template_key"])
    return [
        (row["template_key"], row["version"], site_checklist_record(row))
        for row in rows
        if after is None or row["template_key"] > after
    ][:limit]


async def _require_template(caller: Caller, template_key: str) -> None:
    exists = await TemplateVersion.exists().where(
        (TemplateVersion.organization == caller.organization_id)
        & (TemplateVersion.key == template_key)
    )
    if not exists:
        raise not_found("template")


async def _one(caller: Caller, site_id: uuid.UUID, template_key: str) -> SiteChecklistOut:
    for entry in await list_site_checklists(caller, site_id):
        if entry.template_key == template_key:
            return entry
    raise not_found("template")


SITE_CHECKLIST_FEED = Feed("site_checklist", Audience.SITE, snapshot_site_checklist)
