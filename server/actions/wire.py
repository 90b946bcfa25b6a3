"""What the corrective-action and hazard-report APIs send and accept."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from server.wire import AwareDatetime, PersonRef, Request, Sha256

Size = Literal["small", "large", "major"]


class HazardReportSubmit(Request, frozen=True, kw_only=True):
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


class ActionEvidence(msgspec.Struct, frozen=True, kw_only=True):
    """What was seen when the action was raised, kept as it was then, so that the person who
    fixes it and the one who signs it off see what the inspector saw: for a finding, the
    failing answer with what the item asked for (a report's words are its description)."""

    inspection_id: uuid.UUID | None = None
    item_key: str = ""
    item_type: str = ""
    """check, number, choice or date: how `answer` reads."""
    answer: Any = None
    """As given: "fail", a reading, an option's value (a list when several), a date."""
    answer_label: str = ""
    """The chosen options' labels, in Chinese and in English."""
    answer_label_en: str = ""
    unit: str = ""
    min: float | None = None
    max: float | None = None
    """A reading's limits, inclusive."""
    not_past: bool = False
    """A date that must not be before the day it was checked."""
    note: str = ""
    """What the inspector wrote about it."""
    photos: list[str] = []


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
    evidence: ActionEvidence | None = None
    """None for actions raised before evidence was kept."""


class ActionStep(msgspec.Struct, frozen=True, kw_only=True):
    """One change of an action as devices keep it (entity `action_event`): who did what,
    when, with their note, reason and photos, so the one who signs off sees the fix."""

    id: uuid.UUID
    site_id: uuid.UUID
    action_id: uuid.UUID
    kind: str
    by_id: uuid.UUID | None
    at: datetime
    """In UTC."""
    from_state: str
    to_state: str
    note: str
    reason: str
    photos: list[str]
    inspection_id: uuid.UUID | None
    """The inspection whose passing re-check closed it."""


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
    people: list[PersonRef] = []
    """The owner, the requester and everyone the history names as an owner, by name: an
    auditor reads who holds the work without the site's list of members."""


class ActionTransition(Request, frozen=True, kw_only=True):
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
    next_after: uuid.UUID | None = None
    """Pass as `after` for the next page; null on the last page."""
    total: int = 0
    """How many actions the filters match, on every page."""
    people: list[PersonRef] = []
    """The owners and requesters of this page's actions, by name."""


class ServiceLevelSet(Request, frozen=True, kw_only=True):
    extra_days: Annotated[int, msgspec.Meta(ge=0, le=30)]
    min_hours: Annotated[float, msgspec.Meta(ge=0, le=12)] = 2.0


class ServiceLevelOut(msgspec.Struct, frozen=True, kw_only=True):
    size: Size
    extra_days: int
    min_hours: float
    default: bool
