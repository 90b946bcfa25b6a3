"""Inspections: filled-in checklists, judged on arrival against the exact template version
they were made with, and stored once.

`InspectionSubmitted` takes them in through the fact kit (`server.facts`), in bulk, so
that a device's backlog of a thousand inspections costs a handful of queries, not a
thousand round trips: `admit` reads everything a batch needs, validates and evaluates each
submission in Python, and `store` inserts the results with their findings. The REST
endpoint is a batch of one; the sync engine passes whole batches.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from checklists import Evaluation, InvalidAnswers, Template, evaluate
from checklists.answers import evidence_keys
from checklists.templates import PhotoItem, SignatureItem
from server import clock
from server.accounts.access import EVERYONE, MANAGERS, Caller
from server.accounts.sites import get_site
from server.accounts.users import display_names
from server.blobs.blobs import missing_blobs
from server.errors import DomainError, forbidden, not_found
from server.facts import FUTURE_TOLERANCE, Candidate, FactHandler, Plan, Stored
from server.inspections.findings import (
    FindingBook,
    FindingRow,
    finding_out,
    findings_of,
    target_key,
)
from server.inspections.history import identity
from server.inspections.inspection_feed import record_inspections
from server.inspections.tables import Inspection
from server.inspections.wire import Geolocation, InspectionOut, InspectionSubmit
from server.registry.targets import TargetInfo, find_targets
from server.templates.templates import published_versions, template_of_version, versions_by_key
from server.wire import PersonRef
from sync.bulk import insert_rows

SUBMITTERS = EVERYONE - {"auditor"}


def blob_refs(template: Template, answers: dict[str, Any]) -> list[str]:
    """The photos and signatures the answers name (validated: lowercase sha256 strings),
    those taken right under a failing item too."""
    refs: list[str] = []
    for item in template.items:
        keys = [key for key, kind in evidence_keys(item).items() if kind == "photos"]
        if isinstance(item, PhotoItem | SignatureItem):
            keys.insert(0, item.key)
        for key in keys:
            value = answers.get(key)
            for ref in value if isinstance(value, list) else [value]:
                if isinstance(ref, str) and ref and ref not in refs:
                    refs.append(ref)
    return refs


@dataclass(slots=True)
class InspectionRow:
    """An inspection row about to be inserted (plain values: see sync.bulk)."""

    id: uuid.UUID
    site: uuid.UUID
    template: uuid.UUID
    template_key: str
    template_version: int
    asset: uuid.UUID | None
    location: uuid.UUID | None
    inspector: uuid.UUID
    device: uuid.UUID | None
    started_at: datetime
    completed_at: datetime
    received_at: datetime
    latitude: float | None
    longitude: float | None
    accuracy_m: float | None
    note: str
    answers: str
    evaluation: str
    result: str
    score: float
    critical_failure: bool
    supersedes: uuid.UUID | None
    content_sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass
class Judged:
    """What admitting an inspection found, kept for storing and answering it."""

    evaluation: Evaluation
    template: Template | None = None
    findings: list[FindingRow] = field(default_factory=list)
    """Filled in by `store`: the findings it raised."""


class InspectionSubmitted(FactHandler[InspectionSubmit]):
    type = "inspection.submitted"
    body = InspectionSubmit
    noun = "inspection"
    id_code = "inspection.id_not_uuid7"
    conflict_code = "inspection.conflict"
    conflict_detail = (
        "an inspection with this id was stored with different content; the first one "
        "stands (a correction is a new inspection that supersedes it)"
    )
    table = Inspection
    utc_fields = ("started_at", "completed_at")

    async def stored(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, Stored]:
        rows = await Inspection.select(
            Inspection.id, Inspection.site, Inspection.content_sha256, Inspection.evaluation
        ).where(Inspection.id.is_in(ids))
        return {row["id"]: Stored(row["site"], row["content_sha256"], row) for row in rows}

    def current(self, stored: Stored) -> Any:
        return {
            "id": str(stored.row["id"]),
            "content_sha256": stored.digest,
            "evaluation": msgspec.json.decode(stored.row["evaluation"]),
        }

    def answer(self, plan: Plan[InspectionSubmit]) -> Any:
        evaluation = _evaluation(plan)
        return {
            "id": str(plan.body.id),
            "result": evaluation.result,
            "score": evaluation.score,
            "critical_failure": evaluation.critical_failure,
            "failed_items": evaluation.failed_items,
        }

    async def admit(
        self, caller: Caller, candidates: list[Candidate[InspectionSubmit]], *, now: datetime
    ) -> list[Plan[InspectionSubmit] | DomainError]:
        received_at = clock.utcnow()
        results: list[Plan[InspectionSubmit] | DomainError | None] = [
            _static_problem(c.body, now) for c in candidates
        ]
        live = [c.body for c, r in zip(candidates, results, strict=True) if r is None]
        earlier = await _stored({s.supersedes for s in live if s.supersedes is not None})
        assets, locations = await find_targets(
            {s.asset_id for s in live if s.asset_id is not None},
            {s.location_id for s in live if s.location_id is not None},
        )
        versions = await versions_by_key(
            caller.organization_id, {(s.template_key, s.template_version) for s in live}
        )
        batch = _Batch(
            earlier=earlier,
            versions=versions,
            superseded=await _superseded_by({s.supersedes for s in live if s.supersedes}),
            received_at=received_at,
        )
        for index, candidate in enumerate(candidates):
            if results[index] is not None:
                continue
            submission = candidate.body
            target = (
                assets.get(submission.asset_id)
                if submission.asset_id
                else locations.get(submission.location_id)  # type: ignore[arg-type]
            )
            try:
                results[index] = await _admit_one(caller, candidate, target, batch)
            except DomainError as exc:
                if target is not None and target.site_id in caller.roles:
                    exc.site_id = target.site_id
                results[index] = exc
        return results  # type: ignore[return-value]

    async def store(self, caller: Caller, plans: list[Plan[InspectionSubmit]]) -> None:
        rows: list[InspectionRow] = [p.row for p in plans]
        book = await FindingBook.load(
            [(target_key(r.asset, r.location), r.template_key) for r in rows]
        )
        for plan in plans:
            if plan.body.supersedes is not None:
                book.withdraw(plan.body.supersedes)
            judged: Judged = plan.extra
            book.record(plan.row, judged.template, judged.evaluation, plan.body.answers)  # type: ignore[arg-type]
        await insert_rows(Inspection, [row.to_dict() for row in rows])
        await book.write()
        await record_inspections(rows)
        for plan in plans:
            plan.extra.findings = [f for f in book.created if f.inspection == plan.row.id]


SUBMITTED = InspectionSubmitted()


def _evaluation(plan: Plan[InspectionSubmit]) -> Evaluation:
    if plan.outcome == "new":
        return plan.extra.evaluation
    return msgspec.json.decode(plan.row["evaluation"], type=Evaluation)


@dataclass
class _Batch:
    """What admitting a batch reads once and what it has admitted so far: a correction
    may name an inspection earlier in the same batch."""

    earlier: dict[uuid.UUID, dict[str, Any]]
    versions: dict[tuple[str, int], tuple[uuid.UUID, Template]]
    superseded: dict[uuid.UUID, uuid.UUID]
    received_at: datetime
    timezones: dict[uuid.UUID, ZoneInfo] = field(default_factory=dict)
    admitted: dict[uuid.UUID, InspectionRow] = field(default_factory=dict)


def _reject(code: str, detail: str, field: str | None = None, **extra: Any) -> DomainError:
    return DomainError(code, detail, field=field, **extra)


def _static_problem(submission: InspectionSubmit, now: datetime) -> DomainError | None:
    """What can be said of a submission without reading the database."""
    if (submission.asset_id is None) == (submission.location_id is None):
        return _reject(
            "inspection.target_required",
            "an inspection is of exactly one asset or one location",
            "asset_id",
        )
    if submission.completed_at > now + FUTURE_TOLERANCE:
        return _reject(
            "inspection.completed_in_future",
            f"completed_at {submission.completed_at.isoformat()} is after the server's "
            f"time {now.isoformat()} by more than {FUTURE_TOLERANCE}",
            "completed_at",
        )
    if submission.started_at > submission.completed_at:
        return _reject(
            "inspection.started_after_completed",
            "started_at is after completed_at",
            "started_at",
        )
    return None


async def _admit_one(
    caller: Caller,
    candidate: Candidate[InspectionSubmit],
    target: TargetInfo | None,
    batch: _Batch,
) -> Plan[InspectionSubmit]:
    submission = candidate.body
    what = "asset" if submission.asset_id else "location"
    if target is None or target.site_id not in caller.roles:
        raise DomainError("not_found", f"{what} not found", field=f"{what}_id")
    caller.require(target.site_id, SUBMITTERS, what)

    version = batch.versions.get((submission.template_key, submission.template_version))
    if version is None:
        raise await _unknown_template(caller, submission)
    version_id, template = version

    if submission.supersedes is not None:
        _check_supersedes(caller, submission, target, batch)

    zone = batch.timezones.get(target.site_id)
    if zone is None:
        zone = batch.timezones[target.site_id] = ZoneInfo(
            (await get_site(caller, target.site_id)).timezone
        )
    try:
        # Evaluation validates first; problems come back all at once.
        evaluation = evaluate(
            template, submission.answers, today=submission.completed_at.astimezone(zone).date()
        )
    except InvalidAnswers as exc:
        problems = exc.problems
        raise _reject(
            "inspection.invalid_answers",
            f"{len(problems)} problems in the answers; nothing was stored",
            problems[0].path,
            errors=[{"path": p.path, "code": p.code, "reason": p.reason} for p in problems],
        ) from None
    geo = submission.geolocation
    row = InspectionRow(
        id=submission.id,
        site=target.site_id,
        template=version_id,
        template_key=submission.template_key,
        template_version=submission.template_version,
        asset=target.asset_id,
        location=target.location_id,
        inspector=caller.user_id,
        device=caller.device_id,
        started_at=submission.started_at,
        completed_at=submission.completed_at,
        received_at=batch.received_at,
        latitude=geo.latitude if geo else None,
        longitude=geo.longitude if geo else None,
        accuracy_m=geo.accuracy_m if geo else None,
        note=submission.note,
        answers=msgspec.json.encode(submission.answers).decode(),
        evaluation=msgspec.json.encode(evaluation).decode(),
        result=evaluation.result,
        score=evaluation.score,
        critical_failure=evaluation.critical_failure,
        supersedes=submission.supersedes,
        content_sha256=candidate.digest,
    )
    batch.admitted[submission.id] = row
    if submission.supersedes is not None:
        batch.superseded[submission.supersedes] = submission.id
    return candidate.accept(
        target.site_id,
        row,
        blobs=blob_refs(template, submission.answers),
        extra=Judged(evaluation, template),
    )


def _check_supersedes(
    caller: Caller, submission: InspectionSubmit, target: TargetInfo, batch: _Batch
) -> None:
    old_id = submission.supersedes
    assert old_id is not None
    old = batch.earlier.get(old_id)
    if old is None and old_id in batch.admitted:
        row = batch.admitted[old_id]
        old = {
            "site": row.site,
            "asset": row.asset,
            "location": row.location,
            "template_key": row.template_key,
            "inspector": row.inspector,
        }
    if old is None or old["site"] not in caller.roles:
        raise DomainError(
            "not_found", "the superseded inspection was not found", field="supersedes"
        )
    same_target = target_key(old["asset"], old["location"]) == target_key(
        target.asset_id, target.location_id
    )
    if not same_target or old["template_key"] != submission.template_key:
        raise _reject(
            "inspection.supersedes_mismatch",
            "a correction must be of the same target with the same checklist",
            "supersedes",
        )
    if old["inspector"] != caller.user_id and caller.role_at(old["site"]) not in MANAGERS:
        raise forbidden("only the inspector or a manager may correct an inspection")
    if old_id in batch.superseded:
        raise _reject(
            "inspection.already_superseded",
            f"inspection {old_id} was already corrected by {batch.superseded[old_id]}",
            "supersedes",
        )


async def _unknown_template(caller: Caller, submission: InspectionSubmit) -> DomainError:
    versions = await published_versions(caller.organization_id, submission.template_key)
    if not versions:
        return _reject(
            "inspection.unknown_template",
            f"no checklist template {submission.template_key!r}",
            "template_key",
        )
    known = ", ".join(str(v) for v in versions)
    return _reject(
        "inspection.unknown_version",
        f"template {submission.template_key!r} has no version {submission.template_version}"
        f" (published: {known})",
        "template_version",
    )


async def _stored(ids: set[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    if not ids:
        return {}
    rows = await Inspection.select(
        Inspection.id,
        Inspection.site,
        Inspection.asset,
        Inspection.location,
        Inspection.template_key,
        Inspection.inspector,
    ).where(Inspection.id.is_in(list(ids)))
    return {row["id"]: row for row in rows}


async def _superseded_by(ids: set[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """For each of these inspections that a correction names: the correction's id."""
    if not ids:
        return {}
    rows = await Inspection.select(Inspection.id, Inspection.supersedes).where(
        Inspection.supersedes.is_in(list(ids))
    )
    return {row["supersedes"]: row["id"] for row in rows}


async def submit_inspection(
    caller: Caller, submission: InspectionSubmit
) -> tuple[InspectionOut, bool]:
    """Store one inspection; the flag says whether it is new. Sending the same id with the
    same content again returns the stored inspection."""
    for attempt in range(2):
        try:
            plan = await SUBMITTED.accept(caller, submission)
            break
        except DomainError:
            raise
        except Exception:
            # A concurrent submission of the same id won the race; planning again sees it.
            if attempt == 1 or not await Inspection.exists().where(Inspection.id == submission.id):
                raise
    if plan.outcome == "duplicate":
        return await get_inspection(caller, submission.id), False
    return await _fresh(caller, plan), True


async def _fresh(caller: Caller, plan: Plan[InspectionSubmit]) -> InspectionOut:
    """The answer for a new inspection, from what was just written (no second read)."""
    row: InspectionRow = plan.row
    judged: Judged = plan.extra
    return InspectionOut(
        id=row.id,
        site_id=row.site,
        template_key=row.template_key,
        template_version=row.template_version,
        asset_id=row.asset,
        location_id=row.location,
        inspector=PersonRef(id=caller.user_id, name=caller.display_name),
        device_id=row.device,
        started_at=row.started_at,
        completed_at=row.completed_at,
        received_at=row.received_at,
        geolocation=plan.body.geolocation,
        note=row.note,
        supersedes=row.supersedes,
        superseded_by=None,
        answers=plan.body.answers,
        evaluation=judged.evaluation,
        findings=sorted(
            (finding_out(f.to_dict()) for f in judged.findings), key=lambda f: f.item_key
        ),
        missing_blobs=await missing_blobs(row.site, plan.blobs),
    )


async def get_inspection(caller: Caller, inspection_id: uuid.UUID) -> InspectionOut:
    row = await Inspection.select().where(Inspection.id == inspection_id).first()
    if row is None or row["site"] not in caller.roles:
        raise not_found("inspection")
    names = await display_names([row["inspector"]])
    superseded = await _superseded_by({row["id"]})
    findings = await findings_of([row["id"]])
    answers = msgspec.json.decode(row["answers"])
    evaluation = msgspec.json.decode(row["evaluation"], type=Evaluation)
    refs = blob_refs(await template_of_version(row["template"]), answers)
    return InspectionOut(
        **identity(row, names),
        device_id=row["device"],
        started_at=row["started_at"],
        completed_at=row["completed_at"],
        received_at=row["received_at"],
        geolocation=(
            Geolocation(
                latitude=row["latitude"],
                longitude=row["longitude"],
                accuracy_m=row["accuracy_m"],
            )
            if row["latitude"] is not None
            else None
        ),
        note=row["note"],
        supersedes=row["supersedes"],
        superseded_by=superseded.get(row["id"]),
        answers=answers,
        evaluation=evaluation,
        findings=findings.get(row["id"], []),
        missing_blobs=await missing_blobs(row["site"], refs),
    )
