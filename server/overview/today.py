"""A site's morning figures for the office (总务处): the checks due today and overdue, the
corrective actions by age and owner, the high-severity findings still open, and the phones
that are not keeping in step. Every figure is counted where its records are kept; none of
the records comes here."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta

from server import clock
from server.accounts.access import MANAGERS, Caller
from server.accounts.users import display_names
from server.actions.backlog import site_backlog
from server.inspections.findings import count_open_findings
from server.overview.wire import (
    ActionFigures,
    DueFigures,
    OwnerFigures,
    SiteToday,
    SyncFigures,
)
from server.registry.targets import count_active_things
from server.schedules.due import tally_due
from server.syncing.refusals import count_refused_ops, quiet_devices

OVERSEERS = MANAGERS | {"auditor"}
AGES = (3, 7)
"""The ages, in days, the office asks about: repairs are promised within three days at most."""
QUIET_DAYS = 3
REFUSED_DAYS = 7
QUIET_LISTED = 20


async def site_today(caller: Caller, site_id: uuid.UUID) -> SiteToday:
    """The site's figures as of now (admins, managers, auditors; the phones' part for the
    admins and managers only)."""
    role = caller.require(site_id, OVERSEERS)
    now = clock.utcnow().astimezone(UTC)
    due = await tally_due(site_id)
    backlog = await site_backlog(site_id, now, AGES)
    names = await display_names([o.owner_id for o in backlog.owners if o.owner_id])
    done = due.today.get("done", 0) + due.today.get("done_late", 0)
    excused = due.today.get("excused", 0)
    return SiteToday(
        site_id=site_id,
        as_of=now,
        things=await count_active_things(site_id),
        due=DueFigures(
            schedules=due.schedules,
            today=sum(due.today.values()),
            done=done,
            excused=excused,
            left=sum(due.today.values()) - done - excused,
            overdue=due.overdue,
        ),
        actions=ActionFigures(
            open=backlog.open,
            aged_3_days=backlog.aged[3],
            aged_7_days=backlog.aged[7],
            overdue=backlog.overdue,
            awaiting_sign_off=backlog.awaiting_sign_off,
            owners=[
                OwnerFigures(
                    owner_id=o.owner_id,
                    owner_name=names.get(o.owner_id, "") if o.owner_id else "",
                    open=o.open,
                    overdue=o.overdue,
                )
                for o in backlog.owners
            ],
        ),
        high_findings=await count_open_findings(site_id, "high"),
        sync=await sync_figures(site_id) if role in MANAGERS else None,
    )


async def sync_figures(site_id: uuid.UUID) -> SyncFigures:
    now = clock.utcnow()
    quiet = await quiet_devices(site_id, since=now - timedelta(days=QUIET_DAYS))
    return SyncFigures(
        refused_days=REFUSED_DAYS,
        refused=await count_refused_ops(site_id, since=now - timedelta(days=REFUSED_DAYS)),
        quiet_days=QUIET_DAYS,
        quiet_total=len(quiet),
        quiet=quiet[:QUIET_LISTED],
    )
