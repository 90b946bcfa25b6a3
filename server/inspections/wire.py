"""What the template API sends and accepts."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

from checklists import Evaluation, Rule, ScheduleVersion, SchoolCalendar, Status, Template
from checklists.templates import LocationKind
from server.registry.wire import TagResolution


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


class Request(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of request bodies: unknown fields are errors, not silently dropped."""


TemplateKey = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{1,63}$")]
Category = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]


class SiteChecklistSet(Request, kw_only=True):
    """Where a template applies at one site, replacing the template's own `applies_to`."""

    enabled: bool = True
    asset_categories: list[Category] = []
    location_kinds: list[str] = []


class SiteChecklistOut(msgspec.Struct, frozen=True, kw_only=True):
    template_key: str
    title_zh: str
    title_en: str
    enabled: bool
    asset_categories: list[str]
    location_kinds: list[str]
    overridden: bool
    """False: the template's own `applies_to` holds at this site."""


class Geolocation(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    latitude: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    longitude: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    accuracy_m: Annotated[float, msgspec.Meta(ge=0)] | None = None


class InspectionSubmit(Request, kw_only=True):
    """One filled-in checklist, as a device sends it (also the body of the
    `inspection.submitted` sync op)."""

    id: uuid.UUID
    """Made on the device, UUIDv7: sending it again names the same inspection."""
    template_key: TemplateKey
    template_version: Annotated[int, msgspec.Meta(ge=1)]
    asset_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None
    answers: dict[str, Any]
    started_at: AwareDatetime
    completed_at: AwareDatetime
    geolocation: Geolocation | None = None
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    supersedes: uuid.UUID | None = None
    """The inspection this one corrects."""


class PersonRef(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    name: str


class FindingOut(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    site_id: uuid.UUID
    inspection_id: uuid.UUID
    template_key: str
    item_key: str
    asset_id: uuid.UUID | None
    location_id: uuid.UUID | None
    severity: Literal["high", "normal"]
    observed_at: datetime
    photos: list[str]
    status: Literal["open", "rechecked", "withdrawn"]
    rechecked_by: uuid.UUID | None
    rechecked_at: datetime | None
    version: int


class InspectionOut(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    site_id: uuid.UUID
    template_key: str
    template_version: int
    asset_id: uuid.UUID | None
    location_id: uuid.UUID | None
    inspector: PersonRef
    device_id: uuid.UUID | None
    started_at: datetime
    completed_at: datetime
    received_at: datetime
    geolocation: Geolocation | None
    note: str
    supersedes: uuid.UUID | None
    superseded_by: uuid.UUID | None
    answers: dict[str, Any]
    evaluation: Evaluation
    findings: list[FindingOut]
    missing_blobs: list[str]
    """Photos and signatures named in the answers that have not been uploaded yet."""


class InspectionSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    site_id: uuid.UUID
    template_key: str
    template_version: int
    asset_id: uuid.UUID | None
    location_id: uuid.UUID | None
    inspector: PersonRef
    completed_at: datetime
    result: Literal["pass", "fail"]
    score: float
    critical_failure: bool
    failed_items: list[str]
    supersedes: uuid.UUID | None
    superseded_by: uuid.UUID | None


class InspectionPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[InspectionSummary]
    next_after: uuid.UUID | None
    """Pass as `after` for the next page; None on the last page."""


class LastInspection(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    result: Literal["pass", "fail"]
    score: float
    completed_at: datetime
    inspector: PersonRef


class ChecklistOffer(TemplateSummary, frozen=True, kw_only=True):
    """A checklist that applies to a scanned thing, with how it went last time."""

    last_inspection: LastInspection | None = None


class DueTarget(msgspec.Struct, frozen=True, kw_only=True):
    asset_id: uuid.UUID | None
    location_id: uuid.UUID | None
    name: str


class DueOccurrence(msgspec.Struct, frozen=True, kw_only=True):
    """`key` names the occurrence within its schedule forever (`2026-11-23`,
    `2026-11-23T07:30`, `term-2026-autumn#2of4`). Due in `[due_start, due_end)`, done late
    until `late_until` (None: no later occurrence bounds it)."""

    key: str
    due_start: datetime
    due_end: datetime
    late_until: datetime | None


class DueEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One occurrence of a schedule on one target, with its status as of now."""

    schedule_id: uuid.UUID
    template_key: str
    title_zh: str
    title_en: str
    target: DueTarget
    occurrence: DueOccurrence
    status: Status


class DueList(msgspec.Struct, frozen=True, kw_only=True):
    first_day: date
    last_day: date
    """The local dates whose occurrences were looked at (for `overdue`, the look-back)."""
    items: list[DueEntry]


class OverdueOccurrence(DueEntry, frozen=True, kw_only=True):
    """An occurrence that became overdue, for notifications."""

    key: str
    """`schedule_id:occurrence_key:target_id`: the same occurrence always has the same key,
    so an event raised for it twice can be told apart from a new one."""
    site_id: uuid.UUID


class TagScan(TagResolution, frozen=True, kw_only=True):
    """What scanning a tag answers: the tag, its target, the checklists for it, and what is
    due on it (this week's occurrences and those overdue)."""

    templates: list[ChecklistOffer] = []
    open_findings: list[FindingOut] = []
    due: list[DueEntry] = []


Sha256 = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
Size = Literal["small", "large", "major"]


class ReportSubmit(Request, kw_only=True):
    """A hazard report or repair request (also the body of the `hazard.reported` op)."""

    id: uuid.UUID
    """Made on the device (UUIDv7): sending it again names the same report."""
    kind: Literal["hazard", "repair"]
    asset_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    photos: Annotated[list[Sha256], msgspec.Meta(max_length=20)] = []
    size: Size = "small"
    reported_at: AwareDatetime


class ActionOut(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    site_id: uuid.UUID
    source: Literal["finding", "hazard", "repair"]
    finding_id: uuid.UUID | None
    report_id: uuid.UUID | None
    asset_id: uuid.UUID | None
    location_id: uuid.UUID | None
    title: str
    title_en: str
    description: str
    requester_id: uuid.UUID | None
    owner_id: uuid.UUID | None
    priority: Literal["high", "normal"]
    size: Size
    state: Literal["open", "in_progress", "fixed", "verified", "cancelled"]
    raised_at: datetime
    due_at: datetime
    closed_at: datetime | None
    version: int


class ActionEventOut(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    kind: str
    by: PersonRef | None
    at: datetime
    from_state: str
    to_state: str
    note: str
    reason: str
    photos: list[str]
    owner_id: uuid.UUID | None
    inspection_id: uuid.UUID | None
    parallel: bool


class ActionDetail(ActionOut, frozen=True, kw_only=True):
    history: list[ActionEventOut]


class ActionTransition(Request, kw_only=True):
    """One step of an action's life, made on a device or the web (also the body of the
    `action.transitioned` op)."""

    id: uuid.UUID
    """Made by the client (UUIDv7): sending it again is the same step."""
    action_id: uuid.UUID
    transition: Literal["start", "fix", "verify", "reopen", "cancel", "assign"]
    base_version: Annotated[int, msgspec.Meta(ge=1)]
    """The action's version the person saw when they acted."""
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    reason: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    photos: Annotated[list[Sha256], msgspec.Meta(max_length=20)] = []
    owner_id: uuid.UUID | None = None
    at: AwareDatetime | None = None


class TransitionResult(msgspec.Struct, frozen=True, kw_only=True):
    action: ActionOut
    event_id: uuid.UUID
    parallel: bool
    """Applied although the action changed since the person saw it (a stale but legal
    step, e.g. a fix sent from a phone that had not yet seen the office start the work)."""


class ActionPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[ActionOut]


class ServiceLevelSet(Request, kw_only=True):
    extra_days: Annotated[int, msgspec.Meta(ge=0, le=30)]
    min_hours: Annotated[float, msgspec.Meta(ge=0, le=12)] = 2.0


class ServiceLevelOut(msgspec.Struct, frozen=True, kw_only=True):
    size: Size
    extra_days: int
    min_hours: float
    default: bool


class CalendarRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A site's school calendar as devices keep it (entity `calendar`, id the site's)."""

    site_id: uuid.UUID
    calendar: SchoolCalendar


class CalendarOut(CalendarRecord, frozen=True, kw_only=True):
    version: int
    """0 while the site has no calendar of its own (an empty one holds: Monday to Friday)."""
    updated_at: datetime | None


class _Targets(Request, tag_field="by"):
    """Which things a schedule covers."""


class CategoryTargets(_Targets, tag="category", kw_only=True):
    """Every asset of a category at the site."""

    category: Category


class SubtreeTargets(_Targets, tag="subtree", kw_only=True):
    """A location and everything under it: its assets (of one category, if given) and/or
    its locations of one kind."""

    location_id: uuid.UUID
    assets: bool = True
    asset_category: Category | None = None
    location_kind: LocationKind | None = None


class NamedTargets(_Targets, tag="named", kw_only=True):
    asset_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=2000)] = []
    location_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=2000)] = []


TargetSpec = CategoryTargets | SubtreeTargets | NamedTargets


class ScheduleCreate(Request, kw_only=True):
    template_key: TemplateKey
    targets: TargetSpec
    rule: Rule
    skip_holidays: bool = False
    effective_from: date | None = None
    """A local date at the site, today or later; none: today."""


class ScheduleChange(Request, kw_only=True):
    """A new version of a schedule's rule from a date (today or later); a `rule` of null
    ends the schedule from that date."""

    rule: Rule | None
    skip_holidays: bool = False
    effective_from: date | None = None


class ScheduleVersionOut(msgspec.Struct, frozen=True, kw_only=True):
    effective_from: date
    rule: Rule | None
    skip_holidays: bool
    added_at: datetime
    added_by: uuid.UUID | None


class ScheduleOut(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    site_id: uuid.UUID
    template_key: str
    title_zh: str
    title_en: str
    targets: TargetSpec
    target_count: int
    """How many things the targets select today (retired ones left out)."""
    versions: list[ScheduleVersionOut]
    """Oldest first; each day is governed by the latest version in effect on it."""
    version: int
    created_at: datetime
    created_by: uuid.UUID | None


class ScheduleRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A schedule as devices keep it (entity `schedule`): with the site's calendar, its
    assets and locations and the inspections on them, a phone works out offline what is
    due on the thing it scanned."""

    id: uuid.UUID
    site_id: uuid.UUID
    template_key: str
    targets: TargetSpec
    versions: list[ScheduleVersion]


class OccurrenceExcuse(Request, kw_only=True):
    """An occurrence on one target excused, "won't do, with a reason" (also the body of
    the `occurrence.excused` sync op)."""

    id: uuid.UUID
    """Made by the client (UUIDv7): sending it again names the same excusal."""
    schedule_id: uuid.UUID
    occurrence_key: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    asset_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class ExcusalOut(msgspec.Struct, frozen=True, kw_only=True):
    """An excused occurrence (also what devices keep: entity `excusal`)."""

    id: uuid.UUID
    site_id: uuid.UUID
    schedule_id: uuid.UUID
    occurrence_key: str
    occurrence_date: date
    asset_id: uuid.UUID | None
    location_id: uuid.UUID | None
    reason: str
    excused_by: uuid.UUID
    received_at: datetime


class PlannedWorkOut(msgspec.Struct, frozen=True, kw_only=True):
    schedule_id: uuid.UUID
    template_key: str
    title_zh: str
    title_en: str
    targets: int
    """How many things it is due on that day."""
    occurrence: DueOccurrence


class PlanDay(msgspec.Struct, frozen=True, kw_only=True):
    date: date
    work: list[PlannedWorkOut]


class MonthPlan(msgspec.Struct, frozen=True, kw_only=True):
    """The 行事表 of a month: every day, with the recurring work dated that day."""

    site_id: uuid.UUID
    month: str
    days: list[PlanDay]
