"""What the template API sends and accepts."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from checklists import Template


class TemplateSummary(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    version: int
    """The latest published version."""
    category: str
    title_zh: str
    title_en: str
    published_at: datetime
    frequency: str | None = None


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
