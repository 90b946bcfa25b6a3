"""The early-leave passes as their facts make them: each pass loaded with its facts and
judged (server/gate/passes.py), kept on its `leave_pass` row for gate devices (entity
`leave_pass`, audience GATE: gate staff and managers, never an inspector's phone) and for
finding a site's passes by date; and the passes' reads.

The class teacher who made a pass reads it too (they are not in the gate's audience:
their phone does not receive the site's passes, the API answers them their own).
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
from server.accounts.users import display_names
from server.db import json_bytes
from server.errors import forbidden, not_found
from server.feeds import Audience, Feed
from server.gate import passes
from server.gate.contacts import mask_phone
from server.gate.pass_wire import ParentConfirmation, PassOut
from server.gate.tables import LeavePassRow, PassFactRow
from server.wire import PersonRef

READERS = GATE_STAFF | MANAGERS
"""Who reads every pass of a site: a pass names a pupil and why they leave (PIPL)."""
CREATORS = frozenset({"admin", "manager", "inspector", "guard", "gatekeeper", "maintainer"})
"""Who may make a pass: any member of the site but an auditor (there is no teacher role;
the class teacher is whoever the school gave an account)."""
LINK_PERSON = "parent-link"
"""The `person` of a confirmation a parent made through a one-time link (no account)."""


async def passes_by_id(ids: Iterable[uuid.UUID]) -> list[dict[str, Any]]:
    wanted = sorted(set(ids))
    found: list[dict[str, Any]] = []
    for start in range(0, len(wanted), 500):
        found += await LeavePassRow.select().where(
            LeavePassRow.id.is_in(wanted[start : start + 500])
        )
    return found


async def facts_of(pass_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    wanted = sorted(set(pass_ids))
    facts: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for row in await PassFactRow.select().where(PassFactRow.pass_id.is_in(chunk)):
            facts[row["pass_id"]].append(row)
    return facts


_ANY_FACT = passes.PassCreated | passes.PassConfirmed | passes.PassCancelled | passes.PassExited


def pure_fact(row: dict[str, Any]) -> passes.PassFact:
    body = decoded(row["body"])
    common = {
        "type": row["type"],
        "id": str(row["id"]),
        "pass_id": str(row["pass_id"]),
        "device_id": str(row["device_id"] or "web"),
        "person": str(row["person"]) if row["person"] else LINK_PERSON,
        "occurred_at": row["occurred_at"],
    }
    fields: dict[str, Any]
    if row["type"] == "pass.created":
        fields = {
            "pupil": body["pupil"],
            "reason": body["reason"],
            "leave_from": body["leave_from"],
            "leave_until": body["leave_until"],
            "collector": body.get("collector"),
        }
    elif row["type"] == "pass.confirmed":
        fields = {
            "parent": body["parent_name"],
            "parent_phone": body["parent_phone"],
            "channel": body["channel"],
        }
    elif row["type"] == "pass.cancelled":
        fields = {"reason": body.get("reason", "")}
    else:
        fields = {"collected_by": body.get("collected_by")}
    fact: passes.PassFact = msgspec.convert(common | fields, _ANY_FACT)  # type: ignore[arg-type]
    return fact


async def rejudge(pass_ids: set[uuid.UUID]) -> None:
    """Judge these passes again from all their facts and keep the judgement on their rows;
    each changed row goes to gate devices. Call inside the write transaction that stored
    their new facts."""
    rows = await passes_by_id(pass_ids)
    if not rows:
        return
    facts = await facts_of(pass_ids)
    zones = await site_timezones({r["site"] for r in rows})
    judged: dict[uuid.UUID, passes.LeavePass] = {}
    people: set[uuid.UUID] = set()
    for row in rows:
        judged[row["id"]] = passes.judge_pass(pure_fact(f) for f in facts[row["id"]])
        people |= {f["person"] for f in facts[row["id"]] if f["person"] is not None}
    names = await display_names(sorted(people))
    now = clock.utcnow()
    for row in rows:
        leave_pass = judged[row["id"]]
        own = {str(f["id"]): f for f in facts[row["id"]]}
        created = leave_pass.created
        first = min(f["occurred_at"] for f in own.values())
        when = created.leave_from if created is not None else first
        local_date = when.astimezone(ZoneInfo(zones[row["site"]])).date()
        version = row["version"] + 1
        out = _out(row, leave_pass, own, names, local_date, version, now)
        await LeavePassRow.update(
            {
                LeavePassRow.local_date: local_date,
                LeavePassRow.state: leave_pass.state,
                LeavePassRow.flags: msgspec.json.encode(list(leave_pass.flags)).decode(),
                LeavePassRow.judged_at: now,
                LeavePassRow.summary: msgspec.json.encode(out).decode(),
                LeavePassRow.version: version,
            }
        ).where(LeavePassRow.id == row["id"])
        LEAVE_PASS_FEED.record(row["site"], row["id"], version=version, data=out)


def _out(
    row: dict[str, Any],
    leave_pass: passes.LeavePass,
    own: dict[str, dict[str, Any]],
    names: dict[uuid.UUID, str],
    local_date: dt.date,
    version: int,
    now: dt.datetime,
) -> PassOut:
    def by(fact: passes.PassFact | None) -> PersonRef | None:
        if fact is None or fact.person == LINK_PERSON:
            return None
        id = uuid.UUID(fact.person)
        return PersonRef(id=id, name=names.get(id, ""))

    created = leave_pass.created
    body = decoded(own[created.id]["body"]) if created is not None else {}
    phone = body.get("collector_phone")
    confirmed = leave_pass.confirmed
    parent = None
    if confirmed is not None:
        parent = ParentConfirmation(
            name=confirmed.parent,
            phone_masked=mask_phone(confirmed.parent_phone),
            at=confirmed.occurred_at,
            channel=confirmed.channel,
        )
    return PassOut(
        id=row["id"],
        site_id=row["site"],
        local_date=local_date,
        state=leave_pass.state,
        pupil=created.pupil if created is not None else None,
        class_name=body.get("class_name", ""),
        reason=created.reason if created is not None else "",
        leave_from=created.leave_from if created is not None else None,
        leave_until=created.leave_until if created is not None else None,
        collector=created.collector if created is not None else None,
        collector_phone_masked=mask_phone(phone) if phone else None,
        created_by=by(created),
        created_at=created.occurred_at if created is not None else None,
        confirmed_by_parent=parent,
        cancelled_at=leave_pass.cancelled.occurred_at if leave_pass.cancelled else None,
        exited_at=leave_pass.exit.occurred_at if leave_pass.exit else None,
        exit_recorded_by=by(leave_pass.exit),
        flags=list(leave_pass.flags),
        blockers=[f.code for f in passes.exit_blockers(leave_pass, now)],
        version=version,
    )


def blockers_at(out: PassOut, at: dt.datetime) -> list[str]:
    """What stops the pupil leaving at `at`, from the pass as kept (the same judgement,
    `passes.exit_blockers`, over what the summary holds of each standing fact)."""
    common = {"pass_id": str(out.id), "device_id": "-", "person": "-"}
    created = confirmed = cancelled = exited = None
    if out.created_at and out.leave_from and out.leave_until:
        created = passes.PassCreated(
            id="created",
            occurred_at=out.created_at,
            pupil=out.pupil or "-",
            reason=out.reason or "-",
            leave_from=out.leave_from,
            leave_until=out.leave_until,
            collector=out.collector,
            **common,
        )
    if out.confirmed_by_parent is not None:
        confirmed = passes.PassConfirmed(
            id="confirmed",
            occurred_at=out.confirmed_by_parent.at,
            parent=out.confirmed_by_parent.name,
            parent_phone="-",
            channel=out.confirmed_by_parent.channel,
            **common,
        )
    if out.cancelled_at is not None:
        cancelled = passes.PassCancelled(id="cancelled", occurred_at=out.cancelled_at, **common)
    if out.exited_at is not None:
        exited = passes.PassExited(id="exited", occurred_at=out.exited_at, **common)
    leave_pass = passes.LeavePass(
        pass_id=str(out.id),
        state=out.state,
        created=created,
        confirmed=confirmed,
        cancelled=cancelled,
        exit=exited,
        flags=(),
        set_aside=(),
    )
    return [fault.code for fault in passes.exit_blockers(leave_pass, at)]


def now_blocked(out: PassOut) -> PassOut:
    return msgspec.structs.replace(out, blockers=blockers_at(out, clock.utcnow()))


async def pass_site(caller: Caller, pass_id: uuid.UUID) -> tuple[uuid.UUID, PassOut | None]:
    """The site of a pass the caller's site holds, and the pass as kept (None while only
    facts without a judgement exist); a pass of a site the caller is not at is not found."""
    rows = await LeavePassRow.select(
        LeavePassRow.site, LeavePassRow.summary, LeavePassRow.version
    ).where(LeavePassRow.id == pass_id)
    if not rows or rows[0]["site"] not in caller.roles:
        raise not_found("pass")
    out = _SUMMARY.decode(json_bytes(rows[0]["summary"])) if rows[0]["version"] > 0 else None
    return rows[0]["site"], out


def is_creator(caller: Caller, out: PassOut | None) -> bool:
    return out is not None and out.created_by is not None and out.created_by.id == caller.user_id


async def get_pass(caller: Caller, pass_id: uuid.UUID) -> PassOut:
    site, out = await pass_site(caller, pass_id)
    if caller.roles[site] not in READERS and not is_creator(caller, out):
        raise forbidden("only the gate, the site's managers and the pass's teacher read it")
    if out is None:
        raise not_found("pass")
    return now_blocked(out)


async def stored_pass(pass_id: uuid.UUID) -> PassOut | None:
    """The pass as kept, for a reader authorised otherwise (a parent's link); None while
    the pass is unknown or not yet judged."""
    rows = await LeavePassRow.select(LeavePassRow.summary, LeavePassRow.version).where(
        LeavePassRow.id == pass_id
    )
    if not rows or rows[0]["version"] == 0:
        return None
    return _SUMMARY.decode(json_bytes(rows[0]["summary"]))


async def pass_out(pass_id: uuid.UUID) -> PassOut:
    rows = await LeavePassRow.select(LeavePassRow.summary).where(LeavePassRow.id == pass_id)
    if not rows:
        raise not_found("pass")
    return now_blocked(_SUMMARY.decode(json_bytes(rows[0]["summary"])))


async def list_passes(caller: Caller, site_id: uuid.UUID, on: dt.date | None) -> list[PassOut]:
    """The day's passes at the site (its local date; today by default), in order of when
    the pupils leave. The gate and managers see all; a teacher sees the passes they made."""
    role = caller.require(site_id, READERS | CREATORS)
    if on is None:
        zone = (await site_timezones([site_id]))[site_id]
        on = clock.utcnow().astimezone(ZoneInfo(zone)).date()
    rows = await LeavePassRow.select(LeavePassRow.summary).where(
        (LeavePassRow.site == site_id)
        & (LeavePassRow.local_date == on)
        & (LeavePassRow.version > 0)
    )
    found = [_SUMMARY.decode(json_bytes(r["summary"])) for r in rows]
    if role not in READERS:
        found = [out for out in found if is_creator(caller, out)]
    now = clock.utcnow()
    latest = dt.datetime.max.replace(tzinfo=dt.UTC)
    return [
        msgspec.structs.replace(out, blockers=blockers_at(out, now))
        for out in sorted(found, key=lambda o: (o.leave_from or latest, str(o.id)))
    ]


async def snapshot_passes(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, PassOut]]:
    """The site's passes of the last two days and the next seven: what a gate device needs
    to let a pupil out, or to see who already left."""
    today = clock.utcnow().date()
    query = LeavePassRow.select(LeavePassRow.id, LeavePassRow.version, LeavePassRow.summary).where(
        (LeavePassRow.site == site_id)
        & (LeavePassRow.version > 0)
        & (LeavePassRow.local_date >= today - dt.timedelta(days=2))
        & (LeavePassRow.local_date <= today + dt.timedelta(days=7))
    )
    if after is not None:
        query = query.where(LeavePassRow.id > uuid.UUID(after))
    rows = await query.order_by(LeavePassRow.id).limit(limit)
    return [(str(r["id"]), r["version"], _SUMMARY.decode(json_bytes(r["summary"]))) for r in rows]


_SUMMARY = msgspec.json.Decoder(PassOut)


def decoded(value: Any) -> dict[str, Any]:
    found: dict[str, Any] = msgspec.json.decode(json_bytes(value))
    return found


LEAVE_PASS_FEED = Feed("leave_pass", Audience.GATE, snapshot_passes)
