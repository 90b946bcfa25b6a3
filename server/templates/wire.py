"""What the template API sends and accepts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from checklists import Template
from server.registry.wire import Category
from server.wire import Request


class TemplateSummary(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    version: int
    """The latest published version."""
    category: str
    title_zh: str
    title_en: str
    published_at: datetime
    frequency: str | None = None


class TemplateListed(TemplateSummary, frozen=True, kw_only=True):
    from_library: bool
    """The key is a built-in one (the organization may have published its own versions of
    it since); false for a template the organization wrote itself."""


class TemplateVersionOut(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    key: str
    version: int
    versions: list[int]
    """Every published version of this key, oldest first; each stays readable."""
    published_at: datetime
    published_by: uuid.UUID | None
    template: Template


class TemplatePublished(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    version: int
    created: bool
    """False when the content equals the latest version's: nothing new was published."""


class TemplateProblem(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    """Where in the template, e.g. `items[3].options`; empty for the document as a whole."""
    code: str
    reason: str


class TemplateChecked(msgspec.Struct, frozen=True, kw_only=True):
    """What publishing a template file would do, found without publishing it."""

    valid: bool
    problems: list[TemplateProblem]
    """Every problem found, in template order; empty when valid."""
    key: str | None = None
    latest: int | None = None
    """The key's latest published version; None for a template not published yet."""
    version: int | None = None
    """The version publishing would give it (the latest when nothing changed)."""
    changed: bool = False
    """Whether publishing would make a new version."""


class TemplateRecord(msgspec.Struct, frozen=True, kw_only=True):
    """The latest version of a template key, as devices keep it offline (entity
    `template`). Older versions are not sent: a device fills in the latest."""

    key: str
    version: int
    template: Template


class SiteChecklistRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A site's own answer to where a template applies (entity `site_checklist`); without
    one, the template's `applies_to` holds."""

    template_key: str
    enabled: bool
    asset_categories: list[str]
    location_kinds: list[str]


TemplateKey = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{1,63}$")]


class SiteChecklistSet(Request, frozen=True, kw_only=True):
    """Where a template applies at one site, replacing the template's own `applies_to`."""

    enabled: bool = True
    asset_categories: list[Category] = []
    location_kinds: list[str] = []
    version: int | msgspec.UnsetType = msgspec.UNSET
    """The rule's version the person changed (`SiteChecklistOut.version`); if sent, another
    one now is refused as a stale edit."""


class SiteChecklistOut(msgspec.Struct, frozen=True, kw_only=True):
    template_key: str
    title_zh: str
    title_en: str
    enabled: bool
    asset_categories: list[str]
    location_kinds: list[str]
    overridden: bool
    """False: the template's own `applies_to` holds at this site."""
    version: int = 0
    """Of the site's own rule; 0 while the template's own holds."""
