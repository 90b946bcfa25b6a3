"""Findings: each failed item of an accepted inspection, until someone puts it right.

A finding's life, which its corrective action follows (server/actions/actions.py):

    open ──a later inspection passes the item──▶ rechecked   (its action verified)
    open ──its action is signed off (verify)───▶ resolved    (by that action, when)
    open ──its inspection is corrected─────────▶ withdrawn   (its action cancelled)
    resolved or rechecked ──its action is reopened──▶ open

A cancelled action leaves its finding open: calling off the work does not put the thing
right, so the problem stays on the thing's page until a re-check passes. Every change is
made in the transaction of what caused it, with its change for the devices.

Business time decides, not arrival order. Phones sync late, so a failure observed on
Monday can reach the server after the passing re-check made on Tuesday; the finding is
then created already rechecked. A pass only rechecks failures observed before it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import msgspec

from checklists import Evaluation, Template
from checklists.answers import item_evidence
from checklists.templates import PhotoItem
from server import clock
from server.accounts.access import EVERYONE, Caller
from server.actions import actions
from server.actions.evidence import finding_evidence
from server.actions.wire import ActionEvidence
from server.clock import new_id
from server.errors import not_found
from server.feeds import Audience, Feed
from server.inspections.tables import Finding, Inspection
from server.inspections.wire import FindingOut
from server.registry.targets import location_subtree
from sync.bulk import insert_rows

if TYPE_CHECKING:
    from server.inspections.inspections import InspectionRow

LATE_SLICE = 20
RECENT = timedelta(days=90)
"""A new device is sent the open findings of a site and those changed this recently (as
long as deletions are kept in the change log)."""

TargetKey = tuple[uuid.UUID | None, uuid.UUID | None]
"""(asset id, None) for an asset, (None, location id) for a location."""


def target_key(asset_id: uuid.UUID | None, location_id: uuid.UUID | None) -> TargetKey:
    return (asset_id, None) if asset_id is not None else (None, location_id)


@dataclass
class _Open:
    row: dict[str, Any]
    changed: bool = False


@dataclass
class FindingBook:
    """The findings a batch of new inspections touches, loaded once, changed in memory,
    then written in bulk by `write`."""

    open: dict[tuple[TargetKey, str, str], list[_Open]] = field(default_factory=dict)
    later: dict[tuple[TargetKey, str], list[tuple[datetime, uuid.UUID, Evaluation]]] = field(
        default_factory=dict
    )
    created: list[FindingRow] = field(default_factory=list)
    late: defaultdict[tuple[TargetKey, str, str], list[FindingRow]] = field(
        default_factory=lambda: defaultdict(list)
    )
    """New findings that a pass already stored may recheck (a failure synced late)."""
    raised: dict[uuid.UUID, tuple[str, str, uuid.UUID, ActionEvidence]] = field(
        default_factory=dict
    )
    """Per new finding: the item's label (zh-CN, en), who found it and what they saw, for
    its action."""

    @classmethod
    async def load(cls, targets: Iterable[tuple[TargetKey, str]]) -> FindingBook:
        """Open findings on these (target, template) pairs."""
        book = cls()
        pairs = set(targets)
        if not pairs:
            return book
        keys = sorted({key for _, key in pairs})
        assets = [t[0] for t, _ in pairs if t[0] is not None]
        locations = [t[1] for t, _ in pairs if t[0] is None and t[1] is not None]
        where_target = _target_filter(Finding, assets, locations)
        rows = await Finding.select().where(
            (Finding.status == "open") & Finding.template_key.is_in(keys) & where_target
        )
        for row in rows:
            pair = (target_key(row["asset"], row["location"]), row["template_key"])
            if pair in pairs:
                book.open.setdefault((*pair, row["item_key"]), []).append(_Open(row))
        return book

    def record(
        self,
        inspection: InspectionRow,
        template: Template,
        evaluation: Evaluation,
        answers: dict[str, Any],
    ) -> None:
        """Open a finding for each failed item and recheck earlier failures of the items
        that passed."""
        target = target_key(inspection.asset, inspection.location)
        pair = (target, template.key)
        completed_at = inspection.completed_at
        critical = {item.key for item in template.items if item.critical}
        labels = {item.key: item.label for item in template.items}
        for result in evaluation.items:
            if result.result == "pass":
                for entry in self.open.get((*pair, result.key), []):
                    if entry.row["status"] == "open" and entry.row["observed_at"] < completed_at:
                        _recheck(entry.row, inspection.id, completed_at)
                        entry.changed = True
            elif result.result == "fail":
                row = _new_finding(inspection, template, result.key, critical, answers)
                label = labels[result.key]
                seen = finding_evidence(
                    template,
                    result.key,
                    answers,
                    inspection_id=inspection.id,
                    inspection_note=inspection.note,
                    photos=row.photos,
                )
                self.raised[row.id] = (label.zh_cn, label.en, inspection.inspector, seen)
                rechecked = self._later_pass(pair, result.key, completed_at)
                if rechecked is not None:
                    row.status = "rechecked"
                    row.rechecked_by, row.rechecked_at = rechecked[1], rechecked[0]
                else:
                    self.late[(*pair, result.key)].append(row)
                self.created.append(row)
                self.open.setdefault((*pair, result.key), []).append(
                    _Open(_as_row(row), changed=False)
                )
        self.later.setdefault(pair, []).append((completed_at, inspection.id, evaluation))

    def withdraw(self, inspection_id: uuid.UUID) -> None:
        """The findings of a superseded inspection that are still open no longer stand."""
        for entries in self.open.values():
            for entry in entries:
                if entry.row["inspection"] == inspection_id and entry.row["status"] == "open":
                    entry.row["status"] = "withdrawn"
                    entry.changed = True
        for row in self.created:
            if row.inspection == inspection_id and row.status == "open":
                row.status = "withdrawn"
        # A superseded inspection's passes recheck nothing any more.
        for pair, passes in self.later.items():
            self.later[pair] = [p for p in passes if p[1] != inspection_id]

    def _later_pass(
        self, pair: tuple[TargetKey, str], item_key: str, after: datetime
    ) -> tuple[datetime, uuid.UUID] | None:
        passes = [
            (at, inspection_id)
            for at, inspection_id, evaluation in self.later.get(pair, [])
            if at > after
            and any(r.key == item_key and r.result == "pass" for r in evaluation.items)
        ]
        return min(passes) if passes else None

    async def _recheck_late_failures(self) -> None:
        """For each new finding, the earliest stored pass of its item after it was
        observed. Inspections of one thing are days apart, so the first few later ones
        nearly always settle it; they are read in small slices, oldest first."""
        by_pair: defaultdict[tuple[TargetKey, str], list[FindingRow]] = defaultdict(list)
        for (target, template_key, _), rows in self.late.items():
            by_pair[(target, template_key)] += rows
        for (target, template_key), waiting in by_pair.items():
            waiting = [row for row in waiting if row.status == "open"]
            after = min((row.observed_at for row in waiting), default=None)
            while waiting and after is not None:
                later = await (
                    Inspection.select(Inspection.id, Inspection.completed_at, Inspection.evaluation)
                    .where(
                        _target_filter(Inspection, *_split(target))
                        & (Inspection.template_key == template_key)
                        & (Inspection.completed_at > after)
                    )
                    .order_by(Inspection.completed_at)
                    .limit(LATE_SLICE)
                )
                superseded = await _superseded_among([row["id"] for row in later])
                for row in later:
                    if row["id"] in superseded:
                        continue
                    passed = {
                        r.key
                        for r in msgspec.json.decode(row["evaluation"], type=Evaluation).items
                        if r.result == "pass"
                    }
                    for finding in waiting:
                        if finding.item_key in passed and row["completed_at"] > finding.observed_at:
                            finding.status = "rechecked"
                            finding.rechecked_by = row["id"]
                            finding.rechecked_at = row["completed_at"]
                    waiting = [f for f in waiting if f.status == "open"]
                after = later[-1]["completed_at"] if len(later) == LATE_SLICE else None

    async def write(self) -> None:
        await self._recheck_late_failures()
        created_ids = {row.id for row in self.created}
        now = clock.utcnow()
        rechecked: list[tuple[uuid.UUID, uuid.UUID, datetime]] = []
        withdrawn: list[uuid.UUID] = []
        for entries in self.open.values():
            for entry in entries:
                row = entry.row
                if not entry.changed or row["id"] in created_ids:
                    continue
                # Only a finding still open changes; one a concurrent batch closed is left
                # as it is, and nothing is recorded for it.
                updated = await (
                    Finding.update(
                        {
                            Finding.status: row["status"],
                            Finding.rechecked_by: row["rechecked_by"],
                            Finding.rechecked_at: row["rechecked_at"],
                            Finding.version: Finding.version + 1,
                            Finding.updated_at: now,
                        }
                    )
                    .where((Finding.id == row["id"]) & (Finding.status == "open"))
                    .returning(*Finding.all_columns())
                )
                for stored in updated:
                    record_finding(stored)
                    if stored["status"] == "rechecked":
                        rechecked.append(
                            (stored["id"], stored["rechecked_by"], stored["rechecked_at"])
                        )
                    elif stored["status"] == "withdrawn":
                        withdrawn.append(stored["id"])
        await insert_rows(
            Finding,
            [
                {**finding.to_dict(), "photos": msgspec.json.encode(finding.photos).decode()}
                for finding in self.created
            ],
        )
        for finding in self.created:
            record_finding(finding.to_dict())
        await actions.raise_actions(
            [self._action_for(f) for f in self.created if f.status != "withdrawn"]
        )
        await actions.follow_findings(rechecked, withdrawn)

    def _action_for(self, finding: FindingRow) -> actions.NewAction:
        title, title_en, inspector, seen = self.raised[finding.id]
        closed_by = None
        if finding.status == "rechecked":
            assert finding.rechecked_by is not None and finding.rechecked_at is not None
            closed_by = (finding.rechecked_by, finding.rechecked_at)
        return actions.NewAction(
            site=finding.site,
            source="finding",
            title=title,
            title_en=title_en,
            raised_at=finding.observed_at,
            requester=inspector,
            asset=finding.asset,
            location=finding.location,
            finding=finding.id,
            # A critical item is put right the same day; others by the next working day.
            priority="high" if finding.severity == "high" else "normal",
            size="small" if finding.severity == "high" else "large",
            closed_by=closed_by,
            evidence=seen,
        )


def _split(target: TargetKey) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    asset_id, location_id = target
    return ([asset_id], []) if asset_id is not None else ([], [location_id] if location_id else [])


def _target_filter(table: Any, assets: list[uuid.UUID], locations: list[uuid.UUID]) -> Any:
    clauses = []
    if assets:
        clauses.append(table.asset.is_in(assets))
    if locations:
        clauses.append(table.asset.is_null() & table.location.is_in(locations))
    where = clauses[0]
    for clause in clauses[1:]:
        where = where | clause
    return where


async def _superseded_among(ids: list[uuid.UUID]) -> set[uuid.UUID]:
    if not ids:
        return set()
    rows = await Inspection.select(Inspection.supersedes).where(Inspection.supersedes.is_in(ids))
    return {row["supersedes"] for row in rows}


def _recheck(row: dict[str, Any], inspection_id: uuid.UUID, at: datetime) -> None:
    row["status"] = "rechecked"
    row["rechecked_by"] = inspection_id
    row["rechecked_at"] = at


@dataclass(slots=True)
class FindingRow:
    """A finding row about to be inserted (plain values: see sync.bulk)."""

    id: uuid.UUID
    site: uuid.UUID
    inspection: uuid.UUID
    template_key: str
    item_key: str
    asset: uuid.UUID | None
    location: uuid.UUID | None
    severity: str
    observed_at: datetime
    photos: list[str]
    status: str
    rechecked_by: uuid.UUID | None
    rechecked_at: datetime | None
    resolved_by: uuid.UUID | None
    resolved_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def _new_finding(
    inspection: InspectionRow,
    template: Template,
    item_key: str,
    critical: set[str],
    answers: dict[str, Any],
) -> FindingRow:
    now = clock.utcnow()
    return FindingRow(
        id=new_id(),
        site=inspection.site,
        inspection=inspection.id,
        template_key=template.key,
        item_key=item_key,
        asset=inspection.asset,
        location=inspection.location,
        severity="high" if item_key in critical else "normal",
        observed_at=inspection.completed_at,
        photos=evidence_photos(template, item_key, answers),
        status="open",
        rechecked_by=None,
        rechecked_at=None,
        resolved_by=None,
        resolved_at=None,
        version=1,
        created_at=now,
        updated_at=now,
    )


def _as_row(finding: FindingRow) -> dict[str, Any]:
    return {
        "id": finding.id,
        "inspection": finding.inspection,
        "status": finding.status,
        "observed_at": finding.observed_at,
        "rechecked_by": finding.rechecked_by,
        "rechecked_at": finding.rechecked_at,
    }


def evidence_photos(template: Template, item_key: str, answers: dict[str, Any]) -> list[str]:
    """The photos taken because this item failed (its own, taken right under it, and photo
    items shown only on its answer); when there are none, every photo of the inspection."""
    photo_items = [item for item in template.items if isinstance(item, PhotoItem)]
    linked = [i for i in photo_items if i.show_if is not None and i.show_if.item == item_key]
    photos, _ = item_evidence(item_key, answers)
    for item in linked if photos or linked else photo_items:
        value = answers.get(item.key)
        if isinstance(value, list):
            photos += [p for p in value if isinstance(p, str) and p not in photos]
    return photos


def record_finding(row: dict[str, Any]) -> None:
    """Record a finding as a device will read it from a snapshot: times in UTC (a device's
    own offset is not kept by the database), photos decoded."""
    photos, rechecked_at, resolved_at = row["photos"], row["rechecked_at"], row["resolved_at"]
    stored = {
        **row,
        "observed_at": row["observed_at"].astimezone(UTC),
        "rechecked_at": None if rechecked_at is None else rechecked_at.astimezone(UTC),
        "resolved_at": None if resolved_at is None else resolved_at.astimezone(UTC),
        "photos": msgspec.json.decode(photos) if isinstance(photos, str) else photos,
    }
    FINDING_FEED.record(row["site"], row["id"], version=row["version"], data=finding_out(stored))


async def snapshot_finding(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, FindingOut]]:
    """The site's open findings and those changed in the last `RECENT` days."""
    query = Finding.select().where(
        (Finding.site == site_id)
        & ((Finding.status == "open") | (Finding.updated_at > clock.utcnow() - RECENT))
    )
    if after is not None:
        query = query.where(Finding.id > uuid.UUID(after))
    rows = await query.order_by(Finding.id).limit(limit).output(load_json=True)
    return [(str(r["id"]), r["version"], finding_out(r)) for r in rows]


def finding_out(row: dict[str, Any]) -> FindingOut:
    return FindingOut(
        id=row["id"],
        site_id=row["site"],
        inspection_id=row["inspection"],
        template_key=row["template_key"],
        item_key=row["item_key"],
        asset_id=row["asset"],
        location_id=row["location"],
        severity=row["severity"],
        observed_at=row["observed_at"],
        photos=row["photos"],
        status=row["status"],
        rechecked_by=row["rechecked_by"],
        rechecked_at=row["rechecked_at"],
        resolved_by=row["resolved_by"],
        resolved_at=row["resolved_at"],
        version=row["version"],
    )


async def findings_of(inspection_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[FindingOut]]:
    if not inspection_ids:
        return {}
    rows = (
        await Finding.select()
        .where(Finding.inspection.is_in(inspection_ids))
        .order_by(Finding.item_key)
        .output(load_json=True)
    )
    found: dict[uuid.UUID, list[FindingOut]] = {}
    for row in rows:
        found.setdefault(row["inspection"], []).append(finding_out(row))
    return found


async def open_findings_on(
    asset_id: uuid.UUID | None, location_id: uuid.UUID | None
) -> list[FindingOut]:
    where = _target_filter(
        Finding,
        [asset_id] if asset_id else [],
        [location_id] if not asset_id and location_id else [],
    )
    rows = (
        await Finding.select()
        .where((Finding.status == "open") & where)
        .order_by(Finding.observed_at, ascending=False)
        .output(load_json=True)
    )
    return [finding_out(row) for row in rows]


async def list_findings(
    caller: Caller,
    *,
    site_id: uuid.UUID | None = None,
    status: str | None = None,
    severity: str | None = None,
    asset_id: uuid.UUID | None = None,
    location_id: uuid.UUID | None = None,
    after: uuid.UUID | None = None,
    limit: int = 100,
) -> list[FindingOut]:
    sites = [site_id] if site_id is not None else caller.site_ids(EVERYONE)
    if site_id is not None:
        caller.require(site_id, EVERYONE)
    if not sites:
        return []
    query = Finding.select().where(Finding.site.is_in(sites))
    if status is not None:
        query = query.where(Finding.status == status)
    if severity is not None:
        query = query.where(Finding.severity == severity)
    if asset_id is not None:
        query = query.where(Finding.asset == asset_id)
    if location_id is not None:
        _, subtree = await location_subtree(caller, location_id)
        query = query.where(Finding.location.is_in(list(subtree)))
    if after is not None:
        mark = (
            await Finding.select(Finding.observed_at)
            .where((Finding.id == after) & Finding.site.is_in(sites))
            .first()
        )
        if mark is None:
            raise not_found("finding given as `after`")
        query = query.where(
            (Finding.observed_at < mark["observed_at"])
            | ((Finding.observed_at == mark["observed_at"]) & (Finding.id < after))
        )
    rows = (
        await query.order_by(Finding.observed_at, ascending=False)
        .order_by(Finding.id, ascending=False)
        .limit(limit)
        .output(load_json=True)
    )
    return [finding_out(row) for row in rows]


async def get_finding(caller: Caller, finding_id: uuid.UUID) -> FindingOut:
    row = await Finding.select().where(Finding.id == finding_id).first().output(load_json=True)
    if row is None or row["site"] not in caller.roles:
        raise not_found("finding")
    return finding_out(row)


async def count_open_findings(site_id: uuid.UUID, severity: str) -> int:
    """How many of the site's findings of this severity are still open (for callers already
    authorised)."""
    return await Finding.count().where(
        (Finding.site == site_id) & (Finding.status == "open") & (Finding.severity == severity)
    )


async def follow_sign_offs(sign_offs: list[actions.SignOff]) -> None:
    """Keep findings in step with their actions: a sign-off resolves an open finding, a
    reopening opens a resolved or rechecked one again; withdrawn ones stay withdrawn. In
    order, so a batch that verifies and then reopens leaves the finding open."""
    ids = list({s.finding for s in sign_offs})
    stored = {row["id"]: row for row in await Finding.select().where(Finding.id.is_in(ids))}
    changed: dict[uuid.UUID, dict[str, Any]] = {}
    for sign_off in sign_offs:
        row = changed.get(sign_off.finding) or stored.get(sign_off.finding)
        if row is None:
            continue
        if sign_off.transition == "verify" and row["status"] == "open":
            changed[row["id"]] = {
                **row,
                "status": "resolved",
                "resolved_by": sign_off.action,
                "resolved_at": sign_off.at,
            }
        elif sign_off.transition == "reopen" and row["status"] in ("resolved", "rechecked"):
            changed[row["id"]] = {
                **row,
                "status": "open",
                "resolved_by": None,
                "resolved_at": None,
                "rechecked_by": None,
                "rechecked_at": None,
            }
    now = clock.utcnow()
    for row in changed.values():
        before = stored[row["id"]]["status"]
        if row["status"] == before:
            continue
        # Only from the status read: a re-check that closed it meanwhile stands.
        updated = await (
            Finding.update(
                {
                    Finding.status: row["status"],
                    Finding.resolved_by: row["resolved_by"],
                    Finding.resolved_at: row["resolved_at"],
                    Finding.rechecked_by: row["rechecked_by"],
                    Finding.rechecked_at: row["rechecked_at"],
                    Finding.version: Finding.version + 1,
                    Finding.updated_at: now,
                }
            )
            .where((Finding.id == row["id"]) & (Finding.status == before))
            .returning(*Finding.all_columns())
        )
        for finding in updated:
            record_finding(finding)


actions.watch_sign_offs(follow_sign_offs)

FINDING_FEED = Feed("finding", Audience.SITE, snapshot_finding)
