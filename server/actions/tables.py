"""Corrective actions, the steps of their lives, the sites' service levels, and hazard
reports and repair requests (stored as `report` until the table is renamed).
"""

from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from server.references import ASSET, FINDING, INSPECTION, LOCATION, SITE, USER


class HazardReport(Table, tablename="hazard_report"):
    """A hazard report or repair request: a fact made by anyone on a device or the web."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    kind = Varchar(length=8)
    """hazard or repair."""
    asset: ForeignKey[Table] = ForeignKey(
        ASSET, on_delete=OnDelete.restrict, null=True, default=None
    )
    location: ForeignKey[Table] = ForeignKey(
        LOCATION, on_delete=OnDelete.restrict, null=True, default=None
    )
    description = Text()
    photos = JSON(default=[])
    size = Varchar(length=8, default="small")
    reporter: ForeignKey[Table] = ForeignKey(USER, on_delete=OnDelete.restrict, null=False)
    reported_at = Timestamptz()
    received_at = Timestamptz()
    content_sha256 = Varchar(length=64)


class CorrectiveAction(Table, tablename="corrective_action"):
    """What someone must do about a finding or a report, until it is verified."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    source = Varchar(length=8)
    """finding, hazard or repair."""
    finding: ForeignKey[Table] = ForeignKey(
        FINDING, on_delete=OnDelete.restrict, null=True, default=None
    )
    report = ForeignKey(HazardReport, on_delete=OnDelete.restrict, null=True, default=None)
    asset: ForeignKey[Table] = ForeignKey(
        ASSET, on_delete=OnDelete.restrict, null=True, default=None, index=True
    )
    location: ForeignKey[Table] = ForeignKey(
        LOCATION, on_delete=OnDelete.restrict, null=True, default=None
    )
    title = Varchar(length=200)
    title_en = Varchar(length=200, default="")
    description = Text(default="")
    requester: ForeignKey[Table] = ForeignKey(
        USER, on_delete=OnDelete.restrict, null=True, default=None
    )
    owner: ForeignKey[Table] = ForeignKey(
        USER, on_delete=OnDelete.restrict, null=True, default=None, index=True
    )
    priority = Varchar(length=8, default="normal")
    size = Varchar(length=8, default="small")
    state = Varchar(length=12, default="open", index=True)
    raised_at = Timestamptz()
    due_at = Timestamptz()
    closed_at = Timestamptz(null=True, default=None)
    evidence = JSON(null=True, default=None)
    """What was seen when it was raised (`wire.ActionEvidence`), kept as it was then."""
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class ActionEvent(Table, tablename="action_event"):
    """One change of an action: who, when (business time), what, with a note and photos."""

    id = UUID(primary_key=True)
    action = ForeignKey(CorrectiveAction, on_delete=OnDelete.restrict, null=False, index=True)
    kind = Varchar(length=12)
    by_user: ForeignKey[Table] = ForeignKey(
        USER, on_delete=OnDelete.restrict, null=True, default=None
    )
    at = Timestamptz()
    received_at = Timestamptz()
    from_state = Varchar(length=12, default="")
    to_state = Varchar(length=12, default="")
    note = Text(default="")
    reason = Text(default="")
    photos = JSON(default=[])
    owner: ForeignKey[Table] = ForeignKey(
        USER, on_delete=OnDelete.restrict, null=True, default=None
    )
    inspection: ForeignKey[Table] = ForeignKey(
        INSPECTION, on_delete=OnDelete.restrict, null=True, default=None
    )
    parallel = Boolean(default=False)
    base_version = Integer(default=0)
    content_sha256 = Varchar(length=64, default="")


class SiteServiceLevel(Table, tablename="site_service_level"):
    """A site's own promise for one size of repair (else the defaults hold)."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    size = Varchar(length=8)
    extra_days = Integer(default=0)
    min_hours = Float(default=2.0)
