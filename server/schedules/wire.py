"""What the calendar, schedule, due and excusal APIs send and accept."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from checklists import Rule, ScheduleVersion, SchoolCalendar, Status
from checklists.templates import LocationKind
from server.registry.wire import Category
from server.templates.wire import TemplateKey
from server.wire import AwareDatetime, PersonRef, Request

ExcusalState = Literal["accepted", "pending", "approved", "rejected"]
"""accepted: it stands, no approval was needed (the site did not ask for one, or a manager
made it); pending: it waits for a manager and excuses nothing yet; approved and rejected: a
manager decided (a rejected one excuses nothing)."""


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


class DueExcusal(msgspec.Struct, frozen=True, kw_only=True):
    """The "won't do" that stands for an occurrence: the latest one not rejected, else the
    latest rejected one (so the person sees why the work is due again)."""

    id: uuid.UUID
    reason: str
    excused_by: PersonRef
    excused_at: datetime
    """When the server received it."""
    state: ExcusalState
    decided_by: PersonRef | None
    decided_at: datetime | None
    decision_note: str


class DueEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One occurrence of a schedule on one target, with its status as of now.

    `status` `excused` only for an excusal that stands (accepted or approved); one pending
    or rejected leaves the occurrence due or overdue, with the excusal beside it."""

    schedule_id: uuid.UUID
    template_key: str
    title_zh: str
    title_en: str
    target: DueTarget
    occurrence: DueOccurrence
    status: Status
    result: Literal["pass", "fail"] | None = None
    """For `done` and `done_late`: how the inspection that did it came out (the last one in
    the window that made it done, as corrected)."""
    inspection_id: uuid.UUID | None = None
    """For `done` and `done_late`: that inspection (the one first sent, before any
    correction)."""
    excusal: DueExcusal | None = None


class DueCounts(msgspec.Struct, frozen=True, kw_only=True):
    """The entries of a list by what became of them; each entry is counted once."""

    passed: int
    """Done, in time or late, and passed."""
    failed: int
    """Done, in time or late, and failed: the work was done, the thing is not right."""
    excused: int
    """Excused by an excusal that stands; never counted as done."""
    awaiting_approval: int
    """Still due, upcoming or overdue (and counted there too) with an excusal a manager has
    yet to decide."""
    due: int
    upcoming: int
    overdue: int


class DueList(msgspec.Struct, frozen=True, kw_only=True):
    first_day: date
    last_day: date
    """The local dates whose occurrences were looked at (for `overdue`, the look-back)."""
    items: list[DueEntry]
    """All of them, or the page asked for (`limit`, `offset`)."""
    counts: DueCounts
    """Of the whole list, every page."""
    total: int = 0
    """How many entries the whole list has."""


class OverdueOccurrence(DueEntry, frozen=True, kw_only=True):
    """An occurrence that became overdue, for notifications."""

    key: str
    """`schedule_id:occurrence_key:target_id`: the same occurrence always has the same key,
    so an event raised for it twice can be told apart from a new one."""
    site_id: uuid.UUID


class CalendarRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A site's school calendar as devices keep it (entity `calendar`, id the site's)."""

    site_id: uuid.UUID
    calendar: SchoolCalendar


class CalendarOut(CalendarRecord, frozen=True, kw_only=True):
    version: int
    """0 while the site has no calendar of its own (an empty one holds: Monday to Friday)."""
    updated_at: datetime | None


class _Targets(Request, frozen=True, tag_field="by"):
    """Which things a schedule covers."""


class CategoryTargets(_Targets, frozen=True, tag="category", kw_only=True):
    """Every asset of a category at the site."""

    category: Category


class SubtreeTargets(_Targets, frozen=True, tag="subtree", kw_only=True):
    """A location and everything under it: its assets (of one category, if given) and/or
    its locations of one kind."""

    location_id: uuid.UUID
    assets: bool = True
    asset_category: Category | None = None
    location_kind: LocationKind | None = None


class NamedTargets(_Targets, frozen=True, tag="named", kw_only=True):
    asset_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=2000)] = []
    location_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=2000)] = []


TargetSpec = CategoryTargets | SubtreeTargets | NamedTargets


class ScheduleCreate(Request, frozen=True, kw_only=True):
    template_key: TemplateKey
    targets: TargetSpec
    rule: Rule
    skip_holidays: bool = False
    effective_from: date | None = None
    """A local date at the site, today or later; none: today."""


class ScheduleChange(Request, frozen=True, kw_only=True):
    """A new version of a schedule's rule from a date (today or later); a `rule` of null
    ends the schedule from that date."""

    rule: Rule | None
    skip_holidays: bool = False
    effective_from: date | None = None
    version: Annotated[int, msgspec.Meta(ge=1)] | None = None
    """The schedule's `version` the change was made against, if the client wants a change
    from a stale copy refused (409 `schedule.version_conflict`)."""


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
    target_names: list[str] = []
    """The names of the first of them (at most 5, in name order), to tell schedules of one
    checklist apart."""
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


class OccurrenceExcuse(Request, frozen=True, kw_only=True):
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
    state: ExcusalState = "accepted"
    decided_by: uuid.UUID | None = None
    decided_at: datetime | None = None
    decision_note: str = ""


class ExcusalDecide(Request, frozen=True, kw_only=True):
    """A manager approves or rejects an excusal (also the body of the `excusal.decided` sync
    op). Once decided, an excusal stays so: another decision is a conflict."""

    id: uuid.UUID
    """Made by the client (UUIDv7): sending it again names the same decision."""
    excusal_id: uuid.UUID
    decision: Literal["approve", "reject"]
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    decided_at: AwareDatetime


class ExcusalPolicyChange(Request, frozen=True, kw_only=True):
    approval_required: bool


class ExcusalPolicyRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A site's rule on excusals as devices keep it (entity `excusal_policy`, id the
    site's): a phone shows an inspector's excusal still waiting to be sent as pending."""

    site_id: uuid.UUID
    approval_required: bool
    """An inspector's excusal excuses nothing until a manager approves it; a manager's
    stands at once."""


class ExcusalPolicyOut(ExcusalPolicyRecord, frozen=True, kw_only=True):
    version: int
    """0 while the site has never set it (approval is not required)."""
    updated_at: datetime | None


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
