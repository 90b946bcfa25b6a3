"""The visitor register's HTTP API: check-in and check-out (gate staff and managers), the
host's consent (the host or a manager; a gatekeeper recording it by phone), and the day's
register (gate staff and managers: visitor records never reach the site's other people).
The same facts arrive by sync from a gate device that was offline."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from litestar import Controller, get, post
from litestar.params import Body, FromQuery, Parameter, QueryParameter

from server.deps import CurrentCaller
from server.gate import register, visit_facts
from server.gate.pass_controllers import CONTROLLERS as PASS_CONTROLLERS
from server.gate.setting_controllers import CONTROLLERS as SETTING_CONTROLLERS
from server.gate.slip_controllers import SlipController
from server.gate.visits import State
from server.gate.wire import CheckInIn, CheckOutIn, DecisionIn, VisitOut
from server.wire import in_range

Id = Annotated[uuid.UUID, Parameter()]


class SiteVisitController(Controller):
    path = "/api/sites/{site_id:uuid}/visits"
    tags = ["gate"]

    @post("/")
    async def check_in_visitor(
        self, caller: CurrentCaller, site_id: Id, data: Annotated[CheckInIn, Body()]
    ) -> VisitOut:
        """A visitor registered at the gate; 422 with the field for a document number that
        fails its check (`visit.id_check_digit`, `visit.id_format`, ...), a phone or plate
        of no known form, or a host who is not at the site. The number is never returned."""
        return await visit_facts.check_in_visitor(caller, site_id, data)

    @get("/")
    async def list_visits(
        self,
        caller: CurrentCaller,
        site_id: Id,
        date: FromQuery[date | None] = None,
        visit_state: Annotated[State | None, QueryParameter(name="state")] = None,
    ) -> list[VisitOut]:
        """The day's register (the site's date; today by default); `state=inside`: who is
        still inside, longest there first."""
        return await register.list_visits(caller, site_id, in_range(date, "date"), visit_state)


class VisitController(Controller):
    path = "/api/visits/{visit_id:uuid}"
    tags = ["gate"]

    @get("/")
    async def get_visit(self, caller: CurrentCaller, visit_id: Id) -> VisitOut:
        return await register.get_visit(caller, visit_id)

    @post("/decisions", status_code=200)
    async def decide_visit(
        self, caller: CurrentCaller, visit_id: Id, data: Annotated[DecisionIn, Body()]
    ) -> VisitOut:
        """The host's consent: 403 for someone who is neither the host nor a manager;
        `visit.not_host` for a phone consent named to anyone else. A refusal is final."""
        return await visit_facts.decide_visit(caller, visit_id, data)

    @post("/checkout", status_code=200)
    async def check_out_visitor(
        self, caller: CurrentCaller, visit_id: Id, data: Annotated[CheckOutIn, Body()]
    ) -> VisitOut:
        """A second check-out is kept and flagged; the first one's time stands."""
        return await visit_facts.check_out_visitor(caller, visit_id, data)


CONTROLLERS = (
    SiteVisitController,
    VisitController,
    SlipController,
    *PASS_CONTROLLERS,
    *SETTING_CONTROLLERS,
)
