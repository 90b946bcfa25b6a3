"""The visitor register as the facts make it: each visit loaded with its facts and judged
(server/gate/visits.py), kept on its `visit` row for gate devices (entity `visit`, audience
GATE: gate staff and managers, never an inspector's phone) and for finding a site's visits
by date; and the register's reads.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from server import clock
from server.accounts.access import GATE_STAFF, MANAGERS, Caller
from server.accounts.sites import site_timezones
from server.accounts.users import display_names, members_of
from server.db import json_bytes
from server.errors import not_found
from server.feeds import Audience, Feed
from server.gate import visits
from server.gate.contacts import mask_phone
from server.gate.known_visitors import latest, record_known
from server.gate.tables import VisitFactRow, VisitRow
from server.gate.visits import State
from server.gate.wire import VisitOut
from server.wire import PersonRef

READERS = GATE_STAFF | MANAGERS
"""Who reads the register: visitor records are personal data (PIPL), not the site's."""


async def site_members(site_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict[uuid.UUID, str]]:
    """Each site's active people and their roles (memberships that ended left out)."""
    now = clock.utcnow()
    found: dict[uuid.UUID, dict[uuid.UUID, str]] = {}
    for site in set(site_ids):
        found[site] = {
            m.user_id: m.role
            for m in await members_of(site)
            if m.expires_at is None or m.expires_at > now
        }
    return found


async def visits_by_id(ids: Iterable[uuid.UUID]) -> list[dict[str, Any]]:
    wanted = sorted(set(ids))
    found: list[dict[str, Any]] = []
    for start in range(0, len(wanted), 500):
        found += await VisitRow.select().where(VisitRow.id.is_in(wanted[start : start + 500]))
    return found


async def facts_of(visit_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    wanted = sorted(set(visit_ids))
    facts: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for row in await VisitFactRow.select().where(VisitFactRow.visit_id.is_in(chunk)):
            facts[row["visit_id"]].append(row)
    return facts


def pure_fact(row: dict[str, Any]) -> visits.VisitFact:
    body = _decoded(row["body"])
    common = {
        "type": row["type"],
        "id": str(row["id"]),
        "visit_id": str(row["visit_id"]),
        "device_id": str(row["device_id"] or "web"),
        "person": str(row["person"]),
        "occurred_at": row["occurred_at"],
    }
    if row["type"] == "visit.checked_in":
        fields = {
            "visitor": body["name"],
            "host": body["host_id"],
            "party_size": body["party_size"],
            "organisation": body["organisation"],
            "purpose": body["purpose"],
            "badge": body["badge"] or None,
            "plate": body["plate"] or None,
            "expected_stay_minutes": body["expected_stay_minutes"]
            or body.get("stay_default_minutes"),
            "watch_match": bool(body.get("watch_match") or body.get("watch_listed")),
            "missing_fields": tuple(body.get("missing_fields", ())),
            "vehicles_allowed": body.get("vehicles_allowed", True),
        }
    elif row["type"] == "visit.checked_out":
        fields = {"method": body["method"], "sign_required": body.get("sign_required", False)}
    elif row["type"] == "visit.signed":
        fields = {}
    elif row["type"] == "visit.watch_decided":
        fields = {
            "by": body["by_id"],
            "channel": body["channel"],
            "decision": body["decision"],
            "reason": body.get("reason", ""),
        }
    else:
        fields = {"by": body["by_id"], "channel": body["channel"]}
        if row["type"] == "visit.refused":
            fields["reason"] = body.get("reason", "")
    return msgspec.convert(common | fields, visits.Fact)  # type: ignore[arg-type]


async def rejudge(visit_ids: set[uuid.UUID]) -> None:
    """Judge these visits again from all their facts and keep the judgement on their rows;
    each changed row goes to gate devices. Call inside the write transaction that stored
    their new facts."""
    rows = await visits_by_id(visit_ids)
    if not rows:
        return
    facts = await facts_of(visit_ids)
    sites = {r["site"] for r in rows}
    members = await site_members(sites)
    zones = await site_timezones(sites)
    people: set[uuid.UUID] = set()
    judged = {}
    for row in rows:
        managers = {str(u) for u, role in members[row["site"]].items() if role in MANAGERS}
        visit = visits.judge_visit([pure_fact(f) for f in facts[row["id"]]], managers=managers)
        judged[row["id"]] = visit
        people |= {uuid.UUID(p) for p in (visit.decided_by, visit.watch_decided_by) if p}
        if visit.check_in is not None:
            people.add(uuid.UUID(visit.check_in.host))
    names = await display_names(sorted(people))
    now = clock.utcnow()
    keys: dict[uuid.UUID, set[str]] = defaultdict(set)
    for row in rows:
        visit = judged[row["id"]]
        own = facts[row["id"]]
        check_in = _standing_check_in(own, visit)
        first = min(f["occurred_at"] for f in own)
        when = visit.check_in.occurred_at if visit.check_in is not None else first
        local_date = when.astimezone(ZoneInfo(zones[row["site"]])).date()
        refusal = next(
            (
                _decoded(f["body"]).get("reason", "")
                for f in sorted(own, key=lambda f: (f["occurred_at"], str(f["id"])))
                if f["type"] == "visit.refused" and str(f["id"]) not in visit.set_aside
            ),
            "",
        )
        version = row["version"] + 1
        out = _out(row, visit, check_in, names, local_date, refusal, version)
        await VisitRow.update(
            {
                VisitRow.local_date: local_date,
                VisitRow.state: visit.state,
                VisitRow.consent: visit.consent,
                VisitRow.id_key: check_in.get("id_key") if check_in else None,
                VisitRow.flags: msgspec.json.encode(list(visit.flags)).decode(),
                VisitRow.judged_at: now,
                VisitRow.summary: msgspec.json.encode(out).decode(),
                VisitRow.version: version,
            }
        ).where(VisitRow.id == row["id"])
        VISIT_FEED.record(row["site"], row["id"], version=version, data=out)
        if check_in and check_in.get("id_key"):
            keys[row["site"]].add(check_in["id_key"])
    for site, site_keys in keys.items():
        record_known(site, await latest(site, site_keys))


def _standing_check_in(facts: list[dict[str, Any]], visit: visits.Visit) -> dict[str, Any] | None:
    if visit.check_in is None:
        return None
    for fact in facts:
        if str(fact["id"]) == visit.check_in.id:
            return _decoded(fact["body"])
    return None


def _out(
    row: dict[str, Any],
    visit: visits.Visit,
    check_in: dict[str, Any] | None,
    names: dict[uuid.UUID, str],
    local_date: dt.date,
    refusal_reason: str,
    version: int,
) -> VisitOut:
    def person(user_id: str | None) -> PersonRef | None:
        if user_id is None:
            return None
        id = uuid.UUID(user_id)
        return PersonRef(id=id, name=names.get(id, ""))

    body = check_in or {}
    phone = body.get("phone")
    return VisitOut(
        id=row["id"],
        site_id=row["site"],
        local_date=local_date,
        state=visit.state,
        consent=visit.consent,
        visitor=body.get("name"),
        id_type=body.get("id_type"),
        id_masked=body.get("id_masked"),
        phone_masked=mask_phone(phone) if phone else None,
        organisation=body.get("organisation", ""),
        purpose=body.get("purpose", ""),
        party_size=body.get("party_size"),
        plate=body.get("plate"),
        badge=body.get("badge"),
        host=person(visit.check_in.host if visit.check_in is not None else None),
        checked_in_at=visit.check_in.occurred_at if visit.check_in is not None else None,
        decided_by=person(visit.decided_by),
        approved_at=visit.approved_at,
        refused_at=visit.refused_at,
        refusal_reason=refusal_reason,
        entered_at=visit.entered_at,
        expected_until=visit.expected_until,
        checked_out_at=visit.checked_out_at,
        flags=list(visit.flags),
        version=version,
        watch=visit.watch,
        watch_decided_by=person(visit.watch_decided_by),
        signed_at=visit.signed_at,
    )


async def visit_site(caller: Caller, visit_id: uuid.UUID) -> uuid.UUID:
    """The site of a visit the caller may see; a visit of a site they are not at is not
    found. Gate staff and managers only (403 for the site's other people)."""
    rows = await VisitRow.select(VisitRow.site).where(VisitRow.id == visit_id)
    if not rows or rows[0]["site"] not in caller.roles:
        raise not_found("visit")
    return rows[0]["site"]


async def get_visit(caller: Caller, visit_id: uuid.UUID) -> VisitOut:
    """Gate staff and managers read any visit of their site; the host reads the visits
    naming them (to decide, and to sign), nobody else at the site (403)."""
    site = await visit_site(caller, visit_id)
    if caller.roles[site] not in READERS:
        visit = await visit_out(visit_id)
        if visit.host is None or visit.host.id != caller.user_id:
            caller.require(site, READERS, "visit")
        return visit
    return await visit_out(visit_id)


async def my_visits(caller: Caller, state: State | None) -> list[VisitOut]:
    """The visits naming the caller as host, at all their sites, oldest check-in first:
    `pending` (the default) is who waits at a gate for them. Other states reach back 30
    days, enough for a host's "my visitors" screen."""
    sites = list(caller.roles)
    if not sites:
        return []
    query = VisitRow.select(VisitRow.summary).where(
        VisitRow.site.is_in(sites) & (VisitRow.version > 0) & VisitRow.purged_at.is_null()
    )
    if state is not None:
        query = query.where(VisitRow.state == state)
    if state != "pending":
        since = clock.utcnow().date() - dt.timedelta(days=30)
        query = query.where(VisitRow.local_date >= since)
    found = [
        visit
        for visit in (_SUMMARY.decode(json_bytes(r["summary"])) for r in await query)
        if visit.host is not None and visit.host.id == caller.user_id
    ]
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(found, key=lambda v: (v.checked_in_at or far, str(v.id)))


async def visit_out(visit_id: uuid.UUID) -> VisitOut:
    rows = await VisitRow.select(VisitRow.summary).where(VisitRow.id == visit_id)
    if not rows:
        raise not_found("visit")
    return _SUMMARY.decode(json_bytes(rows[0]["summary"]))


async def list_visits(
    caller: Caller, site_id: uuid.UUID, on: dt.date | None, state: State | None
) -> list[VisitOut]:
    """The day's register at the site (its local date; today by default), in order of
    check-in; `state=inside` is who is still inside, longest there first."""
    caller.require(site_id, READERS)
    if on is None:
        zone = (await site_timezones([site_id]))[site_id]
        on = clock.utcnow().astimezone(ZoneInfo(zone)).date()
    query = VisitRow.select(VisitRow.summary).where(
        (VisitRow.site == site_id) & (VisitRow.local_date == on) & (VisitRow.version > 0)
    )
    if state is not None:
        query = query.where(VisitRow.state == state)
    found = [_SUMMARY.decode(json_bytes(r["summary"])) for r in await query]

    def order(v: VisitOut) -> tuple[dt.datetime, str]:
        at = v.entered_at if state == "inside" else v.checked_in_at
        return (at or v.checked_out_at or dt.datetime.max.replace(tzinfo=dt.UTC), str(v.id))

    return sorted(found, key=order)


async def snapshot_visits(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, VisitOut]]:
    """The site's visits of the last two days, and any still open however old: what a new
    gate device needs to check a visitor out or see who is inside."""
    since = clock.utcnow().date() - dt.timedelta(days=2)
    query = VisitRow.select(VisitRow.id, VisitRow.version, VisitRow.summary).where(
        (VisitRow.site == site_id)
        & (VisitRow.version > 0)
        & ((VisitRow.local_date >= since) | VisitRow.state.is_in(["pending", "inside"]))
    )
    if after is not None:
        query = query.where(VisitRow.id > uuid.UUID(after))
    rows = await query.order_by(VisitRow.id).limit(limit)
    return [(str(r["id"]), r["version"], _SUMMARY.decode(json_bytes(r["summary"]))) for r in rows]


_SUMMARY = msgspec.json.Decoder(VisitOut)


def _decoded(value: Any) -> dict[str, Any]:
    decoded: dict[str, Any] = msgspec.json.decode(json_bytes(value))
    return decoded


VISIT_FEED = Feed("visit", Audience.GATE, snapshot_visits)
