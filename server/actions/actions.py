"""Corrective actions: every finding and every hazard report or repair request becomes one,
owned by someone, due by the site's service level, and followed to verification.

Steps (start, fix, verify, reopen, cancel, assign) arrive from the web or through sync
with the version the person saw; `rules` says what is legal and
`sync.rules.judge_transition` whether a stale step is applied alongside (parallel) or is a
conflict. Every change is kept as an event.

An action raised from a finding and its finding agree (server/inspections/findings.py has
the finding's life): a sign-off (verify) resolves the finding and a reopen opens it again,
in the transaction of the step, whether it came from the web or through sync; a passing
re-check verifies the action (`follow_findings`). A cancelled action leaves its finding as
it is: calling off the work does not put the thing right.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from piccolo.columns.combination import Combinable

from server import clock
from server.accounts.access import EVERYONE, MANAGERS, Caller
from server.accounts.sites import site_timezones
from server.accounts.users import display_names, members_of
from server.actions import rules, service_levels
from server.actions.tables import ActionEvent, CorrectiveAction
from server.actions.wire import (
    ActionDetail,
    ActionEventOut,
    ActionEvidence,
    ActionOut,
    ActionPage,
    ActionStep,
    ActionTransition,
    TransitionResult,
)
from server.clock import new_id
from server.db import is_sqlite
from server.errors import DomainError, forbidden, not_found
from server.facts import Candidate, FactHandler, Plan, Stored
from server.feeds import Audience, Feed
from server.registry.targets import find_targets
from server.wire import PersonRef
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
    evidence: ActionEvidence | None = None


async def raise_actions(new: list[NewAction]) -> list[uuid.UUID]:
    """Create the actions, each with its "created" event; inside the caller's transaction."""
    if not new:
        return []
    owners = await _default_owners(new)
    zones = await site_timezones(a.site for a in new)
    levels = await service_levels.levels_of({a.site for a in new})
    now = clock.utcnow()
    rows, events = [], []
    for item in new:
        action_id = new_id()
        state = "verified" if item.closed_by else "open"
        row: dict[str, Any] = {
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
            "due_at": rules.due_at(
                item.raised_at, item.size, zones[item.site], levels=levels.get(item.site)
            ),
            "closed_at": item.closed_by[1] if item.closed_by else None,
            "evidence": msgspec.json.encode(item.evidence).decode() if item.evidence else None,
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
    await insert_events(events, {row["id"]: row["site"] for row in rows})
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
    now = clock.utcnow()
    for finding_id in withdrawn:
        closing[finding_id] = ("cancelled", "withdrawn", now, None, "the inspection was corrected")
    if not closing:
        return
    rows = await CorrectiveAction.select().where(
        CorrectiveAction.finding.is_in(list(closing))
        & CorrectiveAction.state.not_in(list(rules.CLOSED))
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
    await insert_events(events, {row["id"]: row["site"] for row in rows})


# --- steps ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SignOff:
    """A person's step that settles (verify) or unsettles (reopen) the finding an action
    was raised from."""

    finding: uuid.UUID
    action: uuid.UUID
    transition: str
    at: datetime


SignOffFollower = Callable[[list[SignOff]], Awaitable[None]]
_sign_off_followers: list[SignOffFollower] = []


def watch_sign_offs(follower: SignOffFollower) -> None:
    """The findings domain sits above this one: it registers here to be called, in the
    step's transaction, with the sign-offs and reopenings of each batch, in order."""
    _sign_off_followers.append(follower)


class ActionTransitioned(FactHandler[ActionTransition]):
    """A step in a corrective action's life, carrying the version the person saw (the
    `action.transitioned` op and `POST /api/actions/{id}/transitions`; R18-R20). The step
    is a fact under its own id; what it does to the action is judged against the action as
    it stands, in order, a later step of the same batch seeing an earlier one."""

    type = "action.transitioned"
    body = ActionTransition
    noun = "action"
    id_code = "action.id_not_uuid7"
    conflict_code = "action.step_conflict"
    conflict_detail = "another step was stored under this id"
    table = ActionEvent

    async def stored(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, Stored]:
        rows = await ActionEvent.select(
            ActionEvent.id,
            ActionEvent.content_sha256,
            ActionEvent.action.site.as_alias("site"),
        ).where(ActionEvent.id.is_in(ids))
        return {row["id"]: Stored(row["site"], row["content_sha256"], row) for row in rows}

    def answer(self, plan: Plan[ActionTransition]) -> Any:
        return {"action_id": str(plan.body.action_id), "event_id": str(plan.body.id)}

    async def admit(
        self, caller: Caller, candidates: list[Candidate[ActionTransition]], *, now: datetime
    ) -> list[Plan[ActionTransition] | DomainError]:
        """Rows are locked until the transaction ends."""
        ids = list({c.body.action_id for c in candidates})
        query = CorrectiveAction.select().where(CorrectiveAction.id.is_in(ids))
        if not is_sqlite():
            query = query.lock_rows("UPDATE")
        actions = {row["id"]: row for row in await query}
        roles = dict(caller.roles)
        results: list[Plan[ActionTransition] | DomainError] = []
        for candidate in candidates:
            try:
                results.append(_decide(caller, candidate, actions, roles))
            except DomainError as exc:
                row = actions.get(candidate.body.action_id)
                if row is not None and row["site"] in caller.roles:
                    exc.site_id = row["site"]
                results.append(exc)
        return results

    async def store(self, caller: Caller, plans: list[Plan[ActionTransition]]) -> None:
        """Apply the steps in order; each plan's `extra` becomes its action as stored."""
        stored: dict[uuid.UUID, dict[str, Any]] = {}
        sign_offs: list[SignOff] = []
        now = clock.utcnow()
        for plan in plans:
            step = plan.body
            row = stored.get(step.action_id) or plan.row
            target = rules.next_state(row["state"], step.transition) or row["state"]
            values: dict[str, Any] = {"state": target}
            if step.transition == "assign":
                values["owner"] = step.owner_id
            if target in rules.CLOSED:
                values["closed_at"] = step.at or now
            elif row["state"] in rules.CLOSED:
                values["closed_at"] = None
            updated = await _update(row, values)
            await insert_events(
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
                            parallel=plan.parallel,
                        ),
                        "id": step.id,
                        "base_version": step.base_version,
                        "content_sha256": plan.digest,
                    }
                ],
                {row["id"]: row["site"]},
            )
            record_action(updated)
            stored[row["id"]] = plan.extra = updated
            if row["finding"] is not None and step.transition in ("verify", "reopen"):
                sign_offs.append(
                    SignOff(row["finding"], row["id"], step.transition, step.at or now)
                )
        if sign_offs:
            for follower in _sign_off_followers:
                await follower(sign_offs)


STEPPED = ActionTransitioned()


def _decide(
    caller: Caller,
    candidate: Candidate[ActionTransition],
    actions: dict[uuid.UUID, dict[str, Any]],
    roles: dict[uuid.UUID, str],
) -> Plan[ActionTransition]:
    step = candidate.body
    row = actions.get(step.action_id)
    if row is None or row["site"] not in caller.roles:
        raise DomainError("not_found", "action not found", field="action_id")
    capacities = _capacities(caller, row, roles)
    if not rules.may(step.transition, capacities):
        raise forbidden(f"you may not {step.transition} this action")
    if step.transition in rules.NEEDS_REASON and not step.reason.strip():
        raise DomainError(
            "action.reason_required", f"{step.transition} needs a reason", field="reason"
        )
    target = rules.next_state(row["state"], step.transition)
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
    # Later steps of the same batch see this one.
    actions[row["id"]] = _advanced(row, step, target)  # type: ignore[arg-type]
    return candidate.accept(row["site"], row, blobs=step.photos, parallel=verdict == "parallel")


def _advanced(row: dict[str, Any], step: ActionTransition, target: str) -> dict[str, Any]:
    changed = {**row, "state": target, "version": row["version"] + 1}
    if step.transition == "assign":
        changed["owner"] = step.owner_id
    return changed


async def transition_action(
    caller: Caller, action_id: uuid.UUID, step: ActionTransition
) -> TransitionResult:
    if step.action_id != action_id:
        raise DomainError("request.invalid", "action_id differs from the URL", field="action_id")
    plan = await STEPPED.accept(caller, step)
    row = plan.extra or await _load(caller, action_id)
    return TransitionResult(action=action_out(row), event_id=step.id, parallel=plan.parallel)


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
    named = {row["owner"], row["requester"], *(e["owner"] for e in events)} - {None}
    names = await display_names(list(named))
    people = [PersonRef(id=id, name=names.get(id, "")) for id in sorted(named)]
    return ActionDetail(**msgspec.structs.asdict(action_out(row)), history=history, people=people)


async def list_actions(
    caller: Caller,
    *,
    site_id: uuid.UUID | None = None,
    states: list[str] | None = None,
    mine: bool = False,
    owner_id: uuid.UUID | None = None,
    unowned: bool = False,
    finding_id: uuid.UUID | None = None,
    overdue: bool = False,
    older_than_days: int | None = None,
    oldest_first: bool = False,
    after: uuid.UUID | None = None,
    limit: int = 100,
) -> ActionPage:
    """Newest raised first (or oldest with `oldest_first`), read on from `after`; a site
    may hold thousands, so the filters and the count are the database's work. One raised
    exactly `older_than_days` days ago is that old (as the site's backlog counts it)."""
    sites = caller.site_ids(EVERYONE)
    if site_id is not None:
        caller.require(site_id, EVERYONE)
        sites = [site_id]
    where: Combinable = CorrectiveAction.site.is_in(sites or [uuid.UUID(int=0)])
    if states:
        where &= CorrectiveAction.state.is_in(states)
    if mine:
        where &= CorrectiveAction.owner == caller.user_id
    if owner_id is not None:
        where &= CorrectiveAction.owner == owner_id
    if unowned:
        where &= CorrectiveAction.owner.is_null()
    if finding_id is not None:
        where &= CorrectiveAction.finding == finding_id
    if overdue:
        where &= CorrectiveAction.state.not_in(list(rules.CLOSED)) & (
            CorrectiveAction.due_at < clock.utcnow()
        )
    if older_than_days is not None:
        where &= CorrectiveAction.raised_at <= clock.utcnow() - timedelta(days=older_than_days)
    total = await CorrectiveAction.count().where(where)
    query = CorrectiveAction.select().where(where)
    if after is not None:
        mark = (
            await CorrectiveAction.select(CorrectiveAction.raised_at)
            .where(where & (CorrectiveAction.id == after))
            .first()
        )
        if mark is None:
            raise not_found("action given as `after`")
        beyond = (
            CorrectiveAction.raised_at > mark["raised_at"]
            if oldest_first
            else CorrectiveAction.raised_at < mark["raised_at"]
        )
        tie = CorrectiveAction.id > after if oldest_first else CorrectiveAction.id < after
        query = query.where(beyond | ((CorrectiveAction.raised_at == mark["raised_at"]) & tie))
    rows = (
        await query.order_by(CorrectiveAction.raised_at, ascending=oldest_first)
        .order_by(CorrectiveAction.id, ascending=oldest_first)
        .limit(limit + 1)
    )
    page = rows[:limit]
    named = {id for row in page for id in (row["owner"], row["requester"]) if id is not None}
    names = await display_names(list(named))
    return ActionPage(
        items=[action_out(row) for row in page],
        next_after=page[-1]["id"] if len(rows) > limit else None,
        total=total,
        people=[PersonRef(id=id, name=names.get(id, "")) for id in sorted(named)],
    )


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
        evidence=_evidence(row["evidence"]),
    )


def _evidence(stored: str | dict[str, Any] | None) -> ActionEvidence | None:
    if stored is None:
        return None
    if isinstance(stored, str):
        return msgspec.json.decode(stored, type=ActionEvidence)
    return msgspec.convert(stored, ActionEvidence)


def record_action(row: dict[str, Any]) -> None:
    ACTION_FEED.record(row["site"], row["id"], version=row["version"], data=action_out(row))


async def snapshot_action(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, ActionOut]]:
    """The site's actions that are not closed, and those closed in the last `RECENT`."""
    query = CorrectiveAction.select().where(
        (CorrectiveAction.site == site_id)
        & (
            CorrectiveAction.state.not_in(list(rules.CLOSED))
            | (CorrectiveAction.updated_at > clock.utcnow() - RECENT)
        )
    )
    if after is not None:
        query = query.where(CorrectiveAction.id > uuid.UUID(after))
    rows = await query.order_by(CorrectiveAction.id).limit(limit)
    return [(str(row["id"]), row["version"], action_out(row)) for row in rows]


# --- helpers -------------------------------------------------------------------------


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
                CorrectiveAction.updated_at: clock.utcnow(),
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
        "received_at": clock.utcnow(),
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


async def insert_events(events: list[dict[str, Any]], site_of: dict[uuid.UUID, Any]) -> None:
    """Store changes of actions (`site_of` each action's site) and record each for the
    devices, whose people see who did what with which note and photos (the fixer's, for
    the one who signs off)."""
    await insert_rows(ActionEvent, events)
    for event in events:
        step = action_step(event, site_of[event["action"]])
        ACTION_EVENT_FEED.record(step.site_id, step.id, version=1, data=step)


def action_step(row: dict[str, Any], site_id: uuid.UUID) -> ActionStep:
    photos = row["photos"]
    return ActionStep(
        id=row["id"],
        site_id=site_id,
        action_id=row["action"],
        kind=row["kind"],
        by_id=row["by_user"],
        at=row["at"].astimezone(UTC),
        from_state=row["from_state"],
        to_state=row["to_state"],
        note=row["note"],
        reason=row["reason"],
        photos=msgspec.json.decode(photos) if isinstance(photos, str) else photos,
        inspection_id=row["inspection"],
    )


async def snapshot_action_event(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, ActionStep]]:
    """The changes of the actions a new device is sent (`snapshot_action`)."""
    query = ActionEvent.select(*ActionEvent.all_columns()).where(
        (ActionEvent.action.site == site_id)
        & (
            ActionEvent.action.state.not_in(list(rules.CLOSED))
            | (ActionEvent.action.updated_at > clock.utcnow() - RECENT)
        )
    )
    if after is not None:
        query = query.where(ActionEvent.id > uuid.UUID(after))
    rows = await query.order_by(ActionEvent.id).limit(limit)
    return [(str(row["id"]), 1, action_step(row, site_id)) for row in rows]


ACTION_FEED = Feed("action", Audience.SITE, snapshot_action)
ACTION_EVENT_FEED = Feed("action_event", Audience.SITE, snapshot_action_event)
