"""Template versions, inspections and the findings they raise; schedules of recurring work.

A published version is never changed or deleted: an inspection made against version 3 is
judged against version 3 forever. An inspection is a fact: stored once, never edited; a
correction is a new inspection that supersedes it.
"""

from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    Date,
    Float,
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
SITE = LazyTableReference("Site", app_name="accounts")
DEVICE = LazyTableReference("Device", app_name="accounts")
ASSET = LazyTableReference("Asset", app_name="registry")
LOCATION = LazyTableReference("Location", app_name="registry")


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


class SiteChecklist(Table, tablename="site_checklist"):
    """A site's own answer to "where does this template apply", replacing the template's
    `applies_to` at that site; `enabled` false means not at this site at all."""

    id = UUID(primary_key=True)
    site = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    template_key = Varchar(length=64)
    enabled = Boolean(default=True)
    asset_categories = JSON(default=[])
    location_kinds = JSON(default=[])
    version = Integer(default=1)
    """Grows with every change; starts again at 1 after the override was cleared."""
    updated_at = Timestamptz()
    updated_by = ForeignKey(USER, on_delete=OnDelete.restrict, null=True, default=None)


class Inspection(Table, tablename="inspection"):
    id = UUID(primary_key=True)
    """Made on the device (UUIDv7): a retried submission names the same inspection."""
    site = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    template = ForeignKey(TemplateVersion, on_delete=OnDelete.restrict, null=False)
    template_key = Varchar(length=64)
    template_version = Integer()
    asset = ForeignKey(ASSET, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    location = ForeignKey(
        LOCATION, on_delete=OnDelete.restrict, null=True, default=None, index=True
    )
    """The location inspected, or where the inspected asset was at the time."""
    inspector = ForeignKey(USER, on_delete=OnDelete.restrict, null=False, index=True)
    device = ForeignKey(DEVICE, on_delete=OnDelete.restrict, null=True, default=None)
    started_at = Timestamptz()
    completed_at = Timestamptz()
    received_at = Timestamptz()
    latitude = Float(null=True, default=None)
    longitude = Float(null=True, default=None)
    accuracy_m = Float(null=True, default=None)
    note = Text(default="")
    answers = Text()
    """As submitted, msgspec JSON."""
    evaluation = Text()
    """checklists.Evaluation as msgspec JSON, computed once on arrival."""
    result = Varchar(length=8)
    score = Float()
    critical_failure = Boolean(default=False)
    supersedes = ForeignKey("self", on_delete=OnDelete.restrict, null=True, default=None)
    content_sha256 = Varchar(length=64)
    """Of the submission as the device made it: a retry must match it exactly."""


class Finding(Table, tablename="finding"):
    """One failed item of one inspection: something someone must put right."""

    id = UUID(primary_key=True)
    site = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    inspection = ForeignKey(Inspection, on_delete=OnDelete.restrict, null=False, index=True)
    template_key = Varchar(length=64)
    item_key = Varchar(length=64)
    asset = ForeignKey(ASSET, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    location = ForeignKey(
        LOCATION, on_delete=OnDelete.restrict, null=True, default=None, index=True
    )
    severity = Varchar(length=8)
    """"high" for a critical item, else "normal"."""
    observed_at = Timestamptz()
    """When the failing inspection was completed (business time, not arrival)."""
    photos = JSON(default=[])
    status = Varchar(length=12, default="open")
    """open; rechecked (a later inspection passed the item); withdrawn (its inspection was
    superseded by a correction)."""
    rechecked_by = ForeignKey(Inspection, on_delete=OnDelete.restrict, null=True, default=None)
    rechecked_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Report(Table, tablename="report"):
    """A hazard report or repair request: a fact made by anyone on a device or the web."""

    id = UUID(primary_key=True)
    site = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    kind = Varchar(length=8)
    """hazard or repair."""
    asset = ForeignKey(ASSET, on_delete=OnDelete.restrict, null=True, default=None)
    location = ForeignKey(LOCATION, on_delete=OnDelete.restrict, null=True, default=None)
    description = Text()
    photos = JSON(default=[])
    size = Varchar(length=8, default="small")
    reporter = ForeignKey(USER, on_delete=OnDelete.restrict, null=False)
    reported_at = Timestamptz()
    received_at = Timestamptz()
    content_sha256 = Varchar(length=64)


class CorrectiveAction(Table, tablename="corrective_action"):
    """What someone must do about a finding or a report, until it is verified."""

    id = UUID(primary_key=True)
    site = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    source = Varchar(length=8)
    """finding, hazard or repair."""
    finding = ForeignKey(Finding, on_delete=OnDelete.restrict, null=True, default=None)
    report = ForeignKey(Report, on_delete=OnDelete.restrict, null=True, default=None)
    asset = ForeignKey(ASSET, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    location = ForeignKey(LOCATION, on_delete=OnDelete.restrict, null=True, default=None)
    title = Varchar(length=200)
    title_en = Varchar(length=200, default="")
    description = Text(default="")
    requester = ForeignKey(USER, on_delete=OnDelete.restrict, null=True, default=None)
    owner = ForeignKey(USER, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    priority = Varchar(length=8, default="normal")
    size = Varchar(length=8, default="small")
    state = Varchar(length=12, default="open", index=True)
    raised_at = Timestamptz()
    due_at = Timestamptz()
    closed_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class ActionEvent(Table, tablename="action_event"):
    """One change of an action: who, when (business time), what, with a note and photos."""

    id = UUID(primary_key=True)
    action = ForeignKey(CorrectiveAction, on_delete=OnDelete.restrict, null=False, index=True)
    kind = Varchar(length=12)
    by_user = ForeignKey(USER, on_delete=OnDelete.restrict, null=True, default=None)
    at = Timestamptz()
    received_at = Timestamptz()
    from_state = Varchar(length=12, default="")
    to_state = Varchar(length=12, default="")
    note = Text(default="")
    reason = Text(default="")
    photos = JSON(default=[])
    owner = ForeignKey(USER, on_delete=OnDelete.restrict, null=True, default=None)
    inspection = ForeignKey(Inspection, on_delete=OnDelete.restrict, null=True, default=None)
    parallel = Boolean(default=False)
    base_version = Integer(default=0)
    content_sha256 = Varchar(length=64, default="")


class SiteServiceLevel(Table, tablename="site_service_level"):
    """A site's own promise for one size of repair (else the defaults hold)."""

    id = UUID(primary_key=True)
    site = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    size = Varchar(length=8)
    extra_days = Integer(default=0)
    min_hours = Float(default=2.0)


class SiteCalendar(Table, tablename="site_calendar"):
    """A site's school calendar: terms, holidays and make-up school days, as
    checklists.SchoolCalendar JSON. One row per site; `version` grows with every change."""

    id = UUID(primary_key=True)
    site = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False)
    calendar = JSON()
    version = Integer(default=1)
    updated_at = Timestamptz()
    updated_by = ForeignKey(USER, on_delete=OnDelete.restrict, null=True, default=None)


class Schedule(Table, tablename="schedule"):
    """Recurring work: a template to be filled in for a set of targets, by the rules of its
    versions. The template and the targets never change; a schedule that should cover other
    things is ended and a new one made, so what was due stays what it was."""

    id = UUID(primary_key=True)
    site = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    template_key = Varchar(length=64)
    targets = JSON()
    """server.inspections.wire.TargetSpec as JSON: a category, a location subtree, or names."""
    version = Integer(default=1)
    """Grows with every version added: the version devices are sent."""
    created_at = Timestamptz()
    created_by = ForeignKey(USER, on_delete=OnDelete.restrict, null=True, default=None)
    updated_at = Timestamptz()


class ScheduleVersion(Table, tablename="schedule_version"):
    """A schedule's rule from `effective_from` (a local date at the site) until the next
    version. Never dated before the day it was added, so the past is never rewritten."""

    id = UUID(primary_key=True)
    schedule = ForeignKey(Schedule, on_delete=OnDelete.restrict, null=False, index=True)
    effective_from = Date()
    rule = Text()
    """checklists.Rule as JSON, or `null`: the schedule stops from this date."""
    skip_holidays = Boolean(default=False)
    added_at = Timestamptz()
    added_by = ForeignKey(USER, on_delete=OnDelete.restrict, null=True, default=None)


class OccurrenceExcusal(Table, tablename="occurrence_excusal"):
    """One occurrence of a schedule on one target excused ("won't do, with a reason"). A
    fact made on a device or the web, stored once."""

    id = UUID(primary_key=True)
    site = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    schedule = ForeignKey(Schedule, on_delete=OnDelete.restrict, null=False, index=True)
    occurrence_key = Varchar(length=100)
    occurrence_date = Date()
    """The occurrence's local date, so old excusals can be left out of a device's snapshot."""
    asset = ForeignKey(ASSET, on_delete=OnDelete.restrict, null=True, default=None)
    location = ForeignKey(LOCATION, on_delete=OnDelete.restrict, null=True, default=None)
    reason = Text()
    excused_by = ForeignKey(USER, on_delete=OnDelete.restrict, null=False)
    received_at = Timestamptz()
    content_sha256 = Varchar(length=64)
