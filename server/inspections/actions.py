"""Corrective actions: every finding and every hazard report or repair request becomes one,
owned by someone, due by the site's service level, and followed to verification.

Steps (start, fix, verify, reopen, cancel, assign) arrive from the web or through sync
with the version the person saw; `action_rules` says what is legal and
`sync.rules.judge_transition` whether a stale step is applied alongside (parallel) or is a
conflict. Every change is kept as an event.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from server.accounts.access import EVERYONE, MANAGERS, Caller
from server.accounts.sites import site_timezones
from server.accounts.users import display_names, members_of
from server.clock import new_id, utcnow
from server.db import is_sqlite, transaction
from server.errors import DomainError, forbidden, not_found
from server.inspections import action_rules
from server.inspections.tables import ActionEvent, CorrectiveAction, SiteServiceLevel
from server.inspections.wire import (
    ActionDetail,
    ActionEventOut,
    ActionOut,
    ActionPage,
    ActionTransition,
    PersonRef,
    ServiceLevelOut,
    ServiceLevelSet,
    TransitionResult,
)
from server.registry.targets import find_targets
from sync import changelog
from sync.bulk import insert_rows
from sync.rules import judge_transition

RECENT = timedelta(days=90)
"""Closed actions a new device is still sent (as long as the change log keeps deletions)."""

SYSTEM = None
"""Events made by the server itself (a passing re-check, a corrected inspection)."""


@dataclass
class NewAction:
    """What raising an action needs to know; owner and due time are worked out here."""

    site: uuid.UUID
    source: str
    title: str
    title_en: str
    raised_at: datetime
    requester: uuid.UUID | None
    asset: uuid.UUID | None = None
    location: uuid.UUID | None = None
    finding: uuid.UUID | None = None
    report: uuid.UUID | None = None
    description: str = ""
    priority: str = "normal"
    size: str = "small"
    closed_by: tuple[uuid.UUID, datetime] | None = None
    """An inspection that already put it right (a failure that synced late)."""


async def raise_actions(new: list[NewAction]) -> list[uuid.UUID]:
    """Create the actions, each with its "created" event; inside the caller's transaction."""
    if not new:
        return []
    owners = await _default_owners(new)
    zones = await site_timezones(a.site for a in new)
    levels = await _levels({a.site for a in new})
    now = utcnow()
    rows, events = [], []
    for item in new:
        action_id = new_id()
        state = "verified" if item.closed_by else "open"
        row = {
            "id": action_id,
            "site": item.site,
            "source": item.source,
            "finding": item.finding,
            "report": item.report,
            "asset": item.asset,
            "location": item.location,
            "title": item.title[:200],
            "title_en": item.title_en[:200],
            "description": item.description,
            "requester": item.requester,
            "owner": owners.get(id(item)),
            "priority": item.priority,
            "size": item.size,
            "state": state,
            "raised_at": item.raised_at,
            "due_at": action_rules.due_at(
                item.raised_at, item.size, zones[item.site], levels=levels.get(item.site)
            ),
            "closed_at": item.closed_by[1] if item.closed_by else None,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        rows.append(row)
        events.append(_event(action_id, "created", item.requester, item.raised_at, "", "open"))
        if item.closed_by:
            events.append(
                _event(
                    action_id,
                    "rechecked",
                    SYSTEM,
                    item.closed_by[1],
                    "open",
                    "verified",
                    inspection=item.closed_by[0],
                )
            )
    await insert_rows(CorrectiveAction, rows)
    await insert_rows(ActionEvent, events)
    for row in rows:
        record_action(row)
    return [row["id"] for row in rows]


async def follow_findings(
    rechecked: list[tuple[uuid.UUID, uuid.UUID, datetime]], withdrawn: list[uuid.UUID]
) -> None:
    """A passing re-check verifies the actions of its findings; a corrected inspection's
    withdrawn findings cancel theirs. One read for all of them, one write of the events."""
    closing: dict[uuid.UUID, tuple[str, str, datetime, uuid.UUID | None, str]] = {
        finding_id: ("verified", "rechecked", at, inspection_id, "")
        for finding_id, inspection_id, at in rechecked
    }
    now = utcnow()
    for finding_id in withdrawn:
        closing[finding_id] = ("cancelled", "withdrawn", now, None, "the inspection was corrected")
    if not closing:
        return
    rows = await CorrectiveAction.select().where(
        CorrectiveAction.finding.is_in(list(closing))
        & CorrectiveAction.state.not_in(list(action_rules.CLOSED))
    )
    events = []
    for row in rows:
        state, kind, at, inspection, reason = closing[row["finding"]]
        updated = await _update(row, {"state": state, "closed_at": at})
        events.append(
            _event(
                row["id"],
                kind,
                SYSTEM,
                at,
                row["state"],
                state,
                inspection=inspection,
                reason=reason,
            )
        )
        record_action(updated)
    await insert_rows(ActionEvent, events)


# --- steps ---------------------------------------------------------------------------


@dataclass
class StepPlan:
    step: ActionTransition
    outcome: str
    """new, duplicate or parallel (applied) — conflicts are DomainErrors."""
    action: dict[str, Any]
    event_id: uuid.UUID


async def plan_steps(caller: Caller, steps: list[ActionTransition]) -> list[StepPlan | DomainError]:
    """Decide each step against the action as it stands now, in order (a later step of the
    same batch sees an earlier one). Rows are locked until the transaction ends."""
    ids = list({s.action_id for s in steps})
    query = CorrectiveAction.select().where(CorrectiveAction.id.is_in(ids or [uuid.UUID(int=0)]))
    if not is_sqlite():
        query = query.lock_rows("UPDATE")
    actions = {row["id"]: row for row in await query}
    known = {
        row["id"]: row
        for row in await ActionEvent.select(
            ActionEvent.id, ActionEvent.action, ActionEvent.content_sha256
        ).where(ActionEvent.id.is_in([s.id for s in steps] or [uuid.UUID(int=0)]))
    }
    roles = dict(caller.roles)
    results: list[StepPlan | DomainError] = []
    for step in steps:
        try:
            results.append(_decide(caller, step, actions, known, roles))
        except DomainError as exc:
            row = actions.get(step.action_id)
            if row is not None and row["site"] in caller.roles:
                exc.site_id = row["site"]
            results.append(exc)
    return results


def _decide(
    caller: Caller,
    step: ActionTransition,
    actions: dict[uuid.UUID, dict[str, Any]],
    known: dict[uuid.UUID, dict[str, Any]],
    roles: dict[uuid.UUID, str],
) -> StepPlan:
    row = actions.get(step.action_id)
    if row is None or row["site"] not in caller.roles:
        raise DomainError("not_found", "action not found", field="action_id")
    digest = _digest(step)
    earlier = known.get(step.id)
    if earlier is not None:
        if earlier["content_sha256"] != digest or earlier["action"] != step.action_id:
            raise DomainError(
                "action.step_conflict", "another step was stored under this id", field="id"
            )
        return StepPlan(step, "duplicate", row, step.id)
    capacities = _capacities(caller, row, roles)
    if not action_rules.may(step.transition, capacities):
        raise forbidden(f"you may not {step.transition} this action")
    if step.transition in action_rules.NEEDS_REASON and not step.reason.strip():
        raise DomainError(
            "action.reason_required", f"{step.transition} needs a reason", field="reason"
        )
    target = action_rules.next_state(row["state"], step.transition)
    verdict = judge_transition(
        legal=target is not None, base_version=step.base_version, current_version=row["version"]
    )
    if verdict == "conflict":
        raise DomainError(
            "action.conflict",
            f"cannot {step.transition} an action that is {row['state']} "
            f"(version {row['version']}; you saw version {step.base_version})",
            field="transition",
            current=action_out(row),
        )
    if step.transition == "assign" and step.owner_id is None:
        raise DomainError("request.invalid", "assign needs owner_id", field="owner_id")
    known[step.id] = {"id": step.id, "action": step.action_id, "content_sha256": digest}
    # Later steps of the same batch see this one.
    actions[row["id"]] = _advanced(row, step, target)  # type: ignore[arg-type]
    return StepPlan(step, "parallel" if verdict == "parallel" else "new", row, step.id)


def _advanced(row: dict[str, Any], step: ActionTransition, target: str) -> dict[str, Any]:
    changed = {**row, "state": target, "version": row["version"] + 1}
    if step.transition == "assign":
        changed["owner"] = step.owner_id
    return changed


async def write_steps(plans: list[StepPlan], caller: Caller) -> dict[uuid.UUID, dict[str, Any]]:
    """Apply the planned steps in order; returns each touched action as stored."""
    stored: dict[uuid.UUID, dict[str, Any]] = {}
    now = utcnow()
    for plan in plans:
        if plan.outcome == "duplicate":
            continue
        step = plan.step
        row = stored.get(step.action_id) or plan.action
        target = action_rules.next_state(row["state"], step.transition) or row["state"]
        values: dict[str, Any] = {"state": target}
        if step.transition == "assign":
            values["owner"] = step.owner_id
        if target in action_rules.CLOSED:
            values["closed_at"] = step.at or now
        elif row["state"] in action_rules.CLOSED:
            values["closed_at"] = None
        updated = await _update(row, values)
        await insert_rows(
            ActionEvent,
            [
                {
                    **_event(
                        row["id"],
                        step.transition,
                        caller.user_id,
                        step.at or now,
                        row["state"],
                        target,
                        note=step.note,
                        reason=step.reason,
                        photos=step.photos,
                        owner=step.owner_id,
                        parallel=plan.outcome == "parallel",
                    ),
                    "id": step.id,
                    "base_version": step.base_version,
                    "content_sha256": _digest(step),
                }
            ],
        )
        record_action(updated)
        stored[row["id"]] = updated
    return stored


async def transition_action(
    caller: Caller, action_id: uuid.UUID, step: ActionTransition
) -> TransitionResult:
    if step.action_id != action_id:
        raise DomainError("request.invalid", "action_id differs from the URL", field="action_id")
    async with transaction():
        result = (await plan_steps(caller, [step]))[0]
        if isinstance(result, DomainError):
            raise result
        stored = await write_steps([result], caller)
    row = stored.get(action_id) or await _load(caller, action_id)
    return TransitionResult(
        action=action_out(row), event_id=step.id, parallel=result.outcome == "parallel"
    )


# --- reading -------------------------------------------------------------------------


async def get_action(caller: Caller, action_id: uuid.UUID) -> ActionDetail:
    row = await _load(caller, action_id)
    events = (
        await ActionEvent.select()
        .where(ActionEvent.action == action_id)
        .order_by(ActionEvent.at)
        .order_by(ActionEvent.received_at)
        .output(load_json=True)
    )
    names = await display_names(list({e["by_user"] for e in events if e["by_user"]}))
    history = [
        ActionEventOut(
            id=e["id"],
            kind=e["kind"],
            by=PersonRef(id=e["by_user"], name=names.get(e["by_user"], ""))
            if e["by_user"]
            else None,
            at=e["at"],
            from_state=e["from_state"],
            to_state=e["to_state"],
            note=e["note"],
            reason=e["reason"],
            photos=e["photos"],
            owner_id=e["owner"],
            inspection_id=e["inspection"],
            parallel=e["parallel"],
        )
        for e in events
    ]
    return ActionDetail(**msgspec.structs.asdict(action_out(row)), history=history)


async def list_actions(
    caller: Caller,
    *,
    site_id: uuid.UUID | None = None,
    state: str | None = None,
    mine: bool = False,
    overdue: bool = False,
    oldest_first: bool = False,
    limit: int = 100,
) -> ActionPage:
    sites = caller.site_ids(EVERYONE)
    if site_id is not None:
        caller.require(site_id, EVERYONE)
        sites = [site_id]
    query = CorrectiveAction.select().where(
        CorrectiveAction.site.is_in(sites or [uuid.UUID(int=0)])
    )
    if state is not None:
        query = query.where(CorrectiveAction.state == state)
    if mine:
        query = query.where(CorrectiveAction.owner == caller.user_id)
    if overdue:
        query = query.where(
            CorrectiveAction.state.not_in(list(action_rules.CLOSED))
            & (CorrectiveAction.due_at < utcnow())
        )
    rows = await query.order_by(CorrectiveAction.raised_at, ascending=oldest_first).limit(limit)
    return ActionPage(items=[action_out(row) for row in rows])


def action_out(row: dict[str, Any]) -> ActionOut:
    return ActionOut(
        id=row["id"],
        site_id=row["site"],
        source=row["source"],
        finding_id=row["finding"],
        report_id=row["report"],
        asset_id=row["asset"],
        location_id=row["location"],
        title=row["title"],
        title_en=row["title_en"],
        description=row["description"],
        requester_id=row["requester"],
        owner_id=row["owner"],
        priority=row["priority"],
        size=row["size"],
        state=row["state"],
        # In UTC whichever way the row came: recorded changes and snapshots must agree.
        raised_at=row["raised_at"].astimezone(UTC),
        due_at=row["due_at"].astimezone(UTC),
        closed_at=row["closed_at"].astimezone(UTC) if row["closed_at"] else None,
        version=row["version"],
    )


def record_action(row: dict[str, Any]) -> None:
    changelog.record(row["site"], "action", row["id"], version=row["version"], data=action_out(row))


async def snapshot_action(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, ActionOut]]:
    """The site's actions that are not closed, and those closed in the last `RECENT`."""
    query = CorrectiveAction.select().where(
        (CorrectiveAction.site == site_id)
        & (
            CorrectiveAction.state.not_in(list(action_rules.CLOSED))
            | (CorrectiveAction.updated_at > utcnow() - RECENT)
        )
    )
    if after is not None:
        query = query.where(CorrectiveAction.id > uuid.UUID(after))
    rows = await query.order_by(CorrectiveAction.id).limit(limit)
    return [(str(row["id"]), row["version"], action_out(row)) for row in rows]


# --- service levels ------------------------------------------------------------------


async def list_service_levels(caller: Caller, site_id: uuid.UUID) -> list[ServiceLevelOut]:
    caller.require(site_id, EVERYONE)
    own = (await _levels({site_id})).get(site_id, {})
    return [
        ServiceLevelOut(
            size=size,  # type: ignore[arg-type]
            extra_days=(own.get(size) or default).extra_days,
            min_hours=(own.get(size) or default).min_hours,
            default=size not in own,
        )
        for size, default in action_rules.DEFAULT_SERVICE_LEVELS.items()
    ]


async def set_service_level(
    caller: Caller, site_id: uuid.UUID, size: str, data: ServiceLevelSet
) -> list[ServiceLevelOut]:
    caller.require(site_id, MANAGERS)
    async with transaction():
        await SiteServiceLevel.delete().where(
            (SiteServiceLevel.site == site_id) & (SiteServiceLevel.size == size)
        )
        await SiteServiceLevel.insert(
            SiteServiceLevel(
                id=new_id(),
                site=site_id,
                size=size,
                extra_days=data.extra_days,
                min_hours=data.min_hours,
            )
        )
    return await list_service_levels(caller, site_id)


# --- helpers -------------------------------------------------------------------------


async def _levels(sites: set[uuid.UUID]) -> dict[uuid.UUID, dict[str, action_rules.ServiceLevel]]:
    rows = await SiteServiceLevel.select().where(
        SiteServiceLevel.site.is_in(list(sites) or [uuid.UUID(int=0)])
    )
    found: dict[uuid.UUID, dict[str, action_rules.ServiceLevel]] = {}
    for row in rows:
        levels = found.setdefault(row["site"], dict(action_rules.DEFAULT_SERVICE_LEVELS))
        levels[row["size"]] = action_rules.ServiceLevel(
            extra_days=row["extra_days"], min_hours=row["min_hours"]
        )
    return found


async def _default_owners(new: list[NewAction]) -> dict[int, uuid.UUID]:
    """The asset's keeper when they still have a role at the site, else the site's first
    maintainer (by username), else nobody: the managers see it unowned."""
    assets, _ = await find_targets({a.asset for a in new if a.asset}, [])
    members = {site: await members_of(site) for site in {a.site for a in new}}
    owners: dict[int, uuid.UUID] = {}
    for item in new:
        people = members[item.site]
        keeper = assets[item.asset].keeper_id if item.asset in assets else None
        if keeper is not None and any(m.user_id == keeper for m in people):
            owners[id(item)] = keeper
            continue
        maintainer = next((m.user_id for m in people if m.role == "maintainer"), None)
        if maintainer is not None:
            owners[id(item)] = maintainer
    return owners


def _capacities(caller: Caller, row: dict[str, Any], roles: dict[uuid.UUID, str]) -> set[str]:
    role = roles.get(row["site"], "")
    capacities = set()
    if role in MANAGERS:
        capacities.add("manager")
    if role == "maintainer":
        capacities.add("maintainer")
    if row["owner"] == caller.user_id:
        capacities.add("owner")
    if row["requester"] == caller.user_id:
        capacities.add("requester")
    return capacities


async def _update(row: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    columns = {getattr(CorrectiveAction, name): value for name, value in values.items()}
    updated = await (
        CorrectiveAction.update(
            {
                **columns,
                CorrectiveAction.version: CorrectiveAction.version + 1,
                CorrectiveAction.updated_at: utcnow(),
            }
        )
        .where(CorrectiveAction.id == row["id"])
        .returning(*CorrectiveAction.all_columns())
    )
    return updated[0]


async def _load(caller: Caller, action_id: uuid.UUID) -> dict[str, Any]:
    row = await CorrectiveAction.select().where(CorrectiveAction.id == action_id).first()
    if row is None or row["site"] not in caller.roles:
        raise not_found("action")
    return row


def _event(
    action_id: uuid.UUID,
    kind: str,
    by: uuid.UUID | None,
    at: datetime,
    from_state: str,
    to_state: str,
    *,
    note: str = "",
    reason: str = "",
    photos: list[str] | None = None,
    owner: uuid.UUID | None = None,
    inspection: uuid.UUID | None = None,
    parallel: bool = False,
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "action": action_id,
        "kind": kind,
        "by_user": by,
        "at": at,
        "received_at": utcnow(),
        "from_state": from_state,
        "to_state": to_state,
        "note": note,
        "reason": reason,
        "photos": msgspec.json.encode(photos or []).decode(),
        "owner": owner,
        "inspection": inspection,
        "parallel": parallel,
        "base_version": 0,
        "content_sha256": "",
    }


def _digest(step: ActionTransition) -> str:
    return hashlib.sha256(msgspec.json.encode(step, order="sorted")).hexdigest()


# --- for notifications (read-only) ---------------------------------------------------


class NotifiableAction(msgspec.Struct, frozen=True, kw_only=True):
    action: ActionOut
    stored_at: datetime
    """When the server stored it: an action that synced late is news when it arrives."""


class ActionsToNotify(msgspec.Struct, frozen=True, kw_only=True):
    raised_high: list[NotifiableAction]
    overdue: list[NotifiableAction]


class SiteDayFigures(msgspec.Struct, frozen=True, kw_only=True):
    open_actions: list[ActionOut]
    inspections: int
    """Completed in the day (business time); a corrected one counts once, as its correction."""
    failed_inspections: int


_NOTIFY_CHUNK = 500


async def actions_for_notifications(
    site_ids: list[uuid.UUID], *, since: datetime, until: datetime
) -> ActionsToNotify:
    """What site webhooks are told, for sites known to have them (no caller to scope by).

    `raised_high`: high-priority actions raised from findings or hazard reports, stored in
    [since, until] and still open. `overdue`: open actions whose due time passed in
    [since, until], or that changed in it while already past due (a late sync, a reopen)."""
    closed = list(action_rules.CLOSED)
    raised: list[NotifiableAction] = []
    overdue: list[NotifiableAction] = []
    for start in range(0, len(site_ids), _NOTIFY_CHUNK):
        chunk = site_ids[start : start + _NOTIFY_CHUNK]
        rows = await CorrectiveAction.select().where(
            CorrectiveAction.site.is_in(chunk)
            & (CorrectiveAction.priority == "high")
            & CorrectiveAction.source.is_in(["finding", "hazard"])
            & (CorrectiveAction.created_at >= since)
            & (CorrectiveAction.created_at <= until)
            & CorrectiveAction.state.not_in(closed)
        )
        raised += [NotifiableAction(action=action_out(r), stored_at=r["created_at"]) for r in rows]
        rows = await CorrectiveAction.select().where(
            CorrectiveAction.site.is_in(chunk)
            & CorrectiveAction.state.not_in(closed)
            & (CorrectiveAction.due_at <= until)
            & ((CorrectiveAction.due_at >= since) | (CorrectiveAction.updated_at >= since))
        )
        overdue += [NotifiableAction(action=action_out(r), stored_at=r["created_at"]) for r in rows]
    return ActionsToNotify(raised_high=raised, overdue=overdue)


async def site_day_for_notifications(
    site_id: uuid.UUID, *, day_start: datetime, day_end: datetime
) -> SiteDayFigures:
    """A site's morning digest: its actions not yet closed, and the inspections completed in
    [day_start, day_end) with how many failed."""
    from server.inspections.tables import Inspection

    rows = await CorrectiveAction.select().where(
        (CorrectiveAction.site == site_id)
        & CorrectiveAction.state.not_in(list(action_rules.CLOSED))
    )
    done = await Inspection.select(Inspection.id, Inspection.result).where(
        (Inspection.site == site_id)
        & (Inspection.completed_at >= day_start)
        & (Inspection.completed_at < day_end)
    )
    corrected = {
        r["supersedes"]
        for r in await Inspection.select(Inspection.supersedes).where(
            Inspection.supersedes.is_in([r["id"] for r in done] or [uuid.UUID(int=0)])
        )
    }
    current = [r for r in done if r["id"] not in corrected]
    return SiteDayFigures(
        open_actions=[action_out(r) for r in rows],
        inspections=len(current),
        failed_inspections=sum(1 for r in current if r["result"] == "fail"),
    )
