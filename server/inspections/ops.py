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
from server.inspections.inspections import Plan, SubmissionBatch, plan
from server.inspections.wire import InspectionSubmit
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
