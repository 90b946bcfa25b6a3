"""What scanning a tag answers."""

from __future__ import annotations

from server.inspections.wire import FindingOut, LastInspection
from server.registry.wire import TagResolution
from server.schedules.wire import DueEntry
from server.templates.wire import TemplateSummary


class ChecklistOffer(TemplateSummary, frozen=True, kw_only=True):
    """A checklist that applies to a scanned thing, with how it went last time."""

    last_inspection: LastInspection | None = None


class TagScan(TagResolution, frozen=True, kw_only=True):
    """What scanning a tag answers: the tag, its target, the checklists for it, and what is
    due on it (this week's occurrences and those overdue)."""

    templates: list[ChecklistOffer] = []
    open_findings: list[FindingOut] = []
    due: list[DueEntry] = []
