from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.params import Body, FromQuery, Parameter, QueryParameter

from checklists import SchoolCalendar
from server.deps import AppSettings, CurrentCaller
from server.inspections import (
    actions,
    calendars,
    due,
    excusals,
    findings,
    history,
    inspections,
    reports,
    scans,
    schedules,
    site_checklists,
    templates,
)
from server.inspections.wire import (
    ActionDetail,
    ActionOut,
    ActionPage,
    ActionTransition,
    CalendarOut,
    DueList,
    ExcusalOut,
    FindingOut,
    InspectionOut,
    InspectionPage,
    InspectionSubmit,
    MonthPlan,
    OccurrenceExcuse,
    ReportSubmit,
    ScheduleChange,
    ScheduleCreate,
    ScheduleOut,
    ServiceLevelOut,
    ServiceLevelSet,
    SiteChecklistOut,
    SiteChecklistSet,
    TagScan,
    TemplatePublished,
    TemplateSummary,
    TemplateVersionOut,
    TransitionResult,
)

Key = Annotated[str, Parameter(description="template key, e.g. fire_extinguisher_monthly")]
Code = Annotated[str, Parameter(description="tag code, e.g. K7QM-X3P9")]
Id = Annotated[uuid.UUID, Parameter()]
Limit = Annotated[int, QueryParameter(ge=1, le=200)]


class TemplateController(Controller):
    path = "/api/templates"
    tags = ["inspections"]

    @get("/")
    async def list_templates(self, caller: CurrentCaller) -> list[TemplateSummary]:
        """The latest version of every template of the caller's organization."""
        return await templates.list_templates(caller)

    @post("/")
    async def publish_template(
        self,
        caller: CurrentCaller,
        request: Request,
        format: FromQuery[Literal["yaml", "json"]] = "yaml",
    ) -> TemplatePublished:
        """The template file is the raw request body. A changed template becomes a new
        version; the same content again publishes nothing."""
        template = templates.read_template(await request.body(), format)
        return await templates.publish_for(caller, template)

    @get("/{key:str}")
    async def get_template(self, caller: CurrentCaller, key: Key) -> TemplateVersionOut:
        return await templates.get_template(caller, key)

    @get("/{key:str}/versions/{version:int}")
    async def get_template_version(
        self, caller: CurrentCaller, key: Key, version: Annotated[int, Parameter(ge=1)]
    ) -> TemplateVersionOut:
        return await templates.get_template(caller, key, version)


class ScanController(Controller):
    path = "/api/tags"
    tags = ["inspections"]

    @get("/{code:str}")
    async def scan_tag(self, caller: CurrentCaller, settings: AppSettings, code: Code) -> TagScan:
        """What a scanned tag points at, the checklists that apply to it at its site with
        the last inspection of each, and its open findings."""
        return await scans.scan_tag(caller, code, settings.public_url)


class SiteChecklistController(Controller):
    path = "/api/sites/{site_id:uuid}/checklists"
    tags = ["inspections"]

    @get("/")
    async def list_site_checklists(
        self, caller: CurrentCaller, site_id: Id
    ) -> list[SiteChecklistOut]:
        """Where each template applies at this site."""
        return await site_checklists.list_site_checklists(caller, site_id)

    @put("/{key:str}")
    async def set_site_checklist(
        self,
        caller: CurrentCaller,
        site_id: Id,
        key: Key,
        data: Annotated[SiteChecklistSet, Body()],
    ) -> SiteChecklistOut:
        """Replace the template's own `applies_to` at this site (or switch it off)."""
        return await site_checklists.set_site_checklist(caller, site_id, key, data)

    @delete("/{key:str}", status_code=200)
    async def clear_site_checklist(
        self, caller: CurrentCaller, site_id: Id, key: Key
    ) -> SiteChecklistOut:
        """Back to the template's own `applies_to`."""
        return await site_checklists.clear_site_checklist(caller, site_id, key)


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
            result=result,
            completed_from=completed_from,
            completed_to=completed_to,
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
        status: FromQuery[Literal["open", "rechecked", "withdrawn"] | None] = None,
        severity: FromQuery[Literal["high", "normal"] | None] = None,
        asset_id: FromQuery[uuid.UUID | None] = None,
        location_id: FromQuery[uuid.UUID | None] = None,
        limit: Limit = 100,
    ) -> list[FindingOut]:
        return await findings.list_findings(
            caller,
            site_id=site_id,
            status=status,
            severity=severity,
            asset_id=asset_id,
            location_id=location_id,
            limit=limit,
        )

    @get("/{finding_id:uuid}")
    async def get_finding(self, caller: CurrentCaller, finding_id: Id) -> FindingOut:
        return await findings.get_finding(caller, finding_id)


class ReportController(Controller):
    path = "/api/reports"
    tags = ["actions"]

    @post("/")
    async def submit_report(
        self, caller: CurrentCaller, data: Annotated[ReportSubmit, Body()]
    ) -> Response[ActionOut]:
        """A hazard report or repair request; answers the corrective action it raised
        (201, or 200 when the same report arrives again)."""
        action, created = await reports.submit_report(caller, data)
        return Response(action, status_code=201 if created else 200)


class ActionController(Controller):
    path = "/api/actions"
    tags = ["actions"]

    @get("/")
    async def list_actions(
        self,
        caller: CurrentCaller,
        site_id: FromQuery[uuid.UUID | None] = None,
        action_state: Annotated[
            Literal["open", "in_progress", "fixed", "verified", "cancelled"] | None,
            QueryParameter(name="state"),
        ] = None,
        mine: FromQuery[bool] = False,
        overdue: FromQuery[bool] = False,
        oldest_first: FromQuery[bool] = False,
        limit: Limit = 100,
    ) -> ActionPage:
        """My actions (`mine`), a site's by state, the overdue ones, oldest first by age."""
        return await actions.list_actions(
            caller,
            site_id=site_id,
            state=action_state,
            mine=mine,
            overdue=overdue,
            oldest_first=oldest_first,
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
        return await actions.list_service_levels(caller, site_id)

    @put("/{size:str}")
    async def set_service_level(
        self,
        caller: CurrentCaller,
        site_id: Id,
        size: Annotated[Literal["small", "large", "major"], Parameter()],
        data: Annotated[ServiceLevelSet, Body()],
    ) -> list[ServiceLevelOut]:
        """How many working days after the day it was raised an action of this size is due."""
        return await actions.set_service_level(caller, site_id, size, data)


class CalendarController(Controller):
    path = "/api/sites/{site_id:uuid}/calendar"
    tags = ["schedules"]

    @get("/")
    async def get_calendar(self, caller: CurrentCaller, site_id: Id) -> CalendarOut:
        """The site's terms, holidays and make-up school days (version 0: none set yet)."""
        return await calendars.get_calendar(caller, site_id)

    @put("/")
    async def set_calendar(
        self, caller: CurrentCaller, site_id: Id, data: Annotated[SchoolCalendar, Body()]
    ) -> CalendarOut:
        """Replace the calendar (managers). 409 `calendar.past_changed` if it would change a
        past day a schedule was in force on."""
        return await calendars.set_calendar(caller, site_id, data)


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
    ) -> ScheduleOut:
        """Nothing more is due from `effective_from` (default today); the past stays."""
        return await schedules.end_schedule(caller, site_id, schedule_id, effective_from)


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
        return await due.plan_month(caller, site_id, month)


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
    ) -> DueList:
        """Occurrences with their status as of now, by due time: today's, this week's, the
        overdue ones of the last 60 days, or those dated `from`-`to` (a period, at most 92
        days, as the schedules stood then). `mine`: on things I keep (an inspector: also
        those no one keeps)."""
        return await due.list_due(
            caller,
            site_id,
            scope=due_scope,
            first_day=first_day,
            last_day=last_day,
            mine=mine,
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

    @get("/{excusal_id:uuid}")
    async def get_excusal(self, caller: CurrentCaller, excusal_id: Id) -> ExcusalOut:
        return await excusals.get_excusal(caller, excusal_id)
