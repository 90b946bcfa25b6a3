"""A visit's slip, as the gate prints it (server/gate/slips.py draws it): who may have it
and what it is drawn from.

Gate staff and managers print the slip of any visit at their site, and the host prints
the one naming them (to hand over or file); the site's other people get 403, anyone else
404, as for the visit itself. The slip is drawn from the register entry as it stands and
the host's drawn signature, if any.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from qr.fonts import FontFile, FontNotFound, find_cjk_font
from server.accounts.access import Caller
from server.accounts.sites import get_site
from server.db import json_bytes
from server.errors import DomainError
from server.gate.register import READERS, visit_out, visit_site
from server.gate.slips import SlipContent, slip_content
from server.gate.tables import VisitFactRow


@dataclass(frozen=True, slots=True)
class SlipSource:
    content: SlipContent
    visit_id: uuid.UUID


async def visit_slip(caller: Caller, visit_id: uuid.UUID, public_url: str) -> SlipSource:
    site_id = await visit_site(caller, visit_id)
    visit = await visit_out(visit_id)
    is_host = visit.host is not None and visit.host.id == caller.user_id
    if not is_host:
        caller.require(site_id, READERS, "visit")
    site = await get_site(caller, site_id)
    content = slip_content(
        visit,
        public_url=public_url,
        timezone=site.timezone,
        site_name=" ".join(n for n in (site.name, site.name_en) if n),
        strokes=await _signature(visit_id) if visit.signed_at is not None else (),
    )
    return SlipSource(content=content, visit_id=visit_id)


async def _signature(visit_id: uuid.UUID) -> list[Any]:
    """The strokes of the visit's first signature (the one its `signed_at` is); none when
    the stored body is not what a signature should be (the slip is printed all the same)."""
    rows = await VisitFactRow.select(
        VisitFactRow.id, VisitFactRow.occurred_at, VisitFactRow.body
    ).where((VisitFactRow.visit_id == visit_id) & (VisitFactRow.type == "visit.signed"))
    for row in sorted(rows, key=lambda r: (r["occurred_at"], str(r["id"]))):
        try:
            body = msgspec.json.decode(json_bytes(row["body"]))
        except msgspec.DecodeError:
            continue
        strokes = body.get("strokes") if isinstance(body, dict) else None
        if isinstance(strokes, list):
            return [s for s in strokes if isinstance(s, list)]
    return []


def slip_font(preferred: Path | None) -> FontFile:
    try:
        return find_cjk_font(preferred)
    except FontNotFound as exc:
        raise DomainError("labels.font_missing", str(exc)) from None
