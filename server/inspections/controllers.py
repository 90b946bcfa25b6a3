"""The inspections HTTP API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from litestar import Controller, Response, get, post
from litestar.params import Body, FromQuery, Parameter, QueryParameter

from server.deps import CurrentCaller
from server.inspections import findings, history, inspections
from server.inspections.wire import (
    FindingOut,
    FindingStatus,
    InspectionOut,
    InspectionPage,
    InspectionSubmit,
)
from server.wire import in_range

Id = Annotated[uuid.UUID, Parameter()]
Limit = Annotated[int, QueryParameter(ge=1, le=200)]


class InspectionController(Controller):
    path = "/api/inspections"
    tags = ["inspections"]

    @post("/")
    async def submit_inspection(
        self, caller: CurrentCaller, data: Annotated[InspectionSubmit, Body()]
    ) -> Response[InspectionOut]:
        """201 when stored; 200 with the stored inspection when the same id and content
        arrive again; 409 `inspection.conflict` for the same id with other content."""
        stored, created = await inspections.submit_inspection(caller, data)
        return Response(stored, status_code=201 if created else 200)

    @get("/")
    async def list_inspections(
        self,
        caller: CurrentCaller,
        site_id: FromQuery[uuid.UUID | None] = None,
        location_id: FromQuery[uuid.UUID | None] = None,
        asset_id: FromQuery[uuid.UUID | None] = None,
        template_key: FromQuery[str | None] = None,
        inspector_id: FromQuery[uuid.UUID | None] = None,
        result: FromQuery[Literal["pass", "fail"] | None] = None,
        completed_from: FromQuery[datetime | None] = None,
        completed_to: FromQuery[datetime | None] = None,
        current_only: FromQuery[bool] = False,
        after: FromQuery[uuid.UUID | None] = None,
        limit: Limit = 50,
    ) -> InspectionPage:
        return await history.list_inspections(
            caller,
            site_id=site_id,
            location_id=location_id,
            asset_id=asset_id,
            template_key=template_key,
            inspector_id=inspector_id,
            result=result,
            completed_from=in_range(completed_from, "completed_from"),
            completed_to=in_range(completed_to, "completed_to"),
            current_only=current_only,
            after=after,
            limit=limit,
        )

    @get("/{inspection_id:uuid}")
    async def get_inspection(self, caller: CurrentCaller, inspection_id: Id) -> InspectionOut:
        return await inspections.get_inspection(caller, inspection_id)


class AssetHistoryController(Controller):
    path = "/api/assets/{asset_id:uuid}/inspections"
    tags = ["inspections"]

    @get("/")
    async def asset_history(
        self,
        caller: CurrentCaller,
        asset_id: Id,
        after: FromQuery[uuid.UUID | None] = None,
        limit: Limit = 50,
    ) -> InspectionPage:
        """Every inspection of one asset, newest first."""
        return await history.list_inspections(caller, asset_id=asset_id, after=after, limit=limit)


class FindingController(Controller):
    path = "/api/findings"
    tags = ["inspections"]

    @get("/")
    async def list_findings(
        self,
        caller: CurrentCaller,
        site_id: FromQuery[uuid.UUID | None] = None,
        status: FromQuery[FindingStatus | None] = None,
        severity: FromQuery[Literal["high", "normal"] | None] = None,
        asset_id: FromQuery[uuid.UUID | None] = None,
        location_id: FromQuery[uuid.UUID | None] = None,
        after: FromQuery[uuid.UUID | None] = None,
        limit: Limit = 100,
    ) -> list[FindingOut]:
        """Newest first; `after` (the last one of a list) reads on past it."""
        return await findings.list_findings(
            caller,
            site_id=site_id,
            status=status,
            severity=severity,
            asset_id=asset_id,
            location_id=location_id,
            after=after,
            limit=limit,
        )

    @get("/{finding_id:uuid}")
    async def get_finding(self, caller: CurrentCaller, finding_id: Id) -> FindingOut:
        return await findings.get_finding(caller, finding_id)
