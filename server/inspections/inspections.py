"""Inspections: filled-in checklists, judged on arrival against the exact template version
they were made with, and stored once.

Submissions are planned in bulk and written in bulk, so that a device's backlog of a
thousand inspections costs a handful of queries, not a thousand round trips: `plan`
reads everything a batch needs, validates and evaluates each submission in Python, and
`SubmissionBatch.write` inserts the results. The REST endpoint is a batch of one; the
sync engine passes whole batches.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import msgspec

from checklists import Evaluation, InvalidAnswers, Template, evaluate
from checklists.templates import PhotoItem, SignatureItem
from server.accounts.access import EVERYONE, MANAGERS, Caller
from server.accounts.sites import get_site
from server.accounts.users import display_names
from server.blobs.blobs import missing_blobs
from server.clock import utcnow
from server.db import transaction
from server.errors import DomainError, forbidden, not_found
from server.inspections.findings import FindingBook, finding_out, findings_of, target_key
from server.inspections.history import identity
from server.inspections.inspection_feed import record_inspections
from server.inspections.tables import Inspection, TemplateVersion
from server.inspections.templates import decode_version, versions_by_key
from server.inspections.wire import (
    Geolocation,
    InspectionOut,
    InspectionSubmit,
    PersonRef,
)
from server.registry.targets import TargetInfo, find_targets
from sync.bulk import insert_rows

SUBMITTERS = EVERYONE - {"auditor"}
FUTURE_TOLERANCE = timedelta(minutes=5)
"""How far past the server's clock a completion time may lie: phones' clocks drift."""

Outcome = Literal["new", "duplicate"]


def content_sha256(submission: InspectionSubmit) -> str:
    """Of the submission as sent, times in UTC: a retry from the same device, or the same
    record relayed another way, hashes the same."""
    canonical = msgspec.structs.replace(
        submission,
        started_at=submission.started_at.astimezone(UTC),
        completed_at=submission.completed_at.astimezone(UTC),
    )
    return hashlib.sha256(msgspec.json.encode(canonical, order="sorted")).hexdigest()


def blob_refs(template: Template, answers: dict[str, Any]) -> list[str]:
    """The photos and signatures the answers name (validated: lowercase sha256 strings)."""
    refs: list[str] = []
    for item in template.items:
        if isinstance(item, PhotoItem | SignatureItem):
            value = answers.get(item.key)
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
class Plan:
    """One submission that will be stored (`new`) or already was (`duplicate`)."""

    submission: InspectionSubmit
    outcome: Outcome
    site_id: uuid.UUID
    evaluation: Evaluation
    blobs: list[str]
    row: InspectionRow | None = None


@dataclass
class SubmissionBatch:
    results: list[Plan | DomainError]
    book: FindingBook = field(default_factory=FindingBook)

    async def write(self) -> None:
        rows = [p.row for p in self.results if isinstance(p, Plan) and p.row]
        await insert_rows(Inspection, [row.to_dict() for row in rows])
        await self.book.write()
        await record_inspections(rows)


def _reject(code: str, detail: str, field: str | None = None, **extra: Any) -> DomainError:
    return DomainError(code, detail, field=field, **extra)


def _static_problem(submission: InspectionSubmit, now: datetime) -> DomainError | None:
    """What can be said of a submission without reading the database."""
    if submission.id.version != 7:
        return _reject(
            "inspection.id_not_uuid7", "the id must be a UUIDv7 made on the device", "id"
        )
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


async def plan(
    caller: Caller, submissions: list[InspectionSubmit], *, now: datetime | None = None
) -> SubmissionBatch:
    """Validate and evaluate a batch, reading what it needs in a few bulk queries. Each
    result is a Plan or the DomainError refusing that submission; one bad submission never
    stops the others. Call inside the transaction that will write the batch.

    `now` is the latest completion time believed: a device whose clock runs ahead is
    believed up to its own clock, since a wrong clock must not lose a record."""
    received_at = utcnow()
    now = max(now or received_at, received_at)
    results: list[Plan | DomainError | None] = [_static_problem(s, now) for s in submissions]
    live = [s for s, r in zip(submissions, results, strict=True) if r is None]

    digests = {id(s): content_sha256(s) for s in live}
    stored = await _stored(
        {s.id for s in live} | {s.supersedes for s in live if s.supersedes is not None}
    )
    assets, locations = await find_targets(
        {s.asset_id for s in live if s.asset_id is not None},
        {s.location_id for s in live if s.location_id is not None},
    )
    versions = await versions_by_key(
        caller.organization_id, {(s.template_key, s.template_version) for s in live}
    )
    superseded = await _superseded_by({s.supersedes for s in live if s.supersedes})
    timezones: dict[uuid.UUID, ZoneInfo] = {}
    seen: dict[uuid.UUID, Plan] = {}

    for index, submission in enumerate(submissions):
        if results[index] is not None:
            continue
        try:
            results[index] = await _plan_one(
                caller,
                submission,
                digests[id(submission)],
                stored=stored,
                seen=seen,
                target=(
                    assets.get(submission.asset_id)
                    if submission.asset_id
                    else locations.get(submission.location_id)  # type: ignore[arg-type]
                ),
                versions=versions,
                superseded=superseded,
                timezones=timezones,
                received_at=received_at,
            )
        except DomainError as exc:
            target = (
                assets.get(submission.asset_id)
                if submission.asset_id
                else locations.get(submission.location_id)  # type: ignore[arg-type]
            )
            if target is not None and target.site_id in caller.roles:
                exc.site_id = target.site_id
            results[index] = exc

    plans = [r for r in results if isinstance(r, Plan)]
    new = [p for p in plans if p.outcome == "new" and p.row is not None]
    batch = SubmissionBatch(results=results)  # type: ignore[arg-type]
    if new:
        batch.book = await FindingBook.load(
            [(target_key(p.row.asset, p.row.location), p.row.template_key) for p in new]  # type: ignore[union-attr]
        )
        for p in new:
            if p.submission.supersedes is not None:
                batch.book.withdraw(p.submission.supersedes)
            template = versions[(p.submission.template_key, p.submission.template_version)][1]
            batch.book.record(p.row, template, p.evaluation, p.submission.answers)  # type: ignore[arg-type]
    return batch


async def _plan_one(
    caller: Caller,
    submission: InspectionSubmit,
    digest: str,
    *,
    stored: dict[uuid.UUID, dict[str, Any]],
    seen: dict[uuid.UUID, Plan],
    target: TargetInfo | None,
    versions: dict[tuple[str, int], tuple[uuid.UUID, Template]],
    superseded: dict[uuid.UUID, uuid.UUID],
    timezones: dict[uuid.UUID, ZoneInfo],
    received_at: datetime,
) -> Plan:
    earlier = stored.get(submission.id)
    if earlier is not None or submission.id in seen:
        earlier_digest = (
            earlier["content_sha256"]
            if earlier is not None
            else seen[submission.id].row.content_sha256  # type: ignore[union-attr]
        )
        if earlier_digest != digest:
            kept = earlier or {}
            raise _reject(
                "inspection.conflict",
                "an inspection with this id was stored with different content; "
                "the first one stands (a correction is a new inspection that supersedes it)",
                "id",
                current={
                    "id": str(submission.id),
                    "content_sha256": earlier_digest,
                    "evaluation": msgspec.json.decode(kept["evaluation"])
                    if "evaluation" in kept
                    else None,
                },
            )
        if earlier is not None:
            caller.require(earlier["site"], EVERYONE, "inspection")
            evaluation = msgspec.json.decode(earlier["evaluation"], type=Evaluation)
            site_id = earlier["site"]
        else:
            evaluation, site_id = seen[submission.id].evaluation, seen[submission.id].site_id
        blobs = seen[submission.id].blobs if submission.id in seen else []
        return Plan(submission, "duplicate", site_id, evaluation, blobs)

    what = "asset" if submission.asset_id else "location"
    if target is None or target.site_id not in caller.roles:
        raise DomainError("not_found", f"{what} not found", field=f"{what}_id")
    caller.require(target.site_id, SUBMITTERS, what)

    version = versions.get((submission.template_key, submission.template_version))
    if version is None:
        raise await _unknown_template(caller, submission)
    version_id, template = version

    if submission.supersedes is not None:
        _check_supersedes(caller, submission, target, stored, seen, superseded)

    zone = timezones.get(target.site_id)
    if zone is None:
        zone = timezones[target.site_id] = ZoneInfo(
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
        received_at=received_at,
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
        content_sha256=digest,
    )
    planned = Plan(
        submission,
        "new",
        target.site_id,
        evaluation,
        blob_refs(template, submission.answers),
        row,
    )
    seen[submission.id] = planned
    if submission.supersedes is not None:
        superseded[submission.supersedes] = submission.id
    return planned


def _check_supersedes(
    caller: Caller,
    submission: InspectionSubmit,
    target: TargetInfo,
    stored: dict[uuid.UUID, dict[str, Any]],
    seen: dict[uuid.UUID, Plan],
    superseded: dict[uuid.UUID, uuid.UUID],
) -> None:
    old_id = submission.supersedes
    assert old_id is not None
    old = stored.get(old_id)
    if old is None and old_id in seen and seen[old_id].row is not None:
        row = seen[old_id].row
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
    if old_id in superseded:
        raise _reject(
            "inspection.already_superseded",
            f"inspection {old_id} was already corrected by {superseded[old_id]}",
            "supersedes",
        )


async def _unknown_template(caller: Caller, submission: InspectionSubmit) -> DomainError:
    rows = await TemplateVersion.select(TemplateVersion.version).where(
        (TemplateVersion.organization == caller.organization_id)
        & (TemplateVersion.key == submission.template_key)
    )
    if not rows:
        return _reject(
            "inspection.unknown_template",
            f"no checklist template {submission.template_key!r}",
            "template_key",
        )
    known = ", ".join(str(v) for v in sorted(r["version"] for r in rows))
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
        Inspection.content_sha256,
        Inspection.evaluation,
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
            async with transaction():
                batch = await plan(caller, [submission])
                result = batch.results[0]
                if isinstance(result, DomainError):
                    raise result
                await batch.write()
            break
        except DomainError:
            raise
        except Exception:
            # A concurrent submission of the same id won the race; planning again sees it.
            if attempt == 1 or not await Inspection.exists().where(Inspection.id == submission.id):
                raise
    if result.outcome == "duplicate":
        return await get_inspection(caller, submission.id), False
    return await _fresh(caller, result, batch), True


async def _fresh(caller: Caller, planned: Plan, batch: SubmissionBatch) -> InspectionOut:
    """The answer for a new inspection, from what was just written (no second read)."""
    row = planned.row
    assert row is not None
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
        geolocation=planned.submission.geolocation,
        note=row.note,
        supersedes=row.supersedes,
        superseded_by=None,
        answers=planned.submission.answers,
        evaluation=planned.evaluation,
        findings=sorted(
            (finding_out(f.to_dict()) for f in batch.book.created if f.inspection == row.id),
            key=lambda f: f.item_key,
        ),
        missing_blobs=await missing_blobs(row.site, planned.blobs),
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
    version = (
        await TemplateVersion.select(TemplateVersion.body)
        .where(TemplateVersion.id == row["template"])
        .first()
    )
    refs = blob_refs(decode_version(row["template"], version["body"]), answers)
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
