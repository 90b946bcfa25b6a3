"""What the host hears of a visitor waiting for them: the visits that arrived pending, for the
site's webhooks (event `visit.awaiting_host`, server/notifications/events.py), with a link
to the visit in the app, where the host decides.

The notice names the visitor, their organisation and purpose, the host and who recorded
the visitor at the gate; never the document or the phone, which a chat group has no use
for and would keep for ever.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

import msgspec

from server.accounts.users import display_names
from server.db import json_bytes
from server.gate.tables import VisitFactRow, VisitRow
from server.gate.wire import VisitOut
from server.settings import DEFAULT_PUBLIC_URL
from server.wire import PersonRef

_public_url = DEFAULT_PUBLIC_URL


def use_public_url(public_url: str) -> None:
    """Set by `create_app` and the notify command from the settings: the base of the links
    a notice carries."""
    global _public_url
    _public_url = public_url.rstrip("/")


def visit_link(visit_id: uuid.UUID) -> str:
    return f"{_public_url}/app/visits/{visit_id}"


class AwaitingHost(msgspec.Struct, frozen=True, kw_only=True):
    """A visitor at the gate the host has not answered yet (the event's `data.visit`)."""

    id: uuid.UUID
    site_id: uuid.UUID
    visitor: str
    organisation: str
    purpose: str
    party_size: int
    host: PersonRef
    recorded_by: PersonRef
    checked_in_at: datetime
    received_at: datetime
    url: str


async def awaiting_host(
    site_ids: Iterable[uuid.UUID], since: datetime, until: datetime
) -> list[AwaitingHost]:
    """Check-ins the server received in [since, until) whose visit is still pending: the
    host has not answered and no check-out came with them. A visit the host approved
    before its check-in synced is not waiting for them (a watchlist match waits for a
    manager, not the host)."""
    sites = sorted(set(site_ids))
    if not sites:
        return []
    facts = await VisitFactRow.select(
        VisitFactRow.visit_id, VisitFactRow.person, VisitFactRow.received_at
    ).where(
        VisitFactRow.site.is_in(sites)
        & (VisitFactRow.type == "visit.checked_in")
        & (VisitFactRow.received_at >= since)
        & (VisitFactRow.received_at < until)
    )
    first: dict[uuid.UUID, dict] = {}
    for fact in sorted(facts, key=lambda f: f["received_at"]):
        first.setdefault(fact["visit_id"], fact)
    if not first:
        return []
    rows = await VisitRow.select(VisitRow.id, VisitRow.summary).where(
        VisitRow.id.is_in(sorted(first))
        & (VisitRow.state == "pending")
        & (VisitRow.consent == "pending")
    )
    visits = [_SUMMARY.decode(json_bytes(r["summary"])) for r in rows]
    names = await display_names(sorted({first[v.id]["person"] for v in visits}))
    found = []
    for visit in visits:
        if visit.host is None or visit.visitor is None or visit.checked_in_at is None:
            continue
        fact = first[visit.id]
        found.append(
            AwaitingHost(
                id=visit.id,
                site_id=visit.site_id,
                visitor=visit.visitor,
                organisation=visit.organisation,
                purpose=visit.purpose,
                party_size=visit.party_size or 1,
                host=visit.host,
                recorded_by=PersonRef(id=fact["person"], name=names.get(fact["person"], "")),
                checked_in_at=visit.checked_in_at,
                received_at=fact["received_at"],
                url=visit_link(visit.id),
            )
        )
    return sorted(found, key=lambda a: (a.received_at, str(a.id)))


_SUMMARY = msgspec.json.Decoder(VisitOut)
