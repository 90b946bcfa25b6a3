"""Hazard reports and repair requests: anyone at a site raises one, from a tag scan (the
thing is known) or by choosing a place, online or offline. Each is a fact, stored once, and
becomes a corrective action whose requester signs it off."""

from __future__ import annotations

from datetime import datetime

import msgspec

from server import clock
from server.accounts.access import EVERYONE, Caller
from server.actions import actions
from server.actions.tables import CorrectiveAction, HazardReport
from server.actions.wire import ActionEvidence, ActionOut, HazardReportSubmit
from server.errors import DomainError
from server.facts import FUTURE_TOLERANCE, Candidate, FactHandler, Plan
from server.registry.targets import find_targets
from sync.bulk import insert_rows

REPORTERS = EVERYONE - {"auditor"}


class HazardReported(FactHandler[HazardReportSubmit]):
    """A hazard report or repair request (the `hazard.reported` op and `POST /api/reports`)."""

    type = "hazard.reported"
    body = HazardReportSubmit
    noun = "report"
    id_code = "report.id_not_uuid7"
    conflict_code = "report.conflict"
    table = HazardReport
    utc_fields = ("reported_at",)

    async def admit(
        self, caller: Caller, candidates: list[Candidate[HazardReportSubmit]], *, now: datetime
    ) -> list[Plan[HazardReportSubmit] | DomainError]:
        received = clock.utcnow()
        assets, locations = await find_targets(
            {c.body.asset_id for c in candidates if c.body.asset_id},
            {c.body.location_id for c in candidates if c.body.location_id},
        )
        results: list[Plan[HazardReportSubmit] | DomainError] = []
        for candidate in candidates:
            report = candidate.body
            try:
                if (report.asset_id is None) == (report.location_id is None):
                    raise DomainError(
                        "report.target_required",
                        "a report is about exactly one asset or one location",
                        field="asset_id",
                    )
                what = "asset" if report.asset_id else "location"
                target = (
                    assets.get(report.asset_id)
                    if report.asset_id
                    else locations.get(report.location_id)  # type: ignore[arg-type]
                )
                if target is None or target.site_id not in caller.roles:
                    raise DomainError("not_found", f"{what} not found", field=f"{what}_id")
                caller.require(target.site_id, REPORTERS, what)
                if report.reported_at > now + FUTURE_TOLERANCE:
                    raise DomainError(
                        "report.reported_in_future",
                        "reported_at is in the future beyond the tolerated clock drift",
                        field="reported_at",
                    )
            except DomainError as exc:
                results.append(exc)
                continue
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
                "content_sha256": candidate.digest,
            }
            results.append(candidate.accept(target.site_id, row, blobs=report.photos))
        return results

    async def store(self, caller: Caller, plans: list[Plan[HazardReportSubmit]]) -> None:
        await insert_rows(HazardReport, [p.row for p in plans])
        await actions.raise_actions(
            [
                actions.NewAction(
                    site=p.site_id,
                    source=p.body.kind,
                    title=_title(p.body.description),
                    title_en="",
                    raised_at=p.body.reported_at,
                    requester=p.row["reporter"],
                    asset=p.row["asset"],
                    location=p.row["location"],
                    report=p.body.id,
                    description=p.body.description,
                    priority="high" if p.body.kind == "hazard" else "normal",
                    size=p.body.size,
                    evidence=ActionEvidence(photos=p.body.photos),
                )
                for p in plans
            ]
        )


REPORTED = HazardReported()


def _title(description: str) -> str:
    first = description.strip().splitlines()[0] if description.strip() else ""
    return first[:60]


async def submit_report(caller: Caller, report: HazardReportSubmit) -> tuple[ActionOut, bool]:
    """Store a report and raise its action; the same report again returns that action."""
    plan = await REPORTED.accept(caller, report)
    row = await CorrectiveAction.select().where(CorrectiveAction.report == report.id).first()
    assert row is not None, "storing a report raises its action in the same transaction"
    return actions.action_out(row), plan.outcome == "new"
