"""The schedules HTTP API."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from litestar import Controller, Response, delete, get, patch, post, put
from litestar.params import Body, FromQuery, Parameter, QueryParameter

from checklists import SchoolCalendar
from server.deps import CurrentCaller
from server.schedules import approval, calendars, decisions, due, excusals, plans, schedules
from server.schedules.wire import (
    CalendarOut,
    DueList,
    ExcusalDecide,
    ExcusalOut,
    ExcusalPolicyChange,
    ExcusalPolicyOut,
    MonthPlan,
    OccurrenceExcuse,
    ScheduleChange,
    ScheduleCreate,
    ScheduleOut,
)
from server.wire import in_range

Id = Annotated[uuid.UUID, Parameter()]


class CalendarController(Controller):
    path = "/api/sites/{site_id:uuid}/calendar"
    tags = ["schedules"]

    @get("/")
    async def get_calendar(self, caller: CurrentCaller, site_id: Id) -> CalendarOut:
        """The site's terms, holidays and make-up school days (version 0: none set yet)."""
        return await calendars.get_calendar(caller, site_id)

    @put("/")
    async def set_calendar(
        self,
        caller: CurrentCaller,
        site_id: Id,
        data: Annotated[SchoolCalendar, Body()],
        version: Annotated[int | None, QueryParameter(ge=0)] = None,
    ) -> CalendarOut:
        """Replace the calendar (managers). 409 `calendar.past_changed` if it would change a
        past day a schedule was in force on; `calendar.version_conflict` if `version` (the
        one the change was made against) is no longer the stored one."""
        return await calendars.set_calendar(caller, site_id, data, version)


class ExcusalPolicyController(Controller):
    path = "/api/sites/{site_id:uuid}/excusal-policy"
    tags = ["schedules"]

    @get("/")
    async def get_excusal_policy(self, caller: CurrentCaller, site_id: Id) -> ExcusalPolicyOut:
        """Whether the site's excusals need a manager's approval (version 0: never set, they
        do not)."""
        return await approval.get_policy(caller, site_id)

    @put("/")
    async def set_excusal_policy(
        self, caller: CurrentCaller, site_id: Id, data: Annotated[ExcusalPolicyChange, Body()]
    ) -> ExcusalPolicyOut:
        """Ask for a manager's approval of inspectors' excusals, or stop asking (managers);
        excusals already made keep the rule they were made under."""
        return await approval.set_policy(caller, site_id, data)


class ScheduleController(Controller):
    path = "/api/sites/{site_id:uuid}/schedules"
    tags = ["schedules"]

    @post("/")
    async def create_schedule(
        self, caller: CurrentCaller, site_id: Id, data: Annotated[ScheduleCreate, Body()]
    ) -> ScheduleOut:
        """A template to fill in for a set of targets by a rule, from a date (today or
        later; 422 `schedule.effective_in_past` before)."""
        return await schedules.create_schedule(caller, site_id, data)

    @get("/")
    async def list_schedules(self, caller: CurrentCaller, site_id: Id) -> list[ScheduleOut]:
        return await schedules.list_schedules(caller, site_id)

    @get("/{schedule_id:uuid}")
    async def get_schedule(
        self, caller: CurrentCaller, site_id: Id, schedule_id: Id
    ) -> ScheduleOut:
        return await schedules.get_schedule(caller, site_id, schedule_id)

    @post("/{schedule_id:uuid}/versions", status_code=200)
    async def change_schedule(
        self,
        caller: CurrentCaller,
        site_id: Id,
        schedule_id: Id,
        data: Annotated[ScheduleChange, Body()],
    ) -> ScheduleOut:
        """A new rule from a date, today or later (`rule: null` ends the schedule); the
        days before it keep the rule they had."""
        return await schedules.change_schedule(caller, site_id, schedule_id, data)

    @patch("/{schedule_id:uuid}")
    async def patch_schedule(
        self,
        caller: CurrentCaller,
        site_id: Id,
        schedule_id: Id,
        data: Annotated[ScheduleChange, Body()],
    ) -> ScheduleOut:
        """The same as `POST .../versions`: a schedule changes only by a new version."""
        return await schedules.change_schedule(caller, site_id, schedule_id, data)

    @delete("/{schedule_id:uuid}", status_code=200)
    async def end_schedule(
        self,
        caller: CurrentCaller,
        site_id: Id,
        schedule_id: Id,
        effective_from: FromQuery[date | None] = None,
        version: Annotated[int | None, QueryParameter(ge=1)] = None,
    ) -> ScheduleOut:
        """Nothing more is due from `effective_from` (default today); the past stays. 409
        `schedule.version_conflict` if `version` is no longer the stored one."""
        return await schedules.end_schedule(
            caller, site_id, schedule_id, in_range(effective_from, "effective_from"), version
        )


class PlanController(Controller):
    path = "/api/sites/{site_id:uuid}/plan"
    tags = ["schedules"]

    @get("/")
    async def month_plan(
        self,
        caller: CurrentCaller,
        site_id: Id,
        month: Annotated[str, QueryParameter(description="YYYY-MM, e.g. 2026-11")],
    ) -> MonthPlan:
        """The month's calendar of recurring work (行事表): every day with what is due."""
        return await plans.plan_month(caller, site_id, month)


class DueController(Controller):
    path = "/api/due"
    tags = ["schedules"]

    @get("/")
    async def list_due(
        self,
        caller: CurrentCaller,
        site_id: FromQuery[uuid.UUID],
        due_scope: Annotated[
            Literal["today", "week", "overdue"], QueryParameter(name="scope")
        ] = "today",
        first_day: Annotated[date | None, QueryParameter(name="from")] = None,
        last_day: Annotated[date | None, QueryParameter(name="to")] = None,
        mine: FromQuery[bool] = False,
        building: FromQuery[uuid.UUID | None] = None,
        checklist: FromQuery[str | None] = None,
        q: Annotated[str | None, QueryParameter(max_length=100)] = None,
        limit: Annotated[int | None, QueryParameter(ge=1, le=1000)] = None,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> DueList:
        """Occurrences with their status as of now, by due time: today's, this week's, the
        overdue ones of the last 60 days, or those dated `from`-`to` (a period, at most 92
        days, as the schedules stood then), with how the done ones came out, the excusal
        beside each excused one (pending and rejected ones too), and the counts by outcome.
        `mine`: on things I keep (an inspector: also those no one keeps); `building`: in
        that place or under it; `checklist`: of one template; `q`: things whose name, or a
        place they are in, holds the text. `limit` and `offset`: one page of the list (all of
        it without `limit`); `counts` and `total` are of the whole list."""
        return await due.list_due(
            caller,
            site_id,
            scope=due_scope,
            first_day=in_range(first_day, "from"),
            last_day=in_range(last_day, "to"),
            mine=mine,
            building=building,
            checklist=checklist,
            text=q,
            limit=limit,
            offset=offset,
        )


class ExcusalController(Controller):
    path = "/api/occurrences/excusals"
    tags = ["schedules"]

    @post("/")
    async def excuse_occurrence(
        self, caller: CurrentCaller, data: Annotated[OccurrenceExcuse, Body()]
    ) -> Response[ExcusalOut]:
        """Excuse an occurrence, "won't do, with a reason" (inspectors and managers): 201
        when stored, 200 when the same excusal arrives again, 409 `occurrence.conflict` for
        its id with other content."""
        stored, created = await excusals.excuse_occurrence(caller, data)
        return Response(stored, status_code=201 if created else 200)

    @post("/decisions")
    async def decide_excusal(
        self, caller: CurrentCaller, data: Annotated[ExcusalDecide, Body()]
    ) -> Response[ExcusalOut]:
        """Approve or reject an excusal (managers): the excusal as decided, 201 when stored,
        200 when the same decision arrives again; 409 `excusal.already_decided` once another
        decision stands, `excusal.conflict` for its id with other content."""
        stored, created = await decisions.decide_excusal(caller, data)
        return Response(stored, status_code=201 if created else 200)

    @get("/{excusal_id:uuid}")
    async def get_excusal(self, caller: CurrentCaller, excusal_id: Id) -> ExcusalOut:
        return await excusals.get_excusal(caller, excusal_id)
