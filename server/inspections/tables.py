"""Checklist template versions. A published version is never changed or deleted: an
inspection made against version 3 is judged against version 3 forever."""

from piccolo.columns import (
    UUID,
    ForeignKey,
    Integer,
    LazyTableReference,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

ORGANIZATION = LazyTableReference("Organization", app_name="accounts")
USER = LazyTableReference("User", app_name="accounts")


class TemplateVersion(Table, tablename="template_version"):
    id = UUID(primary_key=True)
    organization = ForeignKey(ORGANIZATION, on_delete=OnDelete.restrict, null=False, index=True)
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
    published_by = ForeignKey(USER, on_delete=OnDelete.restrict, null=True, default=None)
