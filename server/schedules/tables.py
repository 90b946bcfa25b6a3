"""The school calendar, schedules of recurring work and their versions, and excusals."""

from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from server.references import ASSET, LOCATION, SITE, USER


class SiteCalendar(Table, tablename="site_calendar"):
    """A site's school calendar: terms, holidays and make-up school days, as
    checklists.SchoolCalendar JSON. One row per site; `version` grows with every change."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False)
    calendar = JSON()
    version = Integer(default=1)
    updated_at = Timestamptz()
    updated_by: ForeignKey[Table] = ForeignKey(
        USER, on_delete=OnDelete.restrict, null=True, default=None
    )


class Schedule(Table, tablename="schedule"):
    """Recurring work: a template to be filled in for a set of targets, by the rules of its
    versions. The template and the targets never change; a schedule that should cover other
    things is ended and a new one made, so what was due stays what it was."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    template_key = Varchar(length=64)
    targets = JSON()
    """server.inspections.wire.TargetSpec as JSON: a category, a location subtree, or names."""
    version = Integer(default=1)
    """Grows with every version added: the version devices are sent."""
    created_at = Timestamptz()
    created_by: ForeignKey[Table] = ForeignKey(
        USER, on_delete=OnDelete.restrict, null=True, default=None
    )
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
    added_by: ForeignKey[Table] = ForeignKey(
        USER, on_delete=OnDelete.restrict, null=True, default=None
    )


class OccurrenceExcusal(Table, tablename="occurrence_excusal"):
    """One occurrence of a schedule on one target excused ("won't do, with a reason"). A
    fact made on a device or the web, stored once."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    schedule = ForeignKey(Schedule, on_delete=OnDelete.restrict, null=False, index=True)
    occurrence_key = Varchar(length=100)
    occurrence_date = Date()
    """The occurrence's local date, so old excusals can be left out of a device's snapshot."""
    asset: ForeignKey[Table] = ForeignKey(
        ASSET, on_delete=OnDelete.restrict, null=True, default=None
    )
    location: ForeignKey[Table] = ForeignKey(
        LOCATION, on_delete=OnDelete.restrict, null=True, default=None
    )
    reason = Text()
    excused_by: ForeignKey[Table] = ForeignKey(USER, on_delete=OnDelete.restrict, null=False)
    received_at = Timestamptz()
    content_sha256 = Varchar(length=64)
    needs_approval = Boolean(default=False)
    """Made by an inspector where the site wanted a manager's approval of excusals: it
    excuses nothing until a manager approves it."""


class ExcusalPolicy(Table, tablename="excusal_policy"):
    """Whether a site's excusals need a manager's approval. One row per site, made when
    first set (none: they do not); `version` grows with every change."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False)
    approval_required = Boolean(default=False)
    version = Integer(default=1)
    updated_at = Timestamptz()
    updated_by: ForeignKey[Table] = ForeignKey(
        USER, on_delete=OnDelete.restrict, null=True, default=None
    )


class ExcusalDecision(Table, tablename="excusal_decision"):
    """A manager's approval or rejection of one excusal: a fact, made on a device or the
    web, stored once. An excusal has at most one (a unique index)."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    excusal = ForeignKey(OccurrenceExcusal, on_delete=OnDelete.restrict, null=False)
    decision = Varchar(length=8)
    """approve or reject."""
    note = Text(default="")
    decided_by: ForeignKey[Table] = ForeignKey(USER, on_delete=OnDelete.restrict, null=False)
    decided_at = Timestamptz()
    received_at = Timestamptz()
    content_sha256 = Varchar(length=64)
