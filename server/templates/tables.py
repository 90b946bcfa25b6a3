"""Checklist template versions, per organization, and where each applies at a site.

A published version is never changed or deleted: an inspection made against version 3 is
judged against version 3 forever.
"""

from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from server.references import ORGANIZATION, SITE, USER


class TemplateVersion(Table, tablename="template_version"):
    id = UUID(primary_key=True)
    organization: ForeignKey[Table] = ForeignKey(
        ORGANIZATION, on_delete=OnDelete.restrict, null=False, index=True
    )
    key = Varchar(length=64, index=True)
    version = Integer()
    category = Varchar(length=64)
    title_zh = Varchar(length=200)
    title_en = Varchar(length=200)
    body = Text()
    """The template as published, msgspec JSON; decoded with checklists.Template."""
    content_sha256 = Varchar(length=64)
    """Of the body with the version left out: publishing the same content again is a no-op."""
    published_at = Timestamptz()
    published_by: ForeignKey[Table] = ForeignKey(
        USER, on_delete=OnDelete.restrict, null=True, default=None
    )


class SiteChecklist(Table, tablename="site_checklist"):
    """A site's own answer to "where does this template apply", replacing the template's
    `applies_to` at that site; `enabled` false means not at this site at all."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    template_key = Varchar(length=64)
    enabled = Boolean(default=True)
    asset_categories = JSON(default=[])
    location_kinds = JSON(default=[])
    version = Integer(default=1)
    """Grows with every change; starts again at 1 after the override was cleared."""
    updated_at = Timestamptz()
    updated_by: ForeignKey[Table] = ForeignKey(
        USER, on_delete=OnDelete.restrict, null=True, default=None
    )
