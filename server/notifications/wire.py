"""What the webhook API sends and accepts, and the events a webhook is sent.

Generic deliveries are POSTed as JSON (`GenericPayload`), signed with the webhook's
secret: `X-Roundkeeper-Signature: sha256=<hex HMAC-SHA256 of the raw body>`. Every
delivery carries its id in `X-Roundkeeper-Delivery` (and, for generic ones, in the body);
delivery is at-least-once, so a receiver keeps the ids it has handled and ignores repeats.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, get_args

import msgspec

from server.wire import Request

# What a webhook subscribes to; besides these, an admin's test delivery is a `webhook.test`.
Subscribable = Literal[
    "finding.high",
    "action.overdue",
    "occurrence.overdue",
    "digest.daily",
    "round.missed",
    "round.flagged",
    "visit.awaiting_host",
]
EventKind = Literal[
    "finding.high",
    "action.overdue",
    "occurrence.overdue",
    "digest.daily",
    "round.missed",
    "round.flagged",
    "visit.awaiting_host",
    "webhook.test",
]
Format = Literal["generic", "wecom", "dingtalk", "feishu"]
DeliveryStatus = Literal["pending", "delivered", "failed"]

EVENT_KINDS: tuple[str, ...] = get_args(Subscribable)

WebhookUrl = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+\S*$",
        max_length=2000,
        description="http(s) URL; for robots, the address the group's robot settings show",
    ),
]
Secret = Annotated[str, msgspec.Meta(max_length=200)]
Events = Annotated[list[Subscribable], msgspec.Meta(min_length=1, max_length=len(EVENT_KINDS))]


class WebhookCreate(Request, frozen=True, kw_only=True):
    url: WebhookUrl
    format: Format = "generic"
    events: Events
    secret: Secret | None = None
    """Generic: the HMAC key of X-Roundkeeper-Signature. DingTalk: the robot's 加签 secret
    (SEC...). Feishu: the robot's 签名校验 secret. WeCom robots have none."""
    active: bool = True


class WebhookUpdate(Request, frozen=True, kw_only=True):
    """Only the fields sent change; `secret: null` (or "") removes the secret."""

    url: WebhookUrl | msgspec.UnsetType = msgspec.UNSET
    format: Format | msgspec.UnsetType = msgspec.UNSET
    events: Events | msgspec.UnsetType = msgspec.UNSET
    secret: Secret | msgspec.UnsetType | None = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class WebhookOut(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    site_id: uuid.UUID
    url: str
    format: Format
    events: list[Subscribable]
    has_secret: bool
    """The secret itself is never sent back."""
    active: bool
    created_at: datetime
    updated_at: datetime


class AttemptOut(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    at: datetime
    status_code: int | None
    error: str
    """Empty for a success; else what went wrong (timeout, refused, HTTP 500, errcode...)."""
    duration_ms: float
    response: str


class DeliveryOut(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    webhook_id: uuid.UUID
    event: EventKind
    event_key: str
    occurred_at: datetime
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None
    """When a pending delivery is tried next; None once delivered or failed."""
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str
    created_at: datetime
    attempts: list[AttemptOut]
    """Every attempt, oldest first."""


class DeliveryPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[DeliveryOut]
    """Newest first."""
    next_before: uuid.UUID | None
    """Pass as `before` for the next (older) page; None on the last page."""


# --- events ---------------------------------------------------------------------------


class SiteRef(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    name: str
    name_en: str
    timezone: str


class Wording(msgspec.Struct, frozen=True, kw_only=True):
    """What a person reads, in one language."""

    title: str
    lines: list[str]


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """Something a site's webhooks are told about, as an event source found it.

    Keys (unique per event, so finding it twice delivers it once):
    `finding.high:{action id}`, `action.overdue:{action id}:{due time, UTC}`,
    `digest.daily:{site id}:{local date}`, `occurrence.overdue:{occurrence id}`,
    `round.missed:{round id}`, `round.flagged:{round id}`, `visit.awaiting_host:{visit id}`,
    `webhook.test:{delivery id}`."""

    key: str
    kind: EventKind
    site: SiteRef
    at: datetime
    """When it happened, as the server can know it (UTC); webhooks created later are not
    sent it."""
    zh: Wording
    en: Wording
    data: dict[str, Any]
    """finding.high and action.overdue: `{"action": <the action as GET /api/actions/{id}
    lists it>}`; digest.daily: `DigestFigures`; round.missed and round.flagged:
    `{"round": <the round as GET /api/sites/{id}/patrol/day lists it>}`;
    visit.awaiting_host: `{"visit": server.gate.host.AwaitingHost}` (no document, no phone)."""


class GenericPayload(msgspec.Struct, frozen=True, kw_only=True):
    """The JSON body of a generic webhook."""

    id: uuid.UUID
    """The delivery id (also X-Roundkeeper-Delivery): the same on every retry."""
    event: EventKind
    event_key: str
    occurred_at: datetime
    site: SiteRef
    zh: Wording
    en: Wording
    data: dict[str, Any]


class OpenActionAges(msgspec.Struct, frozen=True, kw_only=True):
    under_1_day: int
    days_1_to_3: int
    days_3_to_7: int
    over_7_days: int


class DigestFigures(msgspec.Struct, frozen=True, kw_only=True):
    """A site's morning digest (digest.daily `data`)."""

    date: str
    """The site-local day the digest is for (its previous day is `inspections_yesterday`)."""
    open_actions: int
    open_high_priority: int
    open_by_age: OpenActionAges
    overdue_actions: int
    inspections_yesterday: int
    failed_inspections_yesterday: int


class PassReport(msgspec.Struct, kw_only=True):
    """What one dispatcher pass did."""

    events: int = 0
    """Events found (each may have been found before)."""
    created: int = 0
    """New deliveries."""
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
