"""Inspections and the findings they raise.

An inspection is a fact: stored once, never edited; a correction is a new inspection that
supersedes it.
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

from server.references import ASSET, DEVICE, LOCATION, SITE, TEMPLATE_VERSION, USER


class Inspection(Table, tablename="inspection"):
    id = UUID(primary_key=True)
    """Made on the device (UUIDv7): a retried submission names the same inspection."""
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    template: ForeignKey[Table] = ForeignKey(
        TEMPLATE_VERSION, on_delete=OnDelete.restrict, null=False
    )
    template_key = Varchar(length=64)
    template_version = Integer()
    asset: ForeignKey[Table] = ForeignKey(
        ASSET, on_delete=OnDelete.restrict, null=True, default=None, index=True
    )
    location: ForeignKey[Table] = ForeignKey(
        LOCATION, on_delete=OnDelete.restrict, null=True, default=None, index=True
    )
    """The location inspected, or where the inspected asset was at the time."""
    inspector: ForeignKey[Table] = ForeignKey(
        USER, on_delete=OnDelete.restrict, null=False, index=True
    )
    device: ForeignKey[Table] = ForeignKey(
        DEVICE, on_delete=OnDelete.restrict, null=True, default=None
    )
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
    supersedes: ForeignKey["Inspection"] = ForeignKey(
        "self", on_delete=OnDelete.restrict, null=True, default=None
    )
    content_sha256 = Varchar(length=64)
    """Of the submission as the device made it: a retry must match it exactly."""


class Finding(Table, tablename="finding"):
    """One failed item of one inspection: something someone must put right."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    inspection = ForeignKey(Inspection, on_delete=OnDelete.restrict, null=False, index=True)
    template_key = Varchar(length=64)
    item_key = Varchar(length=64)
    asset: ForeignKey[Table] = ForeignKey(
        ASSET, on_delete=OnDelete.restrict, null=True, default=None, index=True
    )
    location: ForeignKey[Table] = ForeignKey(
        LOCATION, on_delete=OnDelete.restrict, null=True, default=None, index=True
    )
    severity = Varchar(length=8)
    """"high" for a critical item, else "normal"."""
    observed_at = Timestamptz()
    """When the failing inspection was completed (business time, not arrival)."""
    photos = JSON(default=[])
    status = Varchar(length=12, default="open")
    """open; rechecked (a later inspection passed the item); resolved (its corrective
    action was signed off); withdrawn (its inspection was superseded by a correction)."""
    rechecked_by = ForeignKey(Inspection, on_delete=OnDelete.restrict, null=True, default=None)
    rechecked_at = Timestamptz(null=True, default=None)
    resolved_by = UUID(null=True, default=None)
    """The corrective action whose sign-off resolved it (no foreign key: the action already
    points at its finding)."""
    resolved_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()
