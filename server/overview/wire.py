"""What the overview answers: a site's figures for its managers' morning."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from server.syncing.refusals import QuietDevice


class DueFigures(msgspec.Struct, frozen=True, kw_only=True):
    """Today's checks as GET /api/due?scope=today lists them, and those overdue now as
    ?scope=overdue lists them (the last 60 days)."""

    schedules: int
    """The site's schedules: none means nothing is planned yet."""
    today: int
    """Every check whose window is open at some time of today, whatever became of it."""
    done: int
    """Of today's, done (in time or late)."""
    excused: int
    """Of today's, excused by an excusal that stands."""
    left: int
    """Of today's, still to do (upcoming, due, or overdue already)."""
    overdue: int


class OwnerFigures(msgspec.Struct, frozen=True, kw_only=True):
    owner_id: uuid.UUID | None
    """None: the actions no one owns yet."""
    owner_name: str
    open: int
    """Open or in progress."""
    overdue: int
    """Of those, past their due time."""


class ActionFigures(msgspec.Struct, frozen=True, kw_only=True):
    """Corrective actions still to be put right (open or in progress), counted."""

    open: int
    aged_3_days: int
    """Raised 3 days ago or more (an action raised exactly 3 days ago is 3 days old)."""
    aged_7_days: int
    """Raised 7 days ago or more."""
    overdue: int
    """Past their due time."""
    awaiting_sign_off: int
    """Fixed and waiting for the requester or a re-check to verify them."""
    owners: list[OwnerFigures]
    """Each owner's (and no one's), the most open first."""


class SyncFigures(msgspec.Struct, frozen=True, kw_only=True):
    """How the site's phones are keeping in step with the server (managers only)."""

    refused_days: int
    refused: int
    """Records phones sent that the server refused or found in conflict, in the last
    `refused_days` days (GET /api/sync/refused lists them)."""
    quiet_days: int
    quiet_total: int
    """Phones of the site's people not synced for `quiet_days` days or more (one never
    synced: logged in on that long ago)."""
    quiet: list[QuietDevice]
    """The longest quiet of them, at most 20."""


class SiteToday(msgspec.Struct, frozen=True, kw_only=True):
    site_id: uuid.UUID
    as_of: datetime
    things: int
    """Places and assets in use: none means the register is still to be made."""
    due: DueFigures
    actions: ActionFigures
    high_findings: int
    """High-severity findings still open."""
    sync: SyncFigures | None
    """None for an auditor: phones and their people are for those who run the site."""
