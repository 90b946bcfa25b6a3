"""The patrols HTTP API: routes and round schedules (managers write, everyone at the site
reads), what supervisors read, and the supervisor's facts (countersign, explain, cancel).
A patroller's facts arrive by sync only (`round.started`, `checkpoint.scanned`,
`round.finished`): the phone walks offline."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from litestar import Controller, get, post, put
from litestar.params import Body, FromQuery, Parameter

from server.deps import CurrentCaller
from server.patrols import patrol_routes, round_facts, round_schedules, supervision
from server.patrols.wire import (
    CheckpointReport,
    PatrolDay,
    Patroller,
    PatrolMonth,
    PersonRounds,
    RoundCancel,
    RoundCountersign,
    RoundDetail,
    RoundExplain,
    RouteChange,
    RouteCreate,
    RouteOut,
    ScheduleChange,
    ScheduleCreate,
    ScheduleOut,
)
from server.wire import in_range

Id = Annotated[uuid.UUID, Parameter()]


class SiteRouteController(Controller):
    path = "/api/sites/{site_id:uuid}/patrol/routes"
    tags = ["patrols"]

    @get("/")
    async def list_routes(
        self, caller: CurrentCaller, site_id: Id, include_retired: FromQuery[bool] = False
    ) -> list[RouteOut]:
        return await patrol_routes.list_routes(caller, site_id, include_retired=include_retired)

    @post("/")
    async def create_route(
        self, caller: CurrentCaller, site_id: Id, data: Annotated[RouteCreate, Body()]
    ) -> RouteOut:
        """A route of the site's active tags (managers): 422 `route.tag_unknown`,
        `route.tag_retired`, `route.tag_twice`, `route.unknown_template`, with the
        checkpoint's path in `field`."""
        return await patrol_routes.create_route(caller, site_id, data)


class RouteController(Controller):
    path = "/api/patrol/routes/{route_id:uuid}"
    tags = ["patrols"]

    @get("/")
    async def get_route(
        self, caller: CurrentCaller, route_id: Id, version: FromQuery[int | None] = None
    ) -> RouteOut:
        """The newest version, or the one named."""
        return await patrol_routes.get_route(caller, route_id, version)

    @put("/")
    async def change_route(
        self, caller: CurrentCaller, route_id: Id, data: Annotated[RouteChange, Body()]
    ) -> RouteOut:
        """A new version (rounds already started keep theirs); 409 `route.version_conflict`
        when `base_version` is no longer the newest."""
        return await patrol_routes.change_route(caller, route_id, data)

    @post("/retire", status_code=200)
    async def retire_route(self, caller: CurrentCaller, route_id: Id) -> RouteOut:
        return await patrol_routes.retire_route(caller, route_id)


class SiteRoundScheduleController(Controller):
    path = "/api/sites/{site_id:uuid}/patrol/schedules"
    tags = ["patrols"]

    @get("/")
    async def list_round_schedules(
        self, caller: CurrentCaller, site_id: Id, include_retired: FromQuery[bool] = False
    ) -> list[ScheduleOut]:
        return await round_schedules.list_schedules(
            caller, site_id, include_retired=include_retired
        )

    @post("/")
    async def create_round_schedule(
        self, caller: CurrentCaller, site_id: Id, data: Annotated[ScheduleCreate, Body()]
    ) -> ScheduleOut:
        """When a route is walked (fixed windows, or every n minutes across midnight) and by
        whom (a role, named people, or a duty roster with substitutes)."""
        return await round_schedules.create_schedule(caller, site_id, data)


class RoundScheduleController(Controller):
    path = "/api/patrol/schedules/{round_schedule_id:uuid}"
    tags = ["patrols"]

    @put("/")
    async def change_round_schedule(
        self,
        caller: CurrentCaller,
        round_schedule_id: Id,
        data: Annotated[ScheduleChange, Body()],
    ) -> ScheduleOut:
        """409 `patrol_schedule.version_conflict` when `base_version` is not the stored one."""
        return await round_schedules.change_schedule(caller, round_schedule_id, data)

    @post("/retire", status_code=200)
    async def retire_round_schedule(
        self, caller: CurrentCaller, round_schedule_id: Id
    ) -> ScheduleOut:
        return await round_schedules.retire_schedule(caller, round_schedule_id)


class PatrolViewController(Controller):
    path = "/api/sites/{site_id:uuid}/patrol"
    tags = ["patrols"]

    @get("/day")
    async def patrol_day(
        self, caller: CurrentCaller, site_id: Id, date: FromQuery[date | None] = None
    ) -> PatrolDay:
        """Every round of a day (default today at the site): each scheduled window, walked or
        not, then voluntary rounds; counts of the scheduled ones."""
        return await supervision.patrol_day(caller, site_id, in_range(date, "date"))

    @get("/month")
    async def patrol_month(
        self, caller: CurrentCaller, site_id: Id, month: FromQuery[str | None] = None
    ) -> PatrolMonth:
        """The completion grid (days × windows) of each schedule for a month (`YYYY-MM`)."""
        return await supervision.patrol_month(caller, site_id, month)

    @get("/people")
    async def patrollers(self, caller: CurrentCaller, site_id: Id) -> list[Patroller]:
        """Who may walk a round here (names and roles), for any member of the site."""
        return await supervision.patrollers(caller, site_id)

    @get("/people/{user_id:uuid}")
    async def person_rounds(
        self,
        caller: CurrentCaller,
        site_id: Id,
        user_id: Id,
        since: FromQuery[date | None] = None,
        until: FromQuery[date | None] = None,
    ) -> PersonRounds:
        """A person's rounds, walked or owed (default the last 30 days; at most 62)."""
        return await supervision.person_rounds(
            caller, site_id, user_id, in_range(since, "since"), in_range(until, "until")
        )

    @get("/checkpoints")
    async def checkpoint_report(
        self,
        caller: CurrentCaller,
        site_id: Id,
        since: FromQuery[date | None] = None,
        until: FromQuery[date | None] = None,
    ) -> CheckpointReport:
        """Per checkpoint: scans, shortest and average gap, days since the last scan."""
        return await supervision.checkpoint_report(
            caller, site_id, in_range(since, "since"), in_range(until, "until")
        )


class RoundController(Controller):
    path = "/api/patrol"
    tags = ["patrols"]

    @get("/rounds/{round_id:uuid}")
    async def round_detail(self, caller: CurrentCaller, round_id: Id) -> RoundDetail:
        """A round's timeline: every scan with its time and flags, what was not scanned,
        the signatures and comments."""
        return await supervision.round_detail(caller, round_id)

    @post("/countersigns", status_code=200)
    async def countersign_round(
        self, caller: CurrentCaller, data: Annotated[RoundCountersign, Body()]
    ) -> RoundDetail:
        """A supervisor's signature under the patroller's (managers); the same id again is
        the same signature."""
        await round_facts.COUNTERSIGNED.accept(caller, data)
        return await supervision.round_detail(caller, data.round_id)

    @post("/explanations", status_code=200)
    async def explain_round(
        self, caller: CurrentCaller, data: Annotated[RoundExplain, Body()]
    ) -> RoundDetail:
        """A supervisor closes a missed or flagged round with a comment (managers)."""
        await round_facts.EXPLAINED.accept(caller, data)
        return await supervision.round_detail(caller, data.round_id)

    @post("/cancellations", status_code=200)
    async def cancel_round(
        self, caller: CurrentCaller, data: Annotated[RoundCancel, Body()]
    ) -> RoundDetail:
        """A supervisor calls off a scheduled round (managers): shown, never counted."""
        await round_facts.CANCELLED.accept(caller, data)
        return await supervision.round_detail(caller, data.round_id)


CONTROLLERS = (
    SiteRouteController,
    RouteController,
    SiteRoundScheduleController,
    RoundScheduleController,
    PatrolViewController,
    RoundController,
)
