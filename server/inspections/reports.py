"""Hazard reports and repair requests: anyone at a site raises one, from a tag scan (the
thing is known) or by choosing a place, online or offline. Each is a fact, stored once, and
becomes a corrective action whose requester signs it off."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from server.accounts.access import EVERYONE, Caller
from server.clock import utcnow
from server.db import transaction
from server.errors import DomainError
from server.inspections import actions
from server.inspections.inspections import FUTURE_TOLERANCE
from server.inspections.tables import CorrectiveAction, Report
from server.inspections.wire import ActionOut, ReportSubmit
from server.registry.targets import find_targets
from sync.bulk import insert_rows

REPORTERS = EVERYONE - {"auditor"}


@dataclass
class ReportPlan:
    report: ReportSubmit
    outcome: str
    """new or duplicate."""
    site_id: uuid.UUID
    row: dict[str, Any] | None = None


def _digest(report: ReportSubmit) -> str:
    canonical = msgspec.structs.replace(report, reported_at=report.reported_at.astimezone(UTC))
    return hashlib.sha256(msgspec.json.encode(canonical, order="sorted")).hexdigest()


async def plan_reports(
    caller: Caller, reports: list[ReportSubmit], *, now: datetime | None = None
) -> list[ReportPlan | DomainError]:
    received = utcnow()
    now = max(now or received, received)
    stored = {
        row["id"]: row
        for row in await Report.select(Report.id, Report.site, Report.content_sha256).where(
            Report.id.is_in([r.id for r in reports] or [uuid.UUID(int=0)])
        )
    }
    assets, locations = await find_targets(
        {r.asset_id for r in reports if r.asset_id},
        {r.location_id for r in reports if r.location_id},
    )
    results: list[ReportPlan | DomainError] = []
    for report in reports:
        try:
            results.append(
                _plan_one(caller, report, stored, assets, locations, now=now, received=received)
            )
        except DomainError as exc:
            results.append(exc)
    return results


def _plan_one(
    caller: Caller,
    report: ReportSubmit,
    stored: dict[uuid.UUID, dict[str, Any]],
    assets: dict,
    locations: dict,
    *,
    now: datetime,
    received: datetime,
) -> ReportPlan:
    digest = _digest(report)
    earlier = stored.get(report.id)
    if earlier is not None:
        caller.require(earlier["site"], EVERYONE, "report")
        if earlier["content_sha256"] != digest:
            raise DomainError(
                "report.conflict",
                "a report with this id was stored with different content; the first stands",
                field="id",
            )
        return ReportPlan(report, "duplicate", earlier["site"])
    if (report.asset_id is None) == (report.location_id is None):
        raise DomainError(
            "report.target_required",
            "a report is about exactly one asset or one location",
            field="asset_id",
        )
    what = "asset" if report.asset_id else "location"
    target = assets.get(report.asset_id) if report.asset_id else locations.get(report.location_id)
    if target is None or target.site_id not in caller.roles:
        raise DomainError("not_found", f"{what} not found", field=f"{what}_id")
    caller.require(target.site_id, REPORTERS, what)
    if report.reported_at > now + FUTURE_TOLERANCE:
        raise DomainError(
            "report.reported_in_future",
            "reported_at is in the future beyond the tolerated clock drift",
            field="reported_at",
        )
    stored[report.id] = {"id": report.id, "site": target.site_id, "content_sha256": digest}
    row = {
        "id": report.id,
        "site": target.site_id,
        "kind": report.kind,
        "asset": target.asset_id,
        "location": target.location_id,
        "description": report.description,
        "photos": msgspec.json.encode(report.photos).decode(),
        "size": report.size,
        "reporter": caller.user_id,
        "reported_at": report.reported_at,
        "received_at": received,
        "content_sha256": digest,
    }
    return ReportPlan(report, "new", target.site_id, row)


async def write_reports(plans: list[ReportPlan]) -> None:
    new = [p for p in plans if p.row is not None]
    await insert_rows(Report, [p.row for p in new])  # type: ignore[misc]
    await actions.raise_actions(
        [
            actions.NewAction(
                site=p.site_id,
                source=p.report.kind,
                title=_title(p.report.description),
                title_en="",
                raised_at=p.report.reported_at,
                requester=p.row["reporter"],  # type: ignore[index]
                asset=p.row["asset"],  # type: ignore[index]
                location=p.row["location"],  # type: ignore[index]
                report=p.report.id,
                description=p.report.description,
                priority="high" if p.report.kind == "hazard" else "normal",
                size=p.report.size,
            )
            for p in new
        ]
    )


def _title(description: str) -> str:
    first = description.strip().splitlines()[0] if description.strip() else ""
    return first[:60]


async def submit_report(caller: Caller, report: ReportSubmit) -> tuple[ActionOut, bool]:
    """Store a report and raise its action; the same report again returns that action."""
    async with transaction():
        plan = (await plan_reports(caller, [report]))[0]
        if isinstance(plan, DomainError):
            raise plan
        await write_reports([plan])
    row = await CorrectiveAction.select().where(CorrectiveAction.report == report.id).first()
    return actions.action_out(row), plan.outcome == "new"
