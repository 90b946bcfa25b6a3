"""What the inspection API sends and accepts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from checklists import Evaluation
from server.templates.wire import TemplateKey
from server.wire import AwareDatetime, Page, PersonRef, Request


class Geolocation(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    latitude: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    longitude: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    accuracy_m: Annotated[float, msgspec.Meta(ge=0)] | None = None


class InspectionSubmit(Request, frozen=True, kw_only=True):
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


FindingStatus = Literal["open", "rechecked", "resolved", "withdrawn"]
"""See server/inspections/findings.py for the life of a finding."""


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
    status: FindingStatus
    rechecked_by: uuid.UUID | None
    """The inspection that passed the item again."""
    rechecked_at: datetime | None
    resolved_by: uuid.UUID | None
    """The corrective action whose sign-off resolved it."""
    resolved_at: datetime | None
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


class LastInspection(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    result: Literal["pass", "fail"]
    score: float
    completed_at: datetime
    inspector: PersonRef


class InspectionPage(Page[InspectionSummary], frozen=True, kw_only=True):
    """A page of inspections, newest first."""

    items: list[InspectionSummary]
