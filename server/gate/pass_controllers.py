"""The early-leave passes' and pick-up cards' HTTP API. A pass: made by its class teacher
(any member of the site but an auditor), confirmed for a parent or cancelled by them or a
manager, let out by the gate; read by the gate, managers and its teacher. A card: kept by
managers, read and checked by the gate. The same facts arrive by sync from a device that
was offline (`pass.*`, `card.checked`)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from litestar import Controller, get, post, put
from litestar.params import Body, FromQuery, Parameter

from server.deps import AppSettings, CurrentCaller
from server.gate import cards, parent_links, pass_facts, pass_register
from server.gate.pass_wire import (
    CancellationIn,
    CardCheckIn,
    CardCheckOut,
    ConfirmationIn,
    ExitIn,
    ParentLinkOut,
    PassIn,
    PassOut,
    PickupCardIn,
    PickupCardOut,
    PickupCardUpdate,
)
from server.wire import in_range

Id = Annotated[uuid.UUID, Parameter()]


class SitePassController(Controller):
    path = "/api/sites/{site_id:uuid}/passes"
    tags = ["gate"]

    @post("/")
    async def create_pass(
        self, caller: CurrentCaller, site_id: Id, data: Annotated[PassIn, Body()]
    ) -> PassOut:
        """A pass made by the class teacher; 422 `pass.window_invalid` for a window that
        ends before it starts, `pass.phone_format` for a collector's phone of no known
        form. The same fact sent twice is applied once."""
        return await pass_facts.create_pass(caller, site_id, data)

    @get("/")
    async def list_passes(
        self, caller: CurrentCaller, site_id: Id, date: FromQuery[date | None] = None
    ) -> list[PassOut]:
        """The day's passes (the site's date; today by default), by when the pupils leave:
        all of them for the gate and managers, their own for a teacher."""
        return await pass_register.list_passes(caller, site_id, in_range(date, "date"))


class PassController(Controller):
    path = "/api/passes/{pass_id:uuid}"
    tags = ["gate"]

    @get("/")
    async def get_pass(self, caller: CurrentCaller, pass_id: Id) -> PassOut:
        return await pass_register.get_pass(caller, pass_id)

    @post("/confirmations", status_code=200)
    async def confirm_pass(
        self, caller: CurrentCaller, pass_id: Id, data: Annotated[ConfirmationIn, Body()]
    ) -> PassOut:
        """A parent's agreement the teacher took by phone: 403 `pass.not_creator` for
        anyone but the pass's teacher or a manager."""
        return await pass_facts.confirm_pass(caller, pass_id, data)

    @post("/parent-links")
    async def create_parent_link(
        self, caller: CurrentCaller, settings: AppSettings, pass_id: Id
    ) -> ParentLinkOut:
        """A one-time link for the parent to confirm themselves (shown once; valid 24 hours
        or until the window ends). 409 `pass.closed` once nothing is left to confirm."""
        return await parent_links.create_link(caller, pass_id, settings.public_url)

    @post("/cancellations", status_code=200)
    async def cancel_pass(
        self, caller: CurrentCaller, pass_id: Id, data: Annotated[CancellationIn, Body()]
    ) -> PassOut:
        return await pass_facts.cancel_pass(caller, pass_id, data)

    @post("/exits", status_code=200)
    async def exit_pass(
        self, caller: CurrentCaller, pass_id: Id, data: Annotated[ExitIn, Body()]
    ) -> PassOut:
        """The pupil let out (gate staff, managers). Never refused for what the pass says:
        an exit without a confirmation, outside the window or a second one is kept and
        flagged."""
        return await pass_facts.exit_pass(caller, pass_id, data)


class SitePickupCardController(Controller):
    path = "/api/sites/{site_id:uuid}/pickup-cards"
    tags = ["gate"]

    @get("/")
    async def list_cards(self, caller: CurrentCaller, site_id: Id) -> list[PickupCardOut]:
        return await cards.list_cards(caller, site_id)

    @post("/")
    async def create_card(
        self, caller: CurrentCaller, site_id: Id, data: Annotated[PickupCardIn, Body()]
    ) -> PickupCardOut:
        """A new card (managers); its collectors' phones are answered masked."""
        return await cards.create_card(caller, site_id, data)


class PickupCardController(Controller):
    path = "/api/pickup-cards/{card_id:uuid}"
    tags = ["gate"]

    @get("/")
    async def get_card(self, caller: CurrentCaller, card_id: Id) -> PickupCardOut:
        return await cards.get_card(caller, card_id)

    @put("/")
    async def update_card(
        self, caller: CurrentCaller, card_id: Id, data: Annotated[PickupCardUpdate, Body()]
    ) -> PickupCardOut:
        """The card whole again, at the version read: 409 `pickup_card.version_conflict`
        over another's change, with the card as it stands."""
        return await cards.update_card(caller, card_id, data)

    @post("/revoke", status_code=200)
    async def revoke_card(self, caller: CurrentCaller, card_id: Id) -> PickupCardOut:
        return await cards.revoke_card(caller, card_id)

    @post("/checks", status_code=200)
    async def check_card(
        self, caller: CurrentCaller, card_id: Id, data: Annotated[CardCheckIn, Body()]
    ) -> CardCheckOut:
        """Whether the holder of `collector_key` may take the child now: every fault with
        its code (`card.expired`, `card.collector_expired`, `card.not_a_collector`, ...).
        Recorded once per id."""
        return await cards.check_card(caller, card_id, data)


CONTROLLERS = (
    SitePassController,
    PassController,
    SitePickupCardController,
    PickupCardController,
    parent_links.ParentPageController,
)
