"""What the visitor register's API and the gate's ops send and accept.

A visit is made of facts (`visit.checked_in`, `visit.approved`, `visit.refused`,
`visit.checked_out`), each a sync op and a REST call, each naming its visit (a UUIDv7 the
gate device makes) and its site, so that whichever arrives first makes the visit known.
The check-in carries the visitor's document number; it is checked, hashed with the
deployment's key and masked, and never kept or sent back whole (PIPL Art. 19). Answers and
gate devices get `VisitOut`: the masked number, the masked phone, never the number.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from server.gate.documents import DocumentKind
from server.gate.visits import Channel, Consent, State, Watch
from server.wire import AwareDatetime, PersonRef, Request

VisitorName = Annotated[str, Meta(min_length=1, max_length=100)]
Text = Annotated[str, Meta(max_length=500)]
Typed = Annotated[str, Meta(max_length=40)]
"""A number as typed at the gate, before it is checked (full-width digits, spaces, ...)."""


class CheckInIn(Request, frozen=True, kw_only=True):
    """A visitor registered at the gate (gatekeepers and managers). `id_number` is checked
    for its kind (a resident ID by its check digit) and then kept only as its keyed hash
    and masked form; `none` takes a `no_document_reason` instead and never blocks the gate.
    `host_id`: the member of the site the visitor comes to see."""

    id: uuid.UUID
    visit_id: uuid.UUID
    name: VisitorName
    id_type: DocumentKind
    id_number: Typed = ""
    no_document_reason: Text = ""
    phone: Typed | None = None
    organisation: Text = ""
    host_id: uuid.UUID
    purpose: Text = ""
    party_size: Annotated[int, Meta(ge=1, le=500)] = 1
    plate: Typed | None = None
    badge: Annotated[str, Meta(min_length=1, max_length=32)] | None = None
    expected_stay_minutes: Annotated[int, Meta(ge=1, le=24 * 60)] | None = None
    checked_in_at: AwareDatetime
    watch_match: bool = False
    """The gate device's own verdict, offline: the document matched a `watch_key` it holds.
    The server matches again against its active entries; either match stops the visit
    until a manager decides."""


class VisitCheckIn(CheckInIn, frozen=True, kw_only=True):
    """The op `visit.checked_in`: the REST body and the site it is at."""

    site_id: uuid.UUID


class DecisionIn(Request, frozen=True, kw_only=True):
    """The host's consent. In the app (`channel: app`) the caller decides: the host, or a
    manager. By phone the gatekeeper records what `by_id` (the host or a manager) said, and
    `decided_at` is when they said it."""

    id: uuid.UUID
    decision: Literal["approved", "refused"]
    channel: Channel = "app"
    by_id: uuid.UUID | None = None
    decided_at: AwareDatetime
    reason: Text = ""
    """Why the visit is refused (ignored for an approval)."""


class VisitApprove(Request, frozen=True, kw_only=True):
    """The op `visit.approved`."""

    id: uuid.UUID
    visit_id: uuid.UUID
    site_id: uuid.UUID
    channel: Channel = "app"
    by_id: uuid.UUID | None = None
    approved_at: AwareDatetime


class VisitRefuse(Request, frozen=True, kw_only=True):
    """The op `visit.refused`: a refusal is kept, and final."""

    id: uuid.UUID
    visit_id: uuid.UUID
    site_id: uuid.UUID
    channel: Channel = "app"
    by_id: uuid.UUID | None = None
    refused_at: AwareDatetime
    reason: Text = ""


class CheckOutIn(Request, frozen=True, kw_only=True):
    """`method`: the slip's QR scanned, or the visit picked from the still-inside list."""

    id: uuid.UUID
    checked_out_at: AwareDatetime
    method: Literal["slip", "list"] = "list"


class VisitCheckOut(CheckOutIn, frozen=True, kw_only=True):
    """The op `visit.checked_out`; it may reach the server before its check-in."""

    visit_id: uuid.UUID
    site_id: uuid.UUID


class WatchDecisionIn(Request, frozen=True, kw_only=True):
    """A manager's decision on a watchlist match. In the app (`channel: app`) the caller
    decides and must be a manager; by phone the gatekeeper records what `by_id` (a manager)
    said, and `decided_at` is when they said it."""

    id: uuid.UUID
    decision: Literal["admit", "deny"]
    channel: Channel = "app"
    by_id: uuid.UUID | None = None
    decided_at: AwareDatetime
    reason: Text = ""


class VisitWatchDecide(WatchDecisionIn, frozen=True, kw_only=True):
    """The op `visit.watch_decided`."""

    visit_id: uuid.UUID
    site_id: uuid.UUID


Coordinate = Annotated[float, Meta(ge=-10_000, le=10_000)]
Stroke = Annotated[list[Coordinate], Meta(min_length=2, max_length=1000)]
"""One pen stroke: x, y, x, y, ... (at most 500 points)."""
Strokes = Annotated[list[Stroke], Meta(min_length=1, max_length=200)]


class SignatureIn(Request, frozen=True, kw_only=True):
    """The host's signature on the visit, drawn (by the host, or a manager)."""

    id: uuid.UUID
    signed_at: AwareDatetime
    strokes: Strokes


class VisitSign(SignatureIn, frozen=True, kw_only=True):
    """The op `visit.signed`."""

    visit_id: uuid.UUID
    site_id: uuid.UUID


class VisitOut(msgspec.Struct, frozen=True, kw_only=True):
    """A visit as its facts make it (server/gate/visits.py), for the gate and managers.
    Personal fields are null until the check-in arrives; the document and phone are masked
    (`110105********1234`, `138****5678`). `flags`: what the register should look at (a
    second check-out, a check-out whose check-in has not arrived, ...)."""

    id: uuid.UUID
    site_id: uuid.UUID
    local_date: date
    state: State
    consent: Consent
    visitor: str | None
    id_type: DocumentKind | None
    id_masked: str | None
    phone_masked: str | None
    organisation: str
    purpose: str
    party_size: int | None
    plate: str | None
    badge: str | None
    host: PersonRef | None
    checked_in_at: datetime | None
    decided_by: PersonRef | None
    approved_at: datetime | None
    refused_at: datetime | None
    refusal_reason: str
    entered_at: datetime | None
    expected_until: datetime | None
    checked_out_at: datetime | None
    flags: list[str]
    version: int
    watch: Watch = "none"
    """`match`: the visitor is on the watchlist and a manager has not decided yet."""
    watch_decided_by: PersonRef | None = None
    signed_at: datetime | None = None
