"""What the early-leave passes' and pick-up cards' API and the gate's ops send and accept.

A pass is made of facts (`pass.created`, `pass.confirmed`, `pass.cancelled`,
`pass.exited`), each a sync op and a REST call, each naming its pass (a UUIDv7 the
teacher's device makes) and its site, so that whichever arrives first makes the pass
known. Phones are checked and kept whole for the teacher to call back, and never sent
back whole: answers and gate devices get `138****5678`.

A pick-up card is reference data the school's managers keep (a version, PUT to change);
the gate's check of a card at collection is a fact, `card.checked`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from server.gate.passes import PassState
from server.wire import AwareDatetime, PersonRef, Request

PersonName = Annotated[str, Meta(min_length=1, max_length=100)]
ClassName = Annotated[str, Meta(max_length=50)]
Reason = Annotated[str, Meta(min_length=1, max_length=500)]
Text = Annotated[str, Meta(max_length=500)]
Typed = Annotated[str, Meta(max_length=40)]
"""A phone number as typed, before it is checked (full-width digits, spaces, +86, ...)."""
CollectorKey = Annotated[str, Meta(min_length=1, max_length=64)]


# --- passes -------------------------------------------------------------------------


class PassIn(Request, frozen=True, kw_only=True):
    """A pass made by the class teacher (any member of the site but an auditor). `pupil`
    is the pupil's name as the class knows it; `collector` None: the pupil leaves alone.
    The window is inclusive at both ends and must end after it starts."""

    id: uuid.UUID
    pass_id: uuid.UUID
    pupil: PersonName
    class_name: ClassName = ""
    reason: Reason
    leave_from: AwareDatetime
    leave_until: AwareDatetime
    collector: PersonName | None = None
    collector_phone: Typed | None = None
    created_at: AwareDatetime


class PassCreate(PassIn, frozen=True, kw_only=True):
    """The op `pass.created`: the REST body and the site it is at."""

    site_id: uuid.UUID


class ConfirmationIn(Request, frozen=True, kw_only=True):
    """A parent's agreement the teacher records after phoning them (`channel` "teacher");
    a parent confirms through a one-time link themselves (server/gate/parent_links.py)."""

    id: uuid.UUID
    parent_name: PersonName
    parent_phone: Typed
    confirmed_at: AwareDatetime
    channel: Literal["teacher"] = "teacher"


class PassConfirm(ConfirmationIn, frozen=True, kw_only=True):
    """The op `pass.confirmed`."""

    pass_id: uuid.UUID
    site_id: uuid.UUID


class CancellationIn(Request, frozen=True, kw_only=True):
    id: uuid.UUID
    cancelled_at: AwareDatetime
    reason: Text = ""


class PassCancel(CancellationIn, frozen=True, kw_only=True):
    """The op `pass.cancelled`: final, though an exit recorded anyway still stands."""

    pass_id: uuid.UUID
    site_id: uuid.UUID


class ExitIn(Request, frozen=True, kw_only=True):
    """The pupil let out at the gate. `method`: the pass's QR scanned, or the pass picked
    from the day's list; `collected_by`: who came for the pupil, as the gate saw them."""

    id: uuid.UUID
    exited_at: AwareDatetime
    collected_by: PersonName | None = None
    method: Literal["scan", "list"] = "list"


class PassExit(ExitIn, frozen=True, kw_only=True):
    """The op `pass.exited`; it may reach the server before the pass's creation."""

    pass_id: uuid.UUID
    site_id: uuid.UUID


class ParentConfirmation(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    phone_masked: str
    at: datetime
    channel: Literal["teacher", "link"]


class PassOut(msgspec.Struct, frozen=True, kw_only=True):
    """A pass as its facts make it (server/gate/passes.py). The pass's own fields are null
    until its creation arrives; phones are masked. `flags`: what the register should look
    at (a pass used twice, an exit without a parent's confirmation, ...); `blockers`: what
    stops the pupil leaving now (`pass.not_confirmed`, `pass.outside_window`, ...)."""

    id: uuid.UUID
    site_id: uuid.UUID
    local_date: date
    state: PassState
    pupil: str | None
    class_name: str
    reason: str
    leave_from: datetime | None
    leave_until: datetime | None
    collector: str | None
    collector_phone_masked: str | None
    created_by: PersonRef | None
    created_at: datetime | None
    confirmed_by_parent: ParentConfirmation | None
    cancelled_at: datetime | None
    exited_at: datetime | None
    exit_recorded_by: PersonRef | None
    flags: list[str]
    blockers: list[str]
    version: int


class ParentLinkOut(msgspec.Struct, frozen=True, kw_only=True):
    """The one-time link to send the parent: shown once, only its hash is kept."""

    url: str
    expires_at: datetime


# --- pick-up cards --------------------------------------------------------------------


class CollectorIn(Request, frozen=True, kw_only=True):
    """Someone who may collect the child: `key` is the code of the card or QR they show. A
    temporary collector (a grandparent for a week) has a `valid_until`."""

    key: CollectorKey
    name: PersonName
    relation: Annotated[str, Meta(max_length=50)] = ""
    phone: Typed | None = None
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None


class PickupCardIn(Request, frozen=True, kw_only=True):
    id: uuid.UUID
    child: PersonName
    class_name: ClassName = ""
    valid_from: AwareDatetime
    valid_until: AwareDatetime
    collectors: Annotated[list[CollectorIn], Meta(max_length=20)]


class PickupCardUpdate(PickupCardIn, frozen=True, kw_only=True):
    """A card changed: the whole card again and the version it was read at."""

    version: Annotated[int, Meta(ge=1, le=2**31 - 1)]


class CollectorOut(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    name: str
    relation: str
    phone_masked: str | None
    valid_from: datetime | None
    valid_until: datetime | None


class PickupCardOut(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    site_id: uuid.UUID
    child: str
    class_name: str
    valid_from: datetime
    valid_until: datetime
    revoked_at: datetime | None
    collectors: list[CollectorOut]
    version: int


class CardCheckIn(Request, frozen=True, kw_only=True):
    """Who stood at the gate (the key their card or QR gave) and when."""

    id: uuid.UUID
    collector_key: CollectorKey
    checked_at: AwareDatetime


class CardCheck(CardCheckIn, frozen=True, kw_only=True):
    """The op `card.checked`."""

    card_id: uuid.UUID
    site_id: uuid.UUID


class FaultOut(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    reason: str


class CardCheckOut(msgspec.Struct, frozen=True, kw_only=True):
    """The card's answer as the server judged it at `checked_at` (the gate device judges
    the same from the card it holds): every fault, and the collector's name when the key
    is the card's."""

    id: uuid.UUID
    card_id: uuid.UUID
    allowed: bool
    faults: list[FaultOut]
    collector: str | None
