"""The actions HTTP API."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from litestar import Controller, Response, get, post, put
from litestar.params import Body, FromQuery, Parameter, QueryParameter

from server.actions import actions, hazards, service_levels
from server.actions.wire import (
    ActionDetail,
    ActionOut,
    ActionPage,
    ActionTransition,
    HazardReportSubmit,
    ServiceLevelOut,
    ServiceLevelSet,
    TransitionResult,
)
from server.deps import CurrentCaller

Id = Annotated[uuid.UUID, Parameter()]
Limit = Annotated[int, QueryParameter(ge=1, le=200)]


class HazardReportController(Controller):
    path = "/api/reports"
    tags = ["actions"]

    @post("/")
    async def submit_report(
        self, caller: CurrentCaller, data: Annotated[HazardReportSubmit, Body()]
    ) -> Response[ActionOut]:
        """A hazard report or repair request; answers the corrective action it raised
        (201, or 200 when the same report arrives again)."""
        action, created = await hazards.submit_report(caller, data)
        return Response(action, status_code=201 if created else 200)


class ActionController(Controller):
    path = "/api/actions"
    tags = ["actions"]

    @get("/")
    async def list_actions(
        self,
        caller: CurrentCaller,
        site_id: FromQuery[uuid.UUID | None] = None,
        action_states: Annotated[
            list[Literal["open", "in_progress", "fixed", "verified", "cancelled"]] | None,
            QueryParameter(name="state", description="several given as state=…&state=…"),
        ] = None,
        mine: FromQuery[bool] = False,
        owner_id: FromQuery[uuid.UUID | None] = None,
        unowned: FromQuery[bool] = False,
        finding_id: FromQuery[uuid.UUID | None] = None,
        overdue: FromQuery[bool] = False,
        older_than_days: Annotated[int | None, QueryParameter(ge=0, le=3650)] = None,
        oldest_first: FromQuery[bool] = False,
        after: FromQuery[uuid.UUID | None] = None,
        limit: Limit = 100,
    ) -> ActionPage:
        """My actions (`mine`), one person's or no one's, a site's by state, the one raised
        from a finding, the overdue ones, those raised more than some days ago; newest or
        oldest first, a page at a time."""
        return await actions.list_actions(
            caller,
            site_id=site_id,
            states=list(action_states) if action_states else None,
            mine=mine,
            owner_id=owner_id,
            unowned=unowned,
            finding_id=finding_id,
            overdue=overdue,
            older_than_days=older_than_days,
            oldest_first=oldest_first,
            after=after,
            limit=limit,
        )

    @get("/{action_id:uuid}")
    async def get_action(self, caller: CurrentCaller, action_id: Id) -> ActionDetail:
        """One action with every change: who, when, what, notes and photos."""
        return await actions.get_action(caller, action_id)

    @post("/{action_id:uuid}/transitions", status_code=200)
    async def transition_action(
        self,
        caller: CurrentCaller,
        action_id: Id,
        data: Annotated[ActionTransition, Body()],
    ) -> TransitionResult:
        """start, fix, verify, reopen, cancel or assign, from the version the person saw:
        a stale step still legal is applied (`parallel`); an illegal one is 409
        `action.conflict` with the action as it is."""
        return await actions.transition_action(caller, action_id, data)


class ServiceLevelController(Controller):
    path = "/api/sites/{site_id:uuid}/service-levels"
    tags = ["actions"]

    @get("/")
    async def list_service_levels(
        self, caller: CurrentCaller, site_id: Id
    ) -> list[ServiceLevelOut]:
        return await service_levels.list_service_levels(caller, site_id)

    @put("/{size:str}")
    async def set_service_level(
        self,
        caller: CurrentCaller,
        site_id: Id,
        size: Annotated[Literal["small", "large", "major"], Parameter()],
        data: Annotated[ServiceLevelSet, Body()],
    ) -> list[ServiceLevelOut]:
        """How many working days after the day it was raised an action of this size is due."""
        return await service_levels.set_service_level(caller, site_id, size, data)
