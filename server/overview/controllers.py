"""The overview HTTP API."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter

from server.deps import CurrentCaller
from server.overview import today
from server.overview.wire import SiteToday


class TodayController(Controller):
    path = "/api/sites/{site_id:uuid}/today"
    tags = ["overview"]

    @get("/")
    async def site_today(
        self, caller: CurrentCaller, site_id: Annotated[uuid.UUID, Parameter()]
    ) -> SiteToday:
        """The site's figures for its office this morning, counted on the server: checks due
        today and overdue, corrective actions by age and owner, high-severity findings still
        open, and (admins and managers) refused records and phones not synced for days."""
        return await today.site_today(caller, site_id)
