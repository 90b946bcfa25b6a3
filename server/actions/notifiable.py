"""What the sites' webhooks are told of actions: read-only, for sites known to have
webhooks (there is no caller to scope by)."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from server.actions import rules
from server.actions.actions import action_out
from server.actions.tables import CorrectiveAction
from server.actions.wire import ActionOut


class NotifiableAction(msgspec.Struct, frozen=True, kw_only=True):
    action: ActionOut
    stored_at: datetime
    """When the server stored it: an action that synced late is news when it arrives."""


class ActionsToNotify(msgspec.Struct, frozen=True, kw_only=True):
    raised_high: list[NotifiableAction]
    overdue: list[NotifiableAction]


_NOTIFY_CHUNK = 500


async def actions_for_notifications(
    site_ids: list[uuid.UUID], *, since: datetime, until: datetime
) -> ActionsToNotify:
    """What site webhooks are told, for sites known to have them (no caller to scope by).

    `raised_high`: high-priority actions raised from findings or hazard reports, stored in
    [since, until] and still open. `overdue`: open actions whose due time passed in
    [since, until], or that changed in it while already past due (a late sync, a reopen)."""
    closed = list(rules.CLOSED)
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


async def open_actions_of_site(site_id: uuid.UUID) -> list[ActionOut]:
    """A site's actions not yet closed (for its morning digest; no caller to scope by)."""
    rows = await CorrectiveAction.select().where(
        (CorrectiveAction.site == site_id) & CorrectiveAction.state.not_in(list(rules.CLOSED))
    )
    return [action_out(r) for r in rows]
