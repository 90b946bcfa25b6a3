"""Inspections arriving through sync: the `inspection.submitted` op.

The same planning and writing serve the REST endpoint and a pushed batch, so an
inspection means the same whichever way it arrived; here a batch's outcomes are only
translated into the sync engine's terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from server.accounts.access import Caller
from server.errors import DomainError
from server.inspections.actions import StepPlan, plan_steps, write_steps
from server.inspections.excusals import ExcusalPlan, plan_excusals, write_excusals
from server.inspections.inspections import Plan, SubmissionBatch, plan
from server.inspections.reports import ReportPlan, plan_reports, write_reports
from server.inspections.wire import (
    ActionTransition,
    InspectionSubmit,
    OccurrenceExcuse,
    ReportSubmit,
)
from sync.engine import Outcome
from sync.wire import APPLIED, CONFLICT, DUPLICATE, REJECTED

CONFLICTS = frozenset({"inspection.conflict", "inspection.already_superseded"})


@dataclass
class _Prepared:
    batch: SubmissionBatch
    outcomes: list[Outcome]

    async def write(self) -> None:
        await self.batch.write()


class InspectionSubmitted:
    type = "inspection.submitted"
    versions = frozenset({1})

    def decode(self, v: int, body: msgspec.Raw) -> InspectionSubmit:
        return msgspec.json.decode(body, type=InspectionSubmit)

    async def prepare(self, principal: Caller, bodies: list[Any], *, now: datetime) -> _Prepared:
        batch = await plan(principal, bodies, now=now)
        return _Prepared(batch, [_outcome(result) for result in batch.results])


def _outcome(result: Plan | DomainError) -> Outcome:
    if isinstance(result, DomainError):
        return Outcome(
            status=CONFLICT if result.code in CONFLICTS else REJECTED,
            code=result.code,
            detail=result.detail,
            field=f"body.{result.field}" if result.field else "body",
            current=result.current,
            result={"errors": result.errors} if result.errors else None,
            scope=str(result.site_id) if result.site_id else None,
        )
    evaluation = result.evaluation
    return Outcome(
        status=APPLIED if result.outcome == "new" else DUPLICATE,
        result={
            "id": str(result.submission.id),
            "result": evaluation.result,
            "score": evaluation.score,
            "critical_failure": evaluation.critical_failure,
            "failed_items": evaluation.failed_items,
        },
        scope=str(result.site_id),
        blobs=result.blobs,
    )


@dataclass
class _PreparedReports:
    plans: list[ReportPlan | DomainError]
    outcomes: list[Outcome]

    async def write(self) -> None:
        await write_reports([p for p in self.plans if isinstance(p, ReportPlan)])


class HazardReported:
    """A hazard report or repair request (a fact)."""

    type = "hazard.reported"
    versions = frozenset({1})

    def decode(self, v: int, body: msgspec.Raw) -> ReportSubmit:
        return msgspec.json.decode(body, type=ReportSubmit)

    async def prepare(
        self, principal: Caller, bodies: list[Any], *, now: datetime
    ) -> _PreparedReports:
        plans = await plan_reports(principal, bodies, now=now)
        outcomes = [
            _refusal(p, conflicts=frozenset({"report.conflict"}))
            if isinstance(p, DomainError)
            else Outcome(
                status=APPLIED if p.outcome == "new" else DUPLICATE,
                result={"id": str(p.report.id)},
                scope=str(p.site_id),
                blobs=list(p.report.photos),
            )
            for p in plans
        ]
        return _PreparedReports(plans, outcomes)


@dataclass
class _PreparedSteps:
    caller: Caller
    plans: list[StepPlan | DomainError]
    outcomes: list[Outcome]

    async def write(self) -> None:
        await write_steps([p for p in self.plans if isinstance(p, StepPlan)], self.caller)


class ActionTransitioned:
    """A step in a corrective action's life, carrying the version the person saw (R18-R20)."""

    type = "action.transitioned"
    versions = frozenset({1})

    def decode(self, v: int, body: msgspec.Raw) -> ActionTransition:
        return msgspec.json.decode(body, type=ActionTransition)

    async def prepare(
        self, principal: Caller, bodies: list[Any], *, now: datetime
    ) -> _PreparedSteps:
        plans = await plan_steps(principal, bodies)
        outcomes = [
            _refusal(p, conflicts=frozenset({"action.conflict", "action.step_conflict"}))
            if isinstance(p, DomainError)
            else Outcome(
                status=DUPLICATE if p.outcome == "duplicate" else APPLIED,
                parallel=p.outcome == "parallel",
                result={"action_id": str(p.step.action_id), "event_id": str(p.event_id)},
                scope=str(p.action["site"]),
                blobs=list(p.step.photos),
            )
            for p in plans
        ]
        return _PreparedSteps(principal, plans, outcomes)


@dataclass
class _PreparedExcusals:
    plans: list[ExcusalPlan | DomainError]
    outcomes: list[Outcome]

    async def write(self) -> None:
        await write_excusals([p for p in self.plans if isinstance(p, ExcusalPlan)])


class OccurrenceExcused:
    """An occurrence on one target excused, "won't do, with a reason" (a fact)."""

    type = "occurrence.excused"
    versions = frozenset({1})

    def decode(self, v: int, body: msgspec.Raw) -> OccurrenceExcuse:
        return msgspec.json.decode(body, type=OccurrenceExcuse)

    async def prepare(
        self, principal: Caller, bodies: list[Any], *, now: datetime
    ) -> _PreparedExcusals:
        plans = await plan_excusals(principal, bodies)
        outcomes = [
            _refusal(p, conflicts=frozenset({"occurrence.conflict"}))
            if isinstance(p, DomainError)
            else Outcome(
                status=APPLIED if p.outcome == "new" else DUPLICATE,
                result={"id": str(p.excusal.id)},
                scope=str(p.site_id),
            )
            for p in plans
        ]
        return _PreparedExcusals(plans, outcomes)


def _refusal(error: DomainError, *, conflicts: frozenset[str]) -> Outcome:
    return Outcome(
        status=CONFLICT if error.code in conflicts else REJECTED,
        code=error.code,
        detail=error.detail,
        field=f"body.{error.field}" if error.field else "body",
        current=error.current,
        scope=str(error.site_id) if error.site_id else None,
    )
